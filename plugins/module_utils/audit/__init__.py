# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit log export: read (parse), filter, mask (mask); the module audit_log is a thin shell."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
from datetime import datetime

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.mask import KINDS, mask
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.parse import Budget, Malformed, read_records

__all__ = ["MALFORMED_SHOWN", "new_counts", "files_of", "parse_when", "read_events", "query_class",
           "event_names"]

MALFORMED_SHOWN = 10
MAX_ROTATIONS = 999
_WHEN_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def new_counts():
    return dict(read=0, matched=0, exported=0, malformed=0, redacted=0, masked=dict((kind, 0) for kind in KINDS))


def parse_when(name, text):
    """``since``/``until`` as the ``YYYY-MM-DDTHH:MM:SS`` events carry; ValueError naming the option."""
    if text is None:
        return None
    for fmt in _WHEN_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError:
            continue
    raise ValueError("%s: %r is not a time as YYYY-MM-DDTHH:MM:SS (the server's time as logged, no offset)"
                     % (name, text))


def files_of(path, rotated):
    """``path``, after its rotated files ``path.N`` ... ``path.1`` (oldest first) when ``rotated``."""
    found = []
    if rotated:
        number = 1
        while number <= MAX_ROTATIONS and os.path.isfile("%s.%d" % (path, number)):
            found.append("%s.%d" % (path, number))
            number += 1
        found.reverse()
    return found + [path]


# server_audit_events names classes; the log names operations (QUERY_DDL is logged as QUERY).
CONNECT_OPERATIONS = ("CONNECT", "DISCONNECT", "FAILED_CONNECT", "CHANGEUSER", "PROXY_CONNECT")
TABLE_OPERATIONS = ("READ", "WRITE", "CREATE", "ALTER", "RENAME", "DROP")
QUERY_CLASSES = ("QUERY_DDL", "QUERY_DML", "QUERY_DML_NO_SELECT", "QUERY_DCL")
# The same names select the MySQL JSON classes, so one events list serves a mixed fleet.
_MYSQL_CLASS = {"CONNECT": "CONNECTION", "TABLE": "TABLE_ACCESS", "QUERY": "GENERAL"}
_LEADING = re.compile(r"(?:\s+|/\*.*?\*/|(?:--\s|#)[^\n]*\n?|\()*([A-Za-z]+)(?:\s+([A-Za-z]+))?", re.DOTALL)
_DML = ("SELECT", "WITH", "VALUES", "TABLE", "INSERT", "UPDATE", "DELETE", "REPLACE", "CALL", "DO", "LOAD", "HANDLER")
_DDL = ("CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE")
_DCL_OBJECTS = ("USER", "ROLE")


def query_class(query):
    """QUERY_DCL, QUERY_DDL, QUERY_DML (SELECT... or a statement that changes rows) or None,
    from the statement's first words, as server_audit classifies them."""
    match = _LEADING.match(query or "")
    if match is None:
        return None
    first, second = match.group(1).upper(), (match.group(2) or "").upper()
    if first in ("GRANT", "REVOKE") or (first in _DDL and second in _DCL_OBJECTS) or (
            first == "SET" and second == "PASSWORD"):
        return "QUERY_DCL"
    if first in _DDL:
        return "QUERY_DDL"
    if first in _DML:
        return "QUERY_DML_SELECT" if first in ("SELECT", "WITH", "VALUES", "TABLE") else "QUERY_DML"
    return None


def event_names(values):
    """The ``events`` option upper-cased; ValueError naming an empty one."""
    names = set()
    for value in values or []:
        name = (value or "").strip().upper()
        if not name:
            raise ValueError("events: an empty event name")
        names.add(name)
    return names


def _wanted(wanted, record):
    """Whether ``record`` is of an event the ``events`` option names: the operation as logged
    (QUERY, WRITE, FAILED_CONNECT; MySQL class/event or class), or a server_audit class
    (CONNECT, TABLE, QUERY_DDL, QUERY_DML, QUERY_DML_NO_SELECT, QUERY_DCL)."""
    if not wanted:
        return True
    event = record["event"].upper()
    if event in wanted or event.split("/", 1)[0] in wanted:
        return True
    if "/" not in event:                                    # server_audit operations
        if event in CONNECT_OPERATIONS and "CONNECT" in wanted:
            return True
        if event in TABLE_OPERATIONS and "TABLE" in wanted:
            return True
    elif any(_MYSQL_CLASS.get(name) == event.split("/", 1)[0] for name in wanted):
        return True
    elif not event.startswith("GENERAL/"):                  # MySQL: the query of general events
        return False
    if not wanted.intersection(QUERY_CLASSES) or (event != "QUERY" and "/" not in event):
        return False
    kind = query_class(record["query"])
    if kind == "QUERY_DML_SELECT":
        return "QUERY_DML" in wanted
    if kind == "QUERY_DML":
        return "QUERY_DML" in wanted or "QUERY_DML_NO_SELECT" in wanted
    return kind is not None and kind in wanted


def read_events(params, result):
    """Yield the masked events of ``params`` (path, rotated, format, since, until, users,
    events, max_bytes); ``result`` gets counts, malformed (the first few as
    ``file:line: why``) and truncated."""
    counts, malformed = result["counts"], result["malformed"]
    since, until = parse_when("since", params.get("since")), parse_when("until", params.get("until"))
    users = set(params.get("users") or [])
    wanted = event_names(params.get("events"))
    budget = Budget(params["max_bytes"])
    result["truncated"] = False
    for path in files_of(params["path"], params.get("rotated")):
        with open(path, "rb") as handle:
            for record in read_records(handle, params.get("format") or "auto", budget, counts):
                if isinstance(record, Malformed):
                    counts["malformed"] += 1
                    if len(malformed) < MALFORMED_SHOWN:
                        malformed.append("%s:%d: %s" % (path, record.line, record.why))
                    continue
                if record is None or (since and record["time"] < since) or (until and record["time"] >= until):
                    continue
                if (users and record["user"] not in users) or not _wanted(wanted, record):
                    continue
                counts["matched"] += 1
                tally = {}
                record["query"] = mask(record["query"], tally)
                counts["redacted"] += tally.pop("redacted", 0)
                for kind, number in tally.items():
                    counts["masked"][kind] = counts["masked"].get(kind, 0) + number
                yield record
        if budget.exhausted:
            result["truncated"] = True
            return
