"""``mysqlha run`` on a real lab (issue 10): each fault fires, then resolves once undone, and
every notification reaches the webhook exactly once, whatever happens to the receiver or the
daemon.  Interval 1 s; the daemon is the checkout's CLI in a subprocess."""
from __future__ import annotations

import json
import time

import pytest

from daemon_helpers import Daemon, Receiver, SilentListener, write_config
from lab_helpers import wait_for


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.stop()


@pytest.fixture
def daemon_for(tmp_path, receiver):
    started = []

    def make(lab, **changes):
        daemon = Daemon(write_config(lab, tmp_path, receiver.url, **changes), lab).start()
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.stop()


def _sql(lab, node, *statements):
    with lab.session(node) as session:
        for statement in statements:
            session.execute(statement)


def test_replica_faults_fire_with_their_reason_and_resolve_once_undone(make_lab, daemon_for, receiver):
    lab = make_lab(replicas=2)
    daemon = daemon_for(lab)
    replica = lab.node("replica1")
    # The SQL thread stopped.
    _sql(lab, replica, "STOP SLAVE SQL_THREAD")
    receiver.wait("replica_sql_thread_stopped", "firing", timeout=10)
    _sql(lab, replica, "START SLAVE SQL_THREAD")
    receiver.wait("replica_sql_thread_stopped", "resolved", timeout=10)
    # A duplicate key: the row exists on the replica only (written without binlog), then comes from the primary.
    _sql(lab, "primary", "CREATE DATABASE dup", "CREATE TABLE dup.t (id INT PRIMARY KEY)")
    wait_for(lambda: lab.session(replica).query("SHOW TABLES IN dup"), timeout=10)
    _sql(lab, replica, "SET sql_log_bin = 0", "INSERT INTO dup.t VALUES (1)")
    _sql(lab, "primary", "INSERT INTO dup.t VALUES (1)")
    alert = receiver.wait("replication_error", "firing", timeout=10)
    assert alert["instance"] == replica.address
    assert "Duplicate entry" in alert["summary"] and "1062" in alert["summary"], alert["summary"]
    assert alert["remediation"]
    _sql(lab, replica, "SET sql_log_bin = 0", "DELETE FROM dup.t WHERE id = 1", "START SLAVE SQL_THREAD")
    receiver.wait("replication_error", "resolved", timeout=15)
    # Each transition arrived once.
    for rule in ("replica_sql_thread_stopped", "replication_error"):
        assert receiver.events(rule) == [(rule, "firing", replica.address), (rule, "resolved", replica.address)]
    assert len({r["key"] for r in receiver.received}) == len(receiver.received)
    # No password anywhere the daemon writes or serves.
    secrets = [lab.secret("admin").encode(), b"s3cret-hook"]
    state = (daemon.config.parent / "state" / "state.db").read_bytes()
    served = [daemon.metrics().encode(), json.dumps(daemon.get("/api/alerts?state=all")).encode(),
              json.dumps(daemon.get("/healthz")).encode()]
    for secret in secrets:
        assert secret not in state and secret not in daemon.log.read_bytes()
        assert all(secret not in text for text in served)
        assert all(secret not in json.dumps(r).encode() for r in receiver.received)


def test_a_killed_primary_is_dead_within_a_second_and_a_frozen_one_is_hung_never_dead(make_lab, daemon_for, receiver):
    lab = make_lab(replicas=2)
    daemon = daemon_for(lab)
    primary = lab.node("primary")
    lab.freeze(primary)
    frozen_at = time.time()
    receiver.wait("primary_hung", "firing", timeout=15)
    time.sleep(8)   # the replicas' slave_net_timeout (4 s) passes: their streams break too
    lab.thaw(primary)
    receiver.wait("primary_hung", "resolved", timeout=15)
    time.sleep(3)   # the replicas reconnect (MASTER_CONNECT_RETRY=1): a second of "connecting" is no page
    assert [rule for rule, _state, _inst in receiver.events()] == ["primary_hung", "primary_hung"], receiver.events()
    killed_at = time.time()
    lab.kill(primary)
    alert = receiver.wait("primary_dead", "firing", timeout=10, since=killed_at)
    # The FIN on the daemon's idle connection re-checks the cluster at once: well inside one interval.
    assert alert["received_at"] - killed_at < 5, alert["received_at"] - killed_at
    assert frozen_at < killed_at
    assert 'mysql_up{cluster="lab",instance="%s"} 0.0' % primary.address in daemon.metrics()
    lab.restart("primary")
    receiver.wait("primary_dead", "resolved", timeout=20, since=killed_at)
    assert receiver.events("primary_dead") == [("primary_dead", "firing", primary.address),
                                               ("primary_dead", "resolved", primary.address)]


