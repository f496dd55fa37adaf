# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of dbaops.mysql_ha.compliance_report: the report of engine/report, in a play."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible.plugins.action import ActionBase

FORMATS = ("html", "md", "csv", "json", "junit")
SUFFIX = {"html": ".html", "md": ".md", "csv": ".csv", "json": ".json", "junit": ".junit.xml"}
ARGUMENT_SPEC = dict(
    facts=dict(type="raw", required=True),
    dest=dict(type="path", required=True),
    formats=dict(type="list", elements="str", choices=list(FORMATS), default=["html", "json", "junit"]),
    basename=dict(type="str", default="compliance"),
    previous=dict(type="path"),
    title=dict(type="str", default="MySQL/MariaDB compliance report"),
    cluster=dict(type="str", default="default"),
    fail_on=dict(type="str", choices=["critical", "high", "medium", "low"]),
)


def _current(path, limit):
    """The report already at ``path``, to tell a change; only a regular file, and only up to the
    size of the new one (a FIFO or /dev/zero there must not hang or fill memory)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read(limit + 1)
    except (OSError, ValueError):
        return None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            from ansible_collections.dbaops.mysql_ha.engine.report import (
                ReportError,
                build_report,
                failing_at_or_above,
                read_previous,
                render,
                write_atomically,
            )
            from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import facts_from_documents
        except ImportError as exc:
            result.update(failed=True, msg="compliance_report needs the mysqlha engine's libraries on the controller "
                                           "(pip install jsonschema PyYAML): %s" % exc)
            return result
        if os.sep in args["basename"] or args["basename"] in ("", ".", ".."):
            result.update(failed=True, msg="basename must be a file name without a directory: %r" % args["basename"])
            return result
        documents = args["facts"] if isinstance(args["facts"], list) else [args["facts"]]
        loaded = facts_from_documents(documents, default_cluster=args["cluster"], max_age=None, security_alone=True)
        result.update(changed=False, files={}, facts_errors=list(loaded.errors))
        if loaded.warnings:
            result["warnings"] = list(loaded.warnings)
        if loaded.errors:
            result.update(failed=True, msg="nothing written: facts could not be used: %s" % "; ".join(loaded.errors))
            return result
        try:
            previous = read_previous(args["previous"]) if args["previous"] else None
        except ReportError as exc:
            result.update(failed=True, msg="previous: %s" % exc)
            return result
        report = build_report(loaded.snapshot, previous=previous, title=args["title"])
        result["summary"] = report["summary"]
        if not self._task.check_mode:
            try:
                os.makedirs(args["dest"], exist_ok=True)
            except OSError as exc:
                result.update(failed=True, msg="cannot make %s: %s" % (args["dest"], exc.strerror or exc))
                return result
        for fmt in dict.fromkeys(args["formats"]):
            path = os.path.join(args["dest"], args["basename"] + SUFFIX[fmt])
            text = render(report, fmt)
            result["files"][fmt] = path
            if _current(path, len(text)) == text:
                continue
            result["changed"] = True
            if not self._task.check_mode:
                try:
                    write_atomically(path, text)
                except OSError as exc:
                    result.update(failed=True, msg="cannot write %s: %s" % (path, exc.strerror or exc))
                    return result
        if args["fail_on"]:
            worst = failing_at_or_above(report, args["fail_on"])
            result["failing"] = ["%s %s %s" % row for row in worst]
            if worst:
                result.update(failed=True, msg="%d failing at %s or worse: %s" % (
                    len(worst), args["fail_on"], "; ".join(result["failing"][:20])))
        return result
