"""Compliance report speed: facts of N servers (every control of the catalogue, a third
failing) to a report in each format, against a baseline measured in the same run: reading
and writing the same facts as JSON (json.loads + json.dumps), the least any report must do.

    python bench/report_bench.py [--hosts 500] [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "output" / "collections"))

from ansible_collections.dbaops.mysql_ha.engine.report import FORMATS, build_report, render  # noqa: E402
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_security  # noqa: E402
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import facts_from_documents  # noqa: E402


def fleet(hosts: int) -> list:
    documents = []
    for index in range(hosts):
        facts = build_security(f"10.{index // 250}.{index % 250}.1:3306", {"collection": {"collected_at": 1.79e9 + index}})
        for number, control in enumerate(sorted(facts["controls"])):
            if (number + index) % 3 == 0:
                facts["controls"][control].update(status="fail", evidence=f"{control} failed on host {index}")
        documents.append({"ansible_facts": {"mysql_security": facts}})
    return documents


def timed(function, rounds: int) -> float:
    samples = []
    for _round in range(rounds):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    documents = fleet(args.hosts)
    text = json.dumps(documents)
    baseline = timed(lambda: json.dumps(json.loads(text)), args.rounds)
    load = timed(lambda: facts_from_documents(json.loads(text), max_age=None, security_alone=True), args.rounds)
    snapshot = facts_from_documents(documents, max_age=None, security_alone=True).snapshot
    build = timed(lambda: build_report(snapshot), args.rounds)
    report = build_report(snapshot)
    checks = report["summary"]["checks"]
    print(f"{args.hosts} servers, {checks} checks; median of {args.rounds} rounds")
    print(f"  baseline  json load+dump of the facts ({len(text) / 1e6:.1f} MB): {baseline * 1000:8.1f} ms   1.00x")
    print(f"  load      facts checked against the schema:          {load * 1000:8.1f} ms  {load / baseline:5.2f}x")
    print(f"  build     the report model:                          {build * 1000:8.1f} ms  {build / baseline:5.2f}x")
    for fmt in FORMATS:
        seconds = timed(lambda fmt=fmt: render(report, fmt), args.rounds)
        size = len(render(report, fmt).encode())
        print(f"  render    {fmt:<6} ({size / 1e6:5.1f} MB):                       {seconds * 1000:8.1f} ms  "
              f"{seconds / baseline:5.2f}x")


if __name__ == "__main__":
    main()