def test_a_daemon_restarted_while_the_primary_is_frozen_keeps_the_one_primary_hung_alert(make_lab, daemon_for, receiver):
    """A restart is not a recovery: no "resolved" for a hang that goes on, no new alert id, no
    primary_unreachable or IO-thread pages while the first polls are still out, and the hang's
    age carries over (the analysis' memory is in the state file)."""
    lab = make_lab(replicas=2)
    daemon = daemon_for(lab)
    primary = lab.node("primary")
    lab.freeze(primary)
    frozen_at = time.time()
    try:
        receiver.wait("primary_hung", "firing", timeout=15)
        (before,) = [a for a in daemon.get("/api/alerts")["alerts"] if a["rule"] == "primary_hung"]
        daemon.kill()
        time.sleep(6)                        # the replicas' slave_net_timeout (4 s) passes: their IO threads break
        daemon.start()
        restarted_at = time.time()
        time.sleep(8)                        # past the first polls' timeouts (connect 1 s x 2 + read 2 s + 1)
        alerts = daemon.get("/api/alerts")["alerts"]
        (after,) = [a for a in alerts if a["rule"] == "primary_hung"]
        assert (after["id"], after["state"]) == (before["id"], "firing"), (before, after)
        hung_for = int(after["summary"].split("hung for ")[1].split("s")[0])
        # Counted from the first hung poll before the restart (6 s of downtime), not from the restart.
        assert hung_for >= time.time() - restarted_at + 4, after["summary"]
        assert receiver.events() == [("primary_hung", "firing", primary.address)], receiver.events()
        assert not [a for a in alerts if a["rule"] in ("primary_unreachable", "replica_io_thread_stopped")], alerts
        assert restarted_at > frozen_at
    finally:
        lab.thaw(primary)
    receiver.wait("primary_hung", "resolved", timeout=20)


def test_a_primary_at_max_connections_is_overloaded_never_dead(make_lab, daemon_for, receiver):
    lab = make_lab(replicas=2)
    daemon_for(lab)
    primary = lab.node("primary")
    held = []
    try:
        with lab.session(primary) as session:
            session.execute("SET GLOBAL max_connections = 12")
        while True:   # fill it up: the daemon's held connection keeps answering
            try:
                held.append(lab.session(primary, user="mysqlha_repl", password=lab.secret("repl")))
            except Exception:   # 1040: too many connections
                break
            assert len(held) < 20
        receiver.wait("primary_overloaded", "firing", timeout=10)
    finally:
        for session in held:
            session.close()
        with lab.session(primary) as session:
            session.execute("SET GLOBAL max_connections = 60")
    receiver.wait("primary_overloaded", "resolved", timeout=10)
    assert "primary_dead" not in [rule for rule, _s, _i in receiver.events()]


def test_a_receiver_that_was_down_gets_every_notification_once_in_order(make_lab, daemon_for, receiver):
    lab = make_lab(replicas=2)
    daemon = daemon_for(lab)
    receiver.stop()
    replica = lab.node("replica2")
    _sql(lab, replica, "STOP SLAVE SQL_THREAD")
    time.sleep(2)
    _sql(lab, replica, "START SLAVE SQL_THREAD")
    time.sleep(2)
    wait_for(lambda: sum(daemon.get("/healthz")["outbox_depth"].values()) >= 2, timeout=10)
    health = daemon.get("/healthz")
    assert health["channel_errors"]["hook"] and health["status"] == "degraded", health    # a page may not reach anyone
    receiver.start()
    receiver.wait("replica_sql_thread_stopped", "resolved", timeout=30)
    assert receiver.events("replica_sql_thread_stopped") == [
        ("replica_sql_thread_stopped", "firing", replica.address), ("replica_sql_thread_stopped", "resolved", replica.address)]
    wait_for(lambda: sum(daemon.get("/healthz")["outbox_depth"].values()) == 0, timeout=10)
    wait_for(lambda: daemon.get("/healthz")["status"] == "ok", timeout=10)


