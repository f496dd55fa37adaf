"""What the demo prints: the cluster as the collection's playbooks see it, the hardening plan
and the compliance report."""
from __future__ import annotations

from ansible_collections.dbaops.mysql_ha.engine.ansible_run import PLAYBOOKS, run_playbook
from ansible_collections.dbaops.mysql_ha.engine.cli import lab_inventory
from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError


def analyse(lab: Lab, title: str) -> dict:
    """Gather and evaluate through ansible-playbook; print the verdict, members and alerts."""
    proc, result = run_playbook(PLAYBOOKS / "lab_topology.yml", dict(lab_inventory(lab), connect_timeout=2))
    if proc.returncode != 0 or not result:
        raise LabError(f"ansible-playbook failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    cluster = result["cluster"]
    names = {v: k for k, v in lab_inventory(lab)["mysqlha_nodes"].items()}
    print(f"   {title}")
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


def compliance(result: dict) -> None:
    security = result.get("security")
    if not security:
        return
    findings = security["findings"]
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in ("critical", "high", "medium", "low")}
    statuses = [c["status"] for c in security["controls"].values()]
    tally = ", ".join(f"{statuses.count(s)} {s}" for s in ("pass", "fail", "unknown", "skipped") if statuses.count(s))
    print(f"   compliance of the primary (security_facts), {len(statuses)} controls: {tally}; "
          f"findings: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    for finding in findings:
        refs = ", ".join(f"{k} {v}" for k, v in finding["references"].items())
        print(f"     {finding['severity']:<8} {finding['control']:<26} {finding['evidence'][:70]:<70}  [{refs[:60]}]")


def lab_compliance(lab: Lab) -> dict:
    """Run playbooks/lab_compliance.yml: the hardening plan (check mode) and the report."""
    proc, result = run_playbook(PLAYBOOKS / "lab_compliance.yml", lab_inventory(lab))
    if proc.returncode != 0 or not result:
        raise LabError(f"ansible-playbook failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return result


def hardening_plan(plan: dict) -> None:
    controls = plan["controls"]
    changing = {k: v for k, v in controls.items() if v["status"] in ("changed", "needs_restart")}
    print(f"   hardening (check mode, nothing changed): {len(changing)} of {len(controls)} controls would change")
    for control, entry in sorted(changing.items()):
        print(f"     {entry['status']:<13} {control:<20} {entry.get('summary', '')[:100]}")
    others = sorted(k for k, v in controls.items() if v["status"] not in ("changed", "needs_restart"))
    print("     already ok / left alone: " + ", ".join(f"{k} ({controls[k]['status']})" for k in others))


def report(result: dict) -> None:
    summary = result["summary"]
    status = summary["status"]
    print(f"   {summary['hosts']} servers, {summary['checks']} checks: {status['pass']} pass, {status['fail']} fail, "
          f"{status['unknown']} unknown; failing: "
          + ", ".join(f"{summary['failing_by_severity'][s]} {s}" for s in ("critical", "high", "medium", "low")
                      if summary["failing_by_severity"].get(s)))
    for fmt, path in sorted(result["files"].items()):
        print(f"     {fmt:<6} {path}")
