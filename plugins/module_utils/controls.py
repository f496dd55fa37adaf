# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control catalogue: every security control in one place, as data.

A control says what it checks (a pure function of ``mysql_security`` facts),
how bad a failure is, what a DBA runs to fix it, how the hardening module
applies it (``apply``: runtime SQL, a persisted setting, or a config file that
needs a restart), and what it maps to (CIS Oracle MySQL 8.0 Benchmark section
and title, dev-sec mysql-baseline control id).

``check`` returns ``(status, evidence)``; status is ``pass``, ``fail`` or
``unknown`` (the login could not see what the control needs). Account and setting
controls check with an ``AccountCheck`` or ``SettingCheck``, which the hardening plan
asks too (which accounts fail, whether a setting is in effect), so a check is
written once. ``assess`` adds every control's result to a collector's facts.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import dialect_class, reference_applies

__all__ = ["AccountCheck", "BENCHMARKS", "Control", "CONTROLS", "SettingCheck", "SEVERITIES", "STATUSES", "assess",
           "control_by_id", "evaluate_controls", "references_for", "remediation_for"]

SEVERITIES = ("critical", "high", "medium", "low")
STATUSES = ("pass", "fail", "unknown", "skipped")
# The benchmarks the references cite (reference key -> benchmark and version), for reports.
BENCHMARKS = {
    "cis_mysql_8": "CIS Oracle MySQL Community Server 8.0 Benchmark",
    "cis_mariadb_10_11": "CIS MariaDB 10.11 Benchmark v1.0.0",
    "devsec": "DevSec MySQL Baseline (dev-sec/mysql-baseline)",
}
# Accounts the server makes for itself, locked and without a password by design.
SYSTEM_ACCOUNTS = frozenset(["mariadb.sys", "mysql.sys", "mysql.session", "mysql.infoschema"])
LOCAL_HOSTS = frozenset(["localhost", "127.0.0.1", "::1"])
SOCKET_PLUGINS = frozenset(["unix_socket", "auth_socket"])
# Global privileges that give an account power over the server or its files.
POWERFUL_PRIVILEGES = ("SUPER", "ALL", "GRANT OPTION", "FILE", "PROCESS", "SHUTDOWN", "CREATE USER", "RELOAD")


class Control:
    """One control of the catalogue (immutable)."""

    __slots__ = ("id", "title", "severity", "check", "remediation", "apply", "setting", "references", "flavors")

    def __init__(self, id, title, severity, check, remediation, apply, references, setting=None, flavors=("mysql", "mariadb")):
        values = dict(id=id, title=title, severity=severity, check=check, remediation=remediation, apply=apply,
                      setting=setting, references=references, flavors=flavors)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("Control is immutable")

    def describe(self):
        return {"id": self.id, "title": self.title, "severity": self.severity, "apply": self.apply,
                "remediation": self.remediation, "references": dict(self.references)}


def _accounts(facts):
    accounts = facts.get("accounts")
    return None if accounts is None else [a for a in accounts if not a.get("is_role")]


def _names(accounts):
    return ["'%s'@'%s'" % (a["user"], a["host"]) for a in accounts]


class AccountCheck:
    """A control over accounts: it fails naming every account ``predicate(account, facts)`` picks.
    The hardening plan asks the same check which accounts to change (``offenders``)."""

    def __init__(self, predicate, what):
        self.predicate = predicate
        self.what = what

    def offenders(self, facts):
        """The accounts (roles left out) that fail this control; None when mysql.user was unreadable."""
        accounts = _accounts(facts)
        return None if accounts is None else [a for a in accounts if self.predicate(a, facts)]

    def __call__(self, facts):
        bad = self.offenders(facts)
        if bad is None:
            return "unknown", "the login cannot read mysql.user"
        return ("fail", "%s: %s" % (self.what, ", ".join(_names(bad)))) if bad else ("pass", "no %s" % self.what)


class SettingCheck:
    """A control over one server variable of ``facts["settings"]``: ``good(value)`` says whether
    it passes. The hardening plan asks the same check whether a setting is in effect (``satisfied``)."""

    def __init__(self, name, good, describe):
        self.name = name
        self.good = good
        self.describe = describe

    def satisfied(self, value):
        """True when ``value`` passes; an unreadable (None) value does not."""
        return value is not None and bool(self.good(value))

    def __call__(self, facts):
        value = (facts.get("settings") or {}).get(self.name)
        if value is None:
            return "unknown", "%s is not reported by this server" % self.name
        return ("pass" if self.good(value) else "fail"), "%s = %s (%s)" % (self.name, value, self.describe)


