"""Alert state in SQLite: pending (``for``) -> firing -> resolved, and acked.

One row per fingerprint (rule + cluster + instance + channel) while the alert is
pending, firing or acked; a resolved alert keeps its row until it fires again
(then it is a new alert with a new id).  The database survives restarts, so a
restarted daemon neither loses an alert nor re-fires one.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from ansible_collections.dbaops.mysql_ha.engine.alerts.sla import SEVERITIES
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import Result, evaluate, rules_failing_everywhere

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'acked', 'resolved')),
    cluster TEXT NOT NULL,
    instance TEXT NOT NULL,
    channel TEXT NOT NULL,
    summary TEXT NOT NULL,
    remediation TEXT NOT NULL,
    labels TEXT NOT NULL,
    active_since REAL NOT NULL,
    started_at REAL,
    resolved_at REAL,
    acked_at REAL,
    acked_by TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_state ON alerts (state);
CREATE TABLE IF NOT EXISTS cluster_memory (
    cluster TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""
# What the cluster analysis remembers of its previous verdict (analysis.analyze_cluster's known_state).
MEMORY_KEYS = ("primary", "member_reachability", "primary_hung_since", "errant_gtids", "errant_gtid_counts")
MAX_MEMORY_BYTES = 65536
ACTIVE = ("pending", "firing", "acked")


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# How long a run waits for another run's lock on a state file before it gives up (SQLite's busy timeout).
LOCK_TIMEOUT = 5.0


def locked(exc: sqlite3.Error) -> bool:
    """True when SQLite gave up waiting for another connection's lock (whatever its kind)."""
    return "locked" in str(exc) or "busy" in str(exc)


def state_file_failure(path: str, exc: sqlite3.Error, advice: str) -> StateFileError:
    """One message for a state file another run holds, whatever the lock kind or the step that
    met it; for any other SQLite error, "not a usable mysqlha state file" and ``advice``."""
    if locked(exc):
        return StateFileError(f"{path}: locked by another run? ({exc}); nothing was changed")
    return StateFileError(f"{path}: not a usable mysqlha state file ({exc}); {advice}")


