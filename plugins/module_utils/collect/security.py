# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security collector: one server -> ``mysql_security`` facts and findings.

Accounts (never a password hash: only whether one is set), TLS (protocols,
require_secure_transport, days until the server certificate expires), audit
logging, password policy, CIS/dev-sec server settings, test databases and the
TLS of replication channels; then every control of the catalogue is checked.
One multi-statement round trip, like the replication collector.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import time

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.channels import channel_facts
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.collection import Collection
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import (
    as_bool,
    as_int,
    as_text,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import assess
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import PRIVILEGE_COLUMNS

__all__ = ["collect_security", "gather_security", "cert_days_left"]

_SYSTEM_SCHEMAS = frozenset(["information_schema", "performance_schema", "mysql", "sys"])


def cert_days_left(not_after, now=None):
    """Days until an ``Ssl_server_not_after`` date ('Nov 21 07:00:00 2027 GMT'); None if unreadable."""
    if not not_after:
        return None
    try:
        expires = calendar.timegm(time.strptime(not_after.replace("  ", " "), "%b %d %H:%M:%S %Y %Z"))
    except ValueError:
        return None
    return int((expires - (now if now is not None else time.time())) // 86400)


def _account(row, dynamic):
    row = dict((k.lower(), v) for k, v in row.items())
    privileges = [name for column, name in PRIVILEGE_COLUMNS if str(row.get(column.lower()) or "").upper() == "Y"]
    if len(privileges) == len(PRIVILEGE_COLUMNS):
        privileges = ["ALL"] + privileges
    user, host = as_text(row.get("user")) or "", as_text(row.get("host")) or ""
    privileges += sorted(dynamic.get((user, host), ()))
    return {
        "user": user,
        "host": host,
        "plugin": as_text(row.get("plugin")),
        "no_password": bool(as_bool(row.get("no_password"))),
        "ssl_type": (as_text(row.get("ssl_type")) or "").upper() or None,
        "locked": bool(as_bool(row.get("locked"))),
        "is_role": bool(as_bool(row.get("is_role"))),
        "max_user_connections": as_int(row.get("max_user_connections")),
        "privileges": privileges,
    }


def _audit(variables, plugins):
    active = dict((p["name"], p) for p in plugins if p["status"] == "ACTIVE" and p["type"] == "AUDIT")
    if "server_audit" in active or "server_audit_logging" in variables:
        events = [e for e in (as_text(variables.get("server_audit_events")) or "").split(",") if e]
        return {"plugin": "server_audit" if "server_audit" in active else None,
                "enabled": bool(as_bool(variables.get("server_audit_logging"))),
                "events": events, "output": (as_text(variables.get("server_audit_output_type")) or "").lower() or None,
                "file": as_text(variables.get("server_audit_file_path")),
                "rotate_size": as_int(variables.get("server_audit_file_rotate_size")),
                "rotations": as_int(variables.get("server_audit_file_rotations"))}
    if "audit_log" in active or "audit_log_file" in variables:
        # MySQL Enterprise / Percona audit_log: logging whenever the plugin is active.
        policy = as_text(variables.get("audit_log_policy")) or "ALL"
        return {"plugin": "audit_log" if "audit_log" in active else None,
                "enabled": "audit_log" in active and policy != "NONE",
                "events": [policy], "output": (as_text(variables.get("audit_log_handler")) or "file").lower(),
                "file": as_text(variables.get("audit_log_file")),
                "rotate_size": as_int(variables.get("audit_log_rotate_on_size")),
                "rotations": None}
    return {"plugin": None, "enabled": False, "events": [], "output": None, "file": None, "rotate_size": None,
            "rotations": None}


def _password_policy(variables, plugins):
    active = [p["name"] for p in plugins if p["status"] == "ACTIVE" and p["type"] == "PASSWORD VALIDATION"]
    validation = None
    if "validate_password.length" in variables or "validate_password_length" in variables:
        validation = "validate_password"
    elif active:
        validation = ",".join(sorted(active))
    return {"validation": validation, "plugins": sorted(active),
            "default_lifetime_days": as_int(variables.get("default_password_lifetime")),
            "strict_validation": as_bool(variables.get("strict_password_validation"))}


def _tls(variables, session_status, tls_of_connection, now=None):
    have = as_text(variables.get("have_ssl")) or as_text(variables.get("have_openssl"))
    if have is None and as_text(variables.get("ssl_cert")) and as_text(variables.get("ssl_key")):
        # MySQL 8.4 removed have_ssl: TLS is always built in, and on when a certificate is configured.
        enabled = True
    else:
        enabled = (have or "").upper() == "YES"
    versions = [v.strip() for v in (as_text(variables.get("tls_version")) or "").split(",") if v.strip()]
    not_after = as_text(session_status.get("ssl_server_not_after"))
    return {
        "enabled": enabled,
        "have_ssl": have,
        "versions": versions,
        "require_secure_transport": as_bool(variables.get("require_secure_transport")),
        "cert_file": as_text(variables.get("ssl_cert")),
        "ca_file": as_text(variables.get("ssl_ca")),
        "cert_not_after": not_after,
        "cert_days_left": cert_days_left(not_after, now),
        "connection": tls_of_connection,
    }


def collect_security(session, policy=None, instance=None, now=None):
    """Gather ``mysql_security`` facts over an open Session (``now``: epoch seconds, for tests).
    The controls and findings are not here: ``controls.assess`` adds them."""
    collection = Collection(session, instance, now)
    address, version, dialect = collection.address, collection.version, collection.dialect
    collection.run(dialect.security_statements())
    value = collection.value

    variables = value("security_variables") or {}
    # MariaDB lists SERVER_AUDIT in capitals, simple_password_check in lower case.
    plugins = [{"name": (as_text(r["PLUGIN_NAME"]) or "").lower(), "status": as_text(r["PLUGIN_STATUS"]),
                "type": as_text(r["PLUGIN_TYPE"])} for r in value("plugins") or ()]
    session_status = value("session_tls") or {}
    schemata = [as_text(r["SCHEMA_NAME"]) for r in value("schemata") or ()]
    replica_rows = value("replica_status")
    account_rows = value("accounts")
    testdb_rows = value("test_db_grants")
    dynamic = {}
    for row in value("global_grants") or ():
        dynamic.setdefault((as_text(row["USER"]), as_text(row["HOST"])), set()).add(as_text(row["PRIV"]))

    # A login that cannot see the mysql schema cannot see every database either.
    test_databases = None
    if "mysql" in schemata:
        test_databases = sorted(s for s in schemata if s == "test" or s.startswith("test_"))
        test_databases += sorted(set("%s (grants in mysql.db)" % r["Db"] for r in testdb_rows or ()) - set(test_databases))
    channels = channel_facts(replica_rows, dialect) if replica_rows is not None else None
    facts = {
        "instance": address,
        "flavor": version.flavor,
        "version": version.text,
        "accounts": [_account(r, dynamic) for r in account_rows] if account_rows is not None else None,
        "tls": _tls(variables, session_status, session.tls, now),
        "audit": _audit(variables, plugins),
        "password_policy": _password_policy(variables, plugins),
        "settings": {
            "local_infile": as_bool(variables.get("local_infile")),
            "secure_file_priv": None if "secure_file_priv" not in variables else (as_text(variables.get("secure_file_priv")) or ""),
            "have_symlink": as_text(variables.get("have_symlink")),
            "log_error": None if "log_error" not in variables else (as_text(variables.get("log_error")) or ""),
            "sql_mode": as_text(variables.get("sql_mode")) or ("" if "sql_mode" in variables else None),
            "skip_name_resolve": as_bool(variables.get("skip_name_resolve")),
            "skip_networking": as_bool(variables.get("skip_networking")),
            "bind_address": as_text(variables.get("bind_address")),
            "max_connections": as_int(variables.get("max_connections")),
            "max_user_connections": as_int(variables.get("max_user_connections")),
        },
        "test_databases": test_databases,
        "replication_channels": [{"name": c["name"], "source_host": c["source_host"], "ssl": c["ssl"]} for c in channels]
        if channels is not None else None,
        "policy": dict(policy or {}),
    }
    facts["collection"] = collection.report()
    return facts


def gather_security(params, policy=None):
    """Connect, collect, close; the whole ``mysql_security`` document, controls and findings
    included.  When the collector's connection is plain but the server offers TLS, a second
    short TLS connection reads the certificate dates before the controls are evaluated."""
    with connect(params, multi_statements=True) as session:
        facts = collect_security(session, policy=policy, instance=params.address)
    tls = facts["tls"]
    if tls["enabled"] and tls["cert_not_after"] is None and params.ssl_mode in ("disabled", "preferred"):
        try:
            with connect(params.replace(ssl_mode="required")) as probe:
                rows = probe.query("SHOW SESSION STATUS LIKE 'Ssl_server_not_after'")
            tls["cert_not_after"] = as_text(rows[0]["Value"]) if rows else None
            tls["cert_days_left"] = cert_days_left(tls["cert_not_after"])
        except MysqlhaError as exc:
            facts["collection"]["errors"].append({"statement": "TLS certificate probe", "errno": getattr(exc, "errno", None),
                                                  "message": str(exc)})
    return assess(facts)
