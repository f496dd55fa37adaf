"""hardening on real lab servers through ansible-playbook: check mode changes nothing,
apply fixes the findings, a second run changes nothing, and what it refuses."""
from __future__ import annotations

import os
import secrets
import time

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError

from lab_helpers import LabFactory, run_module, run_tasks

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


ALL_CONTROLS = ("anonymous_accounts", "remote_root", "test_database", "local_infile", "remote_accounts_tls",
                "require_secure_transport", "audit_log", "password_validation", "password_lifetime", "sql_mode_strict",
                "symbolic_links", "secure_file_priv")


def assert_reviewable_diff(lab, diffs, controls, output):
    """What a reviewer approves: values in the statements, no Python reprs, and "before" as the
    server shows it for every setting it has."""
    settings = run_module("security_facts", tls_args(lab))[0]["ansible_facts"]["mysql_security"]["settings"]
    shown = {d["before_header"].split(" ")[0]: d for d in diffs}
    assert {"symbolic_links", "secure_file_priv", "audit_log", "sql_mode_strict"} <= set(shown), sorted(shown)
    assert shown["symbolic_links"]["before"] == "have_symlink: %s\n" % settings["have_symlink"]
    assert shown["symbolic_links"]["after"] == "have_symlink: DISABLED\n"
    assert shown["secure_file_priv"]["before"] == "secure_file_priv: %s\n" % (settings["secure_file_priv"] or "'' (any directory)")
    assert "events: CONNECT,QUERY_DDL,QUERY_DCL" in shown["audit_log"]["after"]
    texts = [d["before"] + d["after"] for d in diffs]
    for bad in ("%s", "None", "{'", "['", "True", "False"):
        assert not any(bad in text for text in texts), (bad, [t for t in texts if bad in t])
    # The statements, with their values.
    statements = [s for r in controls.values() for s in r.get("statements") or ()]
    assert "SET GLOBAL server_audit_events = 'CONNECT,QUERY_DDL,QUERY_DCL'" in statements, statements
    assert not [s for s in statements if "%s" in s], statements
    assert "have_symlink: %s" % settings["have_symlink"] in output          # the diff ansible printed


def test_check_mode_then_apply_then_idempotent(lab):
    fragment = os.path.join(lab.base, "99-hardening.cnf")
    files = os.path.join(lab.base, "files")             # secure_file_priv must exist, or the server would not restart
    os.makedirs(files)
    managed = tls_args(lab, config_fragment=fragment, profile={"secure_file_priv": {"path": files}})
    before = failing_controls(lab)
    assert set(APPLIED_AT_RUNTIME) <= before

    task = {"name": "plan with a diff", "dbaops.mysql_ha.hardening": managed, "register": "result", "diff": True}
    check, output = run_tasks([task], check=True)
    assert check["changed"] is True and check["applied"] == []
    assert_reviewable_diff(lab, check["diff"], check["controls"], output)
    assert {c for c, r in check["controls"].items() if r["status"] == "changed"} >= set(APPLIED_AT_RUNTIME)
    assert failing_controls(lab) == before            # re-read: nothing changed
    assert not os.path.exists(fragment)

    applied, output = run_module("hardening", managed)
    assert applied["changed"] is True, applied
    assert set(APPLIED_AT_RUNTIME) <= set(applied["applied"])
    assert applied["needs_restart"] is True
    assert applied["controls"]["symbolic_links"]["status"] == "needs_restart"
    after = failing_controls(lab)
    assert not (after & set(APPLIED_AT_RUNTIME)), after
    text = open(fragment).read()
    assert "local_infile = 0" in text and "plugin_load_add = server_audit" in text and "require_secure_transport = ON" in text

    again, _output = run_module("hardening", managed)
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
    result, output = run_module("hardening", {"login_host": "127.0.0.1", "login_port": lab.node("primary").port,
                                              "config_file": lab.client_file}, check=True)
    assert result["failed"] is True and "no TLS" in result["msg"]
    # Every refusal at once, each with its ways out; the plan of the other controls comes with them.
    assert set(result["refused"]) == {"remote_accounts_tls", "require_secure_transport"}, result["msg"]
    assert "or set require_secure_transport: false" in result["msg"] and "or set remote_accounts_tls: false" in result["msg"]
    assert result["controls"]["require_secure_transport"]["status"] == "refused"
    assert result["controls"]["local_infile"]["status"] == "changed"
    assert "did not set no_log" not in output


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
    check, output = run_module("hardening", args, check=True)
    assert check["changed"] is True and check["applied"] == []
    assert any("would be set at runtime only" in w and "local_infile" in w for w in check.get("warnings", [])), check
    assert not any("were set at runtime" in w for w in check.get("warnings", []))
    assert "did not set no_log" not in output
    result, _output = run_module("hardening", args)
    assert result["changed"] is True
    assert any("were set at runtime only" in w and "restart will undo them" in w and "local_infile" in w
               for w in result.get("warnings", []))
    assert result["controls"]["symbolic_links"]["status"] == "skipped"
    again, _output = run_module("hardening", args)            # nothing set now: nothing announced
    assert again["changed"] is False and not any("runtime only" in w for w in again.get("warnings", [])), again


