# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One collection over an open session, shared by every collector.

``Collection`` detects the server's flavour, runs the collector's statements in as
few round trips as possible, sorts failures (a statement the login may not run is a
``missing_privileges`` entry with the privileges the server named, or the flavour
file's answer; any other failure an ``errors`` entry; optional statements fail
silently) and writes the ``collection`` report of the facts.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import privileges_named_in

__all__ = ["Collection", "PRIVILEGE_ERRNOS"]

# Errors that mean "you may not see this" rather than "this is broken".
PRIVILEGE_ERRNOS = frozenset([1044, 1142, 1143, 1227, 1370])


def short_sql(sql):
    words = sql.split()
    return " ".join(words[:5]) + (" ..." if len(words) > 5 else "")


class Collection:
    """The server's dialect, one batch of statements, and what went wrong."""

    def __init__(self, session, instance=None, now=None):
        self.started = time.monotonic()
        self.now = now  # epoch seconds to report instead of the clock (tests pin it)
        self.session = session
        self.trips_before = session.round_trips
        self.address = instance or session.address
        self.version = parse_version(session.server_version, address=self.address)
        self.dialect = resolve(self.version)
        self.errors = []
        self.missing_privileges = []
        self.statement_count = 0
        self._results = {}
        self._sent = {}

    def run(self, statements):
        """Send ``statements`` (flavors.base.Statement), in as few round trips as the session can."""
        statements = list(statements)
        self.statement_count = len(statements)
        results = self.session.run_batch([statement.sql for statement in statements])
        if len(results) != len(statements):
            raise AssertionError("run_batch gave %d results for %d statements" % (len(results), len(statements)))
        self._sent = dict((statement.name, statement) for statement in statements)
        self._results = dict((statement.name, (statement, result)) for statement, result in zip(statements, results))

    def value(self, name):
        """The parsed result of the statement called ``name``, or None when it failed or was not
        sent (a failure is recorded once: a missing privilege, or an error)."""
        statement, result = self._results.get(name, (None, None))
        if result is None:
            return None
        if result.ok:
            return statement.value(result.rows)
        del self._results[name]
        if result.errno in PRIVILEGE_ERRNOS:
            if not statement.optional:
                needed = privileges_named_in(result.error) or [statement.privilege or "unknown"]
                self.missing_privileges.append({"statement": short_sql(statement.sql), "privileges": needed,
                                                "errno": result.errno, "message": result.error})
        else:
            self.errors.append({"statement": short_sql(statement.sql), "errno": result.errno, "message": result.error})
        return None

    def identify(self, variables):
        """The server's version again, with ``version_comment`` from its variables: Percona Server
        says who it is there, not in the handshake."""
        comment = variables.get("version_comment")
        if comment is None:
            return self.version
        return parse_version(self.session.server_version, comment, self.address)

    def missing(self, name, message, errno=1227):
        """Record the privilege a login lacks although the statement ``name`` ran: the server hid
        rows (PROCESSLIST shows a login without PROCESS its own threads only) instead of failing."""
        statement = self._sent[name]
        self.missing_privileges.append({"statement": short_sql(statement.sql), "privileges": [statement.privilege],
                                        "errno": errno, "message": message})

    def report(self, **extra):
        """The ``collection`` fact: time, round trips, statements, errors, missing privileges, warnings."""
        report = {
            "duration_ms": round((time.monotonic() - self.started) * 1000.0, 3),
            "round_trips": self.session.round_trips - self.trips_before,
            "statements": self.statement_count,
            "errors": self.errors,
            "missing_privileges": self.missing_privileges,
            "warnings": list(self.dialect.warnings),
            # When the facts were read (epoch seconds): a fact cache keeps a failed host's old facts,
            # and the engine must be able to tell them from fresh ones.
            "collected_at": round(self.now if self.now is not None else time.time(), 3),
        }
        report.update(extra)
        return report
