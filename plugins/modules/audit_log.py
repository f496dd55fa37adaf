#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_log
short_description: Export MySQL/MariaDB audit events as JSON lines with sensitive literals masked
version_added: 0.3.0
description:
  - Reads an audit log on the host it runs on, MariaDB C(server_audit) files or the MySQL Enterprise / Percona
    C(audit_log) JSON format, keeps the events of a time window, users and event types, and exports them as
    JSON lines (one object per event) with the sensitive literals of each query masked.
  - "Masked: passwords (C(IDENTIFIED BY), C(PASSWORD()), C(SET PASSWORD), C(MASTER_PASSWORD)), card numbers that
    pass the Luhn check, Chinese resident identity numbers with a valid check character, mobile and international
    phone numbers, and e-mail addresses (docs/audit_log.md)."
  - A query that names a password whose literal cannot be located is replaced whole, and counted, never passed on.
  - A line that is not an event (binary data, a line over 1 MiB, a truncated last line) is counted and named by
    file and line, never fatal.
author:
  - dbaops team (@dbaops)
options:
  path:
    description: The audit log file (C(server_audit.log), C(audit.log)).
    type: path
    required: true
  rotated:
    description: Also read its rotated files C(path.1), C(path.2)... (oldest first).
    type: bool
    default: false
  format:
    description: C(mariadb) (server_audit), C(mysql_json), or C(auto) (from the first line).
    type: str
    choices: [auto, mariadb, mysql_json]
    default: auto
  since:
    description: Keep events at or after this time (C(YYYY-MM-DDTHH:MM:SS), the server's local time as logged).
    type: str
  until:
    description: Keep events before this time (same form).
    type: str
  users:
    description: Keep events of these users only.
    type: list
    elements: str
    default: []
  events:
    description:
      - Keep these event types only (server_audit C(CONNECT), C(QUERY), C(QUERY_DDL)... or MySQL C(class/event) such as
        C(general/status)).
    type: list
    elements: str
    default: []
  dest:
    description:
      - File to write the masked events to, as JSON lines (mode 0600, replaced atomically). Without it the events are
        returned in RV(events), at most O(max_events).
    type: path
  max_events:
    description: Events returned in RV(events) when O(dest) is not set.
    type: int
    default: 1000
  max_bytes:
    description: Bytes read in all; the rest is left unread and the result says so.
    type: int
    default: 1073741824
attributes:
  check_mode:
    support: full
    description: Reads and reports; writes no O(dest).
"""

EXAMPLES = r"""
- name: Yesterday's DDL and grants, masked, for the auditors
  dbaops.mysql_ha.audit_log:
    path: /var/lib/mysql/server_audit.log
    rotated: true
    since: "2026-11-21T00:00:00"
    until: "2026-11-22T00:00:00"
    events: [QUERY_DDL, QUERY_DCL]
    dest: /var/tmp/audit-2026-11-21.jsonl
"""

RETURN = r"""
counts:
  description: Lines read, events matched by the filters, events exported, lines that were not events.
  returned: always
  type: dict
masked:
  description: Literals masked per kind (password, card, id, phone, email) and queries redacted whole (redacted).
  returned: always
  type: dict
malformed:
  description: "The first lines that were not events, as C(file:line: why)."
  returned: always
  type: list
  elements: str
truncated:
  description: True when O(max_bytes) stopped the reading.
  returned: always
  type: bool
events:
  description: The masked events (C(time), C(user), C(host), C(connection_id), C(event), C(database), C(query), C(status)).
  returned: when dest is not set
  type: list
  elements: dict
dest:
  description: The file written.
  returned: when dest is set
  type: str
"""

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.mask import KINDS, mask
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.parse import Malformed, detect_format, parse_line

MAX_LINE = 1024 * 1024
MALFORMED_SHOWN = 10


def files_of(path, rotated):
    found = []
    if rotated:
        number = 1
        while os.path.isfile("%s.%d" % (path, number)) and number < 1000:
            found.append("%s.%d" % (path, number))
            number += 1
        found.reverse()
    return found + [path]


def read_events(params, result):
    counts, masked, malformed = result["counts"], result["masked"], result["malformed"]
    budget = params["max_bytes"]
    users, events = set(params["users"]), set(params["events"])
    for path in files_of(params["path"], params["rotated"]):
        fmt = params["format"]
        with open(path, "rb") as handle:
            number = 0
            while True:
                raw = handle.readline(MAX_LINE + 1)
                if not raw:
                    break
                number += 1
                budget -= len(raw)
                if budget < 0:
                    result["truncated"] = True
                    return
                if len(raw) > MAX_LINE:
                    while raw and not raw.endswith(b"\n"):
                        raw = handle.readline(MAX_LINE + 1)
                        budget -= len(raw)
                    record = Malformed(number, "line longer than %d bytes" % MAX_LINE)
                else:
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        text, record = None, Malformed(number, "not UTF-8 text (byte %d)" % exc.start)
                    if text is not None:
                        if fmt == "auto":
                            fmt = detect_format(text)
                        record = parse_line(text, number, fmt)
                counts["read"] += 1
                if record is None:
                    continue
                if isinstance(record, Malformed):
                    counts["malformed"] += 1
                    if len(malformed) < MALFORMED_SHOWN:
                        malformed.append("%s:%d: %s" % (path, record.line, record.why))
                    continue
                if (params["since"] and record["time"] < params["since"]) or (params["until"] and record["time"] >= params["until"]):
                    continue
                if (users and record["user"] not in users) or (events and record["event"] not in events):
                    continue
                counts["matched"] += 1
                record["query"] = mask(record["query"], masked)
                yield record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            rotated=dict(type="bool", default=False),
            format=dict(type="str", choices=["auto", "mariadb", "mysql_json"], default="auto"),
            since=dict(type="str"), until=dict(type="str"),
            users=dict(type="list", elements="str", default=[]),
            events=dict(type="list", elements="str", default=[]),
            dest=dict(type="path"),
            max_events=dict(type="int", default=1000),
            max_bytes=dict(type="int", default=1024 ** 3),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not os.path.isfile(params["path"]):
        module.fail_json(msg="%s: not a regular file (the audit log to read)" % params["path"])
    result = dict(changed=False, counts=dict(read=0, matched=0, exported=0, malformed=0),
                  masked=dict((k, 0) for k in KINDS), malformed=[], truncated=False)
    lines, events = [], []
    try:
        for record in read_events(params, result):
            result["counts"]["exported"] += 1
            if params["dest"]:
                lines.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
            elif len(events) < params["max_events"]:
                events.append(record)
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (params["path"], exc.strerror or exc), **result)
    if not params["dest"]:
        result["counts"]["exported"] = len(events)
        result["events"] = events
        module.exit_json(**result)
    text = "".join(line + "\n" for line in lines)
    try:
        with open(params["dest"], encoding="utf-8") as handle:
            current = handle.read()
    except (OSError, ValueError):
        current = None
    result["dest"] = params["dest"]
    if current != text:
        result["changed"] = True
        if not module.check_mode:
            try:
                fd, temporary = tempfile.mkstemp(prefix=".audit-", dir=os.path.dirname(os.path.abspath(params["dest"])))
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                os.chmod(temporary, 0o600)
                os.replace(temporary, params["dest"])
            except OSError as exc:
                module.fail_json(msg="cannot write %s: %s" % (params["dest"], exc.strerror or exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
