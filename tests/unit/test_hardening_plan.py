"""The hardening planner (pure): what it plans, what it refuses, and the option-file fragment."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import (
    HardeningError,
    parse_fragment,
    plan_hardening,
    render_fragment,
    validate_profile,
)


def facts(accounts=(), **changes):
    base = {
        "flavor": "mariadb",
        "accounts": [dict({"user": "root", "host": "localhost", "ssl_type": None, "locked": False, "is_role": False}, **a)
                     for a in accounts],
        "tls": {"enabled": True, "have_ssl": "YES", "require_secure_transport": True},
        "audit": {"plugin": "server_audit", "enabled": True, "events": ["CONNECT", "QUERY_DDL", "QUERY_DCL"],
                  "rotations": 9, "rotate_size": 104857600},
        "password_policy": {"validation": "simple_password_check", "default_lifetime_days": 365},
        "settings": {"local_infile": False, "sql_mode": "STRICT_ALL_TABLES", "have_symlink": "DISABLED",
                     "secure_file_priv": "/var/lib/mysql-files"},
        "test_databases": [],
    }
    base.update(changes)
    return base


PERSISTED = ("[mariadbd]\nplugin_load_add = server_audit\nplugin_load_add = simple_password_check\n"
             "server_audit = FORCE_PLUS_PERMANENT\nserver_audit_events = CONNECT,QUERY_DDL,QUERY_DCL\n"
             "server_audit_file_rotations = 9\nserver_audit_file_rotate_size = 104857600\nserver_audit_logging = ON\n"
             "local_infile = 0\nrequire_secure_transport = ON\ndefault_password_lifetime = 365\n"
             "sql_mode = STRICT_ALL_TABLES\n")

MARIADB = resolve(parse_version("10.11.19-MariaDB"))
MYSQL84 = resolve(parse_version("8.4.3"))


def context(tls=True, me=("admin", "localhost"), fragment=PERSISTED, flavor="mariadb"):
    return {"current_user": me, "tls": tls, "fragment": parse_fragment(fragment), "flavor": flavor}


def test_a_hardened_and_persisted_server_needs_nothing():
    assert plan_hardening(facts(), {}, context()) == []


def test_runtime_only_settings_are_planned_for_the_fragment_without_statements():
    actions = plan_hardening(facts(), {}, context(fragment=""))
    assert {a.control for a in actions} >= {"local_infile", "require_secure_transport", "audit_log"}
    assert all(not a.statements for a in actions)
    text = render_fragment("", actions, "mariadbd")
    assert parse_fragment(text)["plugin_load_add_all"] == ["server_audit", "simple_password_check"]
    assert plan_hardening(facts(), {}, context(fragment=text)) == []     # persisted once, then nothing


def test_sql_mode_order_does_not_matter():
    fragment = PERSISTED.replace("sql_mode = STRICT_ALL_TABLES", "sql_mode = NO_ENGINE_SUBSTITUTION,STRICT_ALL_TABLES")
    server = facts(settings=dict(facts()["settings"], sql_mode="STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"))
    assert plan_hardening(server, {}, context(fragment=fragment)) == []


def test_refuses_to_require_tls_over_a_plain_connection():
    server = facts(tls={"enabled": True, "have_ssl": "YES", "require_secure_transport": False})
    with pytest.raises(HardeningError, match="lock itself out"):
        plan_hardening(server, {}, context(tls=False))
    assert [a.control for a in plan_hardening(server, {}, context(tls=True))] == ["require_secure_transport"]


def test_refuses_to_drop_the_remote_root_it_is_logged_in_as():
    server = facts(accounts=[{"user": "root", "host": "%", "ssl_type": "ANY"}])
    with pytest.raises(HardeningError, match="the account this task is logged in as"):
        plan_hardening(server, {}, context(me=("root", "%")))
    (action,) = plan_hardening(server, {}, context(me=("admin", "localhost")))
    assert action.statements == [("DROP USER %s@%s", ("root", "%"))]


def test_requiring_tls_of_remote_accounts_needs_tls_on_the_server():
    server = facts(accounts=[{"user": "app", "host": "10.0.0.5"}],
                   tls={"enabled": False, "have_ssl": "DISABLED", "require_secure_transport": False})
    with pytest.raises(HardeningError, match="no TLS"):
        plan_hardening(server, {"require_secure_transport": False}, context())


def test_accounts_being_dropped_are_not_also_altered():
    server = facts(accounts=[{"user": "", "host": "10.0.0.5"}, {"user": "root", "host": "10.0.0.6"}])
    actions = plan_hardening(server, {}, context())
    assert [a.control for a in actions] == ["anonymous_accounts", "remote_root"]


def test_mysql_without_an_audit_plugin_is_a_clear_error():
    server = facts(flavor="mysql", audit={"plugin": None, "enabled": False})
    with pytest.raises(HardeningError, match="audit_log plugin of MySQL Enterprise or Percona"):
        plan_hardening(server, {}, context(flavor="mysql"))


def test_profile_validation_reports_every_problem_at_once():
    with pytest.raises(HardeningError) as info:
        validate_profile({"nope": True, "audit_log": {"events": ["CONNECT", "EVERYTHING"]}, "password_lifetime": {"days": 900}})
    message = str(info.value)
    assert "unknown control 'nope'" in message and "EVERYTHING" in message and "days must be 1..365" in message
    assert validate_profile({"local_infile": False})["local_infile"]["enabled"] is False


def test_mysql_8_persists_dynamic_settings_with_set_persist_not_the_fragment():
    policy = {"validation": "validate_password", "default_lifetime_days": 365}
    server = facts(flavor="mysql", settings=dict(facts()["settings"], local_infile=True),
                   audit={"plugin": "audit_log", "enabled": True}, password_policy=policy)
    mysql_context = dict(context(flavor="mysql", fragment=""), persist_with_sql=True)
    (action,) = plan_hardening(server, {}, mysql_context)
    assert action.control == "local_infile"
    assert action.statements == [("SET PERSIST local_infile = OFF", None)] and action.settings == {}


def test_a_failing_statement_names_what_was_applied_and_what_was_not():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import QueryError
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import Action, apply_plan

    class Session:
        executed = []

        def execute(self, sql, params=None):
            if "server_audit" in sql:
                raise QueryError("db1:3306", sql, 1126, "Can't open shared library 'server_audit.so'")
            self.executed.append(sql)

    actions = [Action("anonymous_accounts", "", [("DROP USER %s@%s", ("", "x"))]),
               Action("audit_log", "", [("INSTALL SONAME 'server_audit'", None)]),
               Action("password_lifetime", "", [("SET GLOBAL default_password_lifetime = %s", (365,))])]
    with pytest.raises(HardeningError) as info:
        apply_plan(Session(), actions)
    message = str(info.value)
    assert "control audit_log failed" in message and "server_audit.so" in message
    assert "Applied before it: anonymous_accounts" in message and "Not applied: password_lifetime" in message
    assert Session.executed == ["DROP USER %s@%s"]


# ---- password expiry: what a new default_password_lifetime does to accounts at once -------------------------

DAY = 86400
NOW = 1795323907


def mariadb_ages(*accounts):
    """mysql.global_priv rows as MariaDB 10.11 stores them (Priv JSON) + the server's clock."""
    import json

    rows = [{"User": user, "Host": host, "Priv": json.dumps(priv), "server_now": NOW} for user, host, priv in accounts]
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.expiry import parse_password_ages

    return parse_password_ages(rows, MARIADB)


