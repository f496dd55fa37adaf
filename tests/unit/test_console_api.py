"""What /api/clusters and /api/compliance give the console: the tree and states it draws,
bounded text, and nothing a facts document could smuggle beyond the fields it names."""
from __future__ import annotations

import json

import pytest

from ansible_collections.dbaops.mysql_ha.engine.daemon.views import (
    MAX_CHANNELS,
    clusters_view,
    compliance_view,
    member_state,
)
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_security, build_snapshot


def snapshot():
    data = build_snapshot({"lab": {"members": {
        "a:3306": {"role": "primary", "semi_sync": {"source_enabled": True, "source_status": True, "source_clients": 1}},
        "b:3306": {"channels": [{"sql_running": False, "source_host": "a", "last_sql_error": "x" * 5000}]},
        "c:3306": {"channels": [{"source_host": "a", "seconds_behind_source": 120}]},
        "d:3306": {"reachable": False, "reachability": "refused"}}}})
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
    assert {a: m["state"] for a, m in members.items()} == {"a:3306": "ok", "b:3306": "stopped", "c:3306": "lag", "d:3306": "dead"}
    assert members["b:3306"]["channels"][0]["sql_running"] is False
    assert len(members["b:3306"]["channels"][0]["last_error"]) <= 303
    assert members["a:3306"]["semi_sync"] == {"source_enabled": True, "source_on": True, "source_clients": 1,
                                              "replica_enabled": False, "replica_on": False}
    assert members["b:3306"]["semi_sync"] is None and members["a:3306"]["galera"] is None
    assert set(members["d:3306"]) == {"address", "reachable", "reachability", "state", "error"}
    assert "SmuggledSecret" not in json.dumps(clusters_view(snapshot()))


def test_a_hung_primary_and_a_galera_node():
    data = build_snapshot({"g": {"members": {"a:3306": {"galera": {"local_state_comment": "Donor/Desynced",
                                                                   "cluster_status": "Primary", "cluster_size": 3}}}}})
    data["clusters"]["g"]["cluster"]["member_reachability"] = {"a:3306": "hung"}
    data["clusters"]["g"]["members"]["a:3306"] = {"reachable": False, "reachability": "timeout", "error": "no handshake"}
    (cluster,) = clusters_view(data)
    assert cluster["members"][0]["state"] == "hung" and cluster["members"][0]["reachability"] == "hung"
    data = build_snapshot({"g": {"members": {"a:3306": {"galera": {"local_state_comment": "Donor/Desynced",
                                                                   "cluster_status": "Primary", "cluster_size": 3}}}}})
    galera = clusters_view(data)[0]["members"][0]["galera"]
    assert galera["state"] == "Donor/Desynced" and galera["cluster_status"] == "Primary" and galera["size"] == 3


@pytest.mark.parametrize("reachability, channels, state", [
    ("stale", [], "stale"), ("unreachable", [], "dead"), ("auth", [], "unreachable"),
    ("ok", [{"io_running": "connecting", "sql_running": True, "seconds_behind_source": None}], "connecting"),
    ("ok", [{"io_running": "no", "sql_running": True, "seconds_behind_source": None}], "stopped"),
    (None, [{"io_running": "yes", "sql_running": True, "seconds_behind_source": 3}], "ok")])
def test_member_state(reachability, channels, state):
    assert member_state(reachability, channels) == state


def test_a_host_with_too_much_is_cut():
    many = [{"source_host": "a", "name": f"ch{i}"} for i in range(100)]
    data = build_snapshot({"lab": {"members": {"a:3306": {"role": "primary"}, "b:3306": {"channels": many}}}})
    data["clusters"]["lab"]["members"]["b:3306"]["version"] = "v" * 10000
    member = {m["address"]: m for m in clusters_view(data)[0]["members"]}["b:3306"]
    assert len(member["channels"]) == MAX_CHANNELS and len(member["version"]) <= 67


def test_compliance_counts_and_failing_controls():
    (member,) = compliance_view(snapshot())
    assert member["address"] == "a:3306" and member["counts"]["fail"] == 1
    assert member["by_severity"]["high"]["fail"] == 1 and "pass" in member["by_severity"]["high"]
    assert member["failing"] == [{"control": "local_infile", "severity": "high", "title": "t", "evidence": "local_infile = True"}]
