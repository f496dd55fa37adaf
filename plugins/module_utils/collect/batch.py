# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One collection batch and the sorting of its failures, shared by every collector.

A statement the login may not run becomes a ``missing_privileges`` entry (with the
privileges the server named, or the flavour file's answer); any other failure an
``errors`` entry; optional statements fail silently.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import privileges_named_in

__all__ = ["BatchResults", "PRIVILEGE_ERRNOS"]

# Errors that mean "you may not see this" rather than "this is broken".
PRIVILEGE_ERRNOS = frozenset([1044, 1142, 1143, 1227, 1370])


def short_sql(sql):
    words = sql.split()
    return " ".join(words[:5]) + (" ..." if len(words) > 5 else "")


class BatchResults:
    """Run ``statements`` in as few round trips as possible; read rows per statement."""

    def __init__(self, session, dialect, statements, optional=()):
        self.dialect = dialect
        self.optional = frozenset(optional)
        self.results = dict((r.sql, r) for r in session.run_batch(list(statements)))
        self.errors = []
        self.missing_privileges = []

    def rows(self, sql):
        """The rows of ``sql``, or None when it failed (the failure is recorded once)."""
        result = self.results.get(sql)
        if result is None:
            return None
        if result.ok:
            return result.rows
        if result.errno in PRIVILEGE_ERRNOS:
            if sql not in self.optional:
                needed = privileges_named_in(result.error) or [self.dialect.needed_privilege(sql) or "unknown"]
                self.missing_privileges.append({"statement": short_sql(sql), "privileges": needed,
                                                "errno": result.errno, "message": result.error})
        else:
            self.errors.append({"statement": short_sql(sql), "errno": result.errno, "message": result.error})
        self.results.pop(sql)  # record each failure once
        return None
