"""``mysqlha check``: validate rule files in one pass (file:line: message)."""
from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="validate rule files (file:line: message, exit 1 on any error)")
    check.add_argument("paths", nargs="*", help="rule files or directories (default ./rules, else the installed default pack)")


def default_rules() -> str:
    """./rules when there is one, else the default pack installed with the package."""
    from pathlib import Path

    from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACKAGED_RULES

    return "rules" if Path("rules").is_dir() else str(PACKAGED_RULES)


def run_check(args: argparse.Namespace) -> int:
    from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set

    try:
        rule_set = load_rule_set(args.paths or [default_rules()])
    except RuleSetError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"mysqlha check: {exc.count} error(s)", file=sys.stderr)
        return 1
    where = "" if args.paths else f" ({default_rules()})"
    print(f"ok: {len(rule_set.rules)} rules in {len(rule_set.files)} files{where}")
    waiting = sorted(r.id for r in rule_set.rules if r.for_seconds > 0)
    if waiting:
        print(f"note: {len(waiting)} rules use `for` ({', '.join(waiting[:8])}{', ...' if len(waiting) > 8 else ''}): "
              "in one-shot runs they fire only with a state file (mysqlha eval --state, rules_evaluate state_file); "
              "mysqlha run keeps state itself", file=sys.stderr)
    return 0