NATIVE = {"plugin": "mysql_native_password", "authentication_string": "*B69027D44F6E5EDC07F1AEAD1477967B16F28227"}
# What mariadb-install-db (10.11) leaves, and what CREATE/ALTER USER write.
INSTALL_DB_ACCOUNTS = (
    ("mariadb.sys", "localhost", {"access": 0, "plugin": "mysql_native_password", "authentication_string": "",
                                  "account_locked": True, "password_last_changed": 0}),
    ("root", "127.0.0.1", {"access": 18446744073709551615}),                      # empty password, no change time
    ("root", "localhost", {"access": 18446744073709551615, "plugin": "mysql_native_password",
                           "authentication_string": "invalid", "auth_or": [{}, {"plugin": "unix_socket"}]}),
    ("app", "%", dict(NATIVE, password_last_changed=NOW - 400 * DAY)),
    ("fresh", "%", dict(NATIVE, password_last_changed=NOW - 10 * DAY)),
    ("never", "%", dict(NATIVE, password_last_changed=NOW - 900 * DAY, password_lifetime=0)),
    ("own", "%", dict(NATIVE, password_last_changed=NOW - 900 * DAY, password_lifetime=1000)),
    ("global", "%", dict(NATIVE, password_last_changed=NOW - 900 * DAY, password_lifetime=-1)),
    ("sock", "localhost", {"access": 0, "plugin": "unix_socket", "authentication_string": ""}),
    ("locked", "%", dict(NATIVE, account_locked=True)),
    ("expired", "%", dict(NATIVE, password_last_changed=0)),
    ("dba_role", "", {"access": 0, "is_role": True}),
)


