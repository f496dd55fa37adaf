"""security_facts on real lab servers through ansible-playbook: what a fresh node shows,
what a careless DBA adds, and what a login that may not read mysql.user gets."""
from __future__ import annotations

import json
import secrets

import jsonschema
import pytest

from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema

from lab_helpers import LabFactory, run_module

SCHEMA = load_schema("mysql_security.schema.json")


@pytest.fixture(scope="module")
def tls_lab():
    factory = LabFactory()
    yield factory(replicas=1, tls=True)
    factory.stop_all()


def security(lab, node="primary", **extra):
    args = {"login_host": "127.0.0.1", "login_port": lab.node(node).port, "config_file": lab.client_file,
            "admin_accounts": ["mysqlha_admin"]}
    args.update(extra)
    result, output = run_module("security_facts", args)
    return result, output


def statuses(facts):
    return {k: v["status"] for k, v in facts["controls"].items()}


def test_fresh_lab_node_findings_then_a_careless_dba(tls_lab):
    result, output = security(tls_lab)
    facts = result["ansible_facts"]["mysql_security"]
    jsonschema.validate(facts, SCHEMA)
    fresh = statuses(facts)
    # What a default MariaDB 10.11 install gets wrong, and what it gets right.
    for control in ("local_infile", "require_secure_transport", "audit_log", "password_validation",
                    "secure_file_priv", "symbolic_links"):
        assert fresh[control] == "fail", control
    for control in ("anonymous_accounts", "empty_passwords", "remote_root", "test_database", "tls_versions",
                    "tls_cert_expiry", "excess_privileges"):
        assert fresh[control] == "pass", (control, facts["controls"][control])
    assert 300 < facts["tls"]["cert_days_left"] <= 365
    assert facts["collection"]["round_trips"] == 1 and facts["collection"]["missing_privileges"] == []

    with tls_lab.session("primary") as admin:
        hashes = [r["h"] for r in admin.query("SELECT authentication_string AS h FROM mysql.user WHERE authentication_string <> ''")]
        admin.execute("SET SESSION sql_log_bin = 0")
        admin.execute("CREATE USER ''@'localhost'")
        admin.execute("CREATE USER 'root'@'%%' IDENTIFIED BY %s", (secrets.token_urlsafe(12),))
        admin.execute("GRANT ALL ON *.* TO 'root'@'%'")
        admin.execute("CREATE DATABASE test")
    result, output = security(tls_lab)
    facts = result["ansible_facts"]["mysql_security"]
    by_control = {f["control"]: f for f in facts["findings"]}
    assert by_control["anonymous_accounts"]["severity"] == "critical"
    assert "''@'localhost'" in by_control["anonymous_accounts"]["evidence"]
    assert "'root'@'%'" in by_control["remote_root"]["evidence"]
    assert "'root'@'%'" in by_control["wildcard_hosts"]["evidence"]
    assert by_control["test_database"]["references"]["devsec"] == "mysql-db-03"
    assert "''@'localhost'" in by_control["empty_passwords"]["evidence"]
    assert facts["findings"][0]["severity"] == "critical"
    # Never a password hash in what ansible printed or returned.
    assert hashes and not [h for h in hashes if h in output or h in json.dumps(result)]


def test_replica_channel_without_tls_is_a_finding(tls_lab):
    result, _output = security(tls_lab, node="replica1")
    facts = result["ansible_facts"]["mysql_security"]
    assert statuses(facts)["replication_channel_tls"] == "fail"
    assert facts["replication_channels"][0]["ssl"]["allowed"] is False


def test_a_login_that_cannot_read_mysql_user_gets_unknown_not_pass(tls_lab):
    password = secrets.token_urlsafe(12)
    with tls_lab.session("primary") as admin:
        admin.execute("SET SESSION sql_log_bin = 0")
        admin.execute("CREATE USER 'nosee'@'127.0.0.1' IDENTIFIED BY %s", (password,))
    result, output = run_module("security_facts", {"login_host": "127.0.0.1", "login_port": tls_lab.node("primary").port,
                                                   "login_user": "nosee", "login_password": password, "config_file": "/dev/null"})
    assert password not in output
    facts = result["ansible_facts"]["mysql_security"]
    assert facts["accounts"] is None and facts["test_databases"] is None
    result_status = statuses(facts)
    assert result_status["anonymous_accounts"] == "unknown" and result_status["test_database"] == "unknown"
    statements = [m["statement"] for m in facts["collection"]["missing_privileges"]]
    assert any(s.startswith("SELECT u.User") for s in statements)
    jsonschema.validate(facts, SCHEMA)


def test_an_unknown_control_id_is_refused_by_name(tls_lab):
    result, _output = security(tls_lab, skip_controls=["local_infile", "no_such_control"])
    assert result["failed"] is True
    assert "no_such_control" in result["msg"] and "local_infile" in result["msg"]  # lists the known ones
