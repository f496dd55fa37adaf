"""The least-privilege monitoring account on real servers: it sees everything the collectors
need (no missing privilege), cannot write, and converges (extra grants revoked, idempotent)."""
from __future__ import annotations

import secrets

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError, QueryError

from lab_helpers import LabFactory, run_module


@pytest.fixture(scope="module")
def lab():
    factory = LabFactory()
    lab = factory(replicas=1, tls=True)
    with lab.session("primary") as admin:
        admin.execute("CREATE DATABASE app")
        admin.execute("CREATE TABLE app.t (id INT PRIMARY KEY)")
    lab.wait_replicating(lab.by_role("replica"))
    yield lab
    factory.stop_all()


PASSWORD = "Mon1!" + secrets.token_urlsafe(12)


def admin_args(lab, node="primary", **extra):
    args = {"login_host": "127.0.0.1", "login_port": lab.node(node).port, "config_file": lab.client_file}
    args.update(extra)
    return args


def monitor_args(lab, node):
    return {"login_host": "127.0.0.1", "login_port": lab.node(node).port, "login_user": "mysqlha_monitor",
            "login_password": PASSWORD, "config_file": "/dev/null", "ssl_mode": "verify_ca", "ssl_ca": lab.topology["tls"]["ca"]}


def test_create_gather_everything_cannot_write_then_converge(lab):
    created, output = run_module("monitor_user", admin_args(lab, host="127.0.0.1", password=PASSWORD))
    assert created["changed"] is True and PASSWORD not in output
    assert created["grants"]["*.*"] == ["BINLOG MONITOR", "PROCESS", "SHOW DATABASES", "SLAVE MONITOR"]
    lab.wait_replicating(lab.by_role("replica"))   # the CREATE USER replicated

    for node in ("primary", "replica1"):
        replication, output = run_module("replication_facts", monitor_args(lab, node))
        facts = replication["ansible_facts"]["mysql_replication"]
        assert facts["collection"]["missing_privileges"] == [], facts["collection"]
        assert facts["collection"]["tls"] is not None and PASSWORD not in output
        security, _output = run_module("security_facts", monitor_args(lab, node))
        sec = security["ansible_facts"]["mysql_security"]
        assert sec["collection"]["missing_privileges"] == [], sec["collection"]
        assert "unknown" not in {c["status"] for c in sec["controls"].values()}
    assert facts["role"] == "replica" and facts["channels"][0]["io_running"] == "yes"

    base = resolve_params(lab.params(lab.node("primary")))
    with connect(base.replace(user="mysqlha_monitor", password=PASSWORD, ssl_mode="required")) as monitor:
        with pytest.raises(QueryError) as info:
            monitor.execute("INSERT INTO app.t VALUES (1)")
        assert info.value.errno == 1142
    with pytest.raises(ConnectError) as info:  # REQUIRE SSL: a plain login is refused
        connect(base.replace(user="mysqlha_monitor", password=PASSWORD, ssl_mode="disabled"))
    assert info.value.kind == "auth" and info.value.errno == 1045

    again, _output = run_module("monitor_user", admin_args(lab, host="127.0.0.1", password=PASSWORD))
    assert again["changed"] is False, again["statements"]

    with lab.session("primary") as admin:
        admin.execute("GRANT INSERT, SELECT ON *.* TO 'mysqlha_monitor'@'127.0.0.1'")
        admin.execute("GRANT ALL ON app.* TO 'mysqlha_monitor'@'127.0.0.1'")
    check, _output = run_module("monitor_user", admin_args(lab, host="127.0.0.1"), check=True)
    assert check["changed"] is True and any(s.startswith("REVOKE INSERT, SELECT ON *.*") for s in check["statements"])
    converged, _output = run_module("monitor_user", admin_args(lab, host="127.0.0.1"))
    assert converged["changed"] is True and "`app`.*" not in converged["grants"]
    assert sorted(converged["grants"]["*.*"]) == ["BINLOG MONITOR", "PROCESS", "SHOW DATABASES", "SLAVE MONITOR"]


def test_replication_only_monitor_cannot_read_account_tables(lab):
    result, _output = run_module("monitor_user", admin_args(lab, name="repl_only_monitor", host="127.0.0.1",
                                                            password=PASSWORD, collectors=["replication"]))
    assert set(result["grants"]) == {"*.*"}


def test_refuses_to_converge_its_own_login(lab):
    result, _output = run_module("monitor_user", admin_args(lab, name="mysqlha_admin", host="127.0.0.1"))
    assert result["failed"] is True and "logged in as" in result["msg"]


def test_creating_without_a_password_is_a_clear_error(lab):
    result, _output = run_module("monitor_user", admin_args(lab, name="nopass_monitor", host="127.0.0.1"))
    assert result["failed"] is True and "a password is needed" in result["msg"]


def test_require_tls_on_a_server_without_tls_is_refused_and_no_account_is_made(make_lab):
    plain = make_lab(replicas=0)                         # no certificate: have_ssl=DISABLED
    address = plain.node("primary").address
    for check in (True, False):
        result, _output = run_module("monitor_user", admin_args(plain, host="127.0.0.1", password=PASSWORD), check=check)
        assert result["failed"] is True, result
        assert f"{address} has no TLS (have_ssl=DISABLED)" in result["msg"] and "'mysqlha_monitor'@'127.0.0.1'" in result["msg"]
        assert "Configure TLS" in result["msg"] and "require_tls: false" in result["msg"]
    with plain.session("primary") as admin:
        assert admin.query("SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'mysqlha_monitor'")[0]["n"] == 0

    # Without the TLS requirement the account is made and logs in.
    result, _output = run_module("monitor_user", admin_args(plain, host="127.0.0.1", password=PASSWORD, require_tls=False))
    assert result["changed"] is True and "REQUIRE NONE" in result["statements"][0]
    base = resolve_params(plain.params(plain.node("primary")))
    with connect(base.replace(user="mysqlha_monitor", password=PASSWORD)) as monitor:
        assert monitor.query("SELECT CURRENT_USER() AS me")[0]["me"] == "mysqlha_monitor@127.0.0.1"


def test_making_an_existing_plain_account_require_tls_warns_that_plain_clients_are_refused(lab):
    with lab.session("primary") as admin:
        admin.execute("CREATE USER 'plain_monitor'@'127.0.0.1' IDENTIFIED BY %s", (PASSWORD,))
    result, _output = run_module("monitor_user", admin_args(lab, name="plain_monitor", host="127.0.0.1"))
    assert result["changed"] is True and "ALTER USER 'plain_monitor'@'127.0.0.1' REQUIRE SSL" in result["statements"]
    assert any("'plain_monitor'@'127.0.0.1' now requires TLS" in w for w in result.get("warnings", [])), result