def lifetime_server(current=0):
    return facts(password_policy={"validation": "simple_password_check", "default_lifetime_days": current})


def expiry_context(ages, me=("admin", "localhost"), allow=False):
    return dict(context(me=me), password_ages=ages, allow_password_expiry=allow)


def test_a_new_password_lifetime_without_the_opt_in_is_refused_naming_every_account_it_would_expire():
    ages = mariadb_ages(*INSTALL_DB_ACCOUNTS)
    with pytest.raises(HardeningError) as info:
        plan_hardening(lifetime_server(0), {}, expiry_context(ages))
    message = str(info.value)
    assert "allow_password_expiry" in message and "ERROR 1820" in message
    assert "'root'@'127.0.0.1' (no recorded password change)" in message
    assert "'app'@'%' (password changed 400 days ago)" in message
    assert "'global'@'%'" in message
    for safe in ("'fresh'@", "'never'@", "'own'@", "'sock'@", "'locked'@", "'expired'@", "'mariadb.sys'@", "'dba_role'@",
                 "'root'@'localhost'"):
        assert safe not in message, safe


def test_with_the_opt_in_the_accounts_it_expires_are_in_the_action_and_its_diff():
    ages = mariadb_ages(*INSTALL_DB_ACCOUNTS)
    (action,) = plan_hardening(lifetime_server(0), {}, expiry_context(ages, allow=True))
    assert action.control == "password_lifetime"
    assert action.statements == [("SET GLOBAL default_password_lifetime = %s", (365,))]
    assert [a["account"] for a in action.expires] == ["'root'@'127.0.0.1'", "'app'@'%'", "'global'@'%'"]
    assert "'root'@'127.0.0.1'" in action.after and action.describe()["expires"][0] == "'root'@'127.0.0.1'"


def test_a_lifetime_that_expires_its_own_login_is_refused_even_with_the_opt_in():
    ages = mariadb_ages(*INSTALL_DB_ACCOUNTS)
    with pytest.raises(HardeningError, match=r"the account this task is logged in as, 'root'@'127.0.0.1'"):
        plan_hardening(lifetime_server(0), {}, expiry_context(ages, me=("root", "127.0.0.1"), allow=True))


def test_a_lifetime_that_expires_a_service_account_is_refused_even_with_the_opt_in():
    ages = mariadb_ages(*INSTALL_DB_ACCOUNTS)
    profile = {"service_accounts": ["app@%", "fresh"]}
    with pytest.raises(HardeningError, match=r"service account\(s\) 'app'@'%' \(profile service_accounts\)"):
        plan_hardening(lifetime_server(0), profile, expiry_context(ages, allow=True))
    # A service account the lifetime does not expire is no obstacle.
    (action,) = plan_hardening(lifetime_server(0), {"service_accounts": ["fresh"]},
                               expiry_context(mariadb_ages(INSTALL_DB_ACCOUNTS[4]), allow=False))
    assert action.control == "password_lifetime" and action.expires == []


