"""Monitoring-account grants (pure): parsing SHOW GRANTS of both flavours and planning the change."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.monitor_account import (
    desired_grants,
    parse_grants,
    plan_monitor,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import HardeningError

MARIADB = resolve(parse_version("10.11.19-MariaDB"))
MYSQL84 = resolve(parse_version("8.4.3"))


def test_mariadb_grants_per_collector():
    assert desired_grants(MARIADB, ["replication"]) == {"*.*": {"SLAVE MONITOR", "BINLOG MONITOR", "PROCESS"}}
    both = desired_grants(MARIADB, ["replication", "security"], heartbeat_table="percona.heartbeat")
    assert both["*.*"] == {"SLAVE MONITOR", "BINLOG MONITOR", "PROCESS", "SHOW DATABASES"}
    assert both["`mysql`.`global_priv`"] == {"SELECT"} and both["`percona`.`heartbeat`"] == {"SELECT"}


def test_mysql_grants_per_collector():
    grants = desired_grants(MYSQL84, ["replication", "security"])
    assert grants["*.*"] == {"REPLICATION CLIENT", "PROCESS", "SHOW DATABASES"}
    assert grants["`performance_schema`.*"] == {"SELECT"} and grants["`mysql`.`global_grants`"] == {"SELECT"}


def test_bad_collector_or_heartbeat_table_is_refused():
    with pytest.raises(HardeningError, match="unknown collectors"):
        desired_grants(MARIADB, ["everything"])
    with pytest.raises(HardeningError, match="heartbeat_table"):
        desired_grants(MARIADB, ["replication"], heartbeat_table="a.b; DROP")


def test_show_grants_lines_of_both_flavours():
    mariadb = parse_grants([
        "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `m`@`10.%` IDENTIFIED BY PASSWORD '*ABC' REQUIRE SSL",
        "GRANT SELECT (`User`, `Host`), INSERT ON `mysql`.`user` TO `m`@`10.%` WITH GRANT OPTION",
        "GRANT `dba_role` TO `m`@`10.%`",
    ], MARIADB)
    assert mariadb == {"*.*": {"PROCESS", "BINLOG MONITOR", "SLAVE MONITOR"},
                       "`mysql`.`user`": {"SELECT (`User`, `Host`)", "INSERT", "GRANT OPTION"}}
    mysql = parse_grants(["GRANT USAGE ON *.* TO `m`@`%`", "GRANT ALL ON `app`.* TO `m`@`%`",
                          "GRANT REPLICATION CLIENT, PROCESS ON *.* TO `m`@`%`"], MYSQL84)
    assert mysql == {"`app`.*": {"ALL PRIVILEGES"}, "*.*": {"REPLICATION CLIENT", "PROCESS"}}


def test_plan_creates_with_tls_and_limit_and_binds_user_host_password():
    desired = {"*.*": {"PROCESS"}}
    statements = plan_monitor(None, desired, "mon", "10.0.9.%", password="pw", max_user_connections=3)
    assert statements[0] == ("CREATE USER %s@%s IDENTIFIED BY %s REQUIRE SSL WITH MAX_USER_CONNECTIONS 3", ("mon", "10.0.9.%", "pw"))
    assert statements[1] == ("GRANT PROCESS ON *.* TO %s@%s", ("mon", "10.0.9.%"))
    with pytest.raises(HardeningError, match="a password is needed"):
        plan_monitor(None, desired, "mon", "h")


def test_plan_revokes_extras_adds_missing_and_fixes_tls_and_limit():
    current = {"grants": {"*.*": {"PROCESS", "SUPER"}, "`app`.*": {"ALL PRIVILEGES", "GRANT OPTION"}},
               "require": "NONE", "max_user_connections": 0}
    statements = [sql for sql, _args in plan_monitor(current, {"*.*": {"PROCESS", "SLAVE MONITOR"}}, "m", "h")]
    assert statements == ["REVOKE SUPER ON *.* FROM %s@%s",
                          "REVOKE ALL PRIVILEGES, GRANT OPTION ON `app`.* FROM %s@%s",
                          "GRANT SLAVE MONITOR ON *.* TO %s@%s",
                          "ALTER USER %s@%s REQUIRE SSL",
                          "ALTER USER %s@%s WITH MAX_USER_CONNECTIONS 5"]
    converged = {"grants": {"*.*": {"PROCESS", "SLAVE MONITOR"}}, "require": "ANY", "max_user_connections": 5}
    assert plan_monitor(converged, {"*.*": {"PROCESS", "SLAVE MONITOR"}}, "m", "h") == []


# ---- require_tls on a server without TLS: an account that could never log in -----------------------------------

def variables(**values):
    return [{"Variable_name": name, "Value": value} for name, value in values.items()]


def test_server_tls_from_have_ssl_of_mariadb_and_mysql_up_to_8_0():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.monitor_account import server_tls

    assert server_tls(variables(have_ssl="YES", have_openssl="YES")) == (True, "have_ssl=YES")
    assert server_tls(variables(have_ssl="DISABLED")) == (False, "have_ssl=DISABLED")   # no usable certificate
    assert server_tls(variables(have_openssl="NO")) == (False, "have_ssl=NO")
    assert server_tls(variables(have_ssl="DISABLED"), connection_tls=True)[0] is True    # this very login uses TLS
    assert server_tls([])[0] is None


def test_server_tls_on_mysql_8_4_reads_tls_channel_status():
    """MySQL 8.4 removed have_ssl; performance_schema.tls_channel_status (CHANNEL, PROPERTY, VALUE) remains."""
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.monitor_account import TLS_CHANNEL_SQL, read_server_tls

    class Session:
        tls = None
        executed = []

        def __init__(self, value):
            self.value = value

        def query(self, sql, args=None):
            self.executed.append(sql)
            if sql == TLS_CHANNEL_SQL:
                return [{"CHANNEL": "mysql_main", "PROPERTY": "Enabled", "VALUE": self.value}]
            return []                                      # SHOW GLOBAL VARIABLES: have_ssl is gone

    assert read_server_tls(Session("Yes"), MYSQL84) == (True, "tls_channel_status mysql_main Enabled=Yes")
    assert read_server_tls(Session("No"), MYSQL84)[0] is False
    assert Session.executed[-1] == TLS_CHANNEL_SQL


def test_require_tls_without_tls_on_the_server_is_refused_naming_the_host_and_the_ways_out():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.monitor_account import refuse_tls_without_server_tls

    with pytest.raises(HardeningError) as info:
        refuse_tls_without_server_tls(True, (False, "have_ssl=DISABLED"), "mon", "10.0.9.%", "db1:3306")
    message = str(info.value)
    assert "'mon'@'10.0.9.%'" in message and "db1:3306 has no TLS (have_ssl=DISABLED)" in message
    assert "Configure TLS" in message and "require_tls: false" in message
    assert "monitor_user_require_tls: false" in message      # what a user of the role sets
    refuse_tls_without_server_tls(False, (False, "have_ssl=DISABLED"), "mon", "h", "db1:3306")   # plain account: fine
    refuse_tls_without_server_tls(True, (None, "unknown"), "mon", "h", "db1:3306")              # unknown: a warning
