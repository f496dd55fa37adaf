"""Snapshots: the facts one evaluation sees, from files or from compact test timelines.

``load_snapshot(paths)`` reads what users have: ``topology_facts`` results
(``{"cluster", "members"}``), ``replication_facts`` / ``security_facts`` results
(``ansible_facts.mysql_replication`` / ``mysql_security``), an Ansible JSON fact
cache directory (one file per host), or a snapshot (``{"clusters": ...}``).
Members without a topology result are grouped into one cluster and analysed with
the same code as ``topology_facts``.

``build_member`` / ``build_snapshot`` make complete facts from a few fields, for
rule unit tests: every field the schema knows gets a healthy default.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from ansible_collections.dbaops.mysql_ha.engine.rules.model import load_schema
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster


class SnapshotError(ValueError):
    """A facts file that cannot be read; the message names it."""


def _add(snapshot: dict, cluster: str, kind: str, address: str, facts: dict) -> None:
    data = snapshot["clusters"].setdefault(cluster, {"cluster": None, "members": {}, "security": {}})
    data[kind][address] = facts


def _absorb(snapshot: dict, document, source: str, default_cluster: str) -> None:
    if not isinstance(document, dict):
        raise SnapshotError(f"{source}: expected a JSON object of facts")
    if "clusters" in document:
        for name, data in document["clusters"].items():
            target = snapshot["clusters"].setdefault(name, {"cluster": None, "members": {}, "security": {}})
            target["cluster"] = data.get("cluster") or target["cluster"]
            target["members"].update(data.get("members") or {})
            target["security"].update(data.get("security") or {})
        return
    if "cluster" in document and "members" in document:
        name = document["cluster"].get("name") or default_cluster
        target = snapshot["clusters"].setdefault(name, {"cluster": None, "members": {}, "security": {}})
        target["cluster"] = document["cluster"]
        target["members"].update(document["members"])
        return
    facts = document.get("ansible_facts", document)
    found = False
    if isinstance(facts.get("mysql_replication"), dict):
        replication = facts["mysql_replication"]
        _add(snapshot, default_cluster, "members", replication["instance"], replication)
        found = True
    if isinstance(facts.get("mysql_security"), dict):
        security = facts["mysql_security"]
        _add(snapshot, default_cluster, "security", security["instance"], security)
        found = True
    if not found and "channels" in facts and "instance" in facts:
        _add(snapshot, default_cluster, "members", facts["instance"], facts)
        found = True
    if not found:
        raise SnapshotError(f"{source}: no mysql_replication, mysql_security or topology facts in this file")


def snapshot_from_documents(documents: list, default_cluster: str = "default") -> dict:
    """A snapshot from fact documents already in memory (registered module results, facts)."""
    snapshot: dict = {"clusters": {}}
    for index, document in enumerate(documents):
        _absorb(snapshot, document, f"facts[{index}]", default_cluster)
    return _analyse_clusters(snapshot)


def _analyse_clusters(snapshot: dict) -> dict:
    """Clusters that came without a topology result get the same analysis topology_facts makes."""
    for name, data in snapshot["clusters"].items():
        if data["cluster"] is None:
            data["cluster"] = analyze_cluster(data["members"], name=name)
    return snapshot


def load_snapshot(paths: list[str], default_cluster: str = "default") -> dict:
    """A snapshot from fact files and fact-cache directories."""
    snapshot: dict = {"clusters": {}}
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
        else:
            raise SnapshotError(f"{raw}: no such facts file or directory")
    for path in files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotError(f"{path}: not JSON facts ({exc})") from None
        _absorb(snapshot, document, str(path), default_cluster)
    return _analyse_clusters(snapshot)


# ---- complete facts from a few fields (rule unit tests) ----------------------------------
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
    return _merge(base, overlay)


def build_security(address: str, overlay: dict) -> dict:
    """Complete mysql_security facts: every catalogue control passing, ``overlay`` on top."""
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.catalog import CONTROLS

    base = _default(load_schema("mysql_security.schema.json"))
    base.update(instance=address, flavor="mariadb", version="10.11.6", accounts=[], test_databases=[],
                replication_channels=[], policy={},
                controls={c.id: {"status": "pass", "evidence": ""} for c in CONTROLS})
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
