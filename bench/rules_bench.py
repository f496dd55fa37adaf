"""Rule evaluation speed and hot-reload latency, against baselines measured in the same run.

1. Evaluations per second of the default pack over a realistic snapshot
   (3 clusters x 5 members: primary, 3 replicas, one intermediate chain; 6 channels...):
   the engine (simpleeval, names checked at load) against native Python lambdas of the
   same conditions on the same name dicts (the physical limit of this machine).
2. Reload latency of a running watcher: from the last file event to the new set being
   live, and from the write() call to live, median and max over 50 reloads, the last one
   a 50-file change.

    python bench/rules_bench.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "output" / "collections"))

from ansible_collections.dbaops.mysql_ha.engine.reload import RuleReloader  # noqa: E402
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate, targets  # noqa: E402
from ansible_collections.dbaops.mysql_ha.engine.rules.expr import make_evaluator  # noqa: E402
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot  # noqa: E402
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import load_rule_set  # noqa: E402


def snapshot():
    clusters = {}
    for c in range(3):
        p = f"10.0.{c}.1:3306"
        clusters[f"c{c}"] = {"members": {
            p: {"role": "primary", "replica_count": 3},
            f"10.0.{c}.2:3306": {"role": "replica", "source": p},
            f"10.0.{c}.3:3306": {"role": "replica", "source": p, "channels": [{"seconds_behind_source": 45}]},
            f"10.0.{c}.4:3306": {"role": "intermediate", "source": p},
            f"10.0.{c}.5:3306": {"role": "replica", "source": f"10.0.{c}.4:3306", "channels": [{"sql_running": False}]},
        }}
    return build_snapshot(clusters)


def codes(n):
    return n["cluster"]["analysis"]["codes"]


def _gt(a, b):
    return a is not None and b is not None and a > b


def _lt(a, b):
    return a is not None and b is not None and a < b


NATIVE = {
    "cluster_unreachable": lambda n: "cluster_unreachable" in codes(n),
    "replica_unreachable": lambda n: not n["reachable"] and n["member_role"] != "primary" and _gt(
        n["cluster"]["reachable_count"], 0),
    "primary_dead": lambda n: "primary_dead" in codes(n),
    "primary_hung_prolonged": lambda n: "primary_hung" in codes(n) and _gt(
        n["cluster"]["primary_hung_seconds"], 59),
    "primary_hung": lambda n: "primary_hung" in codes(n),
    "primary_unreachable": lambda n: "primary_unreachable" in codes(n),
    "primary_overloaded": lambda n: "primary_overloaded" in codes(n),
    "all_replicas_not_replicating": lambda n: "all_replicas_not_replicating" in codes(n),
    "multiple_writable_primaries": lambda n: "multiple_writable_primaries" in codes(n),
    "no_writable_primary": lambda n: "no_writable_primary" in codes(n),
    "errant_gtid": lambda n: len(n["cluster"]["errant_gtids"]) > 0,
    "replica_io_thread_stopped": lambda n: n["channel"]["io_running"] != "yes" and "primary_dead" not in codes(n)
    and "primary_hung" not in codes(n),
    "replica_sql_thread_stopped": lambda n: not n["channel"]["sql_running"] and n["channel"]["last_sql_errno"] == 0,
    "replication_error": lambda n: n["channel"]["last_sql_errno"] != 0,
    "replication_lag_high": lambda n: _gt(n["channel"]["seconds_behind_source"], n["channel"]["sql_delay"] + 30),
    "replica_writable": lambda n: n["role"] in ("replica", "intermediate") and not n["read_only"] and n["galera"] is None,
    "semi_sync_degraded": lambda n: n["semi_sync"]["source_enabled"] and (not n["semi_sync"]["source_status"] or _lt(
        n["semi_sync"]["source_clients"], n["semi_sync"]["wait_for_replica_count"])),
    "collector_privileges_missing": lambda n: len(n["collection"]["missing_privileges"]) > 0 or (
        n["security"] is not None and len(n["security"]["collection"]["missing_privileges"]) > 0),
    "galera_non_primary": lambda n: n["galera"] is not None and n["galera"]["cluster_status"] != "Primary",
    "galera_node_not_synced": lambda n: n["galera"] is not None and n["galera"]["local_state_comment"] != "Synced",
}
for _name in ("anonymous_account", "remote_root", "empty_password", "tls_not_required", "tls_cert_expiring",
              "audit_log_disabled", "local_infile_enabled"):
    NATIVE[_name] = lambda n: n["security"] is not None


def rate(function, seconds):
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        count += function()
    return count / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rule_set = load_rule_set([str(REPO / "rules")])
    snap = snapshot()
    all_targets = list(targets(snap))
    pairs = sum(len(rule_set.by_scope[scope]) for scope, *_rest in all_targets)
    evaluator = make_evaluator()

    def engine():
        evaluate(rule_set, snap, evaluator)
        return pairs

    native_rules = [(scope, [NATIVE[r.id] for r in rule_set.by_scope[scope]]) for scope in rule_set.by_scope]
    by_scope = dict(native_rules)

    def native():
        n = 0
        for scope, _c, _i, _ch, names in all_targets:
            for check in by_scope[scope]:
                check(names)
                n += 1
        return n

    engine_rate = rate(engine, args.seconds)
    native_rate = rate(native, args.seconds)
    print(f"rule evaluations, default pack ({len(rule_set.rules)} rules), {len(all_targets)} targets, {pairs} evaluations per pass")
    print(f"  engine (simpleeval)   {engine_rate:12,.0f} evaluations/s")
    print(f"  native Python         {native_rate:12,.0f} evaluations/s")
    print(f"  ratio engine/native   {engine_rate / native_rate:12.3f}")

    work = Path(tempfile.mkdtemp(prefix="mysqlha-reload-bench-"))
    rules = work / "rules"
    shutil.copytree(REPO / "rules", rules)
    reloader = RuleReloader([str(rules)]).start()
    event_to_live, write_to_live = [], []
    try:
        target = rules / "replication.yml"
        text = target.read_text()
        for index in range(50):
            swaps = len(reloader.swaps)
            started = time.monotonic()
            if index < 49:
                target.write_text(text + f"# edit {index}\n")
            else:
                for k in range(50):
                    (rules / f"bulk_{k:02d}.yml").write_text(
                        f"rules:\n  - id: bulk_{k:02d}\n    scope: instance\n    when: \"read_only\"\n"
                        f"    severity: P3\n    summary: \"{{instance}}\"\n")
            while len(reloader.swaps) == swaps:
                time.sleep(0.001)
            event, swap, _count = reloader.swaps[-1]
            event_to_live.append(swap - event)
            write_to_live.append(swap - started)
    finally:
        reloader.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"hot reload, 50 reloads (the last one a 50-file change), debounce {reloader.debounce * 1000:.0f} ms")
    print(f"  last event -> live    median {statistics.median(event_to_live) * 1000:7.1f} ms   max {max(event_to_live) * 1000:7.1f} ms")
    print(f"  write()   -> live     median {statistics.median(write_to_live) * 1000:7.1f} ms   max {max(write_to_live) * 1000:7.1f} ms")
    print(f"  50-file change        last event -> live {event_to_live[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
