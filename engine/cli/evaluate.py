"""``mysqlha eval``: evaluate the rules once against fact JSON (exit 0, 1 on --fail-on, 2 unusable)."""
from __future__ import annotations

import argparse
import json
import re
import sys
from enum import IntEnum

from ansible_collections.dbaops.mysql_ha.engine.cli.check import default_rules

SEVERITY_ORDER = ("P0", "P1", "P2", "P3")


def add_parser(sub: argparse._SubParsersAction) -> None:
    evaluate = sub.add_parser("eval", help="evaluate rules once against fact JSON")
    evaluate.add_argument("--rules", action="append", default=None, metavar="PATH",
                          help="rule directory or file; repeat to layer packs in order (@default: the shipped pack; "
                               "default ./rules, else the shipped pack)")
    evaluate.add_argument("--max-age", default="15m", metavar="DURATION",
                          help="facts collected longer ago count as a member that did not report (default 15m; 0: no check)")
    evaluate.add_argument("--facts", nargs="+", required=True,
                          help="module results, fact-cache files or directories, or snapshots (JSON)")
    evaluate.add_argument("--cluster", default="default", help="cluster name for facts without a topology")
    evaluate.add_argument("--format", choices=["json", "table"], default="table", help="table (default) or JSON lines")
    evaluate.add_argument("--state", metavar="FILE",
                          help="SQLite file keeping alert state between runs, so rules with `for` fire on a schedule "
                               "(made when missing, mode 0600)")
    evaluate.add_argument("--fail-on", choices=list(SEVERITY_ORDER),
                          help="exit 1 when an alert this severe or worse fires (2: unusable input or rules)")


class Exit(IntEnum):
    """Exit statuses of ``mysqlha eval`` (docs/rules.md)."""

    OK = 0          # every input evaluated; no alert at or above --fail-on
    ALERTS = 1      # an alert at or above --fail-on fires
    UNUSABLE = 2    # bad usage, rules that do not load, a facts file that could not be used,
    #                 or a rule that failed on every target (alerts of the usable rest are still printed)


MAX_RULE_ERRORS_SHOWN = 20
# Fact values reach the terminal in the table: C0 and C1 controls (ESC, CSI, CR, LF, BEL...),
# DEL and lone surrogates become a space, so a name can neither drive the terminal nor fake a line.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Widths a table column is cut at (the summary is already at most 4096 when rendered), and a
# message on stderr, which names clusters and instances too.
CELL_WIDTHS = {"rule": 64, "cluster": 64, "where": 128, "summary": 1024}
MESSAGE_WIDTH = 1000


def cell(value, width: int) -> str:
    """A fact value as a table shows it: one line, no control character, at most ``width`` characters."""
    text = str(value)
    if len(text) > width:
        text = text[:width - 1] + "\u2026"
    return _UNPRINTABLE.sub(" ", text)


def table_row(alert: dict) -> str:
    where = alert["instance"] + (f" ({alert['channel']})" if alert["channel"] else "")
    return (f"{cell(alert['severity'], 4)}  {cell(alert['state'], 10):<8} {cell(alert['rule'], CELL_WIDTHS['rule']):<30} "
            f"{cell(alert['cluster'], CELL_WIDTHS['cluster']):<12} {cell(where, CELL_WIDTHS['where']):<24} "
            f"{cell(alert['summary'], CELL_WIDTHS['summary'])}")


def run_eval(args: argparse.Namespace) -> int:
    from ansible_collections.dbaops.mysql_ha.engine.alerts.store import StateFileError, evaluate_once, firing_at_or_above
    from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set, parse_duration
    from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import load_facts

    try:
        max_age = parse_duration(args.max_age)
    except ValueError as exc:
        print(f"mysqlha eval: --max-age: {exc}", file=sys.stderr)
        return Exit.UNUSABLE
    try:
        args.cluster.encode("utf-8")
    except UnicodeEncodeError:
        print("mysqlha eval: --cluster is not valid text", file=sys.stderr)
        return Exit.UNUSABLE
    try:
        rule_set = load_rule_set(args.rules or [default_rules()])
    except RuleSetError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return Exit.UNUSABLE
    loaded = load_facts(args.facts, default_cluster=args.cluster, max_age=max_age)
    for warning in loaded.warnings:
        print(f"mysqlha eval: warning: {cell(warning, MESSAGE_WIDTH)}", file=sys.stderr)
    for error in loaded.errors:
        print(f"mysqlha eval: unusable input: {cell(error, MESSAGE_WIDTH)}", file=sys.stderr)
    try:
        outcome = evaluate_once(rule_set, loaded.snapshot, state_path=args.state)
    except StateFileError as exc:
        print(f"mysqlha eval: --state {exc}", file=sys.stderr)
        return Exit.UNUSABLE
    errors, broken, alerts = outcome.rule_errors, outcome.failing_everywhere, outcome.alerts
    if not args.state and any(a["state"] == "pending" for a in alerts):
        print("mysqlha eval: note: pending alerts (rules with `for`) never fire in a run without --state FILE, "
              "which keeps the state between runs", file=sys.stderr)
    for error in errors[:MAX_RULE_ERRORS_SHOWN]:
        print(f"mysqlha eval: rule error: {cell(error, MESSAGE_WIDTH)}", file=sys.stderr)
    if len(errors) > MAX_RULE_ERRORS_SHOWN:
        print(f"mysqlha eval: ... and {len(errors) - MAX_RULE_ERRORS_SHOWN} more rule errors", file=sys.stderr)
    if broken:
        print(f"mysqlha eval: rules that failed on every target (they checked nothing): {', '.join(broken)}",
              file=sys.stderr)
    if args.format == "json":
        for alert in alerts:
            print(json.dumps(alert, sort_keys=True))
    else:
        for alert in alerts:
            print(table_row(alert))
        if not alerts:
            print("no alerts" + (" (from the usable part of the input)" if loaded.errors or broken else ""))
    if args.fail_on and firing_at_or_above(alerts, args.fail_on):
        return Exit.ALERTS
    if loaded.errors or broken:
        return Exit.UNUSABLE
    return Exit.OK
