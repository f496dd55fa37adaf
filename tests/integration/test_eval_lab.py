"""`mysqlha eval` on facts captured from the real lab through ansible-playbook gives exactly
the expected alerts: none when healthy, one per fault, and the dead primary pages once."""
from __future__ import annotations

import json
import time
from pathlib import Path

from lab_helpers import analyse, no_io_thread_streams, wait_for

REPO = Path(__file__).resolve().parents[2]


def evaluate_captured(mysqlha, result: dict, tmp_path: Path, name: str):
    facts = tmp_path / f"{name}.json"
    facts.write_text(json.dumps({"cluster": result["cluster"], "members": result["members"]}))
    proc = mysqlha("eval", "--rules", REPO / "rules", "--facts", facts, "--format", "json", "--fail-on", "P1")
    alerts = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return alerts, proc


def test_eval_on_captured_lab_facts(make_lab, tmp_path, mysqlha):
    lab = make_lab(replicas=2)
    healthy, proc = evaluate_captured(mysqlha, analyse(lab), tmp_path, "healthy")
    assert healthy == [] and proc.returncode == 0, proc.stderr

    with lab.session("replica1") as replica:
        replica.execute("STOP SLAVE SQL_THREAD")
    stopped, proc = evaluate_captured(mysqlha, analyse(lab), tmp_path, "sql_stopped")
    assert [(a["rule"], a["instance"], a["state"], a["severity"]) for a in stopped] == [
        ("replica_sql_thread_stopped", lab.node("replica1").address, "firing", "P1")]
    assert proc.returncode == 1  # --fail-on P1
    assert set(stopped[0]) >= {"id", "rule", "severity", "state", "cluster", "instance", "channel", "summary",
                               "remediation", "labels", "started_at", "fingerprint"}
    with lab.session("replica1") as replica:
        replica.execute("START SLAVE SQL_THREAD")

    lab.kill("primary")
    time.sleep(0.5)

    wait_for(lambda: no_io_thread_streams(lab))
    dead, proc = evaluate_captured(mysqlha, analyse(lab), tmp_path, "primary_killed")
    assert [(a["rule"], a["severity"]) for a in dead] == [("primary_dead", "P0")]
    assert dead[0]["instance"] == lab.node("primary").address and "refused" in dead[0]["summary"]


def test_a_killed_replica_raises_replica_unreachable_and_p1_when_it_was_the_last(make_lab, tmp_path, mysqlha):
    lab = make_lab(replicas=2)
    lab.kill("replica2")
    one_down, proc = evaluate_captured(mysqlha, analyse(lab), tmp_path, "one_replica_down")
    assert [(a["rule"], a["instance"], a["severity"]) for a in one_down] == [
        ("replica_unreachable", lab.node("replica2").address, "P2")]
    assert "refused" in one_down[0]["summary"] and proc.returncode == 0   # P2 is below --fail-on P1
    lab.kill("replica1")
    both_down, proc = evaluate_captured(mysqlha, analyse(lab), tmp_path, "both_replicas_down")
    assert sorted((a["rule"], a["instance"], a["severity"]) for a in both_down) == sorted([
        ("replica_unreachable", lab.node("replica1").address, "P1"),
        ("replica_unreachable", lab.node("replica2").address, "P1")])
    assert proc.returncode == 1


def test_every_member_frozen_pages_cluster_unreachable(make_lab, tmp_path, mysqlha):
    lab = make_lab(replicas=2)
    for node in lab.nodes:
        lab.freeze(node)
    try:
        frozen, proc = evaluate_captured(mysqlha, analyse(lab, connect_timeout=1), tmp_path, "all_frozen")
    finally:
        for node in lab.nodes:
            lab.thaw(node)
    assert [(a["rule"], a["severity"]) for a in frozen] == [("cluster_unreachable", "P0")]
    assert "hung 3" in frozen[0]["summary"] and proc.returncode == 1