# ---- a server as mariadb-install-db leaves it: nobody is cut off by surprise ------------------------------------

def try_logins(lab, logins):
    """{name: 'ok' or the error} for each login: connect and run a statement (an expired
    password connects in sandbox mode and fails the statement with 1820)."""
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import ConnectionParams
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError

    node = lab.node("primary")
    outcome = {}
    for name, (user, password, via_socket) in logins.items():
        params = ConnectionParams(user=user, password=password, config_file="/dev/null", ssl_mode="disabled",
                                  connect_timeout=3, read_timeout=10,
                                  **({"unix_socket": node.socket} if via_socket else {"host": "127.0.0.1", "port": node.port}))
        try:
            with connect(params) as session:
                session.query("SELECT 1 AS one")
            outcome[name] = "ok"
        except MysqlhaError as exc:
            outcome[name] = "errno %s: %s" % (getattr(exc, "errno", None), exc)
    return outcome


def install_db_logins(lab):
    """Every login that works on a lab built with keep_install_accounts: the accounts
    mariadb-install-db made with empty passwords (root@::1 and root@<hostname> cannot be
    reached: the lab listens on 127.0.0.1 and skips name resolution), and the lab's own."""
    return {"root over the socket": ("root", "", True), "root@127.0.0.1": ("root", "", False),
            "mysqlha_admin": ("mysqlha_admin", lab.secret("admin"), False),
            "mysqlha_repl": ("mysqlha_repl", lab.secret("repl"), False)}


def install_db_args(lab, **extra):
    args = {"login_host": "127.0.0.1", "login_port": lab.node("primary").port, "config_file": lab.client_file,
            "profile": {"require_secure_transport": False}}
    args.update(extra)
    return args


def test_install_db_lab_keeps_the_root_accounts_with_empty_passwords_and_no_change_time(make_lab):
    lab = make_lab(replicas=0, keep_install_accounts=True)
    with lab.session("primary") as admin:
        rows = admin.query("SELECT User, Host, JSON_VALUE(Priv, '$.password_last_changed') AS changed "
                           "FROM mysql.global_priv WHERE User = 'root'")
    assert {r["Host"] for r in rows} >= {"localhost", "127.0.0.1", "::1"} and len(rows) == 4
    assert all(r["changed"] is None for r in rows)
    assert set(try_logins(lab, install_db_logins(lab)).values()) == {"ok"}


