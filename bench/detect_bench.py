"""How fast does ``mysqlha run`` tell, and what does it cost?

On real lab servers, with the daemon polling every --interval (default 1 s) and a local webhook
receiver, for --reps repetitions each:

  kill         primary SIGKILLed               -> primary_dead reaches the webhook
  sql_stop     STOP SLAVE SQL_THREAD on a replica -> replica_sql_thread_stopped
  repl_error   a duplicate key on a replica    -> replication_error

It prints median, p95 and max from the fault to the webhook's receipt.  Baselines measured in the
same run: the interval itself, and for the kill the time a replica's own IO thread takes to
notice (polled every 20 ms), which is how fast the replicas could possibly agree.

Then the daemon's own cost: CPU (share of one core) and RSS after --soak seconds polling 3
targets, and 200 targets (many clusters over the same 3 servers).

    python bench/detect_bench.py [--reps 10] [--interval 1] [--soak 30]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "output" / "collections"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import yaml  # noqa: E402

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab  # noqa: E402

from daemon_helpers import Daemon, Receiver, write_config  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def sql(lab, node, *statements):
    with lab.session(node) as session:
        for statement in statements:
            session.execute(statement)


def summary(name, samples, baseline=""):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"{name:<11} n={len(samples):<3} median {statistics.median(samples):6.3f}s  p95 {p95:6.3f}s  "
          f"max {max(samples):6.3f}s  {baseline}", flush=True)


def new_lab(base: Path) -> Lab:
    return Lab(str(base / uuid.uuid4().hex[:8]), die_with_parent=True).up(replicas=2)


def bench_kill(args, base: Path, receiver: Receiver) -> None:
    taken, noticed = [], []
    for _rep in range(args.reps):
        lab = new_lab(base)
        directory = base / uuid.uuid4().hex[:8]
        directory.mkdir()
        daemon = Daemon(write_config(lab, directory, receiver.url, interval=f"{args.interval}s"), lab).start()
        try:
            replica = lab.session("replica1")
            time.sleep(random.uniform(0, args.interval))
            killed = time.time()
            lab.kill("primary")
            while replica.query("SHOW SLAVE STATUS")[0]["Slave_IO_Running"] == "Yes":
                time.sleep(0.02)
            noticed.append(time.time() - killed)
            replica.close()
            taken.append(receiver.wait("primary_dead", "firing", timeout=30, since=killed)["received_at"] - killed)
        finally:
            daemon.stop()
            lab.destroy()
    summary("kill", taken, f"(a replica's IO thread noticed in median {statistics.median(noticed):.3f}s)")


def bench_replica_faults(args, base: Path, receiver: Receiver) -> None:
    lab = new_lab(base)
    directory = base / "faults"
    directory.mkdir()
    daemon = Daemon(write_config(lab, directory, receiver.url, interval=f"{args.interval}s"), lab).start()
    try:
        stops, errors = [], []
        sql(lab, "primary", "CREATE DATABASE bench", "CREATE TABLE bench.t (id INT PRIMARY KEY)")
        time.sleep(1)
        for rep in range(args.reps):
            time.sleep(random.uniform(0, args.interval))   # faults come at any point of a polling interval
            began = time.time()
            sql(lab, "replica1", "STOP SLAVE SQL_THREAD")
            stops.append(receiver.wait("replica_sql_thread_stopped", "firing", 30, since=began)["received_at"] - began)
            sql(lab, "replica1", "START SLAVE SQL_THREAD")
            receiver.wait("replica_sql_thread_stopped", "resolved", 30, since=began)
            sql(lab, "replica1", "SET sql_log_bin = 0", f"INSERT INTO bench.t VALUES ({rep})")
            time.sleep(random.uniform(0, args.interval))
            began = time.time()
            sql(lab, "primary", f"INSERT INTO bench.t VALUES ({rep})")
            errors.append(receiver.wait("replication_error", "firing", 30, since=began)["received_at"] - began)
            sql(lab, "replica1", "SET sql_log_bin = 0", f"DELETE FROM bench.t WHERE id = {rep}", "START SLAVE SQL_THREAD")
            receiver.wait("replication_error", "resolved", 30, since=began)
        summary("sql_stop", stops)
        summary("repl_error", errors)
    finally:
        daemon.stop()
        lab.destroy()


def cost(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return cpu, rss * 1024


def bench_cost(args, base: Path, receiver: Receiver) -> None:
    lab = new_lab(base)
    try:
        for node in lab.nodes:
            sql(lab, node, "SET GLOBAL max_connections = 400")
        members = [n.address for n in lab.nodes]
        for targets in (3, 200):
            directory = base / f"cost{targets}"
            directory.mkdir()
            path = write_config(lab, directory, receiver.url, interval=f"{args.interval}s")
            config = yaml.safe_load(path.read_text())
            template = config["clusters"][0]
            config["clusters"] = [dict(template, name=f"c{i}", members=members[:min(3, targets - 3 * i)])
                                  for i in range((targets + 2) // 3)]
            path.write_text(yaml.safe_dump(config))
            daemon = Daemon(path, lab).start()
            try:
                time.sleep(3)                      # connections open, first security collections done
                cpu0, _rss = cost(daemon.proc.pid)
                wall0 = time.monotonic()
                time.sleep(args.soak)
                cpu1, rss = cost(daemon.proc.pid)
                cycles = daemon.get("/healthz")["cycles"]
                share = (cpu1 - cpu0) / (time.monotonic() - wall0)
                print(f"cost        {targets:>3} targets: {share * 100:5.1f}% of a core, RSS {rss / 2**20:5.1f} MB, "
                      f"{cycles} cycles", flush=True)
            finally:
                daemon.stop()
    finally:
        lab.destroy()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--soak", type=float, default=30.0)
    parser.add_argument("--only", choices=["kill", "faults", "cost"], action="append")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mysqlha-detect-"))
    receiver = Receiver()
    print(f"interval {args.interval}s (the baseline a poll-only monitor cannot beat), {args.reps} repetitions", flush=True)
    try:
        if not args.only or "faults" in args.only:
            bench_replica_faults(args, base, receiver)
        if not args.only or "kill" in args.only:
            bench_kill(args, base, receiver)
        if not args.only or "cost" in args.only:
            bench_cost(args, base, receiver)
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
