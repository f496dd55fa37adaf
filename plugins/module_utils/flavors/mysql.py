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

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import (
    COMMON_STATUS,
    COMMON_VARIABLES,
    PRIVILEGE_COLUMNS,
    Dialect,
)

PRIVILEGE_SELECT = ", ".join(column for column, _name in PRIVILEGE_COLUMNS)
# MySQL 8 dynamic privileges (SYSTEM_VARIABLES_ADMIN, ...) live outside mysql.user.
GLOBAL_GRANTS_SQL = "SELECT USER, HOST, PRIV FROM mysql.global_grants"

TESTED = ((5, 7), (8, 0), (8, 4))

PS_CONNECTION_STATUS_SQL = "SELECT * FROM performance_schema.replication_connection_status"
PS_APPLIER_WORKERS_SQL = "SELECT * FROM performance_schema.replication_applier_status_by_worker"
PS_GROUP_MEMBERS_SQL = "SELECT * FROM performance_schema.replication_group_members"


class MysqlDialect(Dialect):
    flavor = "mysql"
    replica_status_sql = "SHOW SLAVE STATUS"
    binlog_status_sql = "SHOW MASTER STATUS"
    replica_hosts_sql = "SHOW SLAVE HOSTS"
    extra_statements = (PS_CONNECTION_STATUS_SQL, PS_APPLIER_WORKERS_SQL, PS_GROUP_MEMBERS_SQL)
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
    privileges = {
        "SELECT User AS user": "SELECT ON mysql.user",
        "SELECT DISTINCT Db": "SELECT ON mysql.db",
        "SELECT USER, HOST, PRIV FROM mysql.global_grants": "SELECT ON mysql.global_grants",
        "SHOW SLAVE STATUS": "REPLICATION CLIENT",
        "SHOW REPLICA STATUS": "REPLICATION CLIENT",
        "SHOW MASTER STATUS": "REPLICATION CLIENT",
        "SHOW BINARY LOG STATUS": "REPLICATION CLIENT",
        "SHOW SLAVE HOSTS": "REPLICATION SLAVE",
        "SHOW REPLICAS": "REPLICATION SLAVE",
        "SELECT ID, USER, HOST, TIME, STATE FROM information_schema.PROCESSLIST": "PROCESS",
        "SELECT * FROM performance_schema": "SELECT ON performance_schema.*",
    }

    def monitor_grants(self, collectors):
        """{object: privileges} the collectors' statements need (see docs/privileges.md)."""
        grants = {}
        if "replication" in collectors:
            grants["*.*"] = {"REPLICATION CLIENT", "PROCESS"}
            grants["`performance_schema`.*"] = {"SELECT"}
        if "security" in collectors:
            grants.setdefault("*.*", set()).add("SHOW DATABASES")
            for table in ("`mysql`.`user`", "`mysql`.`db`") + (("`mysql`.`global_grants`",) if self.version.at_least(8, 0) else ()):
                grants[table] = {"SELECT"}
        return grants

    def gtid_executed_from(self, variables):
        return variables.get("gtid_executed") or ""


def dialect_for(version):
    dialect = MysqlDialect(version, _warnings(version))
    if version.at_least(8, 0, 22):
        dialect.replica_status_sql = "SHOW REPLICA STATUS"
        dialect.replica_hosts_sql = "SHOW REPLICAS"
    if version.at_least(8, 2):
        dialect.binlog_status_sql = "SHOW BINARY LOG STATUS"
    if version.at_least(8, 0):
        dialect.extra_security_statements = (GLOBAL_GRANTS_SQL,)
    return dialect


def _warnings(version):
    if version.tuple[:2] < (5, 7):
        return ["MySQL %s is older than 5.7, the oldest version this collection supports; "
                "facts are gathered best-effort" % version.text]
    if version.tuple[:2] > TESTED[-1]:
        return ["MySQL %s is newer than the versions this collection was tested with; "
                "using MySQL 8.4 statements" % version.text]
    return []
