"""Replication faults on real MariaDB lab servers, observed through ansible-playbook.

Each test names the fault it injects and what a DBA must see in the facts and
in the cluster analysis.
"""
from __future__ import annotations

import time

import jsonschema

from lab_helpers import analyse, no_io_thread_streams, run_module, wait_for


def by_name(lab, result):
    names = {n.address: n.name for n in lab.nodes}
    return {names[address]: facts for address, facts in result["members"].items()}


def channel_of(facts):
    (channel,) = facts["channels"]
    return channel


def test_healthy_topology_roles_equal_gtids_zero_lag(shared_lab, replication_schema, cluster_schema):
    with shared_lab.session("primary") as primary:
        primary.execute("CREATE DATABASE IF NOT EXISTS app")
        primary.execute("CREATE TABLE IF NOT EXISTS app.t (id INT PRIMARY KEY)")
        primary.execute("INSERT INTO app.t VALUES (1), (2), (3)")
    shared_lab.wait_replicating(shared_lab.by_role("replica"))
    expected = wait_for(lambda: _all_caught_up(shared_lab))
    result = analyse(shared_lab)
    members = by_name(shared_lab, result)
    assert members["primary"]["role"] == "primary" and members["primary"]["read_only"] is False
    assert members["primary"]["replica_count"] == 2
    for name in ("replica1", "replica2"):
        facts = members[name]
        assert facts["role"] == "replica" and facts["read_only"] is True
        channel = channel_of(facts)
        assert (channel["io_running"], channel["sql_running"], channel["seconds_behind_source"]) == ("yes", True, 0)
        assert channel["source_port"] == shared_lab.node("primary").port
        assert channel["using_gtid"] == "slave_pos"
    assert {f["gtid"]["executed"] for f in members.values()} == {expected}
    cluster = result["cluster"]
    assert cluster["analysis"]["code"] == "ok"
    assert cluster["primary"] == shared_lab.node("primary").address
    assert cluster["errant_gtids"] == {} and set(cluster["lag_to_primary"].values()) == {0}
    jsonschema.validate(cluster, cluster_schema)
    for facts in result["replication"]:
        jsonschema.validate(facts, replication_schema)
        assert facts["collection"]["round_trips"] == 1
        assert facts["collection"]["missing_privileges"] == [] and facts["collection"]["errors"] == []


def _all_caught_up(lab):
    with lab.session("primary") as primary:
        target = primary.query("SELECT @@gtid_binlog_pos AS p")[0]["p"]
    for node in lab.by_role("replica"):
        with lab.session(node) as replica:
            if replica.query("SELECT @@gtid_current_pos AS p")[0]["p"] != target:
                return None
    return target


def test_stopped_sql_thread_is_reported_with_unknown_lag(make_lab):
    lab = make_lab(replicas=2)
    with lab.session("replica1") as replica:
        replica.execute("STOP SLAVE SQL_THREAD")
    result = analyse(lab)
    channel = channel_of(by_name(lab, result)["replica1"])
    assert channel["io_running"] == "yes" and channel["sql_running"] is False
    assert channel["seconds_behind_source"] is None
    assert result["cluster"]["analysis"]["code"] == "replication_stopped"
    assert result["cluster"]["lag_to_primary"][lab.node("replica1").address] is None


def test_duplicate_key_replication_error_is_reported_with_errno_and_text(make_lab):
    lab = make_lab(replicas=1)
    with lab.session("primary") as primary:
        primary.execute("CREATE DATABASE app")
        primary.execute("CREATE TABLE app.orders (id INT PRIMARY KEY)")
    lab.wait_replicating(lab.by_role("replica"))
    wait_for(lambda: _all_caught_up(lab))
    with lab.session("replica1") as replica:
        # Outside the binlog, so no errant GTID: a true duplicate key for the applier.
        replica.execute("SET SESSION sql_log_bin = 0")
        replica.execute("SET GLOBAL read_only = 0")
        replica.execute("INSERT INTO app.orders VALUES (7)")
        replica.execute("SET GLOBAL read_only = 1")
    with lab.session("primary") as primary:
        primary.execute("INSERT INTO app.orders VALUES (7)")

    def errored():
        with lab.session("replica1") as replica:
            rows = replica.query("SHOW ALL SLAVES STATUS")
            return rows[0]["Last_SQL_Errno"] == 1062

    wait_for(errored)
    result = analyse(lab)
    channel = channel_of(by_name(lab, result)["replica1"])
    assert channel["sql_running"] is False
    assert channel["last_sql_errno"] == 1062
    assert "Duplicate entry '7'" in channel["last_sql_error"]
    assert result["cluster"]["analysis"]["code"] == "all_replicas_not_replicating"


