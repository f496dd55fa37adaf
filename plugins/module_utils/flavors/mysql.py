# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MySQL 5.7 / 8.0 / 8.4 (and Percona Server) statements and names.

SHOW SLAVE STATUS became SHOW REPLICA STATUS in 8.0.22 (columns renamed
Source_*/Replica_*), SHOW SLAVE HOSTS became SHOW REPLICAS in 8.0.22, and
SHOW MASTER STATUS became SHOW BINARY LOG STATUS in 8.2 (removed in 8.4).
Semi-sync variables are rpl_semi_sync_source_* with the 8.0.26+ plugin.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import as_bool, as_text
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import (
    COMMON_STATUS,
    COMMON_VARIABLES,
    PRIVILEGE_COLUMNS,
    Dialect,
    decoded,
    exact_int,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.gtid import GtidSet

PRIVILEGE_SELECT = ", ".join(column for column, _name in PRIVILEGE_COLUMNS)

TESTED = ((5, 7), (8, 0), (8, 4))

# MySQL: "password expiration applies only to accounts that use a built-in authentication plugin".
_BUILT_IN = frozenset(["mysql_native_password", "sha256_password", "caching_sha2_password"])


class Mysql57Dialect(Dialect):
    """MySQL 5.7 and 8.0.0-8.0.21 (and Percona Server of those versions)."""

    flavor = "mysql"
    gtid_type = GtidSet
    replica_status_sql = "SHOW SLAVE STATUS"
    binlog_status_sql = "SHOW MASTER STATUS"
    replica_hosts_sql = "SHOW SLAVE HOSTS"
    variables = COMMON_VARIABLES + (
        "server_uuid", "super_read_only", "gtid_mode", "enforce_gtid_consistency", "gtid_executed",
        "gtid_purged", "log_replica_updates", "replica_net_timeout", "rpl_semi_sync_source_enabled",
        "rpl_semi_sync_replica_enabled", "rpl_semi_sync_source_timeout", "rpl_semi_sync_source_wait_point",
        "rpl_semi_sync_master_wait_for_slave_count", "rpl_semi_sync_source_wait_for_replica_count",
        "group_replication_group_name", "group_replication_single_primary_mode",
    )
    status_names = COMMON_STATUS + ("Replica_open_temp_tables",)
    accounts_sql = (
        "SELECT User AS user, Host AS host, plugin, authentication_string = '' AS no_password, ssl_type, "
        "account_locked = 'Y' AS locked, max_user_connections, " + PRIVILEGE_SELECT + " FROM mysql.user"
    )
    # password_expired (N/Y), password_last_changed (NULL = never recorded), password_lifetime
    # (NULL = the global, 0 = never), account_locked (N/Y), plugin.
    password_ages_sql = (
        "SELECT User, Host, plugin, password_expired, password_last_changed, password_lifetime, account_locked, "
        "UNIX_TIMESTAMP(password_last_changed) AS password_last_changed_epoch, UNIX_TIMESTAMP() AS server_now "
        "FROM mysql.user")
    privileges = {
        "accounts": "SELECT ON mysql.user",
        "test_db_grants": "SELECT ON mysql.db",
        "global_grants": "SELECT ON mysql.global_grants",
        "replica_status": "REPLICATION CLIENT",
        "binlog_status": "REPLICATION CLIENT",
        "replica_hosts": "REPLICATION SLAVE",
        "dump_threads": "PROCESS",
        "ps_connection_status": "SELECT ON performance_schema.*",
        "ps_applier_workers": "SELECT ON performance_schema.*",
        "ps_group_members": "SELECT ON performance_schema.*",
    }

    def extra_replication_statements(self):
        return (self.statement("ps_connection_status", "SELECT * FROM performance_schema.replication_connection_status"),
                self.statement("ps_applier_workers", "SELECT * FROM performance_schema.replication_applier_status_by_worker"),
                self.statement("ps_group_members", "SELECT * FROM performance_schema.replication_group_members"))

    def monitor_grants(self, collectors):
        """{object: privileges} the collectors' statements need (see docs/privileges.md)."""
        grants = {}
        if "replication" in collectors:
            grants["*.*"] = {"REPLICATION CLIENT", "PROCESS"}
            grants["`performance_schema`.*"] = {"SELECT"}
        if "security" in collectors:
            grants.setdefault("*.*", set()).add("SHOW DATABASES")
            for table in ("`mysql`.`user`", "`mysql`.`db`") + self.extra_account_tables:
                grants[table] = {"SELECT"}
        return grants

    extra_account_tables = ()  # type: tuple

    def canonical_privilege(self, name):
        if name == "BINLOG MONITOR":
            return "REPLICATION CLIENT"
        return "ALL PRIVILEGES" if name == "ALL" else name

    def using_gtid(self, row):
        return "auto_position" if as_bool(row.get("auto_position")) else "no"

    def gtid_executed_from(self, variables):
        return variables.get("gtid_executed") or ""

    def gtid_facts(self, variables):
        executed, error = self.normalised_executed(variables)
        return {
            "mode": as_text(variables.get("gtid_mode")) or "OFF",
            "executed": executed,
            "purged": (as_text(variables.get("gtid_purged")) or "").replace("\n", ""),
            "binlog_pos": None,
            "current_pos": None,
            "slave_pos": None,
            "strict_mode": None,
            "domain_id": None,
            "enforce_consistency": as_text(variables.get("enforce_gtid_consistency")),
        }, error

    @classmethod
    def password_validation(cls, active, persisted):
        if active:
            return None
        # A component is registered in mysql.component: it survives restarts by itself.
        return [("INSTALL COMPONENT 'file://component_validate_password'", None)], {}, "validate_password"

    def reads_tls_channel_status(self):
        return True

    def password_account(self, row):
        plugin = decoded(row["plugin"]) or ""
        return {
            "user": decoded(row["User"]), "host": decoded(row["Host"]), "plugins": [plugin],
            "uses_password": plugin in _BUILT_IN,
            "last_changed": exact_int(row.get("password_last_changed_epoch")) if row.get("password_last_changed") is not None
            else None,
            "lifetime": exact_int(row["password_lifetime"]),
            "expired": (decoded(row["password_expired"]) or "N").upper() == "Y",
            # MySQL 8 roles are locked accounts without a password.
            "locked": (decoded(row.get("account_locked")) or "N").upper() == "Y",
            "is_role": False,
        }


class Mysql80Dialect(Mysql57Dialect):
    """MySQL 8.0.0-8.0.21: dynamic privileges (SYSTEM_VARIABLES_ADMIN, ...) live in mysql.global_grants; SET PERSIST."""

    persists_with_sql = True
    extra_account_tables = ("`mysql`.`global_grants`",)

    def extra_security_statements(self):
        return (self.statement("global_grants", "SELECT USER, HOST, PRIV FROM mysql.global_grants"),)


class Mysql8022Dialect(Mysql80Dialect):
    """MySQL 8.0.22-8.1: SHOW REPLICA STATUS (Source_*/Replica_* columns) and SHOW REPLICAS."""

    replica_status_sql = "SHOW REPLICA STATUS"
    replica_hosts_sql = "SHOW REPLICAS"


class Mysql82Dialect(Mysql8022Dialect):
    """MySQL 8.2+: SHOW BINARY LOG STATUS (SHOW MASTER STATUS was removed in 8.4)."""

    binlog_status_sql = "SHOW BINARY LOG STATUS"


# The family's traits (what facts alone need) are those of every version.
MysqlDialect = Mysql57Dialect
# (first version, dialect), newest first.
RANGES = (((8, 2, 0), Mysql82Dialect), ((8, 0, 22), Mysql8022Dialect), ((8, 0, 0), Mysql80Dialect),
          ((0, 0, 0), Mysql57Dialect))


def dialect_for(version):
    for first, dialect in RANGES:
        if version.tuple >= first:
            return dialect(version, _warnings(version))
    raise AssertionError("RANGES ends with (0, 0, 0)")


def _warnings(version):
    if version.tuple[:2] < (5, 7):
        return ["MySQL %s is older than 5.7, the oldest version this collection supports; "
                "facts are gathered best-effort" % version.text]
    if version.tuple[:2] > TESTED[-1]:
        return ["MySQL %s is newer than the versions this collection was tested with; "
                "using MySQL 8.4 statements" % version.text]
    return []
