"""What the console shows, from the monitor's latest snapshot: bounded, and without a secret
(facts carry no password; error texts are the library's, which name none; only the fields
below leave the daemon)."""
from __future__ import annotations

MAX_TEXT = 300


def _text(value, limit: int = MAX_TEXT):
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _channel(channel: dict) -> dict:
    return {"name": _text(channel.get("name"), 64), "source": f"{channel.get('source_host')}:{channel.get('source_port')}",
            "io_running": channel.get("io_running"), "sql_running": channel.get("sql_running"),
            "seconds_behind_source": channel.get("seconds_behind_source"),
            "last_io_errno": channel.get("last_io_errno"), "last_sql_errno": channel.get("last_sql_errno"),
            "last_error": _text(channel.get("last_sql_error") or channel.get("last_io_error"))}


def _member(address: str, facts: dict) -> dict:
    if not facts.get("reachable"):
        return {"address": address, "reachable": False, "reachability": facts.get("reachability"),
                "error": _text(facts.get("error"))}
    semi = facts.get("semi_sync") or {}
    galera = facts.get("galera") or {}
    return {
        "address": address, "reachable": True, "role": facts.get("role"), "read_only": facts.get("read_only"),
        "flavor": facts.get("flavor"), "version": _text(facts.get("version"), 64),
        # MySQL's executed set; MariaDB's gtid_current_pos (binlog position on a primary).
        "gtid_executed": _text((facts.get("gtid") or {}).get("executed") or (facts.get("gtid") or {}).get("current_pos")
                               or (facts.get("gtid") or {}).get("binlog_pos")),
        "channels": [_channel(c) for c in (facts.get("channels") or [])[:16]],
        "semi_sync": {"source": bool(semi.get("source_status")), "replica": bool(semi.get("replica_status"))}
        if semi.get("source_status") or semi.get("replica_status") else None,
        "galera": {"state": galera.get("local_state_comment"), "cluster_status": galera.get("cluster_status"),
                   "size": galera.get("cluster_size")} if galera.get("cluster_size") else None,
        "collected_at": (facts.get("collection") or {}).get("collected_at"),
    }


def clusters_view(snapshot: dict) -> list[dict]:
    """Every cluster: its analysis, its replication tree and each member's state."""
    view = []
    for name, data in sorted((snapshot.get("clusters") or {}).items()):
        cluster = data.get("cluster") or {}
        analysis = cluster.get("analysis") or {}
        view.append({
            "name": name, "code": analysis.get("code"), "codes": analysis.get("codes") or [],
            "details": {k: _text(v) for k, v in (analysis.get("details") or {}).items()},
            "primary": cluster.get("primary"), "roots": cluster.get("roots") or [], "tree": cluster.get("tree") or {},
            "members": [_member(a, f) for a, f in sorted((data.get("members") or {}).items())],
        })
    return view


def compliance_view(snapshot: dict) -> list[dict]:
    """Per member: control counts by status and the failing controls, most severe first."""
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    view = []
    for name, data in sorted((snapshot.get("clusters") or {}).items()):
        for address, security in sorted((data.get("security") or {}).items()):
            controls = security.get("controls") or {}
            counts: dict = {}
            for result in controls.values():
                counts[result.get("status")] = counts.get(result.get("status"), 0) + 1
            failing = sorted(({"control": f.get("control"), "severity": f.get("severity"), "evidence": _text(f.get("evidence"))}
                              for f in (security.get("findings") or [])[:50]), key=lambda f: order.get(f["severity"], 9))
            view.append({"cluster": name, "address": address, "counts": counts, "failing": failing,
                         "collected_at": (security.get("collection") or {}).get("collected_at")})
    return view
