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

import json

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import as_bool, as_int, as_text
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import (
    COMMON_STATUS,
    COMMON_VARIABLES,
    PRIVILEGE_COLUMNS,
    Dialect,
    decoded,
    exact_int,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.gtid import MariadbGtidPos

PRIVILEGE_SELECT = ", ".join("u.%s" % column for column, _name in PRIVILEGE_COLUMNS)

TESTED = ((10, 6), (10, 11), (11, 4), (11, 8))
# What servers print for a privilege granted under another name.
_ALIASES = {"REPLICA MONITOR": "SLAVE MONITOR", "REPLICATION CLIENT": "BINLOG MONITOR", "ALL": "ALL PRIVILEGES"}
# Plugins that never take a password (the server does not expire their logins).
_PASSWORDLESS = frozenset(["unix_socket", "named_pipe", "pam", "auth_pam_v1"])


def _methods(priv):
    """Every way the account may authenticate: [(plugin, authentication_string)].  ``auth_or``
    (IDENTIFIED VIA a OR b) lists them; an empty ``{}`` in it stands for the top-level pair."""
    top = (priv.get("plugin") or "mysql_native_password", priv.get("authentication_string") or "")
    alternatives = priv.get("auth_or") or [{}]
    return [(alt["plugin"], alt.get("authentication_string") or "") if (alt or {}).get("plugin") else top
            for alt in alternatives]


def _password_login(plugin, auth_string):
    """A method by which a client logs in with a password the server may expire.
    ``mysql_native_password USING 'invalid'`` (what mariadb-install-db gives root besides
    unix_socket) matches no password: the plugin takes an empty string or a 41-character hash."""
    if plugin in _PASSWORDLESS:
        return False
    if plugin == "mysql_native_password":
        return auth_string == "" or (len(auth_string) == 41 and auth_string.startswith("*"))
    return True


class MariadbDialect(Dialect):
    flavor = "mariadb"
    option_group = "mariadbd"   # it reads [mysqld] too, but its own group is what a MariaDB DBA edits
    benchmark_prefixes = ("cis_mariadb",)
    gtid_type = MariadbGtidPos
    ships_audit_plugin = True   # server_audit: the hardening installs and configures it
    channel_name_column = "connection_name"
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
    # Priv JSON: password_last_changed (epoch; absent = never recorded; 0 = expired by ALTER USER ...
    # PASSWORD EXPIRE), password_lifetime (absent or -1 = the global), plugin, auth_or, account_locked, is_role.
    password_ages_sql = "SELECT User, Host, Priv, UNIX_TIMESTAMP() AS server_now FROM mysql.global_priv"
    privileges = {
        "accounts": "SELECT ON mysql.user, mysql.global_priv",
        "test_db_grants": "SELECT ON mysql.db",
        "replica_status": "REPLICA MONITOR (MariaDB 10.5.9+; SUPER before)",
        "binlog_status": "BINLOG MONITOR (alias REPLICATION CLIENT)",
        "replica_hosts": "REPLICATION MASTER ADMIN",
        "dump_threads": "PROCESS",
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

    def canonical_privilege(self, name):
        return _ALIASES.get(name, name)

    def using_gtid(self, row):
        return (as_text(row.get("using_gtid")) or "No").lower()

    # MariaDB reports executed transactions as a position per domain.
    def gtid_executed_from(self, variables):
        return variables.get("gtid_current_pos") or variables.get("gtid_binlog_pos") or ""

    def gtid_facts(self, variables):
        executed, error = self.normalised_executed(variables)
        return {
            "mode": "ON",  # MariaDB always writes GTIDs; replicas choose whether to use them.
            "executed": executed,
            "purged": None,
            "binlog_pos": as_text(variables.get("gtid_binlog_pos")) or "",
            "current_pos": as_text(variables.get("gtid_current_pos")) or "",
            "slave_pos": as_text(variables.get("gtid_slave_pos")) or "",
            "strict_mode": bool(as_bool(variables.get("gtid_strict_mode"))),
            "domain_id": as_int(variables.get("gtid_domain_id")),
        }, error

    @classmethod
    def password_validation(cls, active, persisted):
        if active and persisted:
            return None
        statements = [] if active else [("INSTALL SONAME 'simple_password_check'", None)]
        settings = {} if persisted else {"plugin_load_add": "simple_password_check"}
        return statements, settings, "simple_password_check"

    def password_account(self, row):
        priv = json.loads(decoded(row["Priv"]) or "{}")
        methods = _methods(priv)
        lifetime = exact_int(priv.get("password_lifetime"))
        last_changed = exact_int(priv.get("password_last_changed"))
        return {
            "user": decoded(row["User"]), "host": decoded(row["Host"]), "plugins": [m[0] for m in methods],
            # A login by any password-taking method is subject to expiry.
            "uses_password": any(_password_login(*m) for m in methods),
            "last_changed": last_changed or None,
            "lifetime": None if lifetime is None or lifetime < 0 else lifetime,
            "expired": last_changed == 0,          # ALTER USER ... PASSWORD EXPIRE stores 0
            "locked": bool(priv.get("account_locked")),
            "is_role": bool(priv.get("is_role")),
        }


def dialect_for(version):
    warnings = []
    if version.tuple[:2] < (10, 6):
        warnings.append("MariaDB %s is older than 10.6, the oldest version this collection supports; "
                        "facts are gathered best-effort" % version.text)
    elif version.tuple[:2] > TESTED[-1]:
        warnings.append("MariaDB %s is newer than the versions this collection was tested with; "
                        "using MariaDB 11 statements" % version.text)
    return MariadbDialect(version, warnings)
