# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit log export: read (parse), filter, mask (mask); the module audit_log is a thin shell."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from datetime import datetime

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.mask import KINDS, mask
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.parse import Budget, Malformed, read_records

__all__ = ["MALFORMED_SHOWN", "new_counts", "files_of", "parse_when", "read_events"]

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


def _wanted(wanted, record):
    if not wanted:
        return True
    event = record["event"].upper()
    return event in wanted or event.split("/", 1)[0] in wanted


def read_events(params, result):
    """Yield the masked events of ``params`` (path, rotated, format, since, until, users,
    events, max_bytes); ``result`` gets counts, malformed (the first few as
    ``file:line: why``) and truncated."""
    counts, malformed = result["counts"], result["malformed"]
    since, until = parse_when("since", params.get("since")), parse_when("until", params.get("until"))
    users = set(params.get("users") or [])
    wanted = set(event.upper() for event in params.get("events") or [])
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
