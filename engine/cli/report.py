"""``mysqlha report``: a compliance audit report from security (and replication) facts.

Exit 0: written; 1: --fail-on matched (the report is still written); 2: unusable input (nothing
is written: a report that silently lacks a host is worse than none).
"""
from __future__ import annotations

import argparse
import sys

SEVERITIES = ("critical", "high", "medium", "low")


def add_parser(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="compliance audit report (html, md, csv, json, junit) from security facts")
    report.add_argument("--facts", nargs="+", required=True,
                        help="security_facts / replication_facts / topology_facts results, fact-cache files or directories")
    report.add_argument("--format", choices=["html", "md", "csv", "json", "junit"],
                        help="output format (default: from the -o suffix, else md)")
    report.add_argument("-o", "--output", default="-", help="file to write (default: standard output)")
    report.add_argument("--previous", metavar="REPORT.json", help="an earlier --format json report: show what changed")
    report.add_argument("--title", default=None, help="report title")
    report.add_argument("--cluster", default="default", help="cluster name for facts without a topology")
    report.add_argument("--fail-on", choices=SEVERITIES,
                        help="exit 1 when a control this severe or worse fails, or a host could not be assessed")


def run_report(args: argparse.Namespace) -> int:
    from ansible_collections.dbaops.mysql_ha.engine.report import (
        ReportError,
        build_report,
        failing_at_or_above,
        format_for_path,
        read_previous,
        render,
        write_atomically,
    )
    from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import load_facts

    asked = format_for_path(args.output) if args.output != "-" else None
    if args.output != "-" and not args.format and asked is None:
        print(f"mysqlha report: -o {args.output}: cannot tell the format from the name (.html, .md, .csv, .json, "
              ".xml or .junit); give --format; nothing written", file=sys.stderr)
        return 2
    if args.format and asked and asked != args.format:
        print(f"mysqlha report: warning: -o {args.output} looks like {asked}, writing {args.format} (--format)",
              file=sys.stderr)
    fmt = args.format or asked or "md"
    try:
        previous = read_previous(args.previous) if args.previous else None
    except ReportError as exc:
        print(f"mysqlha report: --previous {exc}", file=sys.stderr)
        return 2
    loaded = load_facts(args.facts, default_cluster=args.cluster, max_age=None, security_alone=True)
    for warning in loaded.warnings:
        print(f"mysqlha report: warning: {warning}", file=sys.stderr)
    if loaded.errors:
        for error in loaded.errors:
            print(f"mysqlha report: {error}", file=sys.stderr)
        print("mysqlha report: nothing written: fix or leave out the files above", file=sys.stderr)
        return 2
    report = build_report(loaded.snapshot, previous=previous, title=args.title)
    text = render(report, fmt)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            write_atomically(args.output, text)
        except OSError as exc:
            print(f"mysqlha report: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        s = report["summary"]
        print(f"mysqlha report: {args.output} ({fmt}): {s['hosts']} hosts, {s['status']['fail']} failing checks, "
              f"{s['status']['unknown']} unknown", file=sys.stderr)
    if args.fail_on:
        worst = failing_at_or_above(report, args.fail_on)
        if worst:
            print(f"mysqlha report: {len(worst)} failing at {args.fail_on} or worse: " + "; ".join(
                f"{i} {c} ({sev})" for i, c, sev in worst[:20]), file=sys.stderr)
            return 1
    return 0
