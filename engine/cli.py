"""The ``mysqlha`` command."""
from __future__ import annotations

import argparse
import json
import sys
from enum import IntEnum

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError, default_lab_dir
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError


def _lab_parser(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser("lab", help="local real MariaDB topologies on loopback ports")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    up = lab_sub.add_parser("up", help="start a primary with GTID replicas and/or a Galera cluster")
    up.add_argument("--replicas", type=int, default=2, help="number of GTID replicas (default 2)")
    up.add_argument("--semi-sync", action="store_true", help="enable semi-sync on every node")
    up.add_argument("--delayed", type=int, metavar="SECONDS", help="add a replica delayed by SECONDS")
    up.add_argument("--galera", type=int, default=0, metavar="N", help="also start an N-node Galera cluster")
    up.add_argument("--no-replication", action="store_true", help="start no primary/replicas (Galera only)")
    up.add_argument("--tls", action="store_true", help="serve TLS from a CA made for the lab (tls/ca.pem)")
    up.add_argument("--keep-install-accounts", action="store_true",
                    help="keep the accounts mariadb-install-db makes (root@127.0.0.1, root@::1 ... with empty passwords "
                         "and no recorded password change), like a server nobody has secured yet")
    up.add_argument("--own-host", action="append", default=[], metavar="NODE",
                    help="run NODE (primary, replicaN) on a host of its own (a network namespace, root only) so "
                         "`lab silence` can cut it off; repeat for more nodes")
    for name, help_text in (("down", "stop every server the lab started"), ("status", "show the lab's servers"),
                            ("inventory", "print the lab as Ansible variables (YAML)")):
        lab_sub.add_parser(name, help=help_text)
    for name, help_text in (("freeze", "SIGSTOP a node: alive to TCP, no answer"),
                            ("thaw", "undo a node's faults: SIGCONT, release its flood, lift its silence"),
                            ("kill", "SIGKILL a node")):
        fault = lab_sub.add_parser(name, help=help_text)
        fault.add_argument("node", help="node name (see lab status)")
    flood = lab_sub.add_parser("flood", help="hold N idle TCP connections to a node (released by thaw or down)")
    flood.add_argument("node", help="node name (see lab status)")
    flood.add_argument("count", type=int, help="connections (1..10000)")
    silence = lab_sub.add_parser("silence", help="make a node's own host answer nothing on any port (undone by thaw)")
    silence.add_argument("node", help="a node started with --own-host")
    silence.add_argument("--keep", action="append", default=[], metavar="NODE",
                         help="a node with a host of its own that still reaches it (a partition); repeatable")
    for parser in lab_sub.choices.values():
        parser.add_argument("--dir", default=None, help=f"lab directory (default $MYSQLHA_LAB_DIR or {default_lab_dir()})")
        parser.add_argument("--json", action="store_true", help="print JSON")


def lab_inventory(lab: Lab) -> dict:
    """Variables a playbook needs to reach the lab (no password: client.cnf holds it)."""
    replication = [n.address for n in lab.nodes if n.role in ("primary", "replica")]
    galera = [n.address for n in lab.nodes if n.role == "galera"]
    return {"mysqlha_lab_dir": lab.base, "mysqlha_config_file": lab.client_file,
            "mysqlha_replication_members": replication, "mysqlha_galera_members": galera,
            "mysqlha_nodes": {n.name: n.address for n in lab.nodes}}


def _print_status(lab: Lab, as_json: bool) -> None:
    rows = lab.status()
    if as_json:
        print(json.dumps({"dir": lab.base, "topology": lab.topology, "nodes": rows}, indent=2))
        return
    if not rows:
        print(f"no lab in {lab.base}")
        return
    print(f"lab {lab.base}  (login: {lab.client_file})")
    shown = {"frozen": "frozen (SIGSTOP: alive, not answering)", "stopped": "stopped (lab down)",
             "silent": "silent (its host answers nothing: lab silence)"}
    for row in rows:
        state = shown.get(row["state"], row["state"])
        if row["state"] == "dead":
            state = f"dead (not running: killed or crashed; see {row['error_log']})"
        print(f"  {row['name']:<10} {row['role']:<8} {row['address']:<22} pid {row['pid'] or '-':<8} {state}")


def run_lab(args: argparse.Namespace) -> int:
    lab = Lab(args.dir)
    if args.lab_command == "up":
        lab.up(replicas=args.replicas, semi_sync=args.semi_sync, delayed=args.delayed, galera=args.galera,
               replication=not args.no_replication, tls=args.tls, keep_install_accounts=args.keep_install_accounts,
               own_hosts=tuple(args.own_host))
        _print_status(lab, args.json)
        if not args.json:
            print(f"started in {lab.topology['seconds_to_start']}s")
    elif args.lab_command == "down":
        stopped = lab.down()
        print(json.dumps({"stopped": stopped}) if args.json else f"stopped: {', '.join(stopped) or 'nothing running'}")
    elif args.lab_command == "status":
        _print_status(lab, args.json)
    elif args.lab_command in ("freeze", "thaw", "kill"):
        getattr(lab, args.lab_command)(args.node)
        print(f"{args.lab_command}: {args.node}")
    elif args.lab_command == "flood":
        pid = lab.flood(args.node, args.count)
        print(f"flood: {args.count} idle connections to {args.node} held by pid {pid} (released by thaw or down)")
    elif args.lab_command == "silence":
        lab.silence(args.node, keep=tuple(args.keep))
        kept = f" (still reached by {', '.join(args.keep)})" if args.keep else ""
        print(f"silence: {args.node}'s host answers nothing{kept}; `lab thaw {args.node}` undoes it")
    elif args.lab_command == "inventory":
        import yaml

        print(yaml.safe_dump(lab_inventory(lab), sort_keys=False), end="")
    return 0


SEVERITY_ORDER = ("P0", "P1", "P2", "P3")


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
        print(f"mysqlha check: {len(exc.errors)} error(s)", file=sys.stderr)
        return 1
    where = "" if args.paths else f" ({default_rules()})"
    print(f"ok: {len(rule_set.rules)} rules in {len(rule_set.files)} files{where}")
    return 0


class Exit(IntEnum):
    """Exit statuses of ``mysqlha eval`` (docs/rules.md)."""

    OK = 0          # every input evaluated; no alert at or above --fail-on
    ALERTS = 1      # an alert at or above --fail-on fires
    UNUSABLE = 2    # bad usage, rules that do not load, a facts file that could not be used,
    #                 or a rule that failed on every target (alerts of the usable rest are still printed)


MAX_RULE_ERRORS_SHOWN = 20


def run_eval(args: argparse.Namespace) -> int:
    from ansible_collections.dbaops.mysql_ha.engine.alerts.store import evaluate_once, firing_at_or_above
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
        rule_set = load_rule_set([args.rules or default_rules()])
    except RuleSetError as exc:
        print("\n".join(exc.errors), file=sys.stderr)
        return Exit.UNUSABLE
    loaded = load_facts(args.facts, default_cluster=args.cluster, max_age=max_age)
    for warning in loaded.warnings:
        print(f"mysqlha eval: warning: {warning}", file=sys.stderr)
    for error in loaded.errors:
        print(f"mysqlha eval: unusable input: {error}", file=sys.stderr)
    outcome = evaluate_once(rule_set, loaded.snapshot)
    errors, broken, alerts = outcome.rule_errors, outcome.failing_everywhere, outcome.alerts
    for error in errors[:MAX_RULE_ERRORS_SHOWN]:
        print(f"mysqlha eval: rule error: {error}", file=sys.stderr)
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
            where = alert["instance"] + (f" ({alert['channel']})" if alert["channel"] else "")
            print(f"{alert['severity']}  {alert['state']:<8} {alert['rule']:<30} {alert['cluster']:<12} {where:<24} {alert['summary']}")
        if not alerts:
            print("no alerts" + (" (from the usable part of the input)" if loaded.errors or broken else ""))
    if args.fail_on and firing_at_or_above(alerts, args.fail_on):
        return Exit.ALERTS
    if loaded.errors or broken:
        return Exit.UNUSABLE
    return Exit.OK


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mysqlha", description="MySQL/MariaDB HA facts, analysis and rules")
    sub = parser.add_subparsers(dest="command", required=True)
    _lab_parser(sub)
    check = sub.add_parser("check", help="validate rule files (file:line: message, exit 1 on any error)")
    check.add_argument("paths", nargs="*", help="rule files or directories (default ./rules, else the installed default pack)")
    evaluate = sub.add_parser("eval", help="evaluate rules once against fact JSON")
    evaluate.add_argument("--rules", default=None, help="rule directory or file (default ./rules, else the installed default pack)")
    evaluate.add_argument("--max-age", default="15m", metavar="DURATION",
                          help="facts collected longer ago count as a member that did not report (default 15m; 0: no check)")
    evaluate.add_argument("--facts", nargs="+", required=True,
                          help="module results, fact-cache files or directories, or snapshots (JSON)")
    evaluate.add_argument("--cluster", default="default", help="cluster name for facts without a topology")
    evaluate.add_argument("--format", choices=["json", "table"], default="table", help="table (default) or JSON lines")
    evaluate.add_argument("--fail-on", choices=list(SEVERITY_ORDER),
                          help="exit 1 when an alert this severe or worse fires (2: unusable input or rules)")
    test = sub.add_parser("test", help="rule unit tests (a timeline of facts in, expected alerts out)")
    test.add_argument("files", nargs="+", help="test files or directories")
    test.add_argument("--require-coverage", action="store_true", help="fail when a rule never fires in any test")
    from ansible_collections.dbaops.mysql_ha.engine.daemon.cli import add_parsers

    add_parsers(sub)
    demo = sub.add_parser("demo", help="the main job on a local lab: facts, a fault, its detection")
    demo.add_argument("--dir", default=None, help="lab directory")
    demo.add_argument("--keep", action="store_true", help="leave the lab running afterwards")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "lab":
            return run_lab(args)
        if args.command == "check":
            return run_check(args)
        if args.command == "eval":
            return run_eval(args)
        if args.command == "test":
            return run_test(args)
        if args.command == "run":
            from ansible_collections.dbaops.mysql_ha.engine.daemon.cli import run_daemon

            return run_daemon(args)
        if args.command in ("alerts", "ack", "silence"):
            from ansible_collections.dbaops.mysql_ha.engine.daemon.cli import run_client

            return run_client(args)
        if args.command == "demo":
            from ansible_collections.dbaops.mysql_ha.engine.demo import run_demo

            return run_demo(args.dir, keep=args.keep)
    except (LabError, MysqlhaError, ValueError) as exc:
        print(f"mysqlha: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:   # a directory that cannot be made or written, a name too long...
        print(f"mysqlha: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
