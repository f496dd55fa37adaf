# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MariaDB 10.x / 11.x statements and names.

MariaDB keeps the Master/Slave column names of SHOW ALL SLAVES STATUS (one row
per multi-source connection, ``Connection_name``), uses domain-server-seq
GTIDs, and since 10.5 splits REPLICATION CLIENT into finer privileges:
SHOW SLAVE STATUS needs REPLICA MONITOR (10.5.9+), SHOW MASTER STATUS needs
BINLOG MONITOR, SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import (
    COMMON_STATUS,
    COMMON_VARIABLES,
    PRIVILEGE_COLUMNS,
    Dialect,
)

PRIVILEGE_SELECT = ", ".join("u.%s" % column for column, _name in PRIVILEGE_COLUMNS)

TESTED = ((10, 6), (10, 11), (11, 4), (11, 8))


class MariadbDialect(Dialect):
    flavor = "mariadb"
    replica_status_sql = "SHOW ALL SLAVES STATUS"
    binlog_status_sql = "SHOW MASTER STATUS"
    replica_hosts_sql = "SHOW SLAVE HOSTS"
    variables = COMMON_VARIABLES + (
        "gtid_binlog_pos", "gtid_current_pos", "gtid_slave_pos", "gtid_strict_mode", "gtid_domain_id",
        "rpl_semi_sync_slave_delay_master",
    )
    status_names = COMMON_STATUS
    # MariaDB 10.4+ keeps accounts in mysql.global_priv (JSON); mysql.user is a view of it.
    accounts_sql = (
        "SELECT u.User AS user, u.Host AS host, u.plugin AS plugin, "
        "(u.authentication_string = '' AND u.Password = '') AS no_password, u.ssl_type AS ssl_type, "
        "u.is_role = 'Y' AS is_role, JSON_VALUE(g.Priv, '$.account_locked') AS locked, "
        "u.max_user_connections AS max_user_connections, " + PRIVILEGE_SELECT + " "
        "FROM mysql.user u LEFT JOIN mysql.global_priv g ON g.User = u.User AND g.Host = u.Host"
    )
    privileges = {
        "SELECT u.User": "SELECT ON mysql.user, mysql.global_priv",
        "SELECT DISTINCT Db": "SELECT ON mysql.db",
        "SHOW ALL SLAVES STATUS": "REPLICA MONITOR (MariaDB 10.5.9+; SUPER before)",
        "SHOW MASTER STATUS": "BINLOG MONITOR (alias REPLICATION CLIENT)",
        "SHOW SLAVE HOSTS": "REPLICATION MASTER ADMIN",
        "SELECT ID, USER, HOST, TIME, STATE FROM information_schema.PROCESSLIST": "PROCESS",
    }

    def monitor_grants(self, collectors):
        """{object: privileges} the collectors' statements need (see docs/privileges.md)."""
        grants = {}
        if "replication" in collectors:
            if self.version.at_least(10, 5, 9):
                grants["*.*"] = {"SLAVE MONITOR", "BINLOG MONITOR", "PROCESS"}
            else:
                grants["*.*"] = {"REPLICATION CLIENT", "PROCESS"}
        if "security" in collectors:
            grants.setdefault("*.*", set()).add("SHOW DATABASES")
            # Reading whether a password is set means reading the hash columns: the price of
            # the empty_passwords and anonymous_accounts controls (collectors=[replication] avoids it).
            for table in ("`mysql`.`user`", "`mysql`.`global_priv`", "`mysql`.`db`"):
                grants[table] = {"SELECT"}
        return grants

    # MariaDB reports executed transactions as a position per domain.
    def gtid_executed_from(self, variables):
        return variables.get("gtid_current_pos") or variables.get("gtid_binlog_pos") or ""


def dialect_for(version):
    warnings = []
    if version.tuple[:2] < (10, 6):
        warnings.append("MariaDB %s is older than 10.6, the oldest version this collection supports; "
                        "facts are gathered best-effort" % version.text)
    elif version.tuple[:2] > TESTED[-1]:
        warnings.append("MariaDB %s is newer than the versions this collection was tested with; "
                        "using MariaDB 11 statements" % version.text)
    return MariadbDialect(version, warnings)
