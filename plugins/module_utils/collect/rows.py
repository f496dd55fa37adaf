# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small converters from server row values to typed fact values."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

__all__ = ["as_bool", "as_float", "as_int", "as_text", "normalize_column", "normalized_row", "name_value_map"]

# Both flavours say Master/Slave in older columns and Source/Replica in newer
# ones; facts use the newer words whatever the server printed.
_WORDS = (("master", "source"), ("slave", "replica"))


def normalize_column(name):
    """``Slave_IO_Running`` and ``Replica_IO_Running`` -> ``replica_io_running``."""
    key = name.lower()
    for old, new in _WORDS:
        key = key.replace(old, new)
    return key


_TRUE = frozenset(["1", "on", "yes", "true", "enabled"])


def as_bool(value):
    """ON/OFF, Yes/No, 1/0 -> bool; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def as_int(value):
    """An integer or None (for NULL, '' and anything that is not a number)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


def as_float(value):
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_text(value):
    """Text, with NULL and '' both None and bytes decoded."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value)
    return value if value != "" else None


def normalized_row(row):
    """Row with column names in the Source/Replica words, lower case."""
    return dict((normalize_column(key), value) for key, value in row.items())


def name_value_map(rows):
    """SHOW VARIABLES / SHOW STATUS rows -> {lower-case name: value}."""
    result = {}
    for row in rows or ():
        values = list(row.values())
        if len(values) >= 2:
            result[str(values[0]).lower()] = values[1]
    return result
