"""MySQL-only collection paths, driven by rows that follow the MySQL manual column by column."""
from __future__ import annotations

import datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import collect_replication

from fixture_session import FixtureSession

U_SRC = "5b3c9d2e-1f6a-11ef-8c1d-0242ac120002"
U_ME = "6c4dae3f-1f6a-11ef-8c1d-0242ac120003"
U_OTHER = "7d5ebf40-1f6a-11ef-8c1d-0242ac120004"


def session_value(fixture: str, variable: str) -> str:
    """The value a fixture's SHOW ... STATUS/VARIABLES rows give ``variable``."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("Variable_name") == variable:
                found.append(node["Value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((Path(__file__).resolve().parents[1] / "fixtures" / "mysql" / f"{fixture}.yml").read_text()))
    assert found, variable
    return found[0]


def days_until(openssl_date: str) -> int:
    expires = datetime.datetime.strptime(" ".join(openssl_date.split()), "%b %d %H:%M:%S %Y %Z")
    return (expires.replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)).days


def collect(name):
    session = FixtureSession(name)
    return collect_replication(session), session


def test_mysql84_uses_replica_and_binary_log_status_statements_and_reads_every_channel(replication_schema):
    facts, session = collect("mysql84_two_channels")
    assert "SHOW REPLICA STATUS" in session.executed
    assert "SHOW BINARY LOG STATUS" in session.executed
    assert "SHOW MASTER STATUS" not in session.executed  # removed in 8.4
    assert [c["name"] for c in facts["channels"]] == ["", "analytics"]
    default, analytics = facts["channels"]
    assert (default["io_running"], default["sql_running"], default["seconds_behind_source"]) == ("yes", True, 3)
    assert default["ssl"] == {"allowed": True, "verify_server_cert": True, "ca_file": "/etc/mysql/ca.pem", "cert": None, "cipher": None}
    assert default["using_gtid"] == "auto_position"
    assert default["last_heartbeat_timestamp"] == "2026-11-21 05:00:00.123456"
    assert default["received_heartbeats"] == 9310
    assert analytics["sql_running"] is False and analytics["seconds_behind_source"] is None
    assert analytics["last_sql_errno"] == 1062
    assert analytics["worker_errors"][0]["errno"] == 1062
    assert "Duplicate entry '7'" in analytics["worker_errors"][0]["error"]
    assert analytics["last_sql_error_timestamp"] == "241121 05:00:01"
    assert facts["gtid"]["executed"] == f"{U_SRC}:1-1198:batch:1-4,{U_ME}:1-3,{U_OTHER}:1-47"
    assert facts["binlog"] == {"enabled": True, "file": "binlog.000011", "position": 4567, "format": "ROW",
                               "log_replica_updates": True, "sync_binlog": 1}
    assert facts["role"] == "replica" and facts["super_read_only"] is True
    assert facts["semi_sync"]["replica_enabled"] and facts["semi_sync"]["replica_status"]
    # SHOW REPLICAS needs REPLICATION SLAVE, which a monitor should not hold: skipped, not "missing".
    assert facts["collection"]["missing_privileges"] == []
    jsonschema.validate(facts, replication_schema)


def test_mysql57_uses_slave_statements_and_reports_connecting_io_with_unknown_lag(replication_schema):
    facts, session = collect("mysql57_io_connecting")
    assert "SHOW SLAVE STATUS" in session.executed and "SHOW MASTER STATUS" in session.executed
    (channel,) = facts["channels"]
    assert channel["io_running"] == "connecting"
    assert channel["source_host"] == "db1.example.com" and channel["source_server_id"] == 1
    # The server printed 0, but with the IO thread down the lag is unknown.
    assert channel["seconds_behind_source"] is None
    assert channel["last_io_errno"] == 2003
    missing = facts["collection"]["missing_privileges"]
    assert {m["errno"] for m in missing} == {1142}
    assert all(m["privileges"] == ["SELECT ON performance_schema.*"] for m in missing)
    assert len(missing) == 3
    jsonschema.validate(facts, replication_schema)


def test_percona_group_replication_member_facts_and_cluster_kind(replication_schema):
    facts, _output = collect("percona80_group_replication")
    assert (facts["flavor"], facts["variant"], facts["version"]) == ("mysql", "percona", "8.0.36")
    group = facts["group_replication"]
    assert group["member_role"] == "PRIMARY" and group["single_primary_mode"] is True
    assert group["online_members"] == 2 and len(group["members"]) == 3
    assert [m["state"] for m in group["members"]] == ["ONLINE", "ONLINE", "UNREACHABLE"]
    assert facts["role"] == "primary"
    jsonschema.validate(facts, replication_schema)
    cluster = analyze_cluster({"gr1:3306": facts})
    assert cluster["kind"] == "group_replication" and cluster["primary"] == "gr1:3306"


@pytest.mark.parametrize("name", ["mysql84_two_channels", "mysql57_io_connecting", "percona80_group_replication"])
def test_fixture_collection_is_one_round_trip(name):
    _facts, session = collect(name)
    assert session.round_trips == 1


def test_mysql84_security_facts_read_dynamic_privileges_audit_log_and_the_password_component(security_schema):
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import collect_security
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import assess

    session = FixtureSession("mysql84_security")
    facts = assess(collect_security(session, policy={"admin_accounts": []}))
    assert session.round_trips == 1
    assert any("mysql.global_grants" in sql for sql in session.executed)
    accounts = {(a["user"], a["host"]): a for a in facts["accounts"]}
    assert accounts[("app", "%")]["privileges"][-1] == "SYSTEM_VARIABLES_ADMIN"
    assert accounts[("root", "localhost")]["privileges"][0] == "ALL"
    assert accounts[("monitor", "10.0.9.9")]["ssl_type"] == "X509"
    assert facts["audit"]["plugin"] == "audit_log" and facts["audit"]["enabled"] is True
    assert facts["password_policy"]["validation"] == "validate_password"
    assert facts["tls"]["require_secure_transport"] is True
    # 8.4 has no have_ssl: a configured certificate means TLS is on (hardening must not think it off).
    assert facts["tls"]["have_ssl"] is None and facts["tls"]["enabled"] is True
    # Days left are counted from today to the fixture certificate's expiry, whenever this runs.
    assert abs(facts["tls"]["cert_days_left"] - days_until(session_value("mysql84_security", "Ssl_server_not_after"))) <= 1
    assert facts["test_databases"] == ["test"]
    status = {k: v["status"] for k, v in facts["controls"].items()}
    assert status["wildcard_hosts"] == "fail" and "'app'@'%'" in facts["controls"]["wildcard_hosts"]["evidence"]
    assert status["remote_accounts_tls"] == "fail"        # app@% has no REQUIRE SSL
    assert status["audit_log"] == "fail"                  # audit_log_rotate_on_size = 0: never rotated
    assert status["empty_passwords"] == "pass"            # mysql.sys / mysql.session are locked
    assert status["replication_account_tls"] == "pass"    # repl REQUIRE SSL
    assert status["test_database"] == "fail" and status["password_validation"] == "pass"
    jsonschema.validate(facts, security_schema)
