"""The control catalogue: each control's check on hand-made facts (pure, no server)."""
from __future__ import annotations

import calendar
import time

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import cert_days_left
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import (
    CONTROLS,
    control_by_id,
    evaluate_controls,
)


def account(user, host="localhost", privileges=(), plugin="mysql_native_password", no_password=False, ssl_type=None,
            locked=False):
    return {"user": user, "host": host, "plugin": plugin, "no_password": no_password, "ssl_type": ssl_type,
            "locked": locked, "is_role": False, "max_user_connections": 0, "privileges": list(privileges)}


def healthy(**changes):
    facts = {
        "flavor": "mariadb",
        "accounts": [account("root", plugin="unix_socket", no_password=True, privileges=["ALL", "SUPER"]),
                     account("mariadb.sys", no_password=True, locked=True),
                     account("repl", "10.0.0.%", ["REPLICATION SLAVE"], ssl_type="ANY"),
                     account("app", "10.0.1.5", ["SELECT", "INSERT"], ssl_type="ANY")],
        "tls": {"enabled": True, "have_ssl": "YES", "versions": ["TLSv1.2", "TLSv1.3"], "require_secure_transport": True,
                "cert_days_left": 200, "cert_not_after": "x"},
        "audit": {"plugin": "server_audit", "enabled": True, "events": ["CONNECT", "QUERY_DDL", "QUERY_DCL"],
                  "output": "file", "file": "server_audit.log", "rotations": 9, "rotate_size": 1000000},
        "password_policy": {"validation": "simple_password_check", "default_lifetime_days": 180},
        "settings": {"local_infile": False, "secure_file_priv": "/var/lib/mysql-files", "have_symlink": "DISABLED",
                     "log_error": "/var/log/mysql/error.log", "sql_mode": "STRICT_ALL_TABLES"},
        "test_databases": [],
        "replication_channels": [{"name": "", "ssl": {"allowed": True, "verify_server_cert": True}}],
        "policy": {},
    }
    facts.update(changes)
    return facts


def statuses(facts):
    results, _findings = evaluate_controls(facts)
    return {k: v["status"] for k, v in results.items()}


def test_a_hardened_server_passes_every_control_except_the_wildcard_repl_host():
    failing = [k for k, v in statuses(healthy()).items() if v != "pass"]
    assert failing == ["wildcard_hosts"]  # repl@'10.0.0.%'


def test_socket_authenticated_and_locked_system_accounts_are_not_empty_passwords():
    assert statuses(healthy())["empty_passwords"] == "pass"
    facts = healthy(accounts=[account("app", "10.0.1.5", no_password=True)])
    results, findings = evaluate_controls(facts)
    assert results["empty_passwords"]["status"] == "fail"
    assert "'app'@'10.0.1.5'" in results["empty_passwords"]["evidence"]
    assert findings[0]["severity"] == "critical" and findings[0]["references"]["devsec"] == "mysql-db-05"


@pytest.mark.parametrize("bad,control", [
    (account("", "localhost"), "anonymous_accounts"),
    (account("root", "%", ["ALL"]), "remote_root"),
    (account("reporting", "10.0.1.9", ["SELECT", "FILE"], ssl_type="ANY"), "excess_privileges"),
    (account("repl2", "10.0.0.8", ["REPLICATION SLAVE", "SUPER"], ssl_type="ANY"), "replication_account_privileges"),
    (account("repl3", "10.0.0.9", ["REPLICATION SLAVE"]), "replication_account_tls"),
    (account("app2", "10.0.1.6", ["SELECT"]), "remote_accounts_tls"),
])
def test_each_bad_account_fails_its_control(bad, control):
    facts = healthy()
    facts["accounts"].append(bad)
    assert statuses(facts)[control] == "fail"


def test_admin_accounts_in_the_policy_may_hold_powers():
    facts = healthy(policy={"admin_accounts": ["dba"]})
    facts["accounts"].append(account("dba", "localhost", ["ALL", "SUPER", "FILE"]))
    assert statuses(facts)["excess_privileges"] == "pass"


