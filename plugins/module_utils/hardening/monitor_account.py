# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The least-privilege monitoring account: exactly the grants the collectors need.

``desired_grants`` asks the flavour layer what the collectors' statements
need; ``read_account`` parses what the account has; ``plan_monitor`` lists
the statements that make one into the other (extra grants revoked, TLS
required, a connection limit).  User, host and password are always bound
parameters; privilege and object names come from the flavour files only.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import QueryError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import HardeningError

__all__ = ["desired_grants", "parse_grants", "read_account", "plan_monitor", "COLLECTORS", "TLS_VARIABLES_SQL",
           "TLS_CHANNEL_SQL", "server_tls", "read_server_tls", "refuse_tls_without_server_tls"]

COLLECTORS = ("replication", "security")
_GRANT_RE = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<object>\S+) TO ", re.IGNORECASE)
_IDENT_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


def _canonical(privilege, dialect):
    head, paren, columns = privilege.partition("(")
    if paren:  # column-level grant: normalise the privilege word, keep the column list as printed
        return "%s (%s" % (" ".join(head.upper().split()), columns.strip())
    return dialect.canonical_privilege(" ".join(privilege.upper().split()))


def _split_privileges(text):
    """'SELECT (a, b), PROCESS' -> ['SELECT (a, b)', 'PROCESS'] (commas inside parentheses kept)."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def desired_grants(dialect, collectors, heartbeat_table=None):
    """{object: set of privileges} for these collectors on this flavour/version."""
    unknown = set(collectors) - set(COLLECTORS)
    if unknown:
        raise HardeningError("unknown collectors %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(COLLECTORS)))
    grants = dict((obj, set(_canonical(p, dialect) for p in privs))
                  for obj, privs in dialect.monitor_grants(collectors).items())
    if heartbeat_table:
        parts = heartbeat_table.split(".")
        if len(parts) != 2 or not all(_IDENT_RE.match(p) for p in parts):
            raise HardeningError("heartbeat_table must be schema.table with plain identifiers, got %r" % heartbeat_table)
        grants["`%s`.`%s`" % tuple(parts)] = {"SELECT"}
    return grants


def parse_grants(lines, dialect):
    """SHOW GRANTS lines -> {object: set of privileges}; WITH GRANT OPTION counts as GRANT OPTION."""
    grants = {}
    for line in lines:
        match = _GRANT_RE.match(line.strip())
        if not match:
            continue  # GRANT role TO user, PROXY grants: not privileges on objects
        obj = match.group("object")
        privileges = set(_canonical(p, dialect) for p in _split_privileges(match.group("privs")))
        privileges.discard("USAGE")
        if re.search(r"\bWITH\b.*\bGRANT OPTION\b", line, re.IGNORECASE):
            privileges.add("GRANT OPTION")
        if privileges:
            grants.setdefault(obj, set()).update(privileges)
    return grants


def read_account(session, user, host, dialect):
    """The account as it is: None when absent, else grants, TLS requirement, connection limit."""
    rows = session.query("SELECT ssl_type, max_user_connections FROM mysql.user WHERE User = %s AND Host = %s",
                         (user, host))
    if not rows:
        return None
    lines = [list(r.values())[0] for r in session.query("SHOW GRANTS FOR %s@%s", (user, host))]
    return {"grants": parse_grants(lines, dialect), "require": (rows[0]["ssl_type"] or "").upper() or "NONE",
            "max_user_connections": int(rows[0]["max_user_connections"] or 0)}


def plan_monitor(current, desired, user, host, password=None, require_tls=True, max_user_connections=5,
                 update_password="on_create"):
    """Statements [(sql, params)] that make ``current`` (read_account) equal ``desired``."""
    statements = []
    require = "SSL" if require_tls else "NONE"
    if current is None:
        if not password:
            raise HardeningError("monitor account '%s'@'%s' does not exist; a password is needed to create it" % (user, host))
        statements.append(("CREATE USER %%s@%%s IDENTIFIED BY %%s REQUIRE %s WITH MAX_USER_CONNECTIONS %d"
                           % (require, int(max_user_connections)), (user, host, password)))
        for obj, privileges in sorted(desired.items()):
            statements.append(("GRANT %s ON %s TO %%s@%%s" % (", ".join(sorted(privileges)), obj), (user, host)))
        return statements
    for obj, privileges in sorted(current["grants"].items()):
        extra = privileges - desired.get(obj, set())
        if "ALL PRIVILEGES" in extra:
            extra = set(["ALL PRIVILEGES"]) | (extra & set(["GRANT OPTION"]))
        if extra:
            statements.append(("REVOKE %s ON %s FROM %%s@%%s" % (", ".join(sorted(extra)), obj), (user, host)))
    for obj, privileges in sorted(desired.items()):
        have = current["grants"].get(obj, set())
        if "ALL PRIVILEGES" in have:
            have = set()  # revoked above
        missing = privileges - have
        if missing:
            statements.append(("GRANT %s ON %s TO %%s@%%s" % (", ".join(sorted(missing)), obj), (user, host)))
    if current["require"] != require and not (require == "SSL" and current["require"] in ("ANY", "X509", "SPECIFIED")):
        statements.append(("ALTER USER %%s@%%s REQUIRE %s" % require, (user, host)))
    if current["max_user_connections"] != int(max_user_connections):
        statements.append(("ALTER USER %%s@%%s WITH MAX_USER_CONNECTIONS %d" % int(max_user_connections), (user, host)))
    if password and update_password == "always":
        statements.append(("ALTER USER %s@%s IDENTIFIED BY %s", (user, host, password)))
    return statements


TLS_VARIABLES_SQL = "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('have_ssl', 'have_openssl')"
# MySQL 8.0.21+ (the only source in 8.4, which removed have_ssl): one row per TLS channel and property.
TLS_CHANNEL_SQL = ("SELECT CHANNEL, PROPERTY, VALUE FROM performance_schema.tls_channel_status "
                   "WHERE CHANNEL = 'mysql_main' AND PROPERTY = 'Enabled'")


def server_tls(variable_rows, channel_rows=None, connection_tls=False):
    """(enabled, evidence): can a client log in over TLS?  True when this connection itself
    is encrypted; else MariaDB/MySQL have_ssl (YES, DISABLED: no usable certificate, NO:
    built without TLS); else MySQL's tls_channel_status for mysql_main; None when unknown."""
    if connection_tls:
        return True, "this connection uses TLS"
    variables = dict((str(r["Variable_name"]).lower(), r["Value"]) for r in variable_rows or ())
    have = variables.get("have_ssl") or variables.get("have_openssl")
    if have is not None:
        return str(have).upper() == "YES", "have_ssl=%s" % have
    for row in channel_rows or ():
        return str(row["VALUE"]).lower() == "yes", "tls_channel_status mysql_main Enabled=%s" % row["VALUE"]
    return None, "the server reports neither have_ssl nor tls_channel_status"


def read_server_tls(session, dialect):
    """server_tls() over an open Session."""
    variable_rows = session.query(TLS_VARIABLES_SQL)
    channel_rows = None
    if not variable_rows and dialect.reads_tls_channel_status():
        try:
            channel_rows = session.query(TLS_CHANNEL_SQL)
        except QueryError:
            channel_rows = None
    return server_tls(variable_rows, channel_rows, session.tls is not None)


def refuse_tls_without_server_tls(require_tls, tls_state, user, host, address):
    """An account that must use TLS on a server without TLS could never log in: refuse."""
    enabled, evidence = tls_state
    if require_tls and enabled is False:
        raise HardeningError("refusing to make '%s'@'%s' REQUIRE SSL: %s has no TLS (%s), so the account could never "
                             "log in. Configure TLS on the server first (role dbaops.mysql_ha.hardening deploys the "
                             "certificates), or set require_tls: false (monitor_user_require_tls: false with the role "
                             "dbaops.mysql_ha.monitor_user)" % (user, host, address, evidence))
