# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Statements as a reviewer reads them: each ``%s`` of a parameterised statement replaced by
its value as an SQL literal, and a password (the value after ``IDENTIFIED BY``/``AS``,
``PASSWORD(``, ``PASSWORD =``, ``MASTER_PASSWORD =``) shown as ``'***'``.

For display only (check mode, diffs, results): what runs is always the parameterised
statement."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

__all__ = ["statement_text"]

MASK = "'***'"
_SECRET_BEFORE = re.compile(r"(IDENTIFIED\s+(WITH\s+\S+\s+)?(BY|AS)(\s+PASSWORD)?|PASSWORD\s*\(|PASSWORD\s*=)\s*$",
                            re.IGNORECASE)


def _literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r").replace("\x00", "\\0")
    return "'%s'" % escaped


def statement_text(sql, params=None):
    """``sql`` with its parameters in place, secrets masked; ``%%`` stays a literal ``%``."""
    if params is None:
        return sql
    values = list(params) if isinstance(params, (list, tuple)) else [params]
    pieces = re.split(r"(%%|%s)", sql)
    out = []
    for piece in pieces:
        if piece == "%%":
            out.append("%")
        elif piece == "%s":
            value = values.pop(0) if values else None
            out.append(MASK if _SECRET_BEFORE.search("".join(out)) else _literal(value))
        else:
            out.append(piece)
    return "".join(out)
