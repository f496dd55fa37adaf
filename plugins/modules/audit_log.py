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
  - Reads an audit log on the host it runs on, MariaDB C(server_audit) files or the JSON format of MySQL
    Enterprise Audit (and Percona C(audit_log_filter)), keeps the events of a time window, users and event types,
    and exports them as JSON lines (one object per event) with the sensitive literals of each query masked.
  - "Masked: passwords (C(IDENTIFIED BY), C(PASSWORD), C(SET PASSWORD), C(MASTER_PASSWORD), encryption keys), card
    numbers that pass the Luhn check, Chinese resident identity numbers with a valid check character, US social
    security numbers, mainland mobile and international phone numbers, and e-mail addresses (docs/audit_log.md)."
  - A query that names a password whose literal cannot be located is replaced whole, and counted, never passed on.
  - A line that is not an event (binary data, a line over 1 MiB, a truncated last line) is counted and named by
    file and line (never quoted, it may hold a secret), never fatal.
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
    description:
      - Keep events at or after this time, C(YYYY-MM-DDTHH:MM:SS) (or with a space, or a date alone), compared with the
        time as logged (MariaDB writes the server's local time, MySQL JSON records UTC); no offset.
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
      - Keep these event types only, case-insensitive.
      - "server_audit: an operation as logged (C(QUERY), C(FAILED_CONNECT), C(WRITE)...) or a class of
        C(server_audit_events): C(CONNECT) (connects, disconnects, failed connects), C(TABLE) (C(READ), C(WRITE),
        C(CREATE), C(ALTER), C(RENAME), C(DROP)), C(QUERY_DDL), C(QUERY_DML), C(QUERY_DML_NO_SELECT), C(QUERY_DCL)
        (queries told apart by their first words, as server_audit does; the log says C(QUERY) for all)."
      - MySQL JSON, a class such as C(general) or C(connection), or a C(class/event) such as C(general/status); the
        C(QUERY_...) classes select C(general) events by their query, and C(CONNECT), C(TABLE) and C(QUERY) the classes
        C(connection), C(table_access) and C(general), so that one list serves both formats.
    type: list
    elements: str
    default: []
  dest:
    description:
      - File to write the masked events to, as JSON lines (mode 0600, replaced atomically). Without it the events are
        returned in RV(events), at most O(max_events).
    type: path
  max_events:
    description: Events returned in RV(events) when O(dest) is not set (the rest are counted in C(matched)).
    type: int
    default: 1000
  max_bytes:
    description: Bytes read in all; the rest is left unread and the result says so.
    type: int
    default: 1073741824
attributes:
  check_mode:
    support: full
    description: Reads and reports whether O(dest) would change; writes nothing.
  diff_mode:
    support: full
    description: The number of events and the sha256 of O(dest) before and after (not the events themselves).
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

- name: Failed logins of the last day, returned to the play
  dbaops.mysql_ha.audit_log:
    path: /var/lib/mysql/server_audit.log
    since: "{{ '%Y-%m-%dT%H:%M:%S' | strftime(ansible_date_time.epoch | int - 86400) }}"
    events: [FAILED_CONNECT]
  register: failed_logins

- name: What a MySQL Enterprise JSON audit log says the root account did
  dbaops.mysql_ha.audit_log:
    path: /var/lib/mysql/audit.json
    format: mysql_json
    users: [root]
    events: [general]
    max_events: 200
"""

RETURN = r"""
counts:
  description:
    - C(read) lines read, C(matched) events the filters kept, C(exported) events written to O(dest) or returned,
      C(malformed) lines that were not events, C(redacted) queries replaced whole because a password literal could
      not be located, and C(masked), literals masked per kind (C(password), C(card), C(id), C(phone), C(email)).
  returned: always
  type: dict
  sample: {"read": 7, "matched": 6, "exported": 6, "malformed": 1, "redacted": 0,
           "masked": {"password": 1, "card": 1, "id": 0, "phone": 1, "email": 1}}
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
  description:
    - The masked events, at most O(max_events) (C(time), C(server), C(user), C(host), C(connection_id), C(event),
      C(database), C(table) of a table event, C(query), C(status) or null when the log has none); the lines of
      O(dest) are the same objects.
  returned: when dest is not set
  type: list
  elements: dict
dest:
  description: The file written (or that would be, in check mode).
  returned: when dest is set
  type: str
"""

import hashlib
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit import (
    event_names,
    new_counts,
    parse_when,
    read_events,
)

CHUNK = 1024 * 1024


def digest_of(path):
    """(sha256, lines) of the file at ``path``, or (None, 0) when there is none to read."""
    digest, lines = hashlib.sha256(), 0
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
                lines += chunk.count(b"\n")
    except OSError:
        return None, 0
    return digest.hexdigest(), lines


def summary(path, digest, lines):
    """What the diff shows of an export: its events and digest, never the events themselves."""
    if digest is None:
        return ""
    return "%s: %d events, sha256 %s\n" % (path, lines, digest)


def export(module, params, result):
    """Stream the events to a temporary file beside dest (0600), then replace dest with it
    when the content differs; in check mode only the digest is computed."""
    dest = params["dest"]
    digest = hashlib.sha256()
    handle, temporary = None, None
    try:
        if not module.check_mode:
            try:
                fd, temporary = tempfile.mkstemp(prefix=".audit-", dir=os.path.dirname(os.path.abspath(dest)))
            except OSError as exc:
                module.fail_json(msg="dest %s: cannot write beside it: %s" % (dest, exc.strerror or exc), **result)
            handle = os.fdopen(fd, "wb")
        for record in read_events(params, result):
            line = (json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
            digest.update(line)
            result["counts"]["exported"] += 1
            if handle is not None:
                handle.write(line)
        if handle is not None:
            handle.close()
            handle = None
        before, before_lines = digest_of(dest)
        result["changed"] = digest.hexdigest() != before
        if module._diff:
            result["diff"] = dict(before_header=dest, after_header=dest, before=summary(dest, before, before_lines),
                                  after=summary(dest, digest.hexdigest(), result["counts"]["exported"]))
        if temporary is not None and result["changed"]:
            try:
                os.chmod(temporary, 0o600)
                os.replace(temporary, dest)
            except OSError as exc:
                module.fail_json(msg="dest %s: cannot replace it: %s" % (dest, exc.strerror or exc), **result)
            temporary = None
    finally:
        if handle is not None:
            handle.close()
        if temporary is not None:
            os.unlink(temporary)
    result["dest"] = dest


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
    result = dict(changed=False, counts=new_counts(), malformed=[], truncated=False)
    try:
        parse_when("since", params["since"])
        parse_when("until", params["until"])
        event_names(params["events"])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **result)
    if params["max_events"] < 0 or params["max_bytes"] < 1:
        module.fail_json(msg="max_events must be 0 or more and max_bytes 1 or more", **result)
    if not os.path.isfile(params["path"]):
        module.fail_json(msg="%s: not a regular file (the audit log to read)" % params["path"], **result)
    try:
        if params["dest"]:
            export(module, params, result)
        else:
            events = []
            for record in read_events(params, result):
                if len(events) < params["max_events"]:
                    events.append(record)
            result["counts"]["exported"] = len(events)
            result["events"] = events
    except OSError as exc:
        module.fail_json(msg="%s: %s" % (getattr(exc, "filename", None) or params["path"], exc.strerror or exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
