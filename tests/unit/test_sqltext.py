"""Statements shown to a reviewer (check mode, diffs, results): values in place, passwords never."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import Action
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.sqltext import statement_text


def test_values_appear_as_sql_literals():
    assert statement_text("SET GLOBAL server_audit_events = %s", ("CONNECT,QUERY_DDL",)) == \
        "SET GLOBAL server_audit_events = 'CONNECT,QUERY_DDL'"
    assert statement_text("SET GLOBAL default_password_lifetime = %s", (365,)) == "SET GLOBAL default_password_lifetime = 365"
    assert statement_text("DROP USER %s@%s", ("o'brien", "10.%")) == "DROP USER 'o\\'brien'@'10.%'"
    assert statement_text("DELETE FROM mysql.db WHERE Db IN (%s, %s)", ("test", "test\\_%")) == \
        "DELETE FROM mysql.db WHERE Db IN ('test', 'test\\\\_%')"
    assert statement_text("FLUSH PRIVILEGES", None) == "FLUSH PRIVILEGES"
    assert statement_text("SELECT 100%% AS x WHERE a = %s", ("b",)) == "SELECT 100% AS x WHERE a = 'b'"


def test_a_hardening_plan_describes_its_statements_with_their_values():
    action = Action("password_lifetime", "x", [("SET GLOBAL default_password_lifetime = %s", (365,))])
    assert action.describe()["statements"] == ["SET GLOBAL default_password_lifetime = 365"]


@given(st.text(min_size=1), st.sampled_from([
    "ALTER USER %s@%s IDENTIFIED BY %s",
    "CREATE USER %s@%s IDENTIFIED WITH mysql_native_password BY %s REQUIRE SSL",
    "CREATE USER %s@%s IDENTIFIED VIA ed25519 USING PASSWORD(%s)",
    "SET PASSWORD FOR %s@%s = PASSWORD(%s)",
    "CHANGE MASTER TO MASTER_USER = %s, MASTER_HOST = %s, MASTER_PASSWORD = %s",
]))
def test_a_password_never_appears_whatever_it_is(password, sql):
    shown = statement_text(sql, ("monitor", "10.0.0.1", password))
    assert shown == sql.replace("%s", "'monitor'", 1).replace("%s", "'10.0.0.1'", 1).replace("%s", "'***'", 1)