def _is_remote(account):
    return account["host"] not in LOCAL_HOSTS


def _named_in(account, names):
    return account["user"] in names or "%s@%s" % (account["user"], account["host"]) in names


def _extra_powers(account, facts):
    policy = facts.get("policy") or {}
    if account["user"] == "root" or _named_in(account, policy.get("admin_accounts") or ()):
        return False
    powers = set(account.get("privileges") or ()) & set(POWERFUL_PRIVILEGES)
    # A monitoring account needs PROCESS to see the binlog dump threads of its replicas
    # (what tells a primary from a standalone server); it may hold that one and no other.
    if _named_in(account, policy.get("monitor_accounts", ["mysqlha_monitor"])):
        powers.discard("PROCESS")
    return bool(powers)


def _anonymous(account, facts):
    return account["user"] == ""


def _without_password(account, facts):
    return (account.get("no_password") and account.get("plugin") not in SOCKET_PLUGINS and not account.get("locked")
            and account["user"] not in SYSTEM_ACCOUNTS)


def _remote_root(account, facts):
    return account["user"] == "root" and _is_remote(account)


def _remote_without_tls(account, facts):
    return _is_remote(account) and not account.get("ssl_type") and not account.get("locked")


def _strict(sql_mode):
    return "STRICT_ALL_TABLES" in sql_mode.split(",")


def _replication_account(account, facts):
    """An account replicas log in with: named in the policy, or holding REPLICATION SLAVE
    without being an all-powerful admin (those are excess_privileges' business)."""
    named = set((facts.get("policy") or {}).get("replication_accounts") or ())
    if account["user"] in named:
        return True
    privileges = set(account.get("privileges") or ())
    return "REPLICATION SLAVE" in privileges and "ALL" not in privileges and account["user"] != "root"


REPLICATION_PRIVILEGES = frozenset(["REPLICATION SLAVE", "REPLICATION CLIENT", "USAGE", "REPLICA MONITOR",
                                    "BINLOG MONITOR", "SLAVE MONITOR"])


def _replication_account_too_powerful(account, facts):
    extra = set(account.get("privileges") or ()) - REPLICATION_PRIVILEGES
    return _replication_account(account, facts) and bool(extra)


def _replication_account_without_tls(account, facts):
    return _replication_account(account, facts) and _is_remote(account) and not account.get("ssl_type")


def _test_database(facts):
    databases = facts.get("test_databases")
    if databases is None:
        return "unknown", "the login cannot list schemas"
    return ("fail", "test databases present: %s" % ", ".join(databases)) if databases else ("pass", "no test database")


def _tls_versions(facts):
    tls = facts.get("tls") or {}
    versions = tls.get("versions")
    if not tls.get("enabled"):
        return "fail", "TLS is not enabled (have_ssl=%s)" % tls.get("have_ssl")
    old = [v for v in versions or () if v in ("TLSv1.0", "TLSv1.1", "SSLv3")]
    return ("fail", "old protocols allowed: %s" % ", ".join(old)) if old else ("pass", "tls_version = %s" % ", ".join(versions or ()))


def _cert_expiry(facts):
    tls = facts.get("tls") or {}
    days = tls.get("cert_days_left")
    warn = (facts.get("policy") or {}).get("cert_warn_days", 30)
    if not tls.get("enabled"):
        return "unknown", "TLS is not enabled"
    if days is None:
        return "unknown", "the server certificate's expiry could not be read"
    return ("fail" if days < warn else "pass"), "server certificate expires in %d days (%s)" % (days, tls.get("cert_not_after"))


def _secure_transport(facts):
    value = (facts.get("tls") or {}).get("require_secure_transport")
    if value is None:
        return "unknown", "require_secure_transport is not available on this server"
    return ("pass" if value else "fail"), "require_secure_transport = %s" % ("ON" if value else "OFF")


def _audit(facts):
    audit = facts.get("audit") or {}
    if not audit.get("plugin"):
        return "fail", "no audit plugin is loaded"
    if not audit.get("enabled"):
        return "fail", "%s is loaded but logging is off" % audit["plugin"]
    events = set(audit.get("events") or ())
    needed = set(["CONNECT", "QUERY_DDL", "QUERY_DCL"]) if audit["plugin"] == "server_audit" else set()
    if needed and events and not needed <= events:
        return "fail", "audit events %s miss %s" % (",".join(sorted(events)), ",".join(sorted(needed - events)))
    never_rotated = audit.get("rotations") == 0 if audit["plugin"] == "server_audit" else audit.get("rotate_size") == 0
    if never_rotated and audit.get("output") in ("file", None):
        return "fail", "audit log file is never rotated"
    logged = ",".join(sorted(events)) or "all events"
    return "pass", "%s logging %s to %s" % (audit["plugin"], logged, audit.get("file") or audit.get("output"))