class AlertStore:
    """Alert state; ``path`` may be ``:memory:`` for one-shot evaluation."""

    def __init__(self, path: str = ":memory:"):
        self.db = sqlite3.connect(path, isolation_level=None, timeout=LOCK_TIMEOUT)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---- the analysis' memory, kept across restarts ---------------------------------------------
    def remember_clusters(self, analyses: dict[str, dict], now: float | None = None) -> None:
        """Keep what each cluster's analysis needs from its previous verdict (a primary last seen
        hung, and since when), so a restarted daemon does not forget a hang."""
        now = time.time() if now is None else now
        rows = []
        for name, analysis in analyses.items():
            state = json.dumps({k: analysis.get(k) for k in MEMORY_KEYS}, sort_keys=True)
            if len(state) <= MAX_MEMORY_BYTES:
                rows.append((name, state, now))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO cluster_memory (cluster, state, updated_at) VALUES (?, ?, ?)", rows)

    def recall_clusters(self, names, max_age: float, now: float | None = None) -> dict[str, dict]:
        """The remembered verdicts of these clusters, no older than ``max_age`` seconds (a
        damaged row is forgotten, never an error)."""
        now = time.time() if now is None else now
        recalled = {}
        for name in names:
            row = self.db.execute("SELECT state, updated_at FROM cluster_memory WHERE cluster = ?", (name,)).fetchone()
            if row is None or not isinstance(row["updated_at"], (int, float)) or now - row["updated_at"] > max_age:
                continue
            try:
                state = json.loads(row["state"]) if len(row["state"]) <= MAX_MEMORY_BYTES else None
            except (TypeError, ValueError, RecursionError):
                state = None
            if isinstance(state, dict):
                since = state.get("primary_hung_since")
                recalled[name] = {
                    "primary": state["primary"] if isinstance(state.get("primary"), str) else None,
                    "member_reachability": _str_map(state.get("member_reachability"), str),
                    "primary_hung_since": since if isinstance(since, (int, float)) and not isinstance(since, bool) else None,
                    "errant_gtids": _str_map(state.get("errant_gtids"), str),
                    "errant_gtid_counts": _str_map(state.get("errant_gtid_counts"), int)}
        return recalled

    def update(self, results: list[Result], evaluated: set[str], now: float | None = None,
               clusters: set[str] | None = None, rule_ids: set[str] | None = None) -> list[tuple[dict, str | None, str | None]]:
        """Apply one evaluation; returns transitions ``(alert, old_state, new_state)``.

        An active alert whose target was not ``evaluated`` without error keeps its
        state (an evaluation error is not a recovery); one whose cluster was not in
        this evaluation (``clusters``) is left alone; one whose rule left the rule
        set (``rule_ids``) resolves.
        """
        now = time.time() if now is None else now
        transitions: list[tuple[str, str | None, str | None]] = []
        seen = set()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for result in results:
                fp = result.fingerprint
                seen.add(fp)
                row = self.db.execute("SELECT * FROM alerts WHERE fingerprint = ?", (fp,)).fetchone()
                if row is None or row["state"] == "resolved":
                    firing = result.rule.for_seconds <= 0
                    state = "firing" if firing else "pending"
                    alert_id = hashlib.sha256(f"{fp}\0{now}".encode()).hexdigest()[:12]
                    self.db.execute(
                        "INSERT OR REPLACE INTO alerts (fingerprint, id, rule, severity, state, cluster, instance, channel,"
                        " summary, remediation, labels, active_since, started_at, resolved_at, acked_at, acked_by, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)",
                        (fp, alert_id, result.rule.id, (result.severity or result.rule.severity), state, result.cluster, result.instance,
                         result.channel, result.summary, result.remediation, json.dumps(dict(result.rule.labels)),
                         now, now if firing else None, now))
                    transitions.append((fp, row["state"] if row else None, state))
                    continue
                state = row["state"]
                if state == "pending" and now - row["active_since"] >= result.rule.for_seconds:
                    state = "firing"
                    transitions.append((fp, "pending", "firing"))
                self.db.execute("UPDATE alerts SET state = ?, summary = ?, remediation = ?, severity = ?, updated_at = ?,"
                                " started_at = COALESCE(started_at, CASE WHEN ? = 'firing' THEN ? END)"
                                " WHERE fingerprint = ?",
                                (state, result.summary, result.remediation, (result.severity or result.rule.severity), now, state, now, fp))
            for row in self.db.execute("SELECT * FROM alerts WHERE state IN ('pending', 'firing', 'acked')").fetchall():
                fp = row["fingerprint"]
                if fp in seen:
                    continue
                rule_gone = rule_ids is not None and row["rule"] not in rule_ids
                if not rule_gone and (fp not in evaluated or (clusters is not None and row["cluster"] not in clusters)):
                    continue
                if row["state"] == "pending":
                    self.db.execute("DELETE FROM alerts WHERE fingerprint = ?", (fp,))
                    transitions.append((fp, "pending", None))
                else:
                    self.db.execute("UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ? WHERE fingerprint = ?",
                                    (now, now, fp))
                    transitions.append((fp, row["state"], "resolved"))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return [(self.get(fp) or {"fingerprint": fp}, old, new) for fp, old, new in transitions]

    def ack(self, alert_id: str, by: str = "", now: float | None = None) -> dict | None:
        now = time.time() if now is None else now
        cursor = self.db.execute("UPDATE alerts SET state = 'acked', acked_at = ?, acked_by = ?, updated_at = ?"
                                 " WHERE (id = ? OR fingerprint = ?) AND state = 'firing'", (now, by, now, alert_id, alert_id))
        if cursor.rowcount == 0:
            return None
        row = self.db.execute("SELECT fingerprint FROM alerts WHERE id = ? OR fingerprint = ?", (alert_id, alert_id)).fetchone()
        return self.get(row["fingerprint"])

    def get(self, fp: str) -> dict | None:
        row = self.db.execute("SELECT * FROM alerts WHERE fingerprint = ?", (fp,)).fetchone()
        return self._to_alert(row) if row else None

    def alerts(self, states=ACTIVE) -> list[dict]:
        marks = ",".join("?" for _state in states)
        rows = self.db.execute(f"SELECT * FROM alerts WHERE state IN ({marks}) ORDER BY severity, rule, cluster, instance, channel",
                               tuple(states)).fetchall()
        return [self._to_alert(r) for r in rows]

    @staticmethod
    def _to_alert(row: sqlite3.Row) -> dict:
        """The alert as the API, webhooks and eval --format json carry it (plus acked/resolved details)."""
        return {"id": row["id"], "rule": row["rule"], "severity": row["severity"], "state": row["state"],
                "cluster": row["cluster"], "instance": row["instance"], "channel": row["channel"],
                "summary": row["summary"], "remediation": row["remediation"], "labels": json.loads(row["labels"]),
                "started_at": iso(row["started_at"]), "pending_since": iso(row["active_since"]),
                "resolved_at": iso(row["resolved_at"]), "acked_at": iso(row["acked_at"]), "acked_by": row["acked_by"],
                "fingerprint": row["fingerprint"]}