def test_default_profile_on_an_install_db_server_asks_for_the_opt_in_naming_the_accounts_and_cuts_off_nobody(make_lab):
    lab = make_lab(replicas=0, keep_install_accounts=True)
    logins = install_db_logins(lab)
    before = try_logins(lab, logins)
    assert set(before.values()) == {"ok"}, before
    with lab.session("primary") as admin:
        hostname = [r["Host"] for r in admin.query("SELECT Host FROM mysql.user WHERE User = 'root'")
                    if r["Host"] not in ("localhost", "127.0.0.1", "::1")][0]

    result, _output = run_module("hardening", install_db_args(lab))
    assert result["failed"] is True
    message = result["msg"]
    assert "control password_lifetime" in message and "allow_password_expiry: true" in message
    for account in ("'root'@'localhost'", "'root'@'127.0.0.1'", "'root'@'::1'"):
        assert account + " (no recorded password change)" in message, message
    assert "'root'@'%s'" % hostname not in message          # remote_root drops it; it is not "expired"
    assert "mysqlha_admin" not in message and "mysqlha_repl" not in message

    assert try_logins(lab, logins) == before
    with lab.session("primary") as admin:                   # refused before anything ran
        assert admin.query("SELECT @@default_password_lifetime AS v")[0]["v"] == 0
        assert admin.query("SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'root' AND Host = %s", (hostname,))[0]["n"] == 1


def test_default_profile_run_as_install_db_root_refuses_to_expire_its_own_login_even_with_the_opt_in(make_lab):
    lab = make_lab(replicas=0, keep_install_accounts=True)
    logins = install_db_logins(lab)
    before = try_logins(lab, logins)
    assert set(before.values()) == {"ok"}, before
    # The run: root@127.0.0.1 (empty password) applying the default profile.
    result, _output = run_module("hardening", install_db_args(lab, login_user="root", login_password="", config_file="/dev/null",
                                                              allow_password_expiry=True))
    assert result["failed"] is True
    assert "the account this task is logged in as, 'root'@'127.0.0.1'" in result["msg"], result["msg"]
    assert try_logins(lab, logins) == before


def test_default_profile_refuses_to_expire_a_service_account_even_with_the_opt_in(make_lab):
    lab = make_lab(replicas=0, keep_install_accounts=True)
    logins = install_db_logins(lab)
    before = try_logins(lab, logins)
    profile = {"require_secure_transport": False, "service_accounts": ["root@127.0.0.1"]}
    result, _output = run_module("hardening", install_db_args(lab, profile=profile, allow_password_expiry=True))
    assert result["failed"] is True
    assert "service account(s) 'root'@'127.0.0.1' (profile service_accounts)" in result["msg"], result["msg"]
    assert try_logins(lab, logins) == before


def test_with_the_opt_in_exactly_the_accounts_it_names_are_expired_and_every_other_login_still_works(make_lab):
    import getpass

    lab = make_lab(replicas=0, keep_install_accounts=True)
    password = secrets.token_urlsafe(12)
    me = getpass.getuser()
    with lab.session("primary") as admin:
        for name, extra in (("app_old", ""), ("app_new", ""), ("app_never", " PASSWORD EXPIRE NEVER")):
            admin.execute("CREATE USER %%s@'127.0.0.1' IDENTIFIED BY %%s%s" % extra, (name, password))
        # A password changed 400 days ago (app_never too: its own lifetime says never).
        admin.execute("UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.password_last_changed', UNIX_TIMESTAMP() - 400 * 86400) "
                      "WHERE User IN ('app_old', 'app_never')")
        # Debian's root: unix_socket, or a native password no one can match ('invalid'); no change time.
        # The server never expires a login that presents no password.
        if me == "root":
            admin.execute("ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket")
        else:
            admin.execute("CREATE USER %s@'localhost' IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket", (me,))
        admin.execute("UPDATE mysql.global_priv SET Priv = JSON_REMOVE(Priv, '$.password_last_changed') "
                      "WHERE User = %s AND Host = 'localhost'", (me,))
        admin.execute("FLUSH PRIVILEGES")
    logins = dict(install_db_logins(lab))
    logins.update({"root over the socket": (me, "", True), "app_old": ("app_old", password, False),
                   "app_new": ("app_new", password, False), "app_never": ("app_never", password, False)})
    before = try_logins(lab, logins)
    assert set(before.values()) == {"ok"}, before

    task = {"name": "harden with the opt-in", "dbaops.mysql_ha.hardening": install_db_args(lab, allow_password_expiry=True),
            "register": "result", "diff": True}
    result, output = run_tasks([task])
    expired = {"'root'@'127.0.0.1'", "'root'@'::1'", "'app_old'@'127.0.0.1'"}
    assert set(result["expired_accounts"]) == expired, result
    assert result["controls"]["password_lifetime"]["status"] == "changed"
    assert any("'app_old'@'127.0.0.1' (password changed 400 days ago)" in e for e in result["controls"]["password_lifetime"]["expires"])
    (diff,) = [d for d in result["diff"] if d["before_header"].startswith("password_lifetime")]
    assert all(account in diff["after"] for account in expired)
    assert "'app_old'@'127.0.0.1'" in output                # the warning names them too

    after = try_logins(lab, logins)
    cut_off = {name for name, state in after.items() if state != "ok"}
    assert cut_off == {"root@127.0.0.1", "app_old"}, after
    assert all("1820" in after[name] for name in cut_off)