def test_delayed_replica_reports_configured_delay_and_growing_lag(make_lab):
    lab = make_lab(replicas=1, delayed=60)
    with lab.session("primary") as primary:
        primary.execute("CREATE DATABASE app")
    # The delayed replica holds the event back; its lag grows second by second.
    first = _delayed_lag(lab, at_least=1)
    time.sleep(2.2)
    second = _delayed_lag(lab, at_least=first + 1)
    assert second >= first + 2
    result = analyse(lab)
    channel = channel_of(by_name(lab, result)["delayed"])
    assert channel["sql_delay"] == 60
    assert channel["sql_remaining_delay"] is not None and 0 < channel["sql_remaining_delay"] <= 60
    assert channel["seconds_behind_source"] >= second
    assert result["cluster"]["lag_to_primary"][lab.node("delayed").address] >= second


def _delayed_lag(lab, at_least):
    def lag():
        with lab.session("delayed") as replica:
            value = replica.query("SHOW ALL SLAVES STATUS")[0]["Seconds_Behind_Master"]
        return value if value is not None and value >= at_least else None

    return wait_for(lag, timeout=15)


def test_transaction_written_on_a_replica_is_an_errant_gtid(make_lab):
    lab = make_lab(replicas=2)
    with lab.session("primary") as primary:
        primary.execute("CREATE DATABASE app")
        primary.execute("CREATE TABLE app.t (id INT PRIMARY KEY)")
    wait_for(lambda: _all_caught_up(lab))
    with lab.session("replica2") as replica:
        replica.execute("SET GLOBAL read_only = 0")
        replica.execute("INSERT INTO app.t VALUES (42)")
        replica.execute("SET GLOBAL read_only = 1")
    result = analyse(lab)
    cluster = result["cluster"]
    replica2 = lab.node("replica2").address
    assert cluster["analysis"]["code"] == "errant_gtid"
    assert cluster["errant_gtids"] == {replica2: f"0-{lab.node('replica2').server_id}-3"}
    assert cluster["errant_gtid_counts"] == {replica2: 1}
    assert lab.node("replica1").address not in cluster["errant_gtids"]


def test_killed_primary_is_dead_because_every_replica_lost_it(make_lab):
    lab = make_lab(replicas=2)
    lab.kill("primary")
    wait_for(lambda: no_io_thread_streams(lab))
    result = analyse(lab)
    members = by_name(lab, result)
    assert members["primary"]["reachable"] is False and members["primary"]["reachability"] == "refused"
    for name in ("replica1", "replica2"):
        channel = channel_of(members[name])
        assert channel["io_running"] == "connecting"
        # 2013 while the broken stream is reported, 2003 once a reconnect is refused (1 s later).
        assert channel["last_io_errno"] in (2003, 2013)
    assert result["cluster"]["analysis"]["code"] == "primary_dead"
    assert result["cluster"]["primary"] == lab.node("primary").address


