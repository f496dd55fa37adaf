"""How much does one full replication_facts collection cost, against a naive collector?

Starts a lab (primary + 1 replica) unless --dir names a running one, then, on each
server, in-process over an open connection:

  ours       collect_replication(): every statement in one multi-statement batch
  naive      the same facts the way most collectors get them: one statement per round
             trip, unfiltered SHOW GLOBAL VARIABLES / STATUS, SELECT @@var per GTID variable
  SELECT 1   one bare round trip: the floor any collection pays at least once

It prints round trips and median/p90 wall time per collection, and ratios against
SELECT 1 and against naive measured in the same run (these machines are noisy).

    python bench/replication_facts_bench.py [--rounds 300] [--dir LABDIR]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "output" / "collections"))

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab  # noqa: E402
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import collect_replication  # noqa: E402
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect, resolve_params  # noqa: E402

NAIVE = [
    "SELECT VERSION()", "SHOW GLOBAL VARIABLES", "SHOW GLOBAL STATUS", "SHOW ALL SLAVES STATUS",
    "SHOW MASTER STATUS", "SHOW SLAVE HOSTS", "SELECT @@gtid_binlog_pos", "SELECT @@gtid_current_pos",
    "SELECT @@gtid_slave_pos", "SELECT @@read_only", "SELECT @@server_id",
    "SELECT ID, USER, HOST, TIME, STATE FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
]


def measure(function, rounds):
    for _warmup in range(min(20, rounds)):
        function()
    times = []
    for _round in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000.0)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def bench_node(lab, node, rounds):
    params = resolve_params(lab.params(node))
    with connect(params, multi_statements=True) as session:
        before = session.round_trips
        collect_replication(session)
        ours_trips = session.round_trips - before
        ours = measure(lambda: collect_replication(session), rounds)

        def naive():
            for sql in NAIVE:
                session.query(sql)

        naive_time = measure(naive, rounds)
        floor = measure(lambda: session.query("SELECT 1"), rounds)
    return {"ours": (ours_trips,) + ours, "naive": (len(NAIVE),) + naive_time, "select1": (1,) + floor}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--dir", help="use this running lab instead of starting one")
    args = parser.parse_args()
    own = args.dir is None
    lab = Lab(args.dir or tempfile.mkdtemp(prefix="mysqlha-bench-"), die_with_parent=own)
    if own:
        lab.up(replicas=1)
    try:
        with lab.session("primary") as primary:
            primary.execute("CREATE DATABASE IF NOT EXISTS bench")
        lab.wait_replicating(lab.by_role("replica"))
        print(f"replication_facts collection cost, {args.rounds} rounds per figure, in-process over one open connection")
        print(f"{'server':<9} {'collector':<9} {'round trips':>11} {'median ms':>10} {'p90 ms':>8} {'x SELECT 1':>11} {'x naive':>8}")
        for node in (lab.node("primary"), lab.by_role("replica")[0]):
            figures = bench_node(lab, node, args.rounds)
            floor = figures["select1"][1]
            naive = figures["naive"][1]
            for name in ("ours", "naive", "select1"):
                trips, median, p90 = figures[name]
                label = {"ours": "ours", "naive": "naive", "select1": "SELECT 1"}[name]
                print(f"{node.name:<9} {label:<9} {trips:>11} {median:>10.3f} {p90:>8.3f} {median / floor:>11.2f} {median / naive:>8.2f}")
    finally:
        if own:
            lab.destroy()


if __name__ == "__main__":
    main()