def test_lowering_the_lifetime_lists_only_the_accounts_it_newly_expires():
    ages = mariadb_ages(("old", "%", dict(NATIVE, password_last_changed=NOW - 400 * DAY)),
                        ("middle", "%", dict(NATIVE, password_last_changed=NOW - 200 * DAY)),
                        ("young", "%", dict(NATIVE, password_last_changed=NOW - 100 * DAY)))
    with pytest.raises(HardeningError) as info:
        plan_hardening(lifetime_server(365), {"password_lifetime": {"days": 180}}, expiry_context(ages))
    message = str(info.value)
    assert "1 account(s)" in message and "'middle'@'%'" in message      # 'old' is expired already
    assert "'old'" not in message and "'young'" not in message


def test_a_lifetime_that_expires_nobody_needs_no_opt_in():
    ages = mariadb_ages(INSTALL_DB_ACCOUNTS[0], INSTALL_DB_ACCOUNTS[4], INSTALL_DB_ACCOUNTS[8])
    (action,) = plan_hardening(lifetime_server(0), {}, expiry_context(ages))
    assert action.expires == [] and action.after == 365


def test_accounts_the_plan_drops_are_not_listed_as_expiring():
    ages = mariadb_ages(("root", "10.9.%", {"access": 1}))
    server = dict(lifetime_server(0), accounts=[{"user": "root", "host": "10.9.%", "ssl_type": None, "locked": False}])
    actions = plan_hardening(server, {}, expiry_context(ages))
    assert [a.control for a in actions] == ["remote_root", "password_lifetime"] and actions[1].expires == []


def test_a_lifetime_change_it_cannot_check_is_refused():
    with pytest.raises(HardeningError, match="cannot tell which accounts"):
        plan_hardening(lifetime_server(0), {}, expiry_context(None, allow=True))


# MySQL: mysql.user columns as the reference manual defines them (5.7.6+/8.x): password_expired ENUM('N','Y'),
# password_last_changed TIMESTAMP NULL, password_lifetime SMALLINT UNSIGNED NULL, account_locked ENUM('N','Y'),
# plugin; the two epochs the statement adds (UNIX_TIMESTAMP of the column and of now).
def mysql_row(user, host, plugin="caching_sha2_password", password_expired="N", last_changed_days=None,
              password_lifetime=None, account_locked="N"):
    import datetime

    when = None if last_changed_days is None else NOW - last_changed_days * DAY
    return {"User": user, "Host": host, "plugin": plugin, "password_expired": password_expired,
            "password_last_changed": None if when is None else datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=when),
            "password_lifetime": password_lifetime, "account_locked": account_locked,
            "password_last_changed_epoch": when, "server_now": NOW}


def test_mysql_user_rows_say_which_accounts_a_lifetime_expires():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.expiry import expiring_at_once, parse_password_ages

    assert "password_last_changed" in MYSQL84.password_ages_sql and "FROM mysql.user" in MYSQL84.password_ages_sql
    rows = [
        mysql_row("app", "10.0.1.%", last_changed_days=400),                                   # expires
        mysql_row("legacy", "%", plugin="mysql_native_password", last_changed_days=None),     # no change time: expires
        mysql_row("recent", "%", plugin="sha256_password", last_changed_days=30),
        mysql_row("forever", "%", last_changed_days=900, password_lifetime=0),                # PASSWORD EXPIRE NEVER
        mysql_row("own", "%", last_changed_days=900, password_lifetime=1000),                 # own interval
        mysql_row("root", "localhost", plugin="auth_socket"),                                 # no password, not expired
        mysql_row("expired", "%", password_expired="Y", last_changed_days=1),                 # expired already
        mysql_row("r_app", "%", account_locked="Y"),                                          # a role (locked)
        mysql_row("mysql.session", "localhost", last_changed_days=900, account_locked="Y"),
    ]
    ages = parse_password_ages(rows, MYSQL84)
    assert [a["account"] for a in expiring_at_once(ages, 0, 365)] == ["'app'@'10.0.1.%'", "'legacy'@'%'"]
    assert [a["account"] for a in expiring_at_once(ages, 365, 20)] == ["'recent'@'%'"]
    assert expiring_at_once(ages, 365, 365) == []


