"""``mysqlha demo``: the main job on a local lab, start to finish.

1. start a real MariaDB primary with two GTID replicas (``mysqlha lab up``);
2. gather facts with the collection through ansible-playbook, analyse the cluster,
   evaluate the default rules and show the primary's compliance findings;
3. inject faults one at a time (SQL thread stopped, errant transaction, primary frozen,
   primary killed) and show each being detected;
4. stop every server it started, whatever happened.
"""
from __future__ import annotations

import time

from ansible_collections.dbaops.mysql_ha.engine.ansible_run import PLAYBOOKS, run_playbook
from ansible_collections.dbaops.mysql_ha.engine.cli import lab_inventory
from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError


def _analyse(lab: Lab, title: str) -> dict:
    """Gather and evaluate through ansible-playbook; print the verdict, members and alerts."""
    proc, result = run_playbook(PLAYBOOKS / "lab_topology.yml", dict(lab_inventory(lab), connect_timeout=2))
    if proc.returncode != 0 or not result:
        raise LabError(f"ansible-playbook failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cluster = result["cluster"]
    names = {v: k for k, v in lab_inventory(lab)["mysqlha_nodes"].items()}
    print(f"\n== {title}")
    print(f"   analysis: {cluster['analysis']['code']}   (all findings: {', '.join(cluster['analysis']['codes'])})")
    for code, detail in cluster["analysis"]["details"].items():
        print(f"     - {code}: {detail}")
    for address, facts in sorted(result["members"].items(), key=lambda kv: names.get(kv[0], kv[0])):
        label = f"{names.get(address, address):<9} {address:<18}"
        if not facts.get("reachable"):
            print(f"   {label} UNREACHABLE ({facts['reachability']}): {facts['error']}")
            continue
        channels = facts.get("channels") or []
        state = ", ".join(f"io={c['io_running']} sql={'yes' if c['sql_running'] else 'no'} "
                          f"lag={c['seconds_behind_source']} err={c['last_sql_errno'] or c['last_io_errno']}"
                          for c in channels) or "-"
        print(f"   {label} role={facts['role']:<8} read_only={str(facts['read_only']):<5} gtid={facts['gtid']['executed'] or '-':<10} "
              f"round_trips={facts['collection']['round_trips']} {state}")
    if cluster["errant_gtids"]:
        print(f"   errant GTIDs: {cluster['errant_gtids']}")
    alerts = result.get("alerts") or []
    print(f"   alerts from the default rules ({len(alerts)}):" if alerts else "   alerts from the default rules: none")
    for alert in alerts:
        where = names.get(alert["instance"], alert["instance"])
        print(f"     {alert['severity']} {alert['state']:<7} {alert['rule']:<28} {where:<9} {alert['summary'][:110]}")
    return result


def _compliance(result: dict) -> None:
    security = result.get("security")
    if not security:
        return
    findings = security["findings"]
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("critical", "high", "medium", "low")}
    passed = sum(1 for c in security["controls"].values() if c["status"] == "pass")
    print(f"\n== Compliance of the primary (security_facts): {passed} of {len(security['controls'])} controls pass; "
          f"findings: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    for finding in findings:
        refs = ", ".join(f"{k} {v}" for k, v in finding["references"].items())
        print(f"     {finding['severity']:<8} {finding['control']:<26} {finding['evidence'][:70]:<70}  [{refs[:60]}]")


def run_demo(directory: str | None = None, keep: bool = False) -> int:
    lab = Lab(directory)
    started = time.monotonic()
    print(f"Starting a MariaDB lab (primary + 2 GTID replicas) in {lab.base} ...")
    lab.up(replicas=2)
    print(f"   up in {lab.topology['seconds_to_start']}s: "
          + ", ".join(f"{n.name}={n.address}" for n in lab.nodes))
    try:
        with lab.session("primary") as primary:
            primary.execute("CREATE DATABASE IF NOT EXISTS shop")
            primary.execute("CREATE TABLE IF NOT EXISTS shop.orders (id INT PRIMARY KEY, note VARCHAR(40))")
            primary.execute("INSERT INTO shop.orders VALUES (1, 'first'), (2, 'second')")
        lab.wait_replicating(lab.by_role("replica"))
        time.sleep(0.5)
        _compliance(_analyse(lab, "Healthy cluster"))

        with lab.session("replica1") as replica:
            replica.execute("STOP SLAVE SQL_THREAD")
        _analyse(lab, "Fault 1: SQL thread stopped on replica1 (STOP SLAVE SQL_THREAD)")
        with lab.session("replica1") as replica:
            replica.execute("START SLAVE SQL_THREAD")

        with lab.session("replica2") as replica:
            replica.execute("SET GLOBAL read_only = 0")
            replica.execute("INSERT INTO shop.orders VALUES (99, 'written on a replica')")
            replica.execute("SET GLOBAL read_only = 1")
        _analyse(lab, "Fault 2: a transaction written directly on replica2 (errant GTID)")

        lab.freeze("primary")
        time.sleep(1)
        _analyse(lab, "Fault 3: primary frozen with SIGSTOP (hung, not dead: no automatic failover)")
        lab.thaw("primary")
        time.sleep(1)

        lab.kill("primary")
        time.sleep(1.5)
        _analyse(lab, "Fault 4: primary killed with SIGKILL (the replicas confirm it is gone)")
    finally:
        if keep:
            print(f"\nLab left running; stop it with: mysqlha lab down --dir {lab.base}")
        else:
            stopped = lab.down()
            print(f"\nStopped the lab servers: {', '.join(stopped) or 'none were running'}")
    print(f"Demo finished in {time.monotonic() - started:.1f}s.")
    return 0
