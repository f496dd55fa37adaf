"""``mysqlha run``: the parts of the daemon, put together, and what the HTTP API asks of them.

    config (config.py) -> pollers (poller.py) -> Monitor.cycle (monitor.py: analysis, rules,
    AlertStore) -> Router/Outbox (outbox.py, one SQLite file with the alert state) -> channels
    (engine/notify) ; HTTP (http.py, metrics.py) reads all of it.

State lives in ``state_dir/state.db`` (mode 0600): alerts, the outbox, what was sent per
alert, silences.  Nothing secret is ever written there.
"""
from __future__ import annotations

import logging
import os
import resource
import signal
import sqlite3
import threading
import time
import uuid

from ansible_collections.dbaops.mysql_ha.engine.alerts.store import AlertStore, StateFileError, iso, own_state_file
from ansible_collections.dbaops.mysql_ha.engine.daemon.config import Config, seconds
from ansible_collections.dbaops.mysql_ha.engine.daemon.http import ApiError, HttpServer
from ansible_collections.dbaops.mysql_ha.engine.daemon.monitor import Monitor, in_shard
from ansible_collections.dbaops.mysql_ha.engine.daemon.outbox import Outbox, Router, open_db, silenced
from ansible_collections.dbaops.mysql_ha.engine.reload import RuleReloader
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACKAGED_RULES
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

# What a silence may match besides a rule's labels (outbox.silenced reads the same).
SILENCE_FIELDS = ("rule", "cluster", "instance", "severity", "channel")

LOG = logging.getLogger("mysqlha.run")
MAX_SILENCE = 30 * 86400


FDS_PER_TARGET = 4      # a connection, a wake-up pipe (2), and a probe or security connection now and then


def ensure_descriptors(targets: int) -> None:
    """Raise the open-files limit to what ``targets`` need, or say why it cannot be."""
    needed = targets * FDS_PER_TARGET + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise ConfigError(f"clusters: {targets} targets need about {needed} open files, but the hard limit is {hard} "
                          f"(raise it: ulimit -Hn, LimitNOFILE= in a systemd unit), or split them with --shard")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def prepare_state(state_dir: str) -> str:
    """``state_dir/state.db``, a regular file of ours (mode 0600); never through a symlink."""
    path = os.path.join(state_dir, "state.db")
    try:
        os.makedirs(state_dir, mode=0o700, exist_ok=True)
        return own_state_file(path)
    except OSError as exc:
        raise ConfigError(f"state_dir: {path}: {exc.strerror}") from None
    except StateFileError as exc:
        raise ConfigError(f"state_dir: {exc}") from None