def _password_validation(facts):
    password = facts.get("password_policy") or {}
    if not password.get("validation"):
        return "fail", "no password validation plugin or component is active"
    return "pass", "password validation by %s" % password["validation"]


def _password_lifetime(facts):
    lifetime = (facts.get("password_policy") or {}).get("default_lifetime_days")
    if lifetime is None:
        return "unknown", "default_password_lifetime is not reported"
    return ("pass" if 0 < lifetime <= 365 else "fail"), "default_password_lifetime = %d days" % lifetime


def _channel_tls(facts):
    channels = facts.get("replication_channels")
    if channels is None:
        return "unknown", "the login cannot see replica status"
    bad = [c["name"] or "(default)" for c in channels if not (c["ssl"]["allowed"] and c["ssl"]["verify_server_cert"])]
    if bad:
        return "fail", "channels without verified TLS: %s" % ", ".join(bad)
    return "pass", "%d channels use verified TLS" % len(channels)


CONTROLS = (
    Control("anonymous_accounts", "No anonymous accounts", "critical",
            AccountCheck(_anonymous, "anonymous accounts"),
            "DROP USER ''@'<host>';", "sql",
            {"cis_mysql_8": "7.7 Ensure No Anonymous Accounts Exist", "devsec": "mysql-db-04"}),
    Control("empty_passwords", "Every account has a password or socket authentication", "critical",
            AccountCheck(_without_password, "accounts without a password"),
            "ALTER USER '<user>'@'<host>' IDENTIFIED BY '<strong password>';  -- or DROP USER", "manual",
            {"cis_mysql_8": "7.3 Ensure Passwords are Set for All MySQL Accounts", "devsec": "mysql-db-05"}),
    Control("remote_root", "root logs in from the local host only", "high",
            AccountCheck(_remote_root, "root accounts reachable remotely"),
            "DROP USER 'root'@'<host>';", "sql",
            {"cis_mysql_8": "7.6 Ensure No Users Have Wildcard Hostnames", "devsec": "mysql-db-08"}),
    Control("wildcard_hosts", "No account accepts logins from any host", "medium",
            AccountCheck(lambda a, f: "%" in a["host"], "wildcard-host accounts"),
            "RENAME USER '<user>'@'%' TO '<user>'@'<app subnet or host>';", "manual",
            {"cis_mysql_8": "7.6 Ensure No Users Have Wildcard Hostnames", "devsec": "mysql-db-07"}),
    Control("excess_privileges", "SUPER/ALL/GRANT OPTION/FILE/PROCESS/SHUTDOWN/CREATE USER/RELOAD only for admin accounts", "high",
            AccountCheck(_extra_powers, "non-admin accounts with server-wide powers"),
            "REVOKE <privilege> ON *.* FROM '<user>'@'<host>';", "manual",
            {"cis_mysql_8": "5.1-5.7 Ensure only administrative users have full database access, FILE, PROCESS, SUPER, "
                            "SHUTDOWN, CREATE USER, GRANT OPTION", "devsec": "mysql-db-06",
             "cis_mariadb_10_11": "5.1-5.7 (full database access, FILE, PROCESS, SUPER, SHUTDOWN, CREATE USER, "
                                  "GRANT OPTION for administrative users only)"}),
    Control("replication_account_privileges", "Replication accounts hold replication privileges only", "high",
            AccountCheck(_replication_account_too_powerful, "replication accounts with more than REPLICATION SLAVE/CLIENT"),
            "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '<repl>'@'<host>'; GRANT REPLICATION SLAVE ON *.* TO '<repl>'@'<host>';",
            "manual", {"cis_mysql_8": "9.4 Ensure 'super_priv' is Not Set to 'Y' for Replication Users"}),
    Control("replication_account_tls", "Remote replication accounts require TLS", "high",
            AccountCheck(_replication_account_without_tls, "remote replication accounts without REQUIRE SSL"),
            "ALTER USER '<repl>'@'<host>' REQUIRE SSL;", "sql",
            {"cis_mysql_8": "8.2 Ensure 'ssl_type' is Set to 'ANY', 'X509', or 'SPECIFIED' for All Remote Users"}),
    Control("remote_accounts_tls", "Remote accounts require TLS", "medium",
            AccountCheck(_remote_without_tls, "remote accounts without REQUIRE SSL"),
            "ALTER USER '<user>'@'<host>' REQUIRE SSL;", "sql",
            {"cis_mysql_8": "8.2 Ensure 'ssl_type' is Set to 'ANY', 'X509', or 'SPECIFIED' for All Remote Users"}),
    Control("test_database", "No test database", "medium", _test_database,
            "DROP DATABASE test; DELETE FROM mysql.db WHERE Db LIKE 'test%'; FLUSH PRIVILEGES;", "sql",
            {"cis_mysql_8": "4.2 Ensure Example or Test Databases are Not Installed on Production Servers",
             "devsec": "mysql-db-03",
             "cis_mariadb_10_11": "4.2 Ensure Example or Test Databases are Not Installed on Production Servers"}),
    Control("local_infile", "local_infile is off", "high",
            SettingCheck("local_infile", lambda v: v is False, "LOAD DATA LOCAL lets a client read server-chosen files"),
            "SET GLOBAL local_infile = OFF;  -- and local_infile=0 in [mysqld]", "persist",
            {"cis_mysql_8": "4.5 Ensure 'local_infile' is Disabled", "devsec": "mysql-conf-03",
             "cis_mariadb_10_11": "4.4 Harden Usage for 'local_infile' on MariaDB Clients"}, setting=("local_infile", "OFF")),
    Control("secure_file_priv", "secure_file_priv limits file import/export to one directory", "medium",
            SettingCheck("secure_file_priv", lambda v: v not in ("", None), "empty means any directory"),
            "secure_file_priv=/var/lib/mysql-files in [mysqld] (restart)", "config_restart",
            {"cis_mysql_8": "4.8 Ensure 'secure_file_priv' is Configured Correctly", "devsec": "mysql-conf-03",
             "cis_mariadb_10_11": "4.7 Ensure the 'secure_file_priv' is Configured Correctly"},
            setting=("secure_file_priv", "/var/lib/mysql-files")),
    Control("symbolic_links", "Symbolic links are disabled", "medium",
            SettingCheck("have_symlink", lambda v: v in ("DISABLED", "NO"), "symbolic links let tables escape the datadir"),
            "skip-symbolic-links in [mysqld] (restart)", "config_restart",
            {"cis_mysql_8": "4.6 Ensure Symbolic Links are Disabled", "devsec": "mysql-conf-03",
             "cis_mariadb_10_11": "4.6 Ensure Symbolic Links are Disabled"},
            setting=("symbolic-links", "0")),
    Control("require_secure_transport", "Clients must use TLS (require_secure_transport)", "high", _secure_transport,
            "SET GLOBAL require_secure_transport = ON;  -- after every client uses TLS", "persist",
            {"cis_mysql_8": "8.1 Ensure 'require_secure_transport' is Set to 'ON' and/or 'have_ssl' is Set to 'YES'",
             "cis_mariadb_10_11": "8.1 Ensure 'require_secure_transport' is Set to 'ON' and 'have_ssl' is Set to 'YES'"},
            setting=("require_secure_transport", "ON")),
    Control("tls_versions", "TLS on, with TLS 1.2 or newer only", "high", _tls_versions,
            "tls_version=TLSv1.2,TLSv1.3 and ssl_cert/ssl_key/ssl_ca in [mysqld] (restart)", "config_restart",
            {"cis_mysql_8": "8.1 Ensure 'require_secure_transport' is Set to 'ON' and/or 'have_ssl' is Set to 'YES'",
             "cis_mariadb_10_11": "2.10 Limit Accepted Transport Layer Security (TLS) Versions"},
            setting=("tls_version", "TLSv1.2,TLSv1.3")),
    Control("tls_cert_expiry", "The server certificate is not about to expire", "high", _cert_expiry,
            "Renew the certificate, then ALTER INSTANCE RELOAD TLS (MySQL) / FLUSH SSL (MariaDB).", "manual",
            {"cis_mysql_8": "8.1 (TLS configured)"}),
    Control("audit_log", "An audit plugin logs connections and DDL/DCL, with rotation", "high", _audit,
            "INSTALL SONAME 'server_audit'; SET GLOBAL server_audit_events='CONNECT,QUERY_DDL,QUERY_DCL'; "
            "SET GLOBAL server_audit_logging=ON;", "persist",
            {"cis_mysql_8": "6.5 Ensure Audit Logging Is Enabled",
             # CIS MariaDB 10.11: only sections read in the benchmark's published audit items are cited
             # (docs/security.md); the others wait for a copy of the benchmark.
             "cis_mariadb_10_11": "6.5 Ensure the Audit Plugin Can't be Unloaded (hardening loads server_audit "
                                  "as FORCE_PLUS_PERMANENT)"}),
    Control("password_validation", "A password validation plugin/component is active", "medium", _password_validation,
            "INSTALL SONAME 'simple_password_check' (MariaDB) / INSTALL COMPONENT 'file://component_validate_password' (MySQL 8)",
            "persist", {"cis_mysql_8": "7.5 Ensure Password Complexity Policies are in Place"}),
    Control("password_lifetime", "Passwords expire within a year", "low", _password_lifetime,
            "SET GLOBAL default_password_lifetime = 365;", "persist",
            {"cis_mysql_8": "7.4 Ensure 'default_password_lifetime' is Less Than or Equal to '365'",
             "cis_mariadb_10_11": "2.6 Ensure 'password_lifetime' is Less Than or Equal to '365'"},
            setting=("default_password_lifetime", "365")),
    Control("log_error", "The error log goes to a file", "low",
            SettingCheck("log_error", lambda v: v not in ("", "stderr"), "an empty log_error sends errors to stderr"),
            "log_error=/var/log/mysql/error.log in [mysqld] (restart)", "config_restart",
            {"cis_mysql_8": "6.1 Ensure 'log_error' is Configured Correctly"}),
    Control("sql_mode_strict", "sql_mode contains STRICT_ALL_TABLES", "low",
            SettingCheck("sql_mode", _strict, "without STRICT_ALL_TABLES, writes to non-transactional tables are silently truncated"),
            "SET GLOBAL sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES');", "persist",
            {"cis_mysql_8": "4.9 Ensure 'sql_mode' Contains 'STRICT_ALL_TABLES'",
             "cis_mariadb_10_11": "4.8 Ensure 'sql_mode' Contains 'STRICT_ALL_TABLES'"}),
    Control("replication_channel_tls", "Replication channels use TLS and verify the source certificate", "high",
            _channel_tls, "CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='<ca>', MASTER_SSL_VERIFY_SERVER_CERT=1;", "manual",
            {"cis_mysql_8": "9.2 Ensure 'SOURCE_SSL_VERIFY_SERVER_CERT' is Set to 'YES' or '1'"}),
)

