# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every flavour's Dialect provides; flavour files fill it in."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import as_text, name_value_map
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.gtid import GtidError

__all__ = ["Dialect", "Statement", "decoded", "exact_int", "privileges_named_in"]

_PRIV_RE = re.compile(r"you need \(at least one of\) the (.+?) privilege", re.IGNORECASE)


def privileges_named_in(message):
    """The privileges a server's 1227 message asks for, e.g. ['SUPER', 'REPLICA MONITOR']."""
    match = _PRIV_RE.search(message or "")
    if not match:
        return []
    return [p.strip() for p in match.group(1).split(",") if p.strip()]


def decoded(value):
    """A column value with bytes decoded ('' stays '')."""
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return value


def exact_int(value):
    """int(value), None for NULL and ''; anything else that is not a number raises ValueError."""
    if value is None or value == "":
        return None
    return int(value)


class Statement:
    """One statement of a collection, addressed by its name, never by its text.

    ``name``: what results and fixtures are keyed by; ``sql``: a constant of a flavour file (or
    built from validated identifiers); ``privilege``: what a login needs to run it, reported when
    the server refuses without naming one; ``optional``: a refusal is expected and not reported
    (a monitoring login should not hold that privilege); ``parse``: rows -> value (rows as they
    came when None).
    """

    __slots__ = ("name", "sql", "privilege", "optional", "parse")

    def __init__(self, name, sql, privilege=None, optional=False, parse=None):
        self.name = name
        self.sql = sql
        self.privilege = privilege
        self.optional = optional
        self.parse = parse

    def value(self, rows):
        return self.parse(rows) if self.parse is not None else rows

    def __repr__(self):
        return "Statement(%r, %r)" % (self.name, self.sql)


class Dialect:
    """Everything that differs between flavours and versions, for one server.

    Class attributes are what a flavour is (usable from facts alone, through
    ``flavors.dialect_class``); an instance adds the version and its statements.
    Collectors, hardening and the analysis ask it and never compare flavour names.
    """

    flavor = None
    option_group = "mysqld"            # the option file section a DBA of this flavour edits
    benchmark_prefixes = ()            # CIS benchmarks that apply only to this flavour
    gtid_type = None                   # gtid.GtidSet or gtid.MariadbGtidPos
    channel_name_column = "channel_name"
    replica_status_sql = None
    binlog_status_sql = None
    replica_hosts_sql = None
    accounts_sql = None
    password_ages_sql = None
    persists_with_sql = False          # SET PERSIST exists: settings need no option file
    variables = ()
    status_names = ()
    status_prefixes = ("wsrep%", "Rpl_semi_sync%")
    privileges = {}  # type: dict      # statement name -> what a login needs

    def __init__(self, version, warnings=()):
        self.version = version
        self.warnings = tuple(warnings)

    def statement(self, name, sql, optional=False, parse=None):
        return Statement(name, sql, self.privileges.get(name), optional, parse)

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

    def extra_replication_statements(self):
        """Flavour-only statements of a replication collection (after the common ones)."""
        return ()

    def replication_statements(self):
        """The statements of one replication collection, in batch order.

        ``replica_hosts`` needs a privilege a monitoring login should not hold
        (REPLICATION SLAVE / REPLICATION MASTER ADMIN): it is optional, and the
        collector sends it last, so that when it fails nothing after it has to be re-sent.
        """
        return (self.statement("variables", self.variables_sql(), parse=name_value_map),
                self.statement("status", self.status_sql(), parse=name_value_map),
                self.statement("replica_status", self.replica_status_sql),
                self.statement("binlog_status", self.binlog_status_sql),
                self.statement("dump_threads", self.dump_threads_sql())) + tuple(self.extra_replication_statements())

    def replica_hosts_statement(self):
        return self.statement("replica_hosts", self.replica_hosts_sql, optional=True)

    def security_variables_sql(self):
        names = ", ".join("'%s'" % name for name in SECURITY_VARIABLES)
        likes = " OR ".join("Variable_name LIKE '%s'" % p for p in SECURITY_VARIABLE_PREFIXES)
        return "SHOW GLOBAL VARIABLES WHERE Variable_name IN (%s) OR %s" % (names, likes)

    def extra_security_statements(self):
        return ()

    def security_statements(self):
        """Statements of one security collection, in batch order."""
        return (self.statement("security_variables", self.security_variables_sql(), parse=name_value_map),
                self.statement("plugins", "SELECT PLUGIN_NAME, PLUGIN_STATUS, PLUGIN_TYPE FROM information_schema.PLUGINS "
                               "WHERE PLUGIN_TYPE IN ('AUDIT', 'PASSWORD VALIDATION')"),
                self.statement("session_tls", "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_server_not_after', "
                               "'Ssl_server_not_before', 'Ssl_version', 'Ssl_cipher')", parse=name_value_map),
                self.statement("schemata", "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"),
                self.statement("replica_status", self.replica_status_sql),
                self.statement("accounts", self.accounts_sql),
                self.statement("test_db_grants", "SELECT DISTINCT Db, User, Host FROM mysql.db WHERE Db LIKE 'test%'"),
                ) + tuple(self.extra_security_statements())

    # -- replication rows -> facts ------------------------------------------------------
    def channel_name(self, row):
        """A normalised replica-status row's channel (connection) name."""
        return as_text(row.get(self.channel_name_column)) or ""

    def using_gtid(self, row):
        """How a channel positions itself: ``auto_position`` | ``no`` (MySQL); ``slave_pos``... (MariaDB)."""
        raise NotImplementedError

    def gtid_executed_from(self, variables):
        raise NotImplementedError

    def normalised_executed(self, variables):
        """(the executed GTID set in its normal form, None) or (the text as read, what is wrong with it)."""
        executed = (as_text(self.gtid_executed_from(variables)) or "").replace("\n", "")
        try:
            return str(self.gtid_type.parse(executed)), None
        except GtidError as exc:
            return executed, "unparsable GTID set: %s" % exc

    def gtid_facts(self, variables):
        """(the ``gtid`` facts from SHOW GLOBAL VARIABLES, a problem with them or None)."""
        raise NotImplementedError

    # -- accounts and hardening ---------------------------------------------------------
    def monitor_grants(self, collectors):
        raise NotImplementedError

    def canonical_privilege(self, name):
        """A privilege word as this flavour's SHOW GRANTS prints it (an alias resolved)."""
        return name

    ships_audit_plugin = False         # the server comes with an audit plugin the hardening may load

    @classmethod
    def password_validation(cls, active, persisted):
        """How to turn password validation on: (statements, option settings, name) or None when on."""
        raise NotImplementedError

    def password_account(self, row):
        """A row of ``password_ages_sql`` -> an account's password age facts."""
        raise NotImplementedError

    def reads_tls_channel_status(self):
        """Whether a server without have_ssl reports TLS in performance_schema.tls_channel_status."""
        return False

    @classmethod
    def remediation(cls, text):
        """A remediation in this flavour's words ([mysqld] is the generic option group)."""
        return text.replace("[mysqld]", "[%s]" % cls.option_group) if cls.option_group != "mysqld" else text

    def needed_privilege(self, name):
        return self.privileges.get(name)


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