def test_frozen_primary_is_hung_while_replicas_stream_and_after_they_time_out(make_lab):
    lab = make_lab(replicas=2)
    lab.freeze("primary")
    try:
        streaming = analyse(lab, connect_timeout=1)
        assert streaming["cluster"]["analysis"]["code"] == "primary_hung"
        assert "primary_dead" not in streaming["cluster"]["analysis"]["codes"]
        assert by_name(lab, streaming)["primary"]["reachability"] == "hung"

        # slave_net_timeout is 4s in the lab: wait until the replicas give up on it.
        wait_for(lambda: no_io_thread_streams(lab), timeout=30)
        timed_out = analyse(lab, connect_timeout=1)
        members = by_name(lab, timed_out)
        assert {channel_of(members[n])["io_running"] for n in ("replica1", "replica2")} == {"connecting"}
        assert timed_out["cluster"]["analysis"]["code"] == "primary_hung"
        assert "primary_dead" not in timed_out["cluster"]["analysis"]["codes"]
    finally:
        lab.thaw("primary")


def test_semi_sync_without_an_acking_replica_degrades_to_async(make_lab):
    lab = make_lab(replicas=1, semi_sync=True)
    with lab.session("primary") as primary:
        assert primary.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")[0]["Value"] == "1"
    with lab.session("replica1") as replica:
        replica.execute("STOP SLAVE IO_THREAD")
    with lab.session("primary") as primary:
        primary.execute("CREATE DATABASE app")  # waits rpl_semi_sync_master_timeout (1s) for an ack
    result = analyse(lab)
    semi = by_name(lab, result)["primary"]["semi_sync"]
    assert semi["source_enabled"] is True
    assert semi["source_status"] is False
    assert semi["source_clients"] == 0
    assert semi["no_tx"] >= 1


def test_stopped_galera_node_leaves_a_cluster_of_two(make_lab):
    lab = make_lab(replication=False, galera=3)
    members = [n.address for n in lab.nodes]
    healthy = analyse(lab, members=members)
    assert healthy["cluster"]["kind"] == "galera" and healthy["cluster"]["analysis"]["code"] == "ok"
    assert {f["galera"]["cluster_size"] for f in healthy["members"].values()} == {3}
    lab.down_node("galera3")

    def size_two():
        with lab.session("galera1") as node:
            return node.query("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'")[0]["Value"] == "2"

    wait_for(size_two, timeout=30)
    result = analyse(lab, members=members)
    members_facts = by_name(lab, result)
    assert members_facts["galera1"]["galera"]["cluster_size"] == 2
    assert members_facts["galera2"]["galera"]["cluster_size"] == 2
    assert members_facts["galera1"]["galera"]["cluster_status"] == "Primary"
    assert members_facts["galera3"]["reachable"] is False
    assert result["cluster"]["analysis"]["code"] == "member_unreachable"


def test_pt_heartbeat_lag_is_read_from_the_named_table(make_lab):
    lab = make_lab(replicas=1)
    with lab.session("primary") as primary:
        # The pt-heartbeat table layout; a beat written 3 seconds ago (UTC, as with --utc).
        primary.execute("CREATE DATABASE percona")
        primary.execute("CREATE TABLE percona.heartbeat (ts varchar(26) NOT NULL, server_id int unsigned NOT NULL "
                        "PRIMARY KEY, file varchar(255) DEFAULT NULL, position bigint unsigned DEFAULT NULL, "
                        "relay_master_log_file varchar(255) DEFAULT NULL, exec_master_log_pos bigint unsigned DEFAULT NULL)")
        primary.execute("INSERT INTO percona.heartbeat (ts, server_id) "
                        "VALUES (DATE_FORMAT(UTC_TIMESTAMP(6) - INTERVAL 3 SECOND, '%Y-%m-%dT%H:%i:%s.%f'), 1)")
    wait_for(lambda: _all_caught_up(lab))
    node = lab.node("replica1")

    result, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": node.port,
                                                       "config_file": lab.client_file, "heartbeat_table": "percona.heartbeat",
                                                       "heartbeat_server_id": 1})
    heartbeat = result["ansible_facts"]["mysql_replication"]["heartbeat"]
    assert heartbeat["table"] == "percona.heartbeat" and heartbeat["source_server_id"] == 1
    assert 3.0 <= heartbeat["lag_seconds"] < 60
    bad, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": node.port,
                                                    "config_file": lab.client_file, "heartbeat_table": "x; DROP TABLE y"})
    assert bad["failed"] is True and "heartbeat_table" in bad["msg"]
