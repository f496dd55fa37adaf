# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of dbaops.mysql_ha.rules_evaluate: the rule engine, in a play."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

from ansible.plugins.action import ActionBase

SEVERITIES = ("P0", "P1", "P2", "P3")
ARGUMENT_SPEC = dict(
    rules=dict(type="list", elements="str"),
    max_age=dict(type="int", default=900),
    facts=dict(type="raw", required=True),
    cluster=dict(type="str", default="default"),
    fail_on=dict(type="str", choices=list(SEVERITIES)),
    state_file=dict(type="path"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            # The engine needs simpleeval/jsonschema/yaml on the controller; import it only when used.
            from ansible_collections.dbaops.mysql_ha.engine.alerts.store import StateFileError, evaluate_once, firing_at_or_above
            from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set
            from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import facts_from_documents
        except ImportError as exc:
            result.update(failed=True, msg="rules_evaluate needs the mysqlha engine's libraries on the controller "
                                           "(pip install simpleeval jsonschema PyYAML): %s" % exc)
            return result
        documents = args["facts"] if isinstance(args["facts"], list) else [args["facts"]]
        try:
            from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACKAGED_RULES

            rule_set = load_rule_set(args["rules"] or [str(PACKAGED_RULES)])
        except RuleSetError as exc:
            result.update(failed=True, msg="rules do not load:\n" + "\n".join(exc.errors), rule_errors=exc.errors)
            return result
        loaded = facts_from_documents(documents, default_cluster=args["cluster"], max_age=args["max_age"])
        scratch = None
        try:
            state = args["state_file"]
            if state and self._task.check_mode:
                # Check mode reads the state of the earlier runs and leaves the file as it was.
                scratch = tempfile.mkdtemp(prefix="mysqlha-state-")
                if os.path.isfile(state) and not os.path.islink(state):
                    shutil.copyfile(state, os.path.join(scratch, "state.db"))
                state = os.path.join(scratch, "state.db")
            outcome = evaluate_once(rule_set, loaded.snapshot, state_path=state)
        except (StateFileError, OSError) as exc:
            result.update(failed=True, msg="state_file: %s" % exc)
            return result
        finally:
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
        alerts, errors, broken = outcome.alerts, outcome.rule_errors, outcome.failing_everywhere
        counts = dict((s, sum(1 for a in alerts if a["state"] == "firing" and a["severity"] == s)) for s in SEVERITIES)
        result.update(changed=False, alerts=alerts, rule_errors=list(errors), counts=counts,
                      facts_errors=loaded.errors, rules_failing_everywhere=broken)
        if loaded.warnings:
            result["warnings"] = list(result.get("warnings") or []) + list(loaded.warnings)
        if not args["state_file"] and any(a["state"] == "pending" for a in alerts):
            result.setdefault("warnings", []).append(
                "pending alerts (rules with for) never fire without state_file, which keeps the state between runs")
        if loaded.errors or broken:
            # The usable rest was evaluated (alerts above); an input that checked nothing is no pass.
            result.update(failed=True, msg="facts or rules could not be used: %s" % "; ".join(
                loaded.errors + ["rule %s failed on every target" % r for r in broken]))
        if args["fail_on"]:
            worst = firing_at_or_above(alerts, args["fail_on"])
            if worst:
                result.update(failed=True, msg="%d alert(s) at %s or worse: %s" % (
                    len(worst), args["fail_on"], "; ".join("%s %s %s" % (a["severity"], a["rule"], a["instance"]) for a in worst)))
        return result
