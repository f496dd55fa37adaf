"""The durable outbox: every notification is a row before it is sent, and stays until delivered.

``Router.route`` turns alert state into notifications with the SLA tiers (engine/alerts/sla.py)
and writes them, with what was sent per alert (the ledger), in one SQLite transaction: a
daemon killed at any point re-plans from the ledger and sends nothing twice that it had
recorded as sent.  One delivery thread per channel sends that channel's rows oldest first; a
failure keeps the row at the head (so order holds) and retries with exponential backoff
(1 s doubling to 5 min, with jitter); other channels go on.  A message keeps its id across
retries and restarts; the only duplicate possible is a message delivered just before a crash
and not yet marked, and it carries the same id (the webhook's ``Idempotency-Key``,
Alertmanager deduplicates by labels).
"""
from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Callable

from ansible_collections.dbaops.mysql_ha.engine.alerts.sla import Ledger, due
from ansible_collections.dbaops.mysql_ha.engine.notify import Channel, Message, NotifyError

LOG = logging.getLogger("mysqlha.outbox")

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    alerts TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    delivered_at REAL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (channel, delivered_at, seq);
CREATE TABLE IF NOT EXISTS ledgers (
    fingerprint TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    ledger TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (fingerprint, alert_id)
);
CREATE TABLE IF NOT EXISTS silences (
    id TEXT PRIMARY KEY,
    matchers TEXT NOT NULL,
    starts_at REAL NOT NULL,
    ends_at REAL NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL
);
"""
MAX_BACKOFF = 300.0
KEEP_DELIVERED = 7 * 86400


def open_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    return db


def backoff(attempts: int) -> float:
    return min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


class Outbox:
    """The outbox table and its delivery threads (one per channel)."""

    def __init__(self, path: str, channels: dict[str, Channel]):
        self.path = path
        self.db = open_db(path)
        self.lock = threading.Lock()
        self.channels = channels
        self.sent: dict[str, int] = {name: 0 for name in channels}
        self.failed: dict[str, int] = {name: 0 for name in channels}
        self.last_error: dict[str, str] = {}
        self._wake = {name: threading.Event() for name in channels}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._deliver, args=(name,), name=f"deliver {name}", daemon=True)
                         for name in channels]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for event in self._wake.values():
            event.set()
        for thread in self._threads:
            thread.join(timeout)

    def enqueue(self, channel: str, kind: str, alerts: list[dict], now: float) -> str:
        """Add a row (the caller holds ``lock`` inside its transaction)."""
        message_id = uuid.uuid4().hex
        self.db.execute("INSERT INTO outbox (id, channel, kind, alerts, created_at) VALUES (?, ?, ?, ?, ?)",
                        (message_id, channel, kind, json.dumps(alerts, sort_keys=True), now))
        return message_id

    def poke(self, channels=None) -> None:
        for name in channels or self._wake:
            if name in self._wake:
                self._wake[name].set()

    def depth(self) -> dict[str, int]:
        with self.lock:
            rows = self.db.execute("SELECT channel, COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL GROUP BY channel")
            found = {row["channel"]: row["n"] for row in rows}
        return {name: found.get(name, 0) for name in self.channels} | {k: v for k, v in found.items() if k not in self.channels}

    def _head(self, channel: str):
        with self.lock:
            return self.db.execute("SELECT * FROM outbox WHERE channel = ? AND delivered_at IS NULL ORDER BY seq LIMIT 1",
                                   (channel,)).fetchone()

    def _deliver(self, channel: str) -> None:
        sender = self.channels[channel]
        while not self._stop.is_set():
            row = self._head(channel)
            if row is None:
                self._wake[channel].wait(5.0)
                self._wake[channel].clear()
                continue
            wait = row["next_attempt_at"] - time.time()
            if wait > 0:
                self._wake[channel].wait(min(wait, 5.0))
                self._wake[channel].clear()
                continue
            message = Message(row["id"], row["kind"], tuple(json.loads(row["alerts"])), row["created_at"])
            try:
                sender.send(message)
            except NotifyError as exc:
                self._failed(row, channel, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 - a channel's bug must not kill its delivery thread
                self._failed(row, channel, f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            with self.lock:
                self.db.execute("UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE seq = ?",
                                (time.time(), row["seq"]))
                self.db.execute("DELETE FROM outbox WHERE delivered_at < ?", (time.time() - KEEP_DELIVERED,))
            self.sent[channel] = self.sent.get(channel, 0) + 1
            self.last_error.pop(channel, None)

    def _failed(self, row, channel: str, error: str) -> None:
        attempts = row["attempts"] + 1
        self.failed[channel] = self.failed.get(channel, 0) + 1
        self.last_error[channel] = error[:300]
        if attempts in (1, 5) or attempts % 20 == 0:
            LOG.warning("%s (attempt %d; kept in the outbox, retried with backoff)", error[:300], attempts)
        with self.lock:
            self.db.execute("UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE seq = ?",
                            (attempts, time.time() + backoff(attempts), error[:300], row["seq"]))


def _ledger(text: str | None) -> Ledger:
    if not text:
        return Ledger()
    data = json.loads(text)
    data["told"] = set(data.get("told") or ())
    return Ledger(**data)


def _ledger_text(ledger: Ledger) -> str:
    data = asdict(ledger)
    data["told"] = sorted(ledger.told)
    return json.dumps(data, sort_keys=True)


def silenced(alert: dict, silences: list[dict], now: float) -> bool:
    for silence in silences:
        if silence["starts_at"] <= now < silence["ends_at"] and all(
                str(alert.get(key) if key in ("rule", "cluster", "instance", "severity", "channel")
                    else (alert.get("labels") or {}).get(key)) == str(value) for key, value in silence["matchers"].items()):
            return True
    return False


class Router:
    """Alert state -> outbox rows, by the SLA tiers; restart-safe through the ledgers table."""

    def __init__(self, outbox: Outbox, tiers: dict, hours, resend: dict[str, float] | None = None):
        self.outbox = outbox
        self.tiers = tiers
        self.hours = hours
        self.resend = resend or {}     # channel -> seconds: re-send active alerts (Alertmanager)
        self._resent_at: dict[str, float] = {}

    def silences(self, now: float) -> list[dict]:
        db = self.outbox.db
        rows = db.execute("SELECT * FROM silences WHERE ends_at > ?", (now,)).fetchall()
        return [dict(row, matchers=json.loads(row["matchers"])) for row in rows]

    def route(self, alerts: list[dict], lookup: Callable[[str], dict | None], now: float) -> int:
        """Plan and enqueue what is due for the active ``alerts``, and announce the resolution of
        every alert that was told and is no longer active (``lookup(fingerprint)`` gives its
        row: after a restart too); returns the rows added."""
        added, touched = 0, set()
        with self.outbox.lock:
            db = self.outbox.db
            db.execute("BEGIN IMMEDIATE")
            try:
                silences = self.silences(now)
                open_ledgers = {(r["fingerprint"], r["alert_id"]): r["ledger"] for r in
                                db.execute("SELECT * FROM ledgers WHERE done = 0").fetchall()}
                active = {(a["fingerprint"], a["id"]) for a in alerts}
                resolved = []
                for fingerprint, alert_id in [k for k in open_ledgers if k not in active]:
                    row = lookup(fingerprint)
                    if row is not None and row["id"] == alert_id and row["state"] == "resolved":
                        resolved.append(row)
                    elif row is None or row["id"] != alert_id:   # gone, or fired again as a new alert
                        db.execute("UPDATE ledgers SET done = 1 WHERE fingerprint = ? AND alert_id = ?", (fingerprint, alert_id))
                for alert in alerts + resolved:
                    if alert["state"] == "pending":
                        continue
                    key = (alert["fingerprint"], alert["id"])
                    tier = self.tiers.get(alert["severity"])
                    if tier is None or (alert["state"] != "resolved" and silenced(alert, silences, now)):
                        continue
                    ledger = _ledger(open_ledgers.get(key))
                    if alert["state"] == "resolved" and key not in open_ledgers:
                        continue   # never told, or already told it resolved
                    started = _epoch(alert.get("started_at")) or now
                    for note in due(alert, started, now, tier, self.hours, ledger):
                        for channel in note.channels:   # a channel left out of the config keeps its rows
                            self.outbox.enqueue(channel, note.kind, [alert], now)
                            touched.add(channel)
                            added += 1
                    done = 1 if alert["state"] == "resolved" else 0
                    if not done and key in open_ledgers and _ledger_text(ledger) == open_ledgers[key]:
                        continue   # nothing new for this alert: no write
                    db.execute("INSERT OR REPLACE INTO ledgers (fingerprint, alert_id, ledger, done) VALUES (?, ?, ?, ?)",
                               (alert["fingerprint"], alert["id"], _ledger_text(ledger), done))
                added += self._resend(alerts, now, touched, silences)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        self.outbox.poke(touched)
        return added

    def _resend(self, alerts: list[dict], now: float, touched: set, silences: list[dict]) -> int:
        added = 0
        for channel, every in self.resend.items():
            if now - self._resent_at.get(channel, 0.0) < every:
                continue
            self._resent_at[channel] = now
            active = [a for a in alerts if a["state"] in ("firing", "acked") and not silenced(a, silences, now)
                      and channel in self.tiers.get(a["severity"], _NO_TIER).channels]
            if active:
                self.outbox.enqueue(channel, "repeat", active, now)
                touched.add(channel)
                added += 1
        return added


class _NoTier:
    channels: tuple = ()


_NO_TIER = _NoTier()


def _epoch(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None
