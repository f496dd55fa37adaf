# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit log records as dicts, from the two formats servers write.

MariaDB server_audit (``server_audit_output_type=file``), one event a line:
``timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode``
with ``timestamp`` as ``YYYYMMDD HH:MM:SS`` and ``object`` (the query for QUERY events) in
single quotes, backslash-escaped (a TABLE event's object, a table name, is not quoted, and
its return code is empty).  The user name is not quoted either and may hold commas; the
host (``host:port`` from MariaDB 12), connection id, query id and operation cannot.

MySQL Enterprise Audit / Percona audit_log_filter in the JSON format: one JSON array of records,
each an object, either one a line (``{"timestamp": "2026-11-22 13:05:01", "id": 0, "class":
"general", "event": "status", "connection_id": 9, "account": {"user": ..., "host": ...},
"login": {"ip": ...}, "general_data": {"command": "Query", "sql_command": "insert",
"query": "...", "status": 0}}``) or pretty-printed over several lines as the reference
manual shows them.

Every record: ``time`` (ISO 8601), ``server``, ``user``, ``host``, ``connection_id``, ``event``,
``database``, ``table`` (of a table event), ``query``, ``status`` (None when not logged).
Whatever is not a record (not UTF-8, over the line bound, not the format, cut short at the
end of the file) comes out as a ``Malformed`` naming its line and why, never quoting it (a
broken line may hold a secret), never an exception.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from datetime import datetime

__all__ = ["Malformed", "parse_line", "detect_format", "read_records", "Budget", "MAX_LINE"]

MAX_LINE = 1024 * 1024
_PERCONA_USER = re.compile(r"([^\[\s]*)\[[^\]]*\] @ ")
_JSON_DATA = ("general_data", "connection_data", "table_access_data", "query_data", "command_data")


class Malformed(object):
    __slots__ = ("line", "why")

    def __init__(self, line, why):
        self.line = line
        self.why = why


class Budget(object):
    """Bytes that may still be read, over all the files; ``exhausted`` once a read went past it."""

    def __init__(self, limit):
        self.left = limit
        self.exhausted = False

    def take(self, count):
        self.left -= count
        if self.left < 0:
            self.exhausted = True
        return not self.exhausted


class _Bad(ValueError):
    """A line that is not a record; the message never quotes the line (it may hold a secret)."""


# timestamp,serverhost,username,host,connectionid,queryid,operation,: the user name may hold
# commas (it is not quoted), the host (with :port from MariaDB 12) and the numbers cannot.
_MARIADB_HEAD = re.compile(r"(\d{8} \d\d:\d\d:\d\d),([^,]*),(.*?),([^,]*),(\d+),(\d+),([A-Z_]+),")


def _quoted(text, index):
    """The backslash-escaped object quoted at ``index``, and the index after its closing quote."""
    out, index, length = [], index + 1, len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length:
            nxt = text[index + 1]
            out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(nxt, nxt))
            index += 2
            continue
        if char == "'":
            return "".join(out), index + 1
        out.append(char)
        index += 1
    raise _Bad("the quoted object is not closed")


def _server_audit(text):
    head = _MARIADB_HEAD.match(text)
    if head is None:
        raise _Bad("not timestamp,serverhost,username,host,connectionid,queryid,OPERATION,database,object,retcode"
                   " as server_audit writes it")
    try:
        stamp = datetime.strptime(head.group(1), "%Y%m%d %H:%M:%S")
    except ValueError:
        raise _Bad("the timestamp is not a date YYYYMMDD HH:MM:SS")
    rest = text[head.end():]
    comma = rest.find(",")
    if comma < 0:
        raise _Bad("no object and return code after the database")
    database, rest = rest[:comma], rest[comma + 1:]
    query = table = ""
    if rest.startswith("'"):                    # a query: quoted, escaped, may hold commas
        query, end = _quoted(rest, 0)
        if rest[end:end + 1] != ",":
            raise _Bad("text after the quoted object")
        retcode = rest[end + 1:]
    else:                                       # a table name (TABLE events) or nothing
        table, _comma, retcode = rest.rpartition(",")
        if not _comma:
            raise _Bad("no return code after the object")
    # TABLE events (READ, WRITE, CREATE...) carry no return code: the line ends with the comma.
    if retcode and not re.match(r"-?\d{1,10}\Z", retcode):
        raise _Bad("the return code is not a number")
    return {"time": stamp.strftime("%Y-%m-%dT%H:%M:%S"), "server": head.group(2), "user": head.group(3),
            "host": head.group(4), "connection_id": int(head.group(5)), "event": head.group(7),
            "database": database, "table": table, "query": query, "status": int(retcode) if retcode else None}


def _text(value):
    return value if isinstance(value, str) else ""


def _account_user(user):
    """Percona's audit_log_filter writes ``root[root] @ localhost []``: the user name is ``root``."""
    match = _PERCONA_USER.match(user)
    return match.group(1) if match else user