def test_a_login_that_cannot_read_accounts_gets_unknown_not_pass():
    result = statuses(healthy(accounts=None, test_databases=None, replication_channels=None))
    for control in ("anonymous_accounts", "empty_passwords", "remote_root", "test_database", "replication_channel_tls"):
        assert result[control] == "unknown"


@pytest.mark.parametrize("changes,control", [
    ({"settings": dict(healthy()["settings"], local_infile=True)}, "local_infile"),
    ({"settings": dict(healthy()["settings"], secure_file_priv="")}, "secure_file_priv"),
    ({"tls": dict(healthy()["tls"], require_secure_transport=False)}, "require_secure_transport"),
    ({"tls": dict(healthy()["tls"], versions=["TLSv1.1", "TLSv1.2"])}, "tls_versions"),
    ({"tls": dict(healthy()["tls"], cert_days_left=12)}, "tls_cert_expiry"),
    ({"audit": dict(healthy()["audit"], enabled=False)}, "audit_log"),
    ({"audit": dict(healthy()["audit"], events=["CONNECT"])}, "audit_log"),
    ({"audit": dict(healthy()["audit"], rotations=0)}, "audit_log"),
    ({"password_policy": {"validation": None, "default_lifetime_days": 0}}, "password_validation"),
    ({"password_policy": {"validation": "x", "default_lifetime_days": 0}}, "password_lifetime"),
    ({"test_databases": ["test"]}, "test_database"),
    ({"replication_channels": [{"name": "", "ssl": {"allowed": True, "verify_server_cert": False}}]}, "replication_channel_tls"),
])
def test_each_bad_setting_fails_its_control(changes, control):
    assert statuses(healthy(**changes))[control] == "fail"


def test_findings_are_ordered_by_severity_and_skips_are_honoured():
    facts = healthy(settings=dict(healthy()["settings"], local_infile=True), test_databases=["test"])
    facts["accounts"].append(account("", "localhost"))
    _results, findings = evaluate_controls(facts)
    assert [f["severity"] for f in findings] == sorted([f["severity"] for f in findings],
                                                       key=["critical", "high", "medium", "low"].index)
    results, findings = evaluate_controls(facts, skip=["local_infile"])
    assert results["local_infile"]["status"] == "skipped"
    assert "local_infile" not in [f["control"] for f in findings]


def test_every_control_has_references_and_a_known_apply_kind():
    for control in CONTROLS:
        assert control.apply in ("sql", "persist", "config_restart", "manual"), control.id
        assert control.references.get("cis_mysql_8"), control.id
    with pytest.raises(KeyError, match="unknown control 'nope'"):
        control_by_id("nope")


def test_certificate_dates_in_the_servers_format():
    now = calendar.timegm(time.strptime("2026-11-21 00:00:00", "%Y-%m-%d %H:%M:%S"))
    assert cert_days_left("Dec 21 07:24:29 2026 GMT", now=now) == 30
    assert cert_days_left("Jan  1 00:00:00 2026 GMT", now=now) < 0
    assert cert_days_left("garbage", now=now) is None and cert_days_left("", now=now) is None


def test_the_monitoring_account_may_hold_process_and_nothing_more_powerful():
    facts = healthy()
    facts["accounts"].append(account("mysqlha_monitor", "10.0.9.9", ["PROCESS", "SHOW DATABASES"], ssl_type="ANY"))
    assert statuses(facts)["excess_privileges"] == "pass"
    facts["accounts"][-1]["privileges"].append("SUPER")
    assert statuses(facts)["excess_privileges"] == "fail"
    other = healthy(policy={"monitor_accounts": []})
    other["accounts"].append(account("mysqlha_monitor", "10.0.9.9", ["PROCESS"], ssl_type="ANY"))
    assert statuses(other)["excess_privileges"] == "fail"


def test_cis_mariadb_sections_appear_on_mariadb_servers_only():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import control_by_id, references_for

    audit = control_by_id("audit_log")
    assert references_for(audit, "mariadb")["cis_mariadb_10_11"].startswith("6.5")
    assert "cis_mariadb_10_11" not in references_for(audit, "mysql")
    assert references_for(audit, "mysql")["cis_mysql_8"] == references_for(audit, "mariadb")["cis_mysql_8"]