def test_a_daemon_killed_while_alerts_fire_neither_repeats_nor_loses_one(make_lab, daemon_for, receiver):
    lab = make_lab(replicas=2)
    daemon = daemon_for(lab)
    replica = lab.node("replica1")
    _sql(lab, replica, "STOP SLAVE SQL_THREAD")
    receiver.wait("replica_sql_thread_stopped", "firing", timeout=10)
    daemon.kill()
    _sql(lab, replica, "START SLAVE SQL_THREAD")       # resolved while nobody watched
    _sql(lab, "replica2", "STOP SLAVE SQL_THREAD")     # and a new fault meanwhile
    daemon.start()
    receiver.wait("replica_sql_thread_stopped", "resolved", timeout=15)
    receiver.wait("replica_sql_thread_stopped", "firing", timeout=15, since=0)
    time.sleep(3)
    events = receiver.events("replica_sql_thread_stopped")
    assert sorted(events) == sorted([("replica_sql_thread_stopped", "firing", replica.address),
                                     ("replica_sql_thread_stopped", "resolved", replica.address),
                                     ("replica_sql_thread_stopped", "firing", lab.node("replica2").address)]), events
    assert len({r["key"] for r in receiver.received}) == len(receiver.received)


def test_a_silent_target_a_bad_channel_and_a_hanging_webhook_delay_nothing_else(make_lab, daemon_for, receiver):
    """Bad input while monitoring: a target that accepts TCP and never answers, a channel of an
    unknown type and one whose secret is missing (left out, named, their messages kept), and a
    webhook that hangs: the loop goes on and the good channel gets its alert."""
    lab = make_lab(replicas=2)
    silent = SilentListener()
    try:
        hook = {"type": "webhook", "url": receiver.url, "timeout": 2}
        daemon = daemon_for(lab, extra_members=[silent.address],
                            channels={"hook": hook, "pager": {"type": "pagerduty"},
                                      "chat": {"type": "slack", "url_env": "NOT_SET_ANYWHERE"}},
                            sla={"P1": {"channels": ["hook", "pager", "chat"]}, "P0": {"channels": ["hook"]},
                                 "P2": {"channels": ["hook"]}, "P3": {"notify": False}})
        health = daemon.get("/healthz")
        assert health["status"] == "degraded", health
        problems = " ".join(health["config_problems"])
        assert "unknown channel type 'pagerduty'" in problems and "NOT_SET_ANYWHERE is not set" in problems
        hung = f'mysqlha_member_unreachable{{cluster="lab",instance="{silent.address}",reachability="hung"}} 1.0'
        wait_for(lambda: hung in daemon.metrics(), timeout=10)
        receiver.mode = "error"                                     # HTTP 500: kept and retried
        _sql(lab, "replica1", "STOP SLAVE SQL_THREAD")
        wait_for(lambda: receiver.attempts >= 2, timeout=10)
        assert "HTTP 500" in daemon.get("/healthz")["channel_errors"]["hook"]
        receiver.mode = "hang"
        attempts = receiver.attempts
        wait_for(lambda: receiver.attempts > attempts, timeout=15)
        cycles = daemon.get("/healthz")["cycles"]
        time.sleep(3)
        assert daemon.get("/healthz")["cycles"] >= cycles + 2     # the loop went on meanwhile
        receiver.mode = "ok"
        receiver.wait("replica_sql_thread_stopped", "firing", timeout=30)
        depth = daemon.get("/healthz")["outbox_depth"]
        assert depth["pager"] >= 1 and depth["chat"] >= 1, depth     # kept for when the channel is fixed
    finally:
        silent.close()