def test_mysql_8_set_persist_of_a_lifetime_gets_the_same_review():
    ages = parse_mysql([mysql_row("app", "%", last_changed_days=400)])
    policy = {"validation": "validate_password", "default_lifetime_days": 0}
    server = facts(flavor="mysql", audit={"plugin": "audit_log", "enabled": True}, password_policy=policy)
    mysql_context = dict(context(flavor="mysql", fragment=""), persist_with_sql=True, password_ages=ages)
    with pytest.raises(HardeningError, match=r"'app'@'%' \(password changed 400 days ago\)"):
        plan_hardening(server, {}, mysql_context)
    (action,) = plan_hardening(server, {}, dict(mysql_context, allow_password_expiry=True))
    assert action.statements == [("SET PERSIST default_password_lifetime = %s", (365,))]
    assert [a["account"] for a in action.expires] == ["'app'@'%'"]


def parse_mysql(rows):
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.expiry import parse_password_ages

    return parse_password_ages(rows, MYSQL84)


# ---- service accounts: never cut off ------------------------------------------------------------------------

def test_service_accounts_are_validated_and_every_bad_entry_named():
    assert validate_profile({"service_accounts": ["app@%", "'repl'@'10.0.1.%'", "`mon`@`h`", "agent"]})[
        "service_accounts"] == [("app", "%"), ("repl", "10.0.1.%"), ("mon", "h"), ("agent", None)]
    with pytest.raises(HardeningError) as info:
        validate_profile({"service_accounts": ["ok@h", "", "@h", "x@", 7]})
    message = str(info.value)
    assert "'' is not an account name" in message and "'@h'" in message and "'x@'" in message and "7 is not" in message
    with pytest.raises(HardeningError, match="expected a list"):
        validate_profile({"service_accounts": "app@%"})


def test_a_service_account_is_never_dropped_as_remote_root_or_anonymous():
    server = facts(accounts=[{"user": "root", "host": "10.0.0.%"}, {"user": "", "host": "10.0.0.9"}])
    with pytest.raises(HardeningError, match=r"refusing to drop service account\(s\) 'root'@'10.0.0.%'"):
        plan_hardening(server, {"service_accounts": ["root@10.0.0.%"]}, context())
    with pytest.raises(HardeningError, match=r"control anonymous_accounts: refusing to drop service account\(s\) ''@'10.0.0.9'"):
        plan_hardening(server, {"service_accounts": ["''@'10.0.0.9'"], "remote_root": False}, context())


def test_tls_is_never_required_of_a_service_account_that_does_not_require_it_already():
    server = facts(accounts=[{"user": "app", "host": "10.0.1.%"}, {"user": "other", "host": "10.0.1.%"}],
                   tls={"enabled": True, "have_ssl": "YES", "require_secure_transport": False})
    profile = {"service_accounts": ["app"]}
    with pytest.raises(HardeningError, match=r"remote_accounts_tls: refusing to REQUIRE SSL for service account\(s\) 'app'@'10.0.1.%'"):
        plan_hardening(server, profile, context())
    with pytest.raises(HardeningError, match=r"require_secure_transport: refusing .* 'app'@'10.0.1.%'"):
        plan_hardening(server, dict(profile, remote_accounts_tls=False), context())
    # Once it requires TLS itself, its clients use TLS: nothing to protect.
    server["accounts"][0]["ssl_type"] = "ANY"
    assert {a.control for a in plan_hardening(server, profile, context())} == {"remote_accounts_tls", "require_secure_transport"}


# ---- test_database and secure_file_priv: what they could cut off --------------------------------------------

