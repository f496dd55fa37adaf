"""``mysqlha test``: rule unit tests, a timeline of facts in and expected alerts out."""
from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    test = sub.add_parser("test", help="rule unit tests (a timeline of facts in, expected alerts out)")
    test.add_argument("files", nargs="+", help="test files or directories")
    test.add_argument("--require-coverage", action="store_true", help="fail when a rule never fires in any test")


def run_test(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ansible_collections.dbaops.mysql_ha.engine.rules.testing import TestReport, run_test_file

    report = TestReport()
    files: list[str] = []
    for raw in args.files:
        path = Path(raw)
        if path.is_dir():
            files.extend(str(p) for p in sorted(path.rglob("*.yml")))
        else:
            files.append(raw)
    for test_file in files:
        run_test_file(test_file, report)
    for failure in report.failures:
        print(f"FAILED {failure}", file=sys.stderr)
    uncovered = sorted(report.rule_ids - report.fired)
    if uncovered:
        print(f"rules never firing in any test: {', '.join(uncovered)}", file=sys.stderr)
    print(f"{report.passed} passed, {len(report.failures)} failed")
    return 1 if report.failures or (args.require_coverage and uncovered) else 0
