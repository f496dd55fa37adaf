"""What the console shows, from the monitor's latest snapshot: bounded, and without a secret.

Only the fields named below leave the daemon (facts carry no password, and a field a host or
a fact cache adds is never copied); every text is cut at ``MAX_TEXT`` characters, lists at
their own bounds, so one odd host cannot make the answer large.

Each member gets one ``state`` for the console's colour: ``dead`` (refused, no TCP answer),
``hung``, ``stale`` (its poll is still running), ``unreachable`` (any other failure),
``stopped`` (a channel's IO or SQL thread not running), ``connecting``, ``lag`` (over
``LAG_SECONDS`` behind its source), or ``ok``.
"""
from __future__ import annotations

MAX_TEXT = 300
MAX_MEMBERS = 200       # per cluster
MAX_CHANNELS = 16       # per member
MAX_FINDINGS = 50       # per member
LAG_SECONDS = 10
DEAD = ("refused", "unreachable")
SEVERITIES = ("critical", "high", "medium", "low")


def _text(value, limit: int = MAX_TEXT):
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _channel(channel: dict) -> dict:
    return {"name": _text(channel.get("name"), 64), "source": _text(f"{channel.get('source_host')}:{channel.get('source_port')}", 120),
            "io_running": _text(channel.get("io_running"), 20), "sql_running": bool(channel.get("sql_running")),
            "seconds_behind_source": _number(channel.get("seconds_behind_source")),
            "last_io_errno": _number(channel.get("last_io_errno")), "last_sql_errno": _number(channel.get("last_sql_errno")),
            "last_error": _text(channel.get("last_sql_error") or channel.get("last_io_error"))}


def member_state(reachability: str | None, channels: list[dict]) -> str:
    """The one word the console colours a member by (see the module's docstring)."""
    if reachability not in (None, "ok"):
        if reachability in DEAD:
            return "dead"
        return reachability if reachability in ("hung", "stale") else "unreachable"
    if any(c["io_running"] not in ("yes", "connecting") or not c["sql_running"] for c in channels):
        return "stopped"
    if any(c["io_running"] == "connecting" for c in channels):
        return "connecting"
    if any((c["seconds_behind_source"] or 0) > LAG_SECONDS for c in channels):
        return "lag"
    return "ok"


def _gtid(facts: dict) -> str | None:
    """MySQL's gtid_executed; MariaDB's gtid_current_pos (or gtid_binlog_pos on a primary)."""
    gtid = facts.get("gtid") or {}
    return _text(gtid.get("executed") or gtid.get("current_pos") or gtid.get("binlog_pos") or None, 1000)


def _semi_sync(facts: dict) -> dict | None:
    semi = facts.get("semi_sync") or {}
    if not (semi.get("source_enabled") or semi.get("replica_enabled") or semi.get("source_status") or semi.get("replica_status")):
        return None
    return {"source_enabled": bool(semi.get("source_enabled")), "source_on": bool(semi.get("source_status")),
            "source_clients": _number(semi.get("source_clients")),
            "replica_enabled": bool(semi.get("replica_enabled")), "replica_on": bool(semi.get("replica_status"))}


def _galera(facts: dict) -> dict | None:
    galera = facts.get("galera") or {}
    if not galera:
        return None
    return {"state": _text(galera.get("local_state_comment"), 40), "cluster_status": _text(galera.get("cluster_status"), 40),
            "size": _number(galera.get("cluster_size")), "ready": galera.get("ready") if isinstance(galera.get("ready"), bool) else None}


def _member(address: str, facts: dict, cluster: dict) -> dict:
    reachability = (cluster.get("member_reachability") or {}).get(address)
    if not facts.get("reachable"):
        reachability = reachability if reachability not in (None, "ok") else facts.get("reachability") or "error"
        return {"address": _text(address, 200), "reachable": False, "reachability": _text(reachability, 40),
                "state": member_state(reachability, []), "error": _text(facts.get("error"))}
    channels = [_channel(c) for c in (facts.get("channels") or [])[:MAX_CHANNELS] if isinstance(c, dict)]
    errant = (cluster.get("errant_gtids") or {}).get(address)
    return {
        "address": _text(address, 200), "reachable": True, "reachability": _text(reachability or "ok", 40),
        "state": member_state(reachability, channels), "role": _text(facts.get("role"), 40),
        "read_only": bool(facts.get("read_only")), "super_read_only": facts.get("super_read_only"),
        "flavor": _text(facts.get("flavor"), 20), "version": _text(facts.get("version"), 64),
        "gtid_executed": _gtid(facts), "errant_gtids": _text(errant, 1000) if errant else None,
        "lag_to_primary": _number((cluster.get("lag_to_primary") or {}).get(address)),
        "transactions_behind": _number((cluster.get("transactions_behind") or {}).get(address)),
        "channels": channels, "semi_sync": _semi_sync(facts), "galera": _galera(facts),
        "polled_at": _number((facts.get("collection") or {}).get("collected_at")),
    }


def clusters_view(snapshot: dict) -> list[dict]:
    """Every cluster: its analysis, its replication tree and each member's state."""
    view = []
    for name, data in sorted((snapshot.get("clusters") or {}).items()):
        cluster = data.get("cluster") or {}
        analysis = cluster.get("analysis") or {}
        members = sorted((data.get("members") or {}).items())[:MAX_MEMBERS]
        shown = {address for address, _facts in members}
        view.append({
            "name": _text(name, 200), "kind": _text(cluster.get("kind"), 40), "code": _text(analysis.get("code"), 60),
            "codes": [_text(c, 60) for c in (analysis.get("codes") or [])[:20]],
            "details": {_text(k, 60): _text(v) for k, v in list((analysis.get("details") or {}).items())[:20]},
            "primary": _text(cluster.get("primary"), 200), "primary_hung_seconds": _number(cluster.get("primary_hung_seconds")),
            "roots": [_text(r, 200) for r in (cluster.get("roots") or []) if r in shown],
            "tree": {_text(s, 200): [_text(r, 200) for r in (replicas or [])[:MAX_MEMBERS] if r in shown]
                     for s, replicas in (cluster.get("tree") or {}).items() if s in shown},
            "members": [_member(a, f if isinstance(f, dict) else {}, cluster) for a, f in members],
        })
    return view


def compliance_view(snapshot: dict) -> list[dict]:
    """Per member: control counts by status (and by severity), and the failing controls, most severe first."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    view = []
    for name, data in sorted((snapshot.get("clusters") or {}).items()):
        for address, security in sorted((data.get("security") or {}).items())[:MAX_MEMBERS]:
            controls = security.get("controls") or {}
            counts: dict = {}
            by_severity: dict = {}
            for result in controls.values():
                status, severity = str(result.get("status"))[:20], str(result.get("severity"))[:20]
                counts[status] = counts.get(status, 0) + 1
                per = by_severity.setdefault(severity, {})
                per[status] = per.get(status, 0) + 1
            failing = sorted(({"control": _text(f.get("control"), 80), "severity": _text(f.get("severity"), 20),
                               "title": _text(f.get("title"), 200), "evidence": _text(f.get("evidence"))}
                              for f in (security.get("findings") or [])[:MAX_FINDINGS]),
                             key=lambda f: (order.get(f["severity"], 9), f["control"] or ""))
            view.append({"cluster": _text(name, 200), "address": _text(address, 200), "counts": counts, "by_severity": by_severity,
                         "failing": failing, "collected_at": _number((security.get("collection") or {}).get("collected_at"))})
    return view