class Service:
    def __init__(self, config: Config, shard: tuple[int, int] | None = None):
        self.config = config
        ensure_descriptors(sum(len(c.members) for c in config.clusters if in_shard(c.name, shard)))
        self.db_path = prepare_state(config.state_dir)
        rules = config.rules or (["rules"] if os.path.isdir("rules") else [str(PACKAGED_RULES)])
        self.reloader = RuleReloader(rules)
        try:
            self.store = AlertStore(self.db_path)
            self.outbox = Outbox(self.db_path, config.channels)
        except sqlite3.Error as exc:
            raise ConfigError(f"state_dir: {self.db_path} is not a usable mysqlha state database ({exc}); "
                              "move it away to start with an empty state") from None
        resend = {name: float(channel.resend_seconds) for name, channel in config.channels.items()
                  if getattr(channel, "resend_seconds", None)}
        self.router = Router(self.outbox, config.tiers, config.business_hours, resend)
        self.monitor = Monitor(config, self.reloader, self.store, self.router, shard)
        self.http = None
        if config.listen:
            try:
                self.http = HttpServer(self, *config.listen)
            except (OSError, OverflowError) as exc:
                raise ConfigError(f"http.listen {config.listen[0]}:{config.listen[1]}: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from None
        self.started_at = time.time()
        self._stopping = threading.Event()

    # ---- life ---------------------------------------------------------------------------
    def run(self) -> None:
        """Until SIGTERM/SIGINT: the loop in this thread, everything else in its own."""
        def stop(_signum, _frame):
            self._stopping.set()
            self.monitor.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.reloader.start()
        self.outbox.start()
        if self.http:
            self.http.start()
        self.monitor.start()
        try:
            self.monitor.run()
        finally:
            self.close()

    def close(self) -> None:
        self.monitor.stop()
        if self.http:
            self.http.stop()
        self.outbox.stop()
        self.reloader.stop()

    # ---- what the API asks ------------------------------------------------------------------
    def health(self) -> tuple[bool, dict]:
        monitor, now = self.monitor, time.time()
        age = None if monitor.last_cycle_at is None else now - monitor.last_cycle_at
        healthy = age is not None and age <= 3 * self.config.interval + 1
        starting = age is None and now - self.started_at < 3 * self.config.interval + 5
        channel_errors = dict(self.outbox.last_error)
        # Degraded: alive, but something a DBA must fix (a page may not reach anyone, a cluster is not watched).
        degraded = bool(self.config.degraded or channel_errors)
        status = ("degraded" if degraded else "ok") if healthy else ("starting" if starting else "stalled")
        return healthy or starting, {
            "status": status, "config_problems": self.config.degraded,
            "cycles": monitor.cycles, "last_cycle_age_seconds": None if age is None else round(age, 3),
            "clusters": len(monitor.clusters), "warming_up": list(monitor.warming), "rules": self.reloader.status,
            "outbox_depth": self.outbox.depth(), "channel_errors": channel_errors}

    def alerts(self, every: bool = False) -> list[dict]:
        """The alerts, each with ``silenced``: an active silence matches it (no notification goes out)."""
        import json

        store = AlertStore(self.db_path)
        try:
            now = time.time()
            found = store.alerts(("pending", "firing", "acked", "resolved") if every else ("pending", "firing", "acked"))
            rows = store.db.execute("SELECT * FROM silences WHERE starts_at <= ? AND ends_at > ?", (now, now)).fetchall()
        finally:
            store.close()
        silences = [dict(row, matchers=json.loads(row["matchers"])) for row in rows]
        return [dict(alert, silenced=alert["state"] != "resolved" and silenced(alert, silences, now)) for alert in found]

    def alert_counts(self) -> dict[tuple[str, str], int]:
        db = open_db(self.db_path)
        try:
            rows = db.execute("SELECT state, severity, COUNT(*) AS n FROM alerts WHERE state <> 'resolved' GROUP BY state, severity")
            return {(r["state"], r["severity"]): r["n"] for r in rows}
        finally:
            db.close()

    def ack(self, alert_id: str, by: str) -> dict:
        store = AlertStore(self.db_path)
        try:
            acked = store.ack(alert_id, by=by)
            if acked is None:
                found = [a for a in store.alerts(("pending", "firing", "acked", "resolved")) if alert_id in (a["id"], a["fingerprint"])]
                if found:
                    raise ApiError(409, f"alert {alert_id} is {found[0]['state']}; only a firing alert can be acked")
                raise ApiError(404, f"no alert {alert_id}")
            return acked
        finally:
            store.close()

    def silences(self) -> list[dict]:
        db = open_db(self.db_path)
        try:
            rows = db.execute("SELECT * FROM silences WHERE ends_at > ? ORDER BY ends_at", (time.time(),)).fetchall()
            return [self._silence(r) for r in rows]
        finally:
            db.close()

    @staticmethod
    def _silence(row) -> dict:
        import json

        return {"id": row["id"], "match": json.loads(row["matchers"]), "starts_at": iso(row["starts_at"]),
                "ends_at": iso(row["ends_at"]), "by": row["created_by"], "comment": row["comment"]}

    def _matcher_problem(self, key: str, value: str) -> str | None:
        """Why a silence matcher could never match (a typo would silence nothing, quietly)."""
        import difflib

        def near(word, choices):
            close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
            return f" (did you mean {close[0]!r}?)" if close else ""

        rules = self.reloader.current.rules
        labels = {k for rule in rules for k in rule.labels}
        known = {"rule": {r.id for r in rules}, "cluster": {c.name for c in self.monitor.clusters},
                 "severity": {"P0", "P1", "P2", "P3"}}
        if key not in SILENCE_FIELDS and key not in labels:
            return (f"not something an alert has{near(key, SILENCE_FIELDS + tuple(labels))}: a field ("
                    f"{', '.join(SILENCE_FIELDS)}; channel is the replication channel, '' for the default one) or a "
                    f"label of a loaded rule ({', '.join(sorted(labels)) or 'none'})")
        if key in known and value not in known[key]:
            return f"no {key} {value!r} here{near(value, known[key])}"
        return None

    def silence(self, body: dict) -> dict:
        import json

        match = body.get("match")
        if not isinstance(match, dict) or not match:
            raise ApiError(400, "match: a non-empty object such as {\"rule\": \"replication_lag_high\"}")
        for key, value in match.items():
            if not isinstance(key, str) or not isinstance(value, str) or len(key) > 100 or len(value) > 300:
                raise ApiError(400, f"match.{str(key)[:40]}: keys and values are strings (up to 100 / 300 characters)")
            problem = self._matcher_problem(key, value)
            if problem:
                raise ApiError(400, f"match.{key[:40]}: {problem}; nothing was silenced")
        try:
            duration = seconds(body.get("for", "2h"), "for", 1, MAX_SILENCE)
        except Exception as exc:  # noqa: BLE001
            raise ApiError(400, str(exc)) from None
        now = time.time()
        silence_id = uuid.uuid4().hex[:12]
        db = open_db(self.db_path)
        try:
            db.execute("INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment) VALUES (?, ?, ?, ?, ?, ?)",
                       (silence_id, json.dumps(match, sort_keys=True), now, now + duration, str(body.get("by") or "api")[:100],
                        str(body.get("comment") or "")[:500]))
            row = db.execute("SELECT * FROM silences WHERE id = ?", (silence_id,)).fetchone()
            return self._silence(row)
        finally:
            db.close()

    def expire_silence(self, silence_id: str) -> bool:
        db = open_db(self.db_path)
        try:
            cursor = db.execute("UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?", (time.time(), silence_id, time.time()))
            if cursor.rowcount == 0:
                raise ApiError(404, f"no active silence {silence_id}")
            return True
        finally:
            db.close()
