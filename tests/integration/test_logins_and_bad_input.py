"""Logins that may not see everything, and inputs that must fail clearly: through the modules."""
from __future__ import annotations

import secrets
import socket
import threading
import time

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import gather_replication
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError

from lab_helpers import run_module, wait_for


def create_login(lab, node, user, password, grants):
    with lab.session(node) as admin:
        admin.execute("SET SESSION sql_log_bin = 0")
        admin.execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY %s", (password,))
        for grant in grants:
            admin.execute(f"GRANT {grant} ON *.* TO '{user}'@'127.0.0.1'")


def facts_as(lab, node_name, user, password):
    node = lab.node(node_name)
    result, output = run_module("replication_facts", {
        "login_host": "127.0.0.1", "login_port": node.port, "login_user": user, "login_password": password,
        "config_file": "/dev/null", "connect_timeout": 3})
    assert password not in output
    return result, output


def test_exporter_style_grants_on_mariadb_1011_are_loud_about_replica_monitor(shared_lab):
    # mysqld_exporter documents PROCESS, REPLICATION CLIENT, SELECT; on MariaDB 10.5.9+
    # SHOW SLAVE STATUS needs REPLICA MONITOR, so an exporter sees no replica at all.
    password = secrets.token_urlsafe(12)
    create_login(shared_lab, "replica1", "exporter_like", password, ["PROCESS, REPLICATION CLIENT, SELECT"])
    result, _output = facts_as(shared_lab, "replica1", "exporter_like", password)
    assert not result.get("failed"), result
    facts = result["ansible_facts"]["mysql_replication"]
    missing = facts["collection"]["missing_privileges"]
    assert [m["statement"] for m in missing] == ["SHOW ALL SLAVES STATUS"]
    # MariaDB 10.11 names it by its alias SLAVE MONITOR (= REPLICA MONITOR).
    assert {"SLAVE MONITOR", "REPLICA MONITOR"} & set(missing[0]["privileges"])
    # Unknown, not healthy: no channel list and no role are invented.
    assert facts["channels"] is None and facts["role"] is None


def test_login_without_replication_client_gets_partial_facts_and_no_traceback(shared_lab):
    password = secrets.token_urlsafe(12)
    create_login(shared_lab, "primary", "bare_login", password, ["USAGE"])
    result, output = facts_as(shared_lab, "primary", "bare_login", password)
    assert not result.get("failed"), result
    assert "Traceback" not in output
    facts = result["ansible_facts"]["mysql_replication"]
    statements = {m["statement"]: m for m in facts["collection"]["missing_privileges"]}
    assert set(statements) >= {"SHOW ALL SLAVES STATUS", "SHOW MASTER STATUS"}
    assert any("BINLOG MONITOR" in p for p in statements["SHOW MASTER STATUS"]["privileges"])
    assert facts["server_id"] == shared_lab.node("primary").server_id  # what it may see, it reports
    assert facts["binlog"]["file"] is None


def test_the_minimal_monitor_grants_see_everything_in_one_round_trip(shared_lab):
    password = secrets.token_urlsafe(12)
    create_login(shared_lab, "replica2", "monitor_min", password, ["REPLICA MONITOR, BINLOG MONITOR, PROCESS"])
    result, _output = facts_as(shared_lab, "replica2", "monitor_min", password)
    facts = result["ansible_facts"]["mysql_replication"]
    assert facts["collection"]["missing_privileges"] == []
    assert facts["collection"]["round_trips"] == 1
    assert facts["role"] == "replica" and facts["channels"][0]["io_running"] == "yes"


def registered_replicas(lab, node="primary"):
    with lab.session(node) as admin:
        return int(admin.query("SHOW GLOBAL STATUS LIKE 'Slaves_connected'")[0]["Value"])


def test_the_minimal_monitor_on_a_primary_sees_its_replicas_without_show_slave_hosts(shared_lab):
    # SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN, which a monitor should not hold;
    # PROCESS shows the binlog dump threads, one per replica: never an empty list.
    wait_for(lambda: registered_replicas(shared_lab) == 2)
    password = secrets.token_urlsafe(12)
    create_login(shared_lab, "primary", "monitor_on_primary", password, ["SLAVE MONITOR, BINLOG MONITOR, PROCESS"])
    result, _output = facts_as(shared_lab, "primary", "monitor_on_primary", password)
    facts = result["ansible_facts"]["mysql_replication"]
    assert facts["collection"]["missing_privileges"] == []
    assert facts["role"] == "primary" and facts["replica_count"] == 2 and len(facts["replica_threads"]) == 2
    assert [(r["server_id"], r["host"], r["source_id"]) for r in facts["replicas"]] == [(None, "127.0.0.1", 1)] * 2
    # The admin may run SHOW SLAVE HOSTS: the registered replicas with their server ids.
    admin, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": shared_lab.node("primary").port,
                                                      "config_file": shared_lab.client_file})
    assert sorted(r["server_id"] for r in admin["ansible_facts"]["mysql_replication"]["replicas"]) == [2, 3]


