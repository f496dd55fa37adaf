"""Complete, healthy facts from a few fields, for rule unit tests (``mysqlha test``), the
tests and the benchmarks: every field the facts' schemas know gets a healthy default, and the
given fields go on top.  The cluster analysis is the same code as ``topology_facts``.
"""
from __future__ import annotations

import copy

from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster

__all__ = ["build_member", "build_security", "build_snapshot", "healthy_channel"]


def _default(node: dict):
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "null" in kinds and "object" not in kinds and "array" not in kinds:
        return None
    if "object" in kinds:
        if "null" in kinds:
            return None
        return {k: _default(v) for k, v in (node.get("properties") or {}).items()}
    if "array" in kinds:
        return []
    if "boolean" in kinds:
        return False
    if "integer" in kinds or "number" in kinds:
        return 0
    if node.get("enum"):
        return node["enum"][0]
    return ""


def _merge(base, overlay):
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = _merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(overlay)


def healthy_channel(source: str) -> dict:
    schema = load_schema("mysql_replication.schema.json")["properties"]["channels"]["items"]
    host, _sep, port = source.rpartition(":")
    return _merge(_default(schema), {"source_host": host, "source_port": int(port), "io_running": "yes",
                                     "sql_running": True, "seconds_behind_source": 0, "using_gtid": "slave_pos"})


def build_member(address: str, overlay: dict) -> dict:
    """Complete, healthy mysql_replication facts for ``address`` with ``overlay`` on top.

    ``role: replica`` with ``source: host:port`` gets one healthy channel; a
    ``channels`` list in the overlay is merged channel by channel onto healthy ones.
    ``reachable: false`` gives an unreachable record instead.
    """
    overlay = dict(overlay or {})
    if overlay.get("reachable") is False:
        return {"instance": address, "reachable": False, "reachability": overlay.get("reachability", "refused"),
                "error": overlay.get("error", f"{address}: connection refused"), "errno": overlay.get("errno", 2003)}
    base = _default(load_schema("mysql_replication.schema.json"))
    host, _sep, port = address.rpartition(":")
    role = overlay.get("role", "primary")
    base.update(instance=address, reachable=True, flavor="mariadb", variant="mariadb", version="10.11.6",
                hostname=host, port=int(port), role=role, read_only=role != "primary", replica_count=0)
    base["gtid"].update(mode="ON", executed=overlay.pop("gtid_executed", "0-1-100"), strict_mode=True)
    base["semi_sync"].update(wait_for_replica_count=1)
    source = overlay.pop("source", None)
    channel_overlays = overlay.pop("channels", None)
    if role in ("replica", "intermediate"):
        base["channels"] = [healthy_channel(source or "127.0.0.1:3306")]
    if channel_overlays is not None:
        channels = []
        for index, channel in enumerate(channel_overlays):
            template = base["channels"][index] if index < len(base["channels"]) else healthy_channel(source or "127.0.0.1:3306")
            channels.append(_merge(template, channel))
        base["channels"] = channels
    # A nullable object (galera, group_replication, heartbeat) given in part starts from its full shape.
    schema = load_schema("mysql_replication.schema.json")["properties"]
    for key, value in overlay.items():
        if isinstance(value, dict) and base.get(key) is None and key in schema:
            base[key] = _default(dict(schema[key], type="object"))
    return _merge(base, overlay)


def build_security(address: str, overlay: dict) -> dict:
    """Complete mysql_security facts: every catalogue control passing, ``overlay`` on top."""
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import CONTROLS, references_for, remediation_for

    base = _default(load_schema("mysql_security.schema.json"))
    base.update(instance=address, flavor="mariadb", version="10.11.6", accounts=[], test_databases=[],
                replication_channels=[], policy={},
                controls={c.id: {"status": "pass", "evidence": "", "title": c.title, "severity": c.severity,
                                 "remediation": remediation_for(c, "mariadb"), "references": references_for(c, "mariadb")}
                          for c in CONTROLS if "mariadb" in c.flavors})
    base["tls"].update(enabled=True, have_ssl="YES", versions=["TLSv1.2", "TLSv1.3"], require_secure_transport=True,
                       cert_days_left=300)
    base["settings"]["local_infile"] = False
    return _merge(base, overlay or {})


def build_snapshot(clusters: dict) -> dict:
    """{cluster: {members: {address: overlay}, security: {address: facts}, cluster: overlay}} -> snapshot."""
    snapshot: dict = {"clusters": {}}
    for name, spec in (clusters or {}).items():
        members = {address: build_member(address, overlay) for address, overlay in (spec.get("members") or {}).items()}
        primaries = [a for a, f in members.items() if f.get("role") == "primary"]
        for address, facts in members.items():
            if facts.get("role") == "primary":
                facts["replica_count"] = sum(1 for f in members.values() for c in f.get("channels") or ()
                                             if f"{c.get('source_host')}:{c.get('source_port')}" == address)
        cluster = analyze_cluster(members, name=name, known_primary=primaries[0] if primaries else None)
        if spec.get("cluster"):
            cluster = _merge(cluster, spec["cluster"])
        security = {address: build_security(address, overlay) for address, overlay in (spec.get("security") or {}).items()}
        snapshot["clusters"][name] = {"cluster": cluster, "members": members, "security": security}
    return snapshot
