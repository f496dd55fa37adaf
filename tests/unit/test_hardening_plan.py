"""The hardening planner (pure): what it plans, what it refuses, and the option-file fragment."""
from __future__ import annotations

import pytest

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


def context(tls=True, me=("admin", "localhost"), fragment=PERSISTED, flavor="mariadb"):
    return {"current_user": me, "tls": tls, "fragment": parse_fragment(fragment), "flavor": flavor}


def test_a_hardened_and_persisted_server_needs_nothing():
    assert plan_hardening(facts(), {}, context()) == []


def test_runtime_only_settings_are_planned_for_the_fragment_without_statements():
    actions = plan_hardening(facts(), {}, context(fragment=""))
    assert {a.control for a in actions} >= {"local_infile", "require_secure_transport", "audit_log"}
    assert all(not a.statements for a in actions)
    text = render_fragment("", actions)
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