def _why(exc):
    """Why a line is not a record, without quoting it."""
    if isinstance(exc, _Bad):
        return str(exc)
    if isinstance(exc, json.JSONDecodeError):
        return "not JSON: %s (line %d column %d of the record)" % (exc.msg, exc.lineno, exc.colno)
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    return "not an audit record (%s)" % type(exc).__name__


def _mysql_record(record):
    if not isinstance(record, dict) or "timestamp" not in record:
        raise _Bad("not an audit record object (no timestamp)")
    try:
        stamp = datetime.strptime(str(record["timestamp"]), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise _Bad("the timestamp is not YYYY-MM-DD HH:MM:SS")
    account = record.get("account") if isinstance(record.get("account"), dict) else {}
    login = record.get("login") if isinstance(record.get("login"), dict) else {}
    data = {}
    for key in _JSON_DATA:
        if isinstance(record.get(key), dict):
            data = record[key]
            break
    event = "%s/%s" % (_text(record.get("class")), _text(record.get("event")))
    status = data.get("status")
    connection = record.get("connection_id")
    return {"time": stamp.strftime("%Y-%m-%dT%H:%M:%S"), "server": "",
            "user": _account_user(_text(account.get("user")) or _text(login.get("user"))),
            "host": _text(account.get("host")) or _text(login.get("ip")),
            "connection_id": connection if isinstance(connection, int) and not isinstance(connection, bool) else None,
            "event": event, "database": _text(data.get("db")), "table": _text(data.get("table")),
            "query": _text(data.get("query")),
            "status": status if isinstance(status, int) and not isinstance(status, bool) else None}


def _mysql_json(text):
    text = text.strip().rstrip(",").strip()
    if text in ("[", "]", ""):
        return None
    return _mysql_record(json.loads(text))


def detect_format(first_line):
    stripped = first_line.lstrip()
    return "mysql_json" if stripped.startswith("[") or stripped.startswith("{") else "mariadb"


def parse_line(text, number, fmt):
    """A record dict, None for a line that holds no record (JSON brackets), or Malformed."""
    try:
        return _mysql_json(text) if fmt == "mysql_json" else _server_audit(text.rstrip("\r\n"))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        return Malformed(number, _why(exc))


def _brace_depth(text, depth):
    """``depth`` after ``text``: braces and brackets outside JSON strings (which cannot span lines)."""
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return depth


def _lines(handle, budget, max_line):
    """(number, text or Malformed, ends with a newline) for each line, within the budget."""
    number = 0
    while True:
        raw = handle.readline(max_line + 1)
        if not raw:
            return
        number += 1
        if not budget.take(len(raw)):
            return
        if len(raw) > max_line and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = handle.readline(max_line + 1)
                if not budget.take(len(raw)):
                    return
            yield number, Malformed(number, "line longer than %d bytes" % max_line), True
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, Malformed(number, "not UTF-8 text (byte %d)" % exc.start), raw.endswith(b"\n")
            continue
        if "\x00" in text:
            yield number, Malformed(number, "binary data (a NUL byte)"), raw.endswith(b"\n")
            continue
        yield number, text, text.endswith("\n")


def read_records(handle, fmt, budget, stats, max_line=MAX_LINE):
    """Yield a record dict or a ``Malformed`` for the lines of the binary ``handle``
    (``stats["read"]`` counts the lines); ``fmt`` is ``auto``, ``mariadb`` or ``mysql_json``.
    A JSON record may span lines (the manual's pretty-printed form): its lines are gathered,
    up to ``max_line`` bytes."""
    pending, pending_from, pending_size, depth = [], 0, 0, 0
    for number, text, complete in _lines(handle, budget, max_line):
        stats["read"] = stats.get("read", 0) + 1
        if isinstance(text, Malformed):
            if pending:
                yield Malformed(pending_from, "a record cut by line %d" % number)
                pending, depth = [], 0
            yield text
            continue
        if fmt == "auto":
            if not text.strip():
                continue
            fmt = detect_format(text)
        if fmt == "mariadb":
            if not complete:
                yield Malformed(number, "truncated last line (no newline at the end of the file)")
            elif text.strip():
                yield parse_line(text, number, fmt)
            continue
        stripped = text.strip()
        if not pending:
            if stripped.startswith("["):                 # the array's opening bracket, maybe with a record
                stripped = stripped[1:].strip()
            if not stripped.startswith("{"):
                if stripped.rstrip(",") not in ("", "]"):
                    yield Malformed(number, "not a JSON audit record")
                continue
            pending_from, pending_size, depth = number, 0, 0
        pending.append(stripped)
        pending_size += len(stripped)
        depth = _brace_depth(stripped, depth)
        if pending_size > max_line:
            yield Malformed(pending_from, "record longer than %d bytes" % max_line)
            pending, depth = [], 0
            continue
        if depth <= 0:
            body = "\n".join(pending).rstrip().rstrip("]").rstrip().rstrip(",")
            pending, depth = [], 0
            try:
                yield _mysql_record(json.loads(body))
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                yield Malformed(pending_from, _why(exc))
    if pending:
        yield Malformed(pending_from, "truncated record at the end of the file")
