"""What /api/clusters and /api/compliance give the console: the tree and states it draws,
bounded text, and nothing a facts document could smuggle beyond the fields it names."""
from __future__ import annotations

import json

from ansible_collections.dbaops.mysql_ha.engine.daemon.views import clusters_view, compliance_view
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_security, build_snapshot


def snapshot():
    data = build_snapshot({"lab": {"members": {
        "a:3306": {"role": "primary"},
        "b:3306": {"channels": [{"sql_running": False, "source_host": "a", "last_sql_error": "x" * 5000}]},
        "c:3306": {"channels": [{"source_host": "a"}]}}}})
    finding = {"control": "local_infile", "severity": "high", "title": "t", "evidence": "local_infile = True",
               "remediation": "r", "references": {}}
    security = build_security("a:3306", {"findings": [finding]})
    security["controls"]["local_infile"]["status"] = "fail"
    data["clusters"]["lab"]["security"] = {"a:3306": security}
    data["clusters"]["lab"]["members"]["a:3306"]["password"] = "SmuggledSecret"   # a field the view never copies
    return data


def test_the_tree_states_and_bounds():
    (cluster,) = clusters_view(snapshot())
    assert cluster["primary"] == "a:3306" and cluster["tree"] == {"a:3306": ["b:3306", "c:3306"]}
    members = {m["address"]: m for m in cluster["members"]}
    assert members["b:3306"]["channels"][0]["sql_running"] is False
    assert len(members["b:3306"]["channels"][0]["last_error"]) <= 303
    assert "SmuggledSecret" not in json.dumps(clusters_view(snapshot()))


def test_compliance_counts_and_failing_controls():
    (member,) = compliance_view(snapshot())
    assert member["address"] == "a:3306" and member["counts"]["fail"] == 1
    assert member["failing"] == [{"control": "local_infile", "severity": "high", "evidence": "local_infile = True"}]