def test_test_database_removes_test_and_the_install_time_grants_only():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import test_database_scope

    present = ["test", "test_app", "test\\_% (grants in mysql.db)", "testimonials (grants in mysql.db)"]
    (action,) = plan_hardening(facts(test_databases=present), {}, dict(context(), test_tables=[]))
    assert action.statements == [("DROP DATABASE IF EXISTS `test`", None),
                                 ("DELETE FROM mysql.db WHERE Db IN (%s, %s)", ("test", "test\\_%")),
                                 ("FLUSH PRIVILEGES", None)]
    assert action.before == ["test", "test\\_% (grants in mysql.db)"]
    assert test_database_scope(present)[2] == ["test_app", "testimonials (grants in mysql.db)"]
    # Only an application's look-alikes left: nothing to do.
    assert plan_hardening(facts(test_databases=["test_app", "testimonials (grants in mysql.db)"]), {}, context()) == []
    # The install-time grants without the schema are still removed.
    (grants_only,) = plan_hardening(facts(test_databases=["test\\_% (grants in mysql.db)"]), {}, context())
    assert [sql for sql, _p in grants_only.statements] == ["DELETE FROM mysql.db WHERE Db IN (%s, %s)", "FLUSH PRIVILEGES"]


def test_a_test_database_holding_tables_or_unchecked_is_not_dropped():
    with pytest.raises(HardeningError, match=r"it holds 2 table\(s\) \(invoices, orders\)"):
        plan_hardening(facts(test_databases=["test"]), {}, dict(context(), test_tables=["orders", "invoices"]))
    with pytest.raises(HardeningError, match="cannot tell whether the `test` database holds tables"):
        plan_hardening(facts(test_databases=["test"]), {}, context())


def test_secure_file_priv_must_name_a_directory_that_exists_when_the_option_file_is_managed():
    server = facts(settings=dict(facts()["settings"], secure_file_priv=""))
    with pytest.raises(HardeningError, match="/var/lib/mysql-files is not a directory on this host"):
        plan_hardening(server, {}, dict(context(), is_dir=lambda path: False))
    (action,) = plan_hardening(server, {}, dict(context(), is_dir=lambda path: path == "/var/lib/mysql-files"))
    assert action.control == "secure_file_priv" and action.restart is True


# ---- refusals: every one named at once, each with its ways out ----------------------------------------------

def test_a_fresh_server_without_tls_gets_every_refusal_at_once_each_naming_the_profile_way_out():
    server = facts(accounts=[{"user": "app", "host": "10.0.0.5"}],
                   tls={"enabled": False, "have_ssl": "DISABLED", "require_secure_transport": False},
                   settings=dict(facts()["settings"], secure_file_priv="", local_infile=True))
    with pytest.raises(HardeningError) as info:
        plan_hardening(server, {}, dict(context(tls=False), is_dir=lambda path: False))
    message = str(info.value)
    assert message.startswith("3 controls refused, nothing was changed: (1) control remote_accounts_tls")
    for way_out in ("Deploy certificates first (role dbaops.mysql_ha.hardening", "or set remote_accounts_tls: false",
                    "or set require_secure_transport: false", "secure_file_priv_managed: true", "or set secure_file_priv: false"):
        assert way_out in message, way_out
    assert set(info.value.refused) == {"remote_accounts_tls", "require_secure_transport", "secure_file_priv"}
    # The plan of the other controls comes with the refusal, so check mode still shows it.
    assert [a.control for a in info.value.actions] == ["local_infile"]


@pytest.mark.parametrize("server,profile,ctx,way_out", [
    (facts(tls={"enabled": True, "have_ssl": "YES", "require_secure_transport": False}), {}, context(tls=False),
     "use ssl_mode=required or better, or set require_secure_transport: false"),
    (facts(accounts=[{"user": "root", "host": "%", "ssl_type": "ANY"}]), {}, context(me=("root", "%")),
     "run it as a local admin account, or set remote_root: false"),
    (facts(accounts=[{"user": "", "host": "h"}]), {"service_accounts": ["''@'h'"]}, context(),
     "Take them out of service_accounts if nothing logs in with them, or set anonymous_accounts: false"),
    (dict(facts(), accounts=None), {}, context(), "or set anonymous_accounts: false, remote_root: false, remote_accounts_tls: false"),
    (facts(test_databases=None), {}, context(), "or set test_database: false"),
    (facts(flavor="mysql", audit={"plugin": None}), {}, context(flavor="mysql"), "Install one, or set audit_log: false"),
    (lifetime_server(0), {}, expiry_context(None), "or set password_lifetime: false"),
    (lifetime_server(0), {}, expiry_context(mariadb_ages(*INSTALL_DB_ACCOUNTS)), "or set password_lifetime: false"),
])
def test_every_refusal_names_the_profile_entry_that_switches_its_control_off(server, profile, ctx, way_out):
    with pytest.raises(HardeningError) as info:
        plan_hardening(server, profile, ctx)
    assert way_out in str(info.value)