_BY_ID = dict((c.id, c) for c in CONTROLS)  # type: ignore[attr-defined]  # slots set in __init__


def control_by_id(control_id):
    """The Control with this id; KeyError names the known ids."""
    try:
        return _BY_ID[control_id]
    except KeyError:
        raise KeyError("unknown control %r; known controls: %s" % (control_id, ", ".join(sorted(_BY_ID))))


def references_for(control, flavor):
    """The control's references that apply to a server of this flavor: a flavour's own benchmark
    (CIS MariaDB) on that flavour only, next to CIS MySQL and dev-sec, which apply everywhere."""
    return dict((k, v) for k, v in control.references.items() if reference_applies(k, flavor))


def remediation_for(control, flavor):
    """The control's remediation in the words of this flavor (its option group: ``[mysqld]`` in
    the catalogue is the generic one)."""
    if flavor is None:
        return control.remediation
    return dialect_class(flavor).remediation(control.remediation)


def evaluate_controls(facts, skip=None):
    """Run every control's check; returns (results, findings).

    ``results``: {control id: {status, evidence, title, severity, remediation, references}} for
    every control of the server's flavor; status ``pass``, ``fail``, ``unknown`` (the login could
    not see what it needs) or ``skipped`` (the policy's skip_controls waived it);
    ``findings``: the failed ones with control id, severity, evidence and remediation.
    """
    results = {}
    findings = []
    flavor = facts.get("flavor")
    skip = set(skip if skip is not None else (facts.get("policy") or {}).get("skip_controls") or ())
    for control in CONTROLS:
        if flavor and flavor not in control.flavors:
            continue
        if control.id in skip:
            status, evidence = "skipped", "waived by the policy (skip_controls)"
        else:
            status, evidence = control.check(facts)
        references = references_for(control, flavor)
        remediation = remediation_for(control, flavor)
        results[control.id] = {"status": status, "evidence": evidence, "title": control.title,
                               "severity": control.severity, "remediation": remediation,
                               "references": references}
        if status == "fail":
            findings.append({"control": control.id, "title": control.title, "severity": control.severity,
                             "evidence": evidence, "remediation": remediation,
                             "references": dict(references)})
    order = dict((s, i) for i, s in enumerate(SEVERITIES))
    findings.sort(key=lambda f: (order[f["severity"]], f["control"]))
    return results, findings


def assess(facts):
    """``mysql_security`` facts from a collector, completed with ``controls`` and ``findings``
    (``evaluate_controls`` with the facts' own policy); returns the same dict."""
    facts["controls"], facts["findings"] = evaluate_controls(facts)
    return facts