def test_a_login_without_process_on_a_primary_reports_replicas_unknown_and_process_missing(shared_lab):
    wait_for(lambda: registered_replicas(shared_lab) == 2)
    password = secrets.token_urlsafe(12)
    create_login(shared_lab, "primary", "no_process", password, ["SLAVE MONITOR, BINLOG MONITOR"])
    result, _output = facts_as(shared_lab, "primary", "no_process", password)
    assert not result.get("failed"), result
    facts = result["ansible_facts"]["mysql_replication"]
    assert facts["replicas"] is None and facts["replica_threads"] is None  # unknown, not []
    (missing,) = facts["collection"]["missing_privileges"]
    assert missing["privileges"] == ["PROCESS"] and missing["statement"].startswith("SELECT ID, USER, HOST")
    # Slaves_connected needs no privilege: the count and the role are still right.
    assert facts["replica_count"] == 2 and facts["role"] == "primary"


def test_a_login_without_process_on_a_server_without_replicas_knows_there_are_none(shared_lab):
    assert registered_replicas(shared_lab, "replica1") == 0
    password = secrets.token_urlsafe(12)
    create_login(shared_lab, "replica1", "no_process_replica", password, ["SLAVE MONITOR, BINLOG MONITOR"])
    result, _output = facts_as(shared_lab, "replica1", "no_process_replica", password)
    facts = result["ansible_facts"]["mysql_replication"]
    assert facts["collection"]["missing_privileges"] == []
    assert facts["replicas"] == [] and facts["replica_count"] == 0 and facts["role"] == "replica"


def test_wrong_password_fails_naming_the_host_and_never_echoes_the_password(shared_lab):
    node = shared_lab.node("primary")
    wrong = "Wr0ng-" + secrets.token_urlsafe(10)
    result, output = run_module("replication_facts", {
        "login_host": "127.0.0.1", "login_port": node.port, "login_user": "mysqlha_admin",
        "login_password": wrong, "config_file": "/dev/null"})
    assert result["failed"] is True
    assert result["reachability"] == "auth"
    assert f"127.0.0.1:{node.port}" in result["msg"] and "Access denied" in result["msg"]
    assert wrong not in output


def test_nobody_listening_fails_as_refused_naming_the_host():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": port,
                                                       "login_user": "x", "config_file": "/dev/null", "connect_timeout": 1})
    assert result["failed"] is True and result["reachability"] == "refused"
    assert f"127.0.0.1:{port}" in result["msg"]


def test_required_tls_against_a_server_without_tls_fails_clearly(shared_lab):
    node = shared_lab.node("primary")
    result, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": node.port,
                                                       "config_file": shared_lab.client_file, "ssl_mode": "required"})
    assert result["failed"] is True and result["reachability"] == "tls"
    assert "SSL" in result["msg"] and f"127.0.0.1:{node.port}" in result["msg"]


def test_a_ca_file_that_is_not_pem_is_named_in_the_error(shared_lab, tmp_path):
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("not a certificate\n")
    node = shared_lab.node("primary")
    result, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": node.port,
                                                       "config_file": shared_lab.client_file, "ssl_ca": str(bad_ca)})
    assert result["failed"] is True and str(bad_ca) in result["msg"]


def test_check_mode_gathers_facts_and_changes_nothing(shared_lab):
    node = shared_lab.node("replica1")
    result, _output = run_module("replication_facts", {"login_host": "127.0.0.1", "login_port": node.port,
                                                       "config_file": shared_lab.client_file}, check=True)
    assert result["changed"] is False
    assert result["ansible_facts"]["mysql_replication"]["role"] == "replica"


def test_topology_facts_rejects_a_malformed_member():
    result, _output = run_module("topology_facts", {"members": ["db1:port"], "config_file": "/dev/null"})
    assert result["failed"] is True and "db1:port" in result["msg"]


def test_a_connection_killed_mid_query_is_reported_as_lost(shared_lab):
    params = resolve_params(shared_lab.params(shared_lab.node("primary")))
    victim = connect(params)
    thread_id = victim.query("SELECT CONNECTION_ID() AS id")[0]["id"]

    def kill_soon():
        time.sleep(0.5)
        with shared_lab.session("primary") as admin:
            admin.execute("KILL %s", (thread_id,))

    killer = threading.Thread(target=kill_soon)
    killer.start()
    try:
        with pytest.raises(ConnectError) as info:
            victim.query("SELECT SLEEP(5)")
        assert info.value.kind == "lost"
        assert shared_lab.node("primary").address in str(info.value)
    finally:
        killer.join()
        victim.close()


def test_collection_against_a_frozen_server_returns_within_the_timeout(make_lab):
    lab = make_lab(replicas=0)
    params = resolve_params(lab.params(lab.node("primary"), connect_timeout=1, read_timeout=1))
    lab.freeze("primary")
    try:
        with pytest.raises(ConnectError) as info:
            gather_replication(params)
        assert info.value.kind == "hung"
    finally:
        lab.thaw("primary")


def test_the_lab_has_no_blank_password_or_remote_root_account(shared_lab):
    with shared_lab.session("primary") as admin:
        rows = admin.query("SELECT User, Host, plugin, authentication_string FROM mysql.user WHERE is_role = 'N'")
    accounts = {(r["User"], r["Host"]) for r in rows}
    assert ("root", "localhost") in accounts
    assert not [a for a in accounts if a[0] == "root" and a[1] != "localhost"]
    assert not [a for a in accounts if a[0] == ""]
    blank = [(r["User"], r["Host"]) for r in rows
             if not r["authentication_string"] and r["plugin"] not in ("unix_socket",) and r["User"] != "mariadb.sys"]
    assert blank == []
