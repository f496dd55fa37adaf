"""hardening on real lab servers through ansible-playbook: check mode changes nothing,
apply fixes the findings, a second run changes nothing, and what it refuses."""
from __future__ import annotations

import os
import secrets
import time

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError

from lab_helpers import LabFactory, run_module

APPLIED_AT_RUNTIME = ("anonymous_accounts", "remote_root", "test_database", "local_infile", "require_secure_transport",
                      "audit_log", "password_validation", "password_lifetime", "sql_mode_strict")


@pytest.fixture(scope="module")
def lab():
    factory = LabFactory()
    lab = factory(replicas=0, tls=True)
    with lab.session("primary") as admin:
        admin.execute("CREATE USER ''@'localhost'")
        admin.execute("CREATE USER 'root'@'10.9.%%' IDENTIFIED BY %s", (secrets.token_urlsafe(12),))
        admin.execute("CREATE DATABASE test")
        admin.execute("CREATE USER 'app'@'10.1.2.3' IDENTIFIED BY %s", (secrets.token_urlsafe(12),))
    yield lab
    factory.stop_all()


def tls_args(lab, **extra):
    args = {"login_host": "127.0.0.1", "login_port": lab.node("primary").port, "config_file": lab.client_file,
            "ssl_mode": "verify_ca", "ssl_ca": lab.topology["tls"]["ca"]}
    args.update(extra)
    return args


def failing_controls(lab):
    result, _output = run_module("security_facts", tls_args(lab, admin_accounts=["mysqlha_admin"]))
    return {f["control"] for f in result["ansible_facts"]["mysql_security"]["findings"]}


def test_check_mode_then_apply_then_idempotent(lab):
    fragment = os.path.join(lab.base, "99-hardening.cnf")
    before = failing_controls(lab)
    assert set(APPLIED_AT_RUNTIME) <= before

    check, _output = run_module("hardening", tls_args(lab, config_fragment=fragment), check=True)
    assert check["changed"] is True and check["applied"] == []
    assert {c for c, r in check["controls"].items() if r["status"] == "changed"} >= set(APPLIED_AT_RUNTIME)
    assert failing_controls(lab) == before            # re-read: nothing changed
    assert not os.path.exists(fragment)

    applied, output = run_module("hardening", tls_args(lab, config_fragment=fragment))
    assert applied["changed"] is True, applied
    assert set(APPLIED_AT_RUNTIME) <= set(applied["applied"])
    assert applied["needs_restart"] is True
    assert applied["controls"]["symbolic_links"]["status"] == "needs_restart"
    after = failing_controls(lab)
    assert not (after & set(APPLIED_AT_RUNTIME)), after
    text = open(fragment).read()
    assert "local_infile = 0" in text and "plugin_load_add = server_audit" in text and "require_secure_transport = ON" in text

    again, _output = run_module("hardening", tls_args(lab, config_fragment=fragment))
    assert again["changed"] is False, again["controls"]
    assert all(r["status"] in ("ok", "needs_restart", "disabled") for r in again["controls"].values())


def test_with_tls_required_plain_is_refused_and_verified_tls_works(lab, tmp_path):
    run_module("hardening", tls_args(lab, profile={"audit_log": False, "password_validation": False}))
    base = resolve_params(lab.params(lab.node("primary")))
    with pytest.raises(ConnectError) as info:
        connect(base.replace(ssl_mode="disabled"))
    # MariaDB refuses a plain login with 1045 (MySQL would say 3159); the message says why it may be.
    assert info.value.errno == 1045 and "require_secure_transport" in str(info.value)
    with connect(base.replace(ssl_mode="verify_ca", ssl_ca=lab.topology["tls"]["ca"])) as session:
        assert session.tls is not None
    from ansible_collections.dbaops.mysql_ha.engine.lab.tls import make_ca

    wrong_ca, _key = make_ca(str(tmp_path), name="not the lab CA")
    with pytest.raises(ConnectError) as info:
        connect(base.replace(ssl_mode="verify_ca", ssl_ca=str(wrong_ca)))
    assert info.value.kind == "tls" and "certificate verify failed" in str(info.value)


def test_audit_log_records_a_test_accounts_query(lab):
    run_module("hardening", tls_args(lab, profile={"remote_accounts_tls": False}))
    password = "Aa1!" + secrets.token_urlsafe(12)  # simple_password_check is on now
    with lab.session("primary", ssl_mode="required") as admin:
        admin.execute("CREATE USER 'auditee'@'127.0.0.1' IDENTIFIED BY %s REQUIRE SSL", (password,))
        admin.execute("GRANT CREATE ON *.* TO 'auditee'@'127.0.0.1'")
    marker = "audit_probe_%s" % secrets.token_hex(4)
    base = resolve_params(lab.params(lab.node("primary"), ssl_mode="required"))
    with connect(base.replace(user="auditee", password=password)) as session:
        session.execute("CREATE DATABASE %s" % marker)
    log = os.path.join(lab.node("primary").datadir, "server_audit.log")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (os.path.exists(log) and marker in open(log, errors="replace").read()):
        time.sleep(0.2)
    lines = [line for line in open(log, errors="replace") if marker in line]
    assert lines and "auditee" in lines[0]
    assert password not in open(log, errors="replace").read()


def test_refuses_to_require_tls_while_connected_without_it_and_changes_nothing(make_lab):
    lab = make_lab(replicas=0, tls=True)
    result, _output = run_module("hardening", {"login_host": "127.0.0.1", "login_port": lab.node("primary").port,
                                               "config_file": lab.client_file, "ssl_mode": "disabled"})
    assert result["failed"] is True and "lock itself out" in result["msg"]
    with lab.session("primary") as admin:
        assert admin.query("SELECT @@local_infile AS v")[0]["v"] == 1      # planned, never applied


def test_requiring_tls_on_a_server_without_tls_is_refused(make_lab):
    lab = make_lab(replicas=0)
    with lab.session("primary") as admin:
        admin.execute("CREATE USER 'app'@'10.1.2.3' IDENTIFIED BY %s", (secrets.token_urlsafe(12),))
    result, _output = run_module("hardening", {"login_host": "127.0.0.1", "login_port": lab.node("primary").port,
                                               "config_file": lab.client_file})
    assert result["failed"] is True and "no TLS" in result["msg"]


@pytest.mark.parametrize("profile,message", [
    ({"no_such_control": True}, "unknown control 'no_such_control'"),
    ({"empty_passwords": True}, "cannot be applied automatically"),
    ({"audit_log": {"events": []}}, "enabled with no events"),
    ({"password_lifetime": {"days": 0}}, "days must be 1..365"),
    ({"audit_log": {"colour": "red"}}, "unknown parameter(s) colour"),
])
def test_bad_profiles_are_refused_naming_the_control(profile, message):
    result, _output = run_module("hardening", {"login_host": "127.0.0.1", "login_port": 9, "config_file": "/dev/null",
                                               "profile": profile})
    assert result["failed"] is True and message in result["msg"]


def test_without_a_fragment_runtime_only_changes_are_announced(make_lab):
    lab = make_lab(replicas=0, tls=True)
    args = {"login_host": "127.0.0.1", "login_port": lab.node("primary").port, "config_file": lab.client_file,
            "ssl_mode": "required", "profile": {"audit_log": False, "password_validation": False}}
    result, _output = run_module("hardening", args)
    assert result["changed"] is True
    assert any("restart will undo them" in w and "local_infile" in w for w in result.get("warnings", []))
    assert result["controls"]["symbolic_links"]["status"] == "skipped"