def test_tls_pending_plans_the_tls_controls_with_the_tls_the_caller_deploys():
    server = facts(accounts=[{"user": "app", "host": "10.0.0.5"}],
                   tls={"enabled": False, "have_ssl": "DISABLED", "require_secure_transport": False})
    actions = plan_hardening(server, {}, dict(context(tls=True), tls_pending=True))
    assert [a.control for a in actions] == ["remote_accounts_tls", "require_secure_transport"]
    assert all("assuming the TLS the caller deploys" in a.summary for a in actions)
    with pytest.raises(HardeningError, match="lock itself out"):     # the login itself would still be plain
        plan_hardening(server, {"remote_accounts_tls": False}, dict(context(tls=False), tls_pending=True))


def test_a_secure_file_priv_directory_the_caller_creates_is_planned_not_refused():
    server = facts(settings=dict(facts()["settings"], secure_file_priv=""))
    (action,) = plan_hardening(server, {}, dict(context(), is_dir=lambda path: False, secure_file_priv_managed=True))
    assert action.control == "secure_file_priv" and action.settings == {"secure_file_priv": "/var/lib/mysql-files"}
    assert "the caller creates it before the restart" in action.summary


def test_every_control_may_be_switched_off_even_those_only_a_dba_can_apply():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import CONTROLS

    profile = {c.id: False for c in CONTROLS}
    effective = validate_profile(profile)
    assert all(not v["enabled"] for k, v in effective.items() if k != "service_accounts")
    with pytest.raises(HardeningError, match="tls_versions cannot be applied automatically"):
        validate_profile({"tls_versions": True})


def test_the_plan_changes_exactly_the_accounts_security_facts_reports_for_each_account_control():
    """One check per control: the accounts a finding names are the accounts hardening changes,
    for roles, locked accounts, local hosts and the same account failing two controls."""
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import evaluate_controls

    accounts = [{"user": "", "host": "localhost"}, {"user": "", "host": "db1"},
                {"user": "root", "host": "%"}, {"user": "root", "host": "::1"}, {"user": "root", "host": "10.0.0.9"},
                {"user": "app", "host": "10.0.0.%"}, {"user": "app", "host": "127.0.0.1"},
                {"user": "old", "host": "%", "locked": True}, {"user": "tls", "host": "%", "ssl_type": "ANY"},
                {"user": "reporting", "host": "%", "is_role": True}, {"user": "", "host": "role", "is_role": True}]
    server = facts(accounts)
    results, _findings = evaluate_controls(server)
    actions = {a.control: a for a in plan_hardening(server, {}, context(me=("admin", "localhost")))}

    def named(control):
        evidence = results[control]["evidence"]
        return sorted(evidence.split(": ", 1)[1].split(", ")) if results[control]["status"] == "fail" else []

    def changed(control):
        action = actions.get(control)
        return sorted("'%s'@'%s'" % params for _sql, params in action.statements) if action else []

    assert named("anonymous_accounts") == changed("anonymous_accounts") == ["''@'db1'", "''@'localhost'"]
    assert named("remote_root") == changed("remote_root") == ["'root'@'%'", "'root'@'10.0.0.9'"]
    # remote_accounts_tls leaves out what remote_root drops in the same run.
    assert changed("remote_accounts_tls") == ["'app'@'10.0.0.%'"]
    assert named("remote_accounts_tls") == ["''@'db1'", "'app'@'10.0.0.%'", "'root'@'%'", "'root'@'10.0.0.9'"]
