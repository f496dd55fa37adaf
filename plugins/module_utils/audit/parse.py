# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit log records as dicts, from the two formats servers write.

MariaDB server_audit (``server_audit_output_type=file``), one event a line:
``timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode``
with ``timestamp`` as ``YYYYMMDD HH:MM:SS`` and ``object`` (the query for QUERY events) in
single quotes, backslash-escaped.

MySQL Enterprise Audit / Percona audit_log in the JSON format: a JSON array, one object a
line (``{"timestamp": "2026-11-22 13:05:01", "class": "general", "event": "status",
"connection_id": 9, "account": {"user": ..., "host": ...}, "login": {"ip": ...},
"general_data": {"command": "Query", "sql_command": "insert", "query": "...", "status": 0}}``).

Every record: ``time`` (ISO 8601), ``user``, ``host``, ``connection_id``, ``event``, ``database``,
``query`` (or the object), ``status``.  A line that is not a record is returned as a
``Malformed`` with its line number, never an exception.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from datetime import datetime

__all__ = ["Malformed", "parse_line", "detect_format"]

MARIADB_FIELDS = 10


class Malformed(object):
    __slots__ = ("line", "why")

    def __init__(self, line, why):
        self.line = line
        self.why = why


def _split_mariadb(text):
    """The ten fields; the ninth may be a quoted string holding commas and escaped quotes."""
    fields = []
    index, length = 0, len(text)
    while index <= length and len(fields) < MARIADB_FIELDS:
        if len(fields) == 8 and text[index:index + 1] == "'":
            out, index = [], index + 1
            while index < length:
                char = text[index]
                if char == "\\" and index + 1 < length:
                    nxt = text[index + 1]
                    out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(nxt, nxt))
                    index += 2
                    continue
                if char == "'":
                    break
                out.append(char)
                index += 1
            else:
                raise ValueError("the quoted object is not closed")
            fields.append("".join(out))
            index += 1
            if index < length and text[index] != ",":
                raise ValueError("text after the quoted object")
            index += 1
            continue
        if len(fields) == MARIADB_FIELDS - 1:
            fields.append(text[index:])
            break
        end = text.find(",", index)
        if end < 0:
            fields.append(text[index:])
            break
        fields.append(text[index:end])
        index = end + 1
    return fields


def _mariadb(text):
    fields = _split_mariadb(text)
    if len(fields) != MARIADB_FIELDS:
        raise ValueError("%d fields, server_audit writes %d" % (len(fields), MARIADB_FIELDS))
    stamp = datetime.strptime(fields[0], "%Y%m%d %H:%M:%S")
    return {"time": stamp.strftime("%Y-%m-%dT%H:%M:%S"), "server": fields[1], "user": fields[2], "host": fields[3],
            "connection_id": int(fields[4]) if fields[4].isdigit() else None, "event": fields[6],
            "database": fields[7], "query": fields[8], "status": int(fields[9]) if fields[9].lstrip("-").isdigit() else None}


def _mysql_json(text):
    text = text.strip().rstrip(",")
    if text in ("[", "]", ""):
        return None
    record = json.loads(text)
    if not isinstance(record, dict) or "timestamp" not in record:
        raise ValueError("not an audit record object")
    stamp = datetime.strptime(str(record["timestamp"]), "%Y-%m-%d %H:%M:%S")
    account = record.get("account") if isinstance(record.get("account"), dict) else {}
    login = record.get("login") if isinstance(record.get("login"), dict) else {}
    data = {}
    for key in ("general_data", "connection_data", "table_access_data"):
        if isinstance(record.get(key), dict):
            data = record[key]
    event = "%s/%s" % (record.get("class", ""), record.get("event", ""))
    query = data.get("query") if isinstance(data.get("query"), str) else ""
    status = data.get("status")
    return {"time": stamp.strftime("%Y-%m-%dT%H:%M:%S"), "server": "", "user": str(account.get("user") or login.get("user") or ""),
            "host": str(account.get("host") or login.get("ip") or ""),
            "connection_id": record.get("connection_id") if isinstance(record.get("connection_id"), int) else None,
            "event": event, "database": str(data.get("db") or ""), "query": query,
            "status": status if isinstance(status, int) else None}


def detect_format(first_line):
    stripped = first_line.lstrip()
    return "mysql_json" if stripped.startswith("[") or stripped.startswith("{") else "mariadb"


def parse_line(text, number, fmt):
    """A record dict, None for a line that holds no record (JSON brackets), or Malformed."""
    try:
        return _mysql_json(text) if fmt == "mysql_json" else _mariadb(text.rstrip("\r\n"))
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        return Malformed(number, str(exc)[:200])