@dataclass(frozen=True)
class OneShot:
    """A one-shot evaluation (``mysqlha eval``, ``rules_evaluate``): alerts as of now, the
    per-target rule errors, and the rules that failed on every target (they checked nothing)."""

    alerts: list
    rule_errors: list
    failing_everywhere: list


class StateFileError(ValueError):
    """A state file that cannot be used; the message names it and why."""


def _str_map(value, kind) -> dict:
    """{str: kind} of a remembered mapping; anything else in it is dropped."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, kind) and not isinstance(v, bool)}


def own_state_file(path: str) -> str:
    """Make ``path`` a regular file of ours (mode 0600), never through a symlink, and check it
    holds mysqlha alert state (or nothing yet); StateFileError otherwise."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise StateFileError(f"{path} is not a regular file")
            # Checked before anything changes it: a mistyped path (/etc/passwd) is refused untouched.
            if info.st_size and os.pread(fd, 16, 0) != b"SQLite format 3\x00":
                raise StateFileError(f"{path}: not a usable mysqlha state file (not SQLite); nothing was changed")
            if info.st_size:
                _check_tables(path)
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        why = "a symlink (the state is never written through one)" if exc.errno == errno.ELOOP else exc.strerror
        raise StateFileError(f"{path}: {why}") from None
    return path


# Every table a mysqlha state file holds (the alert store's and the daemon's outbox).
STATE_TABLES = frozenset(["alerts", "cluster_memory", "outbox", "ledgers", "silences"])


def _check_tables(path: str) -> None:
    """Refuse, untouched, an SQLite file that holds tables of someone else's."""
    from urllib.parse import quote

    try:
        db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=LOCK_TIMEOUT)
        try:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise state_file_failure(path, exc, "nothing was changed") from None
    foreign = sorted(n for n in names - STATE_TABLES if not n.startswith("sqlite_"))
    if foreign:
        raise StateFileError(f"{path}: not a mysqlha state file (it holds tables {', '.join(foreign[:5])}); "
                             "nothing was changed")


def evaluate_once(rule_set, snapshot: dict, state_path: str | None = None) -> OneShot:
    """Evaluate once.  Without ``state_path``, into a fresh in-memory store: a rule with
    ``for`` can only be pending.  With it, the alert state of earlier runs is kept in that
    SQLite file, so a schedule (cron, AWX) gets ``for``: pending on one run, firing on a
    later one once the condition has held that long."""
    results, errors, evaluated = evaluate(rule_set, snapshot)
    if state_path is None:
        store = AlertStore(":memory:")
    else:
        try:
            store = AlertStore(own_state_file(state_path))
        except sqlite3.Error as exc:
            raise state_file_failure(state_path, exc, "move it away to start afresh") from None
    try:
        store.update(results, evaluated, clusters=set(snapshot["clusters"]), rule_ids={r.id for r in rule_set.rules})
        return OneShot(store.alerts(), errors, rules_failing_everywhere(rule_set, snapshot, errors))
    except sqlite3.Error as exc:   # locked by another run for longer than the timeout, or damaged
        raise state_file_failure(str(state_path), exc, "the state was not changed") from None
    except (TypeError, ValueError, OverflowError) as exc:   # rows of another version, or edited by hand
        raise StateFileError(f"{state_path}: a damaged alert row ({type(exc).__name__}: {str(exc)[:120]}); "
                             "move the file away to start afresh") from None
    finally:
        store.close()


def firing_at_or_above(alerts: list, severity: str) -> list:
    """Firing alerts of ``severity`` or worse (P0 is the worst)."""
    limit = SEVERITIES.index(severity)
    return [a for a in alerts if a["state"] == "firing" and SEVERITIES.index(a["severity"]) <= limit]
