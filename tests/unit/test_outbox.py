"""The outbox: SLA routing into durable rows, per-channel order, retries, restarts, silences."""
from __future__ import annotations

import threading
import time

from ansible_collections.dbaops.mysql_ha.engine.alerts.sla import parse_sla
from ansible_collections.dbaops.mysql_ha.engine.daemon.outbox import Outbox, Router
from ansible_collections.dbaops.mysql_ha.engine.notify import Channel, NotifyError

NOW = 1_800_000_000.0


class Recorder(Channel):
    type = "recorder"

    def __init__(self, name):
        super().__init__(name, {})
        self.sent, self.down, self.lock = [], False, threading.Lock()

    def send(self, message):
        if self.down:
            raise NotifyError(f"channel {self.name}: down")
        with self.lock:
            self.sent.append((message.id, message.kind, [(a["rule"], a["state"]) for a in message.alerts]))


def alert(rule="replica_sql_thread_stopped", state="firing", alert_id="a1", severity="P1", **changes):
    return dict({"id": alert_id, "fingerprint": f"fp-{rule}", "rule": rule, "severity": severity, "state": state,
                 "cluster": "c", "instance": "i:3306", "channel": "", "summary": "s", "remediation": "r", "labels": {},
                 "started_at": "2027-01-15T08:00:00Z", "resolved_at": None}, **changes)


def make(tmp_path, *names, resend=None):
    channels = {name: Recorder(name) for name in names}
    outbox = Outbox(str(tmp_path / "state.db"), channels)
    sla = {"P1": {"channels": list(names), "repeat": "30m"}, "P2": {"channels": list(names), "business_hours_only": False}}
    tiers, hours = parse_sla(sla, set(names))
    return outbox, Router(outbox, tiers, hours, resend), channels


def drain(outbox, channels, count, timeout=10.0):
    outbox.start()
    deadline = time.monotonic() + timeout
    while sum(len(c.sent) for c in channels.values()) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    outbox.stop()


def test_a_firing_alert_is_queued_once_per_channel_and_delivered(tmp_path):
    outbox, router, channels = make(tmp_path, "ops", "chat")
    lookup = {}.get
    assert router.route([alert()], lookup, NOW) == 2
    assert router.route([alert()], lookup, NOW + 60) == 0            # not again before `repeat`
    assert router.route([alert()], lookup, NOW + 1801) == 2          # repeat after 30 minutes
    drain(outbox, channels, 4)
    assert [kind for _id, kind, _a in channels["ops"].sent] == ["firing", "repeat"]
    assert outbox.depth() == {"ops": 0, "chat": 0}


def test_a_channel_that_is_down_keeps_its_rows_in_order_and_gets_them_all_once_back(tmp_path, monkeypatch):
    monkeypatch.setattr("ansible_collections.dbaops.mysql_ha.engine.daemon.outbox.backoff", lambda attempts: 0.05)
    outbox, router, channels = make(tmp_path, "ops")
    channels["ops"].down = True
    router.route([alert()], {}.get, NOW)
    router.route([], {"fp-replica_sql_thread_stopped": alert(state="resolved")}.get, NOW + 5)
    outbox.start()
    time.sleep(0.5)
    assert outbox.failed["ops"] >= 2 and outbox.depth() == {"ops": 2}
    channels["ops"].down = False
    deadline = time.monotonic() + 10
    while len(channels["ops"].sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    outbox.stop()
    assert [(kind, alerts) for _id, kind, alerts in channels["ops"].sent] == [
        ("firing", [("replica_sql_thread_stopped", "firing")]), ("resolved", [("replica_sql_thread_stopped", "resolved")])]


def test_a_restarted_router_neither_repeats_a_firing_nor_forgets_a_resolution(tmp_path):
    outbox, router, channels = make(tmp_path, "ops")
    router.route([alert()], {}.get, NOW)
    outbox.db.close()
    # A new process: the same state file, the alert resolved while it was down.
    outbox, router, channels = make(tmp_path, "ops")
    assert router.route([], {"fp-replica_sql_thread_stopped": alert(state="resolved")}.get, NOW + 10) == 1
    assert router.route([], {"fp-replica_sql_thread_stopped": alert(state="resolved")}.get, NOW + 20) == 0
    drain(outbox, channels, 2)
    assert [kind for _id, kind, _a in channels["ops"].sent] == ["firing", "resolved"]
    assert len({message_id for message_id, _k, _a in channels["ops"].sent}) == 2


def test_an_alert_that_fires_again_is_a_new_alert_with_its_own_messages(tmp_path):
    outbox, router, _channels = make(tmp_path, "ops")
    router.route([alert()], {}.get, NOW)
    assert router.route([], {"fp-replica_sql_thread_stopped": alert(state="resolved")}.get, NOW + 5) == 1
    assert router.route([alert(alert_id="a2")], {}.get, NOW + 10) == 1


def test_a_silenced_alert_is_not_sent_and_a_never_told_resolution_is_not_announced(tmp_path):
    outbox, router, _channels = make(tmp_path, "ops")
    outbox.db.execute("INSERT INTO silences VALUES ('s1', '{\"rule\": \"replica_sql_thread_stopped\"}', ?, ?, 'me', '')",
                      (NOW - 1, NOW + 3600))
    assert router.route([alert()], {}.get, NOW) == 0
    assert router.route([], {"fp-replica_sql_thread_stopped": alert(state="resolved")}.get, NOW + 5) == 0
    # Another rule is not silenced.
    assert router.route([alert(rule="replication_error", alert_id="b1")], {}.get, NOW + 6) == 1


def test_a_resend_channel_gets_every_active_alert_again_each_period(tmp_path):
    outbox, router, _channels = make(tmp_path, "am", resend={"am": 60.0})
    assert router.route([alert()], {}.get, NOW) == 2                  # firing + the first re-send
    assert router.route([alert()], {}.get, NOW + 30) == 0
    assert router.route([alert(), alert(rule="replication_error", alert_id="b1")], {}.get, NOW + 61) == 2
