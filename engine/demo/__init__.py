"""``mysqlha demo``: the whole story on a local lab, in about a minute.

1. start a real MariaDB primary with two GTID replicas (``mysqlha lab up``);
2. gather facts with the collection through ansible-playbook, analyse the cluster and
   evaluate the default rules;
3. start the live monitor (``mysqlha run``) with a signed webhook;
4. inject faults one at a time (SQL thread stopped, errant transaction, primary frozen) and
   show each detected by the playbook and each alert reaching the webhook;
5. show what the hardening profile would change (check mode) and write a compliance report;
6. kill the primary: ``primary_dead``, paged once;
7. stop every server and process it started, whatever happened.
"""
from __future__ import annotations

import time

from ansible_collections.dbaops.mysql_ha.engine.demo import show
from ansible_collections.dbaops.mysql_ha.engine.demo.monitor import Monitor
from ansible_collections.dbaops.mysql_ha.engine.lab import Lab
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACKAGED_RULES

STEPS = 8


class Progress:
    """``[3/8 00:12] title``: where the demo is and how long it has run."""

    def __init__(self):
        self.started = time.monotonic()
        self.step = 0

    def __call__(self, title: str) -> None:
        self.step += 1
        elapsed = int(time.monotonic() - self.started)
        print(f"\n[{self.step}/{STEPS} {elapsed // 60:02d}:{elapsed % 60:02d}] {title}", flush=True)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _alert(monitor: Monitor, rule: str, state: str, since: float) -> None:
    alert, seconds, verified = monitor.receiver.wait(rule, state, since)
    signature = "signature verified" if verified else "SIGNATURE DID NOT VERIFY"
    after = "the fix" if state == "resolved" else "the fault"
    print(f"   webhook: {alert['severity']} {rule} {state} on {alert['instance']}, {seconds:.1f}s after {after} "
          f"({signature})", flush=True)


def _faults(lab: Lab, monitor: Monitor, progress: Progress) -> None:
    progress("Fault: STOP SLAVE SQL_THREAD on replica1")
    since = time.monotonic()
    with lab.session("replica1") as replica:
        replica.execute("STOP SLAVE SQL_THREAD")
    _alert(monitor, "replica_sql_thread_stopped", "firing", since)
    show.analyse(lab, "the playbook's view:")
    since = time.monotonic()
    with lab.session("replica1") as replica:
        replica.execute("START SLAVE SQL_THREAD")
    _alert(monitor, "replica_sql_thread_stopped", "resolved", since)

    progress("Fault: a transaction written directly on replica2 (errant GTID)")
    since = time.monotonic()
    with lab.session("replica2") as replica:
        replica.execute("SET GLOBAL read_only = 0")
        replica.execute("INSERT INTO shop.orders VALUES (99, 'written on a replica')")
        replica.execute("SET GLOBAL read_only = 1")
    _alert(monitor, "errant_gtid", "firing", since)
    show.analyse(lab, "the playbook's view:")

    progress("Fault: primary frozen with SIGSTOP (hung, not dead: no automatic failover)")
    since = time.monotonic()
    lab.freeze("primary")
    _alert(monitor, "primary_hung", "firing", since)
    show.analyse(lab, "the playbook's view:")
    since = time.monotonic()
    lab.thaw("primary")
    _alert(monitor, "primary_hung", "resolved", since)


def run_demo(directory: str | None = None, keep: bool = False) -> int:
    lab = Lab(directory)
    progress = Progress()
    monitor = None
    progress(f"Starting a MariaDB lab (primary + 2 GTID replicas) in {lab.base}")
    lab.up(replicas=2)
    print("   up in %ss: %s" % (lab.topology["seconds_to_start"], ", ".join(f"{n.name}={n.address}" for n in lab.nodes)))
    try:
        with lab.session("primary") as primary:
            primary.execute("CREATE DATABASE IF NOT EXISTS shop")
            primary.execute("CREATE TABLE IF NOT EXISTS shop.orders (id INT PRIMARY KEY, note VARCHAR(40))")
            primary.execute("INSERT INTO shop.orders VALUES (1, 'first'), (2, 'second')")
        lab.wait_replicating(lab.by_role("replica"))

        progress("Facts through ansible-playbook: topology_facts, replication_facts, security_facts, rules_evaluate")
        show.compliance(show.analyse(lab, "healthy cluster:"))

        progress("Starting the live monitor: mysqlha run, polling every second, alerts to a signed webhook")
        monitor = Monitor(lab, str(PACKAGED_RULES))
        monitor.start()
        print(f"   monitor up: http://{monitor.listen}/ (console, /metrics, /api/alerts); config {monitor.config}")

        _faults(lab, monitor, progress)

        progress("Hardening plan (check mode and diff: nothing is changed) and a compliance report of every server")
        result = show.lab_compliance(lab)
        show.hardening_plan(result["plan"])
        show.report(result["report"])

        progress("Fault: primary killed with SIGKILL (the replicas confirm it is gone)")
        since = time.monotonic()
        lab.kill("primary")
        _alert(monitor, "primary_dead", "firing", since)
        show.analyse(lab, "the playbook's view:")
    finally:
        if monitor is not None:
            monitor.stop()
        if keep:
            print(f"\nLab left running; stop it with: mysqlha lab down --dir {lab.base}")
        else:
            stopped = lab.down()
            print(f"\nStopped the monitor and the lab servers: {', '.join(stopped) or 'none were running'}")
    print(f"Demo finished in {progress.elapsed():.1f}s.")
    return 0