# ---- the other controls: what they could cut off ------------------------------------------------------------------

def test_test_database_keeps_other_databases_starting_with_test_and_their_grants(make_lab):
    lab = make_lab(replicas=0)
    password = secrets.token_urlsafe(12)
    with lab.session("primary") as admin:
        admin.execute("CREATE DATABASE test")
        admin.execute("CREATE DATABASE testimonials")
        admin.execute("CREATE TABLE testimonials.quotes (id INT PRIMARY KEY)")
        admin.execute("CREATE USER 'web'@'127.0.0.1' IDENTIFIED BY %s", (password,))
        admin.execute("GRANT SELECT ON testimonials.* TO 'web'@'127.0.0.1'")
        # What mysql_install_db used to grant every account on the test databases.
        admin.execute("INSERT INTO mysql.db (Host, Db, User, Select_priv) VALUES ('%%', %s, '', 'Y')", ("test\\_%",))
        admin.execute("FLUSH PRIVILEGES")
    args = {"login_host": "127.0.0.1", "login_port": lab.node("primary").port, "config_file": lab.client_file,
            "profile": dict((c, c == "test_database") for c in ALL_CONTROLS)}
    result, _output = run_module("hardening", args)
    assert result["changed"] is True and result["applied"] == ["test_database"], result
    assert any("testimonials (grants in mysql.db)" in w for w in result.get("warnings", [])), result
    with lab.session("primary") as admin:
        schemas = {r["SCHEMA_NAME"] for r in admin.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")}
        assert "test" not in schemas and "testimonials" in schemas
        assert admin.query("SELECT Db FROM mysql.db WHERE Db LIKE %s", ("test%",)) == [{"Db": "testimonials"}]
    base = resolve_params(lab.params(lab.node("primary")))
    with connect(base.replace(user="web", password=password)) as web:     # the application still reads its data
        assert web.query("SELECT COUNT(*) AS n FROM testimonials.quotes")[0]["n"] == 0
    again, _output = run_module("hardening", args)
    assert again["changed"] is False, again


def test_a_test_database_with_tables_is_not_dropped(make_lab):
    lab = make_lab(replicas=0)
    with lab.session("primary") as admin:
        admin.execute("CREATE DATABASE test")
        admin.execute("CREATE TABLE test.orders (id INT PRIMARY KEY)")
    result, _output = run_module("hardening", {"login_host": "127.0.0.1", "login_port": lab.node("primary").port,
                                               "config_file": lab.client_file,
                                               "profile": {"require_secure_transport": False, "remote_accounts_tls": False}})
    assert result["failed"] is True
    assert "refusing to drop the `test` database: it holds 1 table(s) (orders)" in result["msg"], result["msg"]
    with lab.session("primary") as admin:
        assert admin.query("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test'")[0]["n"] == 1


def test_secure_file_priv_naming_a_missing_directory_is_refused_so_the_server_still_starts(make_lab, tmp_path):
    lab = make_lab(replicas=0)
    fragment = os.path.join(lab.base, "99-hardening.cnf")
    missing = str(tmp_path / "no-such-dir")
    result, _output = run_module("hardening", {"login_host": "127.0.0.1", "login_port": lab.node("primary").port,
                                               "config_file": lab.client_file, "config_fragment": fragment,
                                               "profile": {"require_secure_transport": False,
                                                           "secure_file_priv": {"path": missing}}})
    assert result["failed"] is True
    assert "control secure_file_priv: %s is not a directory on this host" % missing in result["msg"], result["msg"]
    assert not os.path.exists(fragment)


# ---- the role: the server's OS account owns its files; check mode on a fresh host shows the plan ------------------

def role_tasks(variables):
    """The role, then its module result as ``result``."""
    return [{"name": "the role under test", "ansible.builtin.include_role": {"name": "dbaops.mysql_ha.hardening"},
             "vars": variables},
            {"name": "its result", "ansible.builtin.set_fact": {"result": "{{ hardening_result }}"}}]


def role_vars(lab, work, **extra):
    variables = {"hardening_login_port": lab.node("primary").port, "hardening_login_config_file": lab.client_file,
                 "hardening_tls_generate_ca": True, "hardening_tls_dir": str(work / "tls"),
                 "hardening_tls_fragment": str(work / "98-tls.cnf"), "hardening_fragment": str(work / "99-hardening.cnf"),
                 "hardening_secure_file_priv_dir": str(work / "files"), "hardening_mysql_user": "nobody"}
    variables.update(extra)
    return variables


@pytest.mark.skipif(os.geteuid() != 0, reason="giving files to another account needs root")
def test_role_gives_the_tls_files_and_the_secure_file_priv_directory_to_the_servers_os_account(make_lab, tmp_path):
    import grp
    import pwd

    lab = make_lab(replicas=0, tls=True)
    variables = role_vars(lab, tmp_path, hardening_login_ssl_mode="verify_ca", hardening_login_ssl_ca=lab.topology["tls"]["ca"],
                          hardening_restart=False)
    result, output = run_tasks(role_tasks(variables))
    assert result["changed"] is True and "secure_file_priv" in result["fragment"]["content"], output[-3000:]
    nobody = pwd.getpwnam("nobody")
    owned = {"tls/ca.pem": 0o644, "tls/server-cert.pem": 0o644, "tls/server-key.pem": 0o600, "files": 0o750}
    for name, mode in owned.items():
        info = os.stat(tmp_path / name)
        assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (nobody.pw_uid, nobody.pw_gid, mode), \
            "%s: %s:%s %o" % (name, pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name, info.st_mode)
    assert os.stat(tmp_path / "tls" / "ca-key.pem").st_uid == 0            # the CA key is not the server's
    # The server is pointed at the directory the role made.
    assert "secure_file_priv = %s" % (tmp_path / "files") in result["fragment"]["content"]


def test_role_in_check_mode_on_a_fresh_host_shows_the_plan_and_changes_nothing(make_lab, tmp_path):
    lab = make_lab(replicas=0)                   # no TLS yet: the role would deploy it and restart the server
    with lab.session("primary") as admin:
        admin.execute("CREATE USER 'app'@'10.1.2.3' IDENTIFIED BY %s", (secrets.token_urlsafe(12),))
    variables = role_vars(lab, tmp_path, hardening_mysql_user=getpass_user(), hardening_restart_command="/bin/true")
    result, output = run_tasks(role_tasks(variables), check=True)
    assert not result.get("failed"), result.get("msg")
    statuses = {c: r["status"] for c, r in result["controls"].items()}
    assert statuses["require_secure_transport"] == statuses["remote_accounts_tls"] == "changed", statuses
    assert statuses["secure_file_priv"] == "needs_restart", statuses
    assert "the caller creates it before the restart" in result["controls"]["secure_file_priv"]["summary"]
    assert "tls_pending" in output and "did not set no_log" not in output
    assert not any(os.path.exists(tmp_path / name) for name in ("tls", "files", "98-tls.cnf", "99-hardening.cnf"))
    with lab.session("primary") as admin:
        assert admin.query("SELECT @@local_infile AS v")[0]["v"] == 1


def getpass_user():
    import getpass

    return getpass.getuser()
