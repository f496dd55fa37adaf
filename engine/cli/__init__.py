"""The ``mysqlha`` command: one module per command (lab, check, evaluate, ruletest, report, daemon).

``main`` is the console script; ``python -m ansible_collections.dbaops.mysql_ha.engine``
(or ``.engine.cli``) runs it too.  Every failure a user can act on is one line on stderr and
a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import sys

from ansible_collections.dbaops.mysql_ha.engine.cli import check, daemon, evaluate, lab, report, ruletest
from ansible_collections.dbaops.mysql_ha.engine.cli.check import default_rules
from ansible_collections.dbaops.mysql_ha.engine.cli.evaluate import SEVERITY_ORDER, Exit
from ansible_collections.dbaops.mysql_ha.engine.cli.lab import lab_inventory
from ansible_collections.dbaops.mysql_ha.engine.lab import LabError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError

__all__ = ["Exit", "SEVERITY_ORDER", "build_parser", "default_rules", "lab_inventory", "main"]


def collection_version() -> str:
    """The collection's version from its galaxy.yml (shipped in the package and the tarball)."""
    from pathlib import Path

    import yaml

    try:
        with open(Path(__file__).resolve().parents[2] / "galaxy.yml", encoding="utf-8") as handle:
            return str(yaml.safe_load(handle)["version"])
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mysqlha", description="MySQL/MariaDB HA facts, analysis, rules and alerts")
    parser.add_argument("--version", action="version", version=f"mysqlha (dbaops.mysql_ha) {collection_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    lab.add_parser(sub)
    check.add_parser(sub)
    evaluate.add_parser(sub)
    ruletest.add_parser(sub)
    report.add_parser(sub)
    daemon.add_parsers(sub)
    demo = sub.add_parser("demo", help="the main job on a local lab: facts, a fault, its detection")
    demo.add_argument("--dir", default=None, help="lab directory")
    demo.add_argument("--keep", action="store_true", help="leave the lab running afterwards")
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "lab":
        return lab.run_lab(args)
    if args.command == "check":
        return check.run_check(args)
    if args.command == "eval":
        return evaluate.run_eval(args)
    if args.command == "test":
        return ruletest.run_test(args)
    if args.command == "report":
        return report.run_report(args)
    if args.command == "run":
        return daemon.run_daemon(args)
    if args.command in daemon.CLIENT_COMMANDS:
        return daemon.run_client(args)
    from ansible_collections.dbaops.mysql_ha.engine.demo import run_demo

    return run_demo(args.dir, keep=args.keep)


# Commands whose exit 1 means "an alert (or a failing control) at --fail-on": a failure of
# theirs must be 2 (unusable input), never 1, or a broken input would page like an alert.
_EXIT_1_IS_A_FINDING = ("eval", "report")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    failed = int(Exit.UNUSABLE) if args.command in _EXIT_1_IS_A_FINDING else 1
    try:
        return _dispatch(args)
    except (LabError, MysqlhaError, ValueError) as exc:
        print(f"mysqlha: error: {exc}", file=sys.stderr)
        return failed
    except OSError as exc:   # a directory that cannot be made or written, a name too long...
        print(f"mysqlha: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return failed
    except (MemoryError, RecursionError) as exc:
        print(f"mysqlha: error: unusable input: out of {'memory' if isinstance(exc, MemoryError) else 'stack'} "
              "(an input too large or too deeply nested?)", file=sys.stderr)
        return failed
    except KeyboardInterrupt:
        return 130
