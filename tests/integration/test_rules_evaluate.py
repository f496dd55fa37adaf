"""rules_evaluate in a real play: facts gathered by topology_facts, the default pack, and
fail_on failing the task (what an AWX job template relies on)."""
from __future__ import annotations

from pathlib import Path

from ansible_collections.dbaops.mysql_ha.engine.cli import lab_inventory

from lab_helpers import run_tasks

REPO = Path(__file__).resolve().parents[2]


def play(lab, fail_on=None):
    evaluate = {"rules": str(REPO / "rules"), "facts": "{{ topo }}"}
    if fail_on:
        evaluate["fail_on"] = fail_on
    gather = {"members": "{{ mysqlha_replication_members }}", "config_file": "{{ mysqlha_config_file }}", "cluster_name": "lab"}
    result, _output = run_tasks([
        {"name": "gather", "dbaops.mysql_ha.topology_facts": gather, "register": "topo"},
        {"name": "evaluate", "dbaops.mysql_ha.rules_evaluate": evaluate, "register": "result", "ignore_errors": True},
    ], lab_inventory(lab))
    return result


def test_rules_evaluate_returns_alerts_and_fails_on_p1(make_lab):
    lab = make_lab(replicas=2)
    healthy = play(lab, fail_on="P1")
    assert not healthy.get("failed") and healthy["alerts"] == [] and healthy["rule_errors"] == []

    with lab.session("replica2") as replica:
        replica.execute("STOP SLAVE SQL_THREAD")
    report = play(lab)
    assert [(a["rule"], a["instance"]) for a in report["alerts"]] == [("replica_sql_thread_stopped", lab.node("replica2").address)]
    assert report["counts"]["P1"] == 1 and not report.get("failed")

    failing = play(lab, fail_on="P1")
    assert failing["failed"] is True and "replica_sql_thread_stopped" in failing["msg"]
    assert play(lab, fail_on="P0").get("failed") is not True
