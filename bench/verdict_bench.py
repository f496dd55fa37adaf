"""How long does each primary verdict take after the fault, polling the way a monitor does?

For each fault, on a fresh lab (primary + 2 replicas; the primary, and for the partition
replica1, on hosts of their own), polls ``gather_topology`` every --interval seconds, passing
each result back as ``known_state``, and reports the time from the fault to the first poll that
gives the expected verdict, and the verdicts seen on the way:

  kill          SIGKILL                                   -> primary_dead
  freeze+flood  SIGSTOP and 400 idle connections          -> primary_hung (never primary_dead)
  silent        the host answers nothing                  -> primary_dead once the replicas lost it
  partition     silent to this machine, replica1 streams  -> primary_unreachable (never primary_dead)

The baseline, measured in the same run: one poll of the healthy cluster.  The replicas notice a
lost primary after slave_net_timeout (4 s on the lab) when nothing tells them sooner.

    python bench/verdict_bench.py [--repeat 3] [--interval 2] [--connect-timeout 1]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "output" / "collections"))

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab  # noqa: E402
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import resolve_params  # noqa: E402
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import gather_topology  # noqa: E402

SCENARIOS = {
    "kill": (("primary",), lambda lab: lab.kill("primary"), "primary_dead"),
    "freeze+flood": ((), lambda lab: (lab.freeze("primary"), lab.flood("primary", 400)), "primary_hung"),
    "silent": (("primary",), lambda lab: lab.silence("primary"), "primary_dead"),
    "partition": (("primary", "replica1"), lambda lab: lab.silence("primary", keep=("replica1",)),
                  "primary_unreachable"),
}


def poll(lab, timeout, known_state=None):
    params = [resolve_params(lab.params(n, connect_timeout=timeout, read_timeout=2)) for n in lab.nodes]
    return gather_topology(params, name="bench", known_state=known_state)


def run(name, args, base):
    own_hosts, fault, expected = SCENARIOS[name]
    lab = Lab(str(base / uuid.uuid4().hex[:8]), die_with_parent=True)
    try:
        lab.up(replicas=2, own_hosts=own_hosts)
        result = poll(lab, args.connect_timeout)
        assert result["cluster"]["analysis"]["code"] == "ok", result["cluster"]["analysis"]
        fault(lab)
        faulted, seen = time.monotonic(), []
        while time.monotonic() - faulted < args.max_wait:
            began = time.monotonic()
            result = poll(lab, args.connect_timeout, known_state=result)
            code = result["cluster"]["analysis"]["code"]
            seen.append(code)
            if code == expected:
                return time.monotonic() - faulted, seen
            time.sleep(max(0.0, args.interval - (time.monotonic() - began)))
        return None, seen
    finally:
        lab.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--connect-timeout", type=float, default=1.0)
    parser.add_argument("--max-wait", type=float, default=60.0)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mysqlha-verdict-"))

    lab = Lab(str(base / "baseline"), die_with_parent=True)
    try:
        lab.up(replicas=2)
        poll(lab, args.connect_timeout)
        samples = []
        for _round in range(20):
            began = time.monotonic()
            poll(lab, args.connect_timeout)
            samples.append(time.monotonic() - began)
        baseline = statistics.median(samples)
    finally:
        lab.destroy()
    print(f"baseline: one poll of the healthy 3-node cluster {baseline * 1000:.1f} ms (median of 20)")
    print(f"polling every {args.interval}s, connect timeout {args.connect_timeout}s, {args.repeat} runs each")
    print(f"{'fault':<14} {'expected':<20} {'median s':>9} {'max s':>7} {'polls':>6}  verdicts before it")
    for name in args.only or SCENARIOS:
        times, counts, before = [], [], set()
        for _repeat in range(args.repeat):
            took, seen = run(name, args, base)
            if took is None:
                print(f"{name:<14} never gave {SCENARIOS[name][2]} within {args.max_wait}s: {seen}")
                return 1
            times.append(took)
            counts.append(len(seen))
            before.update(seen[:-1])
        print(f"{name:<14} {SCENARIOS[name][2]:<20} {statistics.median(times):>9.1f} {max(times):>7.1f} "
              f"{statistics.median(counts):>6.0f}  {', '.join(sorted(before)) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
