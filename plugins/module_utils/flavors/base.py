# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every flavour's Dialect provides; flavour files fill it in."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

__all__ = ["Dialect", "normalize_column", "privileges_named_in"]

# Both flavours say Master/Slave in older columns and Source/Replica in newer
# ones; facts use the newer words whatever the server printed.
_WORDS = (("master", "source"), ("slave", "replica"))


def normalize_column(name):
    """``Slave_IO_Running`` and ``Replica_IO_Running`` -> ``replica_io_running``."""
    key = name.lower()
    for old, new in _WORDS:
        key = key.replace(old, new)
    return key


_PRIV_RE = re.compile(r"you need \(at least one of\) the (.+?) privilege", re.IGNORECASE)


def privileges_named_in(message):
    """The privileges a server's 1227 message asks for, e.g. ['SUPER', 'REPLICA MONITOR']."""
    match = _PRIV_RE.search(message or "")
    if not match:
        return []
    return [p.strip() for p in match.group(1).split(",") if p.strip()]


class Dialect:
    """Statements and names for one flavour and version range.

    Attributes (all constants, never built from user input):
      flavor, version, replica_status_sql, binlog_status_sql, replica_hosts_sql,
      variables (names for SHOW GLOBAL VARIABLES), status_names, status_prefixes,
      extra_statements (flavour-only statements of the collection batch),
      privileges {statement: what a login needs}, warnings.
    """

    flavor = None
    replica_status_sql = None
    binlog_status_sql = None
    replica_hosts_sql = None
    extra_statements = ()
    variables = ()
    status_names = ()
    status_prefixes = ("wsrep%", "Rpl_semi_sync%")
    privileges = {}  # type: dict

    def __init__(self, version, warnings=()):
        self.version = version
        self.warnings = tuple(warnings)

    def variables_sql(self):
        names = ", ".join("'%s'" % name for name in sorted(set(self.variables)))
        return "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s)" % names

    def status_sql(self):
        names = ", ".join("'%s'" % name for name in sorted(set(self.status_names)))
        likes = " OR ".join("Variable_name LIKE '%s'" % p for p in self.status_prefixes)
        return "SHOW GLOBAL STATUS WHERE Variable_name IN (%s) OR %s" % (names, likes)

    def dump_threads_sql(self):
        return ("SELECT ID, USER, HOST, TIME, STATE FROM information_schema.PROCESSLIST "
                "WHERE COMMAND LIKE 'Binlog Dump%'")

    def collection_statements(self):
        """The statements of one full replication collection, in batch order.

        ``replica_hosts_sql`` needs a privilege a monitoring login should not
        hold (REPLICATION SLAVE / REPLICATION MASTER ADMIN); it is optional and
        goes last, so that when it fails nothing after it has to be re-sent.
        """
        return (self.variables_sql(), self.status_sql(), self.replica_status_sql,
                self.binlog_status_sql, self.dump_threads_sql()) + tuple(self.extra_statements)

    def optional_statements(self):
        """Statements whose privilege errors are not reported as missing privileges."""
        return (self.replica_hosts_sql,)

    accounts_sql = None
    extra_security_statements = ()

    def security_variables_sql(self):
        names = ", ".join("'%s'" % name for name in SECURITY_VARIABLES)
        likes = " OR ".join("Variable_name LIKE '%s'" % p for p in SECURITY_VARIABLE_PREFIXES)
        return "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s) OR %s" % (names, likes)

    def security_statements(self):
        """Statements of one security collection, in batch order (accounts first: most often denied)."""
        return (self.security_variables_sql(),
                "SELECT PLUGIN_NAME, PLUGIN_STATUS, PLUGIN_TYPE FROM information_schema.PLUGINS "
                "WHERE PLUGIN_TYPE IN ('AUDIT', 'PASSWORD VALIDATION')",
                "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_server_not_after', 'Ssl_server_not_before', "
                "'Ssl_version', 'Ssl_cipher')",
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA",
                self.replica_status_sql,
                self.accounts_sql,
                "SELECT DISTINCT Db, User, Host FROM mysql.db WHERE Db LIKE 'test%'") + tuple(self.extra_security_statements)

    def needed_privilege(self, sql):
        for prefix, privilege in self.privileges.items():
            if sql.startswith(prefix):
                return privilege
        return None


# mysql.user privilege columns (both flavours) -> privilege names.
PRIVILEGE_COLUMNS = (
    ("Select_priv", "SELECT"), ("Insert_priv", "INSERT"), ("Update_priv", "UPDATE"), ("Delete_priv", "DELETE"),
    ("Create_priv", "CREATE"), ("Drop_priv", "DROP"), ("Reload_priv", "RELOAD"), ("Shutdown_priv", "SHUTDOWN"),
    ("Process_priv", "PROCESS"), ("File_priv", "FILE"), ("Grant_priv", "GRANT OPTION"), ("Alter_priv", "ALTER"),
    ("Super_priv", "SUPER"), ("Repl_slave_priv", "REPLICATION SLAVE"), ("Repl_client_priv", "REPLICATION CLIENT"),
    ("Create_user_priv", "CREATE USER"),
)

SECURITY_VARIABLES = (
    "have_ssl", "have_openssl", "tls_version", "require_secure_transport", "ssl_cert", "ssl_ca", "ssl_key",
    "local_infile", "secure_file_priv", "have_symlink", "log_error", "sql_mode", "default_password_lifetime",
    "skip_name_resolve", "max_connections", "max_user_connections", "skip_networking", "bind_address",
    "strict_password_validation", "version", "version_comment",
)
SECURITY_VARIABLE_PREFIXES = ("server_audit%", "audit_log%", "validate_password%", "simple_password_check%",
                              "cracklib_password_check%", "password_reuse_check%")

COMMON_VARIABLES = (
    "hostname", "port", "server_id", "read_only", "log_bin", "binlog_format", "version",
    "version_comment", "report_host", "report_port", "offline_mode", "max_connections",
    "innodb_read_only", "rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled",
    "rpl_semi_sync_master_timeout", "rpl_semi_sync_master_wait_point",
    "rpl_semi_sync_master_wait_no_slave", "wsrep_on", "wsrep_cluster_name", "wsrep_node_name",
    "wsrep_cluster_address", "slave_net_timeout", "log_slave_updates", "sync_binlog",
    "innodb_flush_log_at_trx_commit",
)

COMMON_STATUS = (
    "Uptime", "Threads_connected", "Threads_running", "Max_used_connections", "Slaves_connected",
    "Aborted_connects", "Connection_errors_max_connections",
)
