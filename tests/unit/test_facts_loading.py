"""`mysqlha eval` on the facts users have: an outage always pages, unusable input is named and
fails the run (exit 2), and the usable rest is still evaluated."""
from __future__ import annotations

import json

import pytest

from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_member, build_security
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import load_facts
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster

P, R1, R2 = "10.0.0.1:3306", "10.0.0.2:3306", "10.0.0.3:3306"


def lost_primary(address):
    return build_member(address, {"role": "replica", "source": P, "channels": [
        {"io_running": "connecting", "last_io_errno": 2003, "seconds_behind_source": None,
         "last_io_error": f"error reconnecting to master '{P}' - retry-time: 60"}]})


def failed_result(address, how="refused", errno=2003):
    """What `register:` (or a saved task result) holds when replication_facts failed on a server."""
    return {"failed": True, "changed": False, "msg": f"{address}: connection refused: nothing listens on this port",
            "instance": address, "reachability": how, "errno": errno}


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def alerts_of(proc):
    return sorted((a["rule"], a["severity"], a["instance"]) for a in map(json.loads, proc.stdout.splitlines()))


def test_a_dead_primarys_failed_result_pages_primary_dead_and_is_named(tmp_path, mysqlha):
    files = [write(tmp_path, "db1.json", failed_result(P)),
             write(tmp_path, "db2.json", {"ansible_facts": {"mysql_replication": lost_primary(R1)}}),
             write(tmp_path, "db3.json", {"ansible_facts": {"mysql_replication": lost_primary(R2)}})]
    proc = mysqlha("eval", "--rules", "rules", "--facts", *files, "--format", "json", "--fail-on", "P0")
    assert ("primary_dead", "P0", P) in alerts_of(proc)
    assert proc.returncode == 1
    assert f"{files[0]}: {P} could not be read (refused)" in proc.stderr


def test_a_failed_result_naming_no_server_is_unusable_but_the_rest_is_evaluated(tmp_path, mysqlha):
    bad = write(tmp_path, "bad.json", {"failed": True, "msg": "Unsupported parameters for module: logn_user"})
    good = write(tmp_path, "db2.json", {"ansible_facts": {"mysql_replication": build_member(R1, {
        "role": "replica", "source": P, "channels": [{"sql_running": False, "last_sql_errno": 1062}]})}})
    proc = mysqlha("eval", "--rules", "rules", "--facts", bad, good, "--format", "json")
    assert proc.returncode == 2
    assert f"{bad}: a failed task result that names no server" in proc.stderr
    assert ("replication_error", "P1", R1) in alerts_of(proc)


@pytest.mark.parametrize("facts", [
    pytest.param("all_null", id="every field null"),
    pytest.param({"instance": P}, id="instance only"),
    pytest.param({"instance": [P], "reachable": True}, id="instance a list"),
])
def test_facts_that_carry_nothing_evaluable_fail_the_run_naming_the_file(tmp_path, mysqlha, facts):
    if facts == "all_null":
        facts = {key: None for key in build_member(P, {})}
    path = write(tmp_path, "facts.json", {"ansible_facts": {"mysql_replication": facts}})
    proc = mysqlha("eval", "--rules", "rules", "--facts", path, "--fail-on", "P0")
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: mysql_replication" in proc.stderr and "not usable" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_member_frozen_pages_cluster_unreachable(tmp_path, mysqlha):
    down = {a: {"instance": a, "reachable": False, "reachability": "hung", "errno": 2013,
                "error": f"{a}: accepted TCP but sent no MySQL handshake"} for a in (P, R1, R2)}
    topology = {"changed": False, "cluster": analyze_cluster(down, name="prod"), "members": down}
    proc = mysqlha("eval", "--rules", "rules", "--facts", write(tmp_path, "topo.json", topology),
                   "--format", "json", "--fail-on", "P0")
    assert alerts_of(proc) == [("cluster_unreachable", "P0", "")]
    assert proc.returncode == 1


def test_a_killed_replica_raises_replica_unreachable(tmp_path, mysqlha):
    members = {P: build_member(P, {"role": "primary"}), R1: build_member(R1, {"role": "replica", "source": P}),
               R2: {"instance": R2, "reachable": False, "reachability": "refused", "errno": 2003, "error": "refused"}}
    topology = {"cluster": analyze_cluster(members, name="prod"), "members": members}
    proc = mysqlha("eval", "--rules", "rules", "--facts", write(tmp_path, "topo.json", topology), "--format", "json")
    assert alerts_of(proc) == [("replica_unreachable", "P2", R2)]
    assert proc.returncode == 0


def test_security_facts_join_the_topology_cluster_of_their_member_whatever_cluster_is_passed(tmp_path, mysqlha):
    members = {P: build_member(P, {"role": "primary"}), R1: build_member(R1, {"role": "replica", "source": P})}
    topology = {"cluster": analyze_cluster(members, name="prod-main"), "members": members}
    security = {"ansible_facts": {"mysql_security": build_security(P, {"settings": {"local_infile": True}})}}
    proc = mysqlha("eval", "--rules", "rules", "--format", "json", "--facts", write(tmp_path, "topo.json", topology),
                   write(tmp_path, "sec.json", security))
    assert proc.returncode == 0, proc.stderr
    assert [(a["rule"], a["cluster"]) for a in map(json.loads, proc.stdout.splitlines())] == [
        ("local_infile_enabled", "prod-main")]


def test_security_facts_alone_match_no_member_and_fail_the_run(tmp_path, mysqlha):
    path = write(tmp_path, "sec.json", {"ansible_facts": {"mysql_security": build_security(P, {})}})
    proc = mysqlha("eval", "--rules", "rules", "--facts", path)
    assert proc.returncode == 2
    assert f"{path}: mysql_security facts of {P} match no member of any cluster" in proc.stderr


def test_a_rule_that_errors_on_every_target_fails_the_run(tmp_path, mysqlha):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yml").write_text('rules:\n  - {id: bad_math, scope: instance, when: "read_only / 0 > 1", severity: P0, summary: x}\n')
    path = write(tmp_path, "db1.json", {"ansible_facts": {"mysql_replication": build_member(P, {})}})
    proc = mysqlha("eval", "--rules", str(rules), "--facts", path, "--fail-on", "P0")
    assert proc.returncode == 2
    assert "rules that failed on every target (they checked nothing): bad_math" in proc.stderr


def test_a_registered_loop_counts_each_item_and_the_failed_one_as_unreachable():
    loop = {"results": [failed_result(P), {"ansible_facts": {"mysql_replication": lost_primary(R1)}},
                        {"ansible_facts": {"mysql_replication": lost_primary(R2)}}], "changed": False}
    loaded = load_facts_from(loop)
    assert loaded.errors == []
    cluster = loaded.snapshot["clusters"]["default"]["cluster"]
    assert cluster["analysis"]["code"] == "primary_dead" and cluster["primary"] == P
    assert len(loaded.warnings) == 1 and "results[0]" in loaded.warnings[0]


def load_facts_from(document):
    from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import facts_from_documents

    return facts_from_documents([document])


def test_a_missing_or_special_path_is_named(tmp_path):
    loaded = load_facts([str(tmp_path / "nope.json"), "/dev/null"])
    assert any("nope.json: no such facts file" in e for e in loaded.errors)
    assert any("/dev/null: not a regular file" in e for e in loaded.errors)


def test_an_ansible_2_19_fact_cache_entry_is_unwrapped(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    facts = {"mysql_replication": build_member(P, {"role": "primary"})}
    (cache / "s1_db1").write_text(json.dumps({"__payload__": json.dumps(facts)}))
    (cache / "s1_db2").write_text(json.dumps({"__payload__": "{not json"}))
    loaded = load_facts([str(cache)])
    assert list(loaded.snapshot["clusters"]["default"]["members"]) == [P]
    assert loaded.errors == [f"{cache / 's1_db2'}: fact-cache payload is not JSON (Expecting property name enclosed "
                             "in double quotes: line 1 column 2 (char 1))"]


def fresh(address, overlay, collected_at):
    facts = build_member(address, overlay)
    facts["collection"]["collected_at"] = collected_at
    return facts


def test_facts_older_than_max_age_are_a_member_that_did_not_report(tmp_path):
    now = 1_800_000_000.0
    documents = [{"mysql_replication": fresh(P, {"role": "primary"}, now - 5)},
                 {"mysql_replication": fresh(R1, {"role": "replica", "source": P}, now - 5)},
                 # A fact cache keeps the last good facts of a host that has since failed.
                 {"mysql_replication": fresh(R2, {"role": "replica", "source": P}, now - 3600)}]
    paths = [write(tmp_path, f"m{i}.json", d) for i, d in enumerate(documents)]
    loaded = load_facts(paths, max_age=900, now=now)
    cluster = loaded.snapshot["clusters"]["default"]
    assert cluster["members"][R2]["reachability"] == "stale"
    assert cluster["cluster"]["member_reachability"][R2] == "stale"
    assert "member_unreachable" in cluster["cluster"]["analysis"]["codes"]
    assert any(f"{R2}: facts are 3600s old" in w for w in loaded.warnings)
    assert load_facts(paths, max_age=0, now=now).snapshot["clusters"]["default"]["members"][R2]["reachable"] is True


def test_a_stale_primary_is_never_dead_while_its_replicas_stream(tmp_path):
    now = 1_800_000_000.0
    documents = [{"mysql_replication": fresh(P, {"role": "primary"}, now - 7200)},
                 {"mysql_replication": fresh(R1, {"role": "replica", "source": P}, now - 5)}]
    loaded = load_facts([write(tmp_path, f"m{i}.json", d) for i, d in enumerate(documents)], max_age=900, now=now)
    codes = loaded.snapshot["clusters"]["default"]["cluster"]["analysis"]["codes"]
    assert "primary_unreachable" in codes and "primary_dead" not in codes


def test_eval_pages_a_replica_whose_cached_facts_are_stale(tmp_path, mysqlha):
    import time

    now = time.time()
    paths = [write(tmp_path, "db1.json", {"mysql_replication": fresh(P, {"role": "primary"}, now)}),
             write(tmp_path, "db2.json", {"mysql_replication": fresh(R1, {"role": "replica", "source": P}, now)}),
             write(tmp_path, "db3.json", {"mysql_replication": fresh(R2, {"role": "replica", "source": P}, now - 3600)})]
    proc = mysqlha("eval", "--rules", "rules", "--facts", *paths, "--format", "json", "--max-age", "15m")
    assert alerts_of(proc) == [("replica_unreachable", "P2", R2)]
    assert "does not answer (stale)" in json.loads(proc.stdout)["summary"]
    assert mysqlha("eval", "--rules", "rules", "--facts", *paths, "--max-age", "0").stdout.strip() == "no alerts"


def test_a_failed_result_for_a_topology_member_joins_it_and_the_cluster_is_analysed_again(tmp_path, mysqlha):
    members = {P: build_member(P, {"role": "primary"}), R1: lost_primary(R1), R2: lost_primary(R2)}
    topology = {"cluster": analyze_cluster(members, name="prod"), "members": members}
    files = [write(tmp_path, "topo.json", topology), write(tmp_path, "db1.json", failed_result(P))]
    for order in (files, files[::-1]):
        proc = mysqlha("eval", "--rules", "rules", "--facts", *order, "--format", "json", "--fail-on", "P0")
        assert ("primary_dead", "P0", P) in alerts_of(proc) and proc.returncode == 1
        assert "replaces the topology's view of it and prod is analysed again" in proc.stderr


def test_a_failure_and_a_success_for_one_server_count_as_the_failure_whatever_the_order(tmp_path, mysqlha):
    ok = write(tmp_path, "db1-ok.json", {"ansible_facts": {"mysql_replication": build_member(P, {"role": "primary"})}})
    failed = write(tmp_path, "db1-failed.json", failed_result(P))
    replicas = [write(tmp_path, f"r{i}.json", {"ansible_facts": {"mysql_replication": lost_primary(r)}})
                for i, r in enumerate((R1, R2))]
    for first, second in ((ok, failed), (failed, ok)):
        proc = mysqlha("eval", "--rules", "rules", "--facts", first, second, *replicas, "--format", "json")
        assert ("primary_dead", "P0", P) in alerts_of(proc)
        assert f"{P}: " in proc.stderr and "counting it as not reachable" in proc.stderr


def test_one_bad_member_of_a_topology_keeps_its_verdict(tmp_path, mysqlha):
    members = {P: {"instance": P, "reachable": False, "reachability": "refused", "errno": 2003, "error": "refused"},
               R1: lost_primary(R1), R2: lost_primary(R2)}
    topology = {"cluster": analyze_cluster(members, name="prod"), "members": dict(members)}
    topology["members"][R2] = dict(lost_primary(R2), replica_net_timeout="60")
    proc = mysqlha("eval", "--rules", "rules", "--facts", write(tmp_path, "topo.json", topology), "--format", "json",
                   "--fail-on", "P0")
    assert ("primary_dead", "P0", P) in alerts_of(proc)
    assert proc.returncode == 1 and f"members/{R2}/replica_net_timeout" in proc.stderr


@pytest.mark.parametrize("content,message", [
    ('{"failed": true, "instance": "db1:3306", "reachability": "refused", "errno": ' + "1" * 5000 + "}", "not JSON facts"),
    ('{"failed": true, "instance": "\\ud800:3306", "reachability": "refused"}', "lone surrogate"),
    ('{"results": [' + ",".join(["0"] * 100_000) + "]}", "and 99950 more like these"),
])
def test_hostile_facts_files_are_named_not_a_traceback(tmp_path, mysqlha, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    good = write(tmp_path, "db1.json", {"ansible_facts": {"mysql_replication": build_member(P, {"role": "primary"})}})
    proc = mysqlha("eval", "--rules", "rules", "--facts", str(path), good)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr) < 20_000


def test_a_fact_cache_directory_names_what_it_cannot_read(tmp_path):
    import os

    cache = tmp_path / "cache"
    cache.mkdir()
    os.mkfifo(cache / "db1")
    (cache / "db2").symlink_to("/dev/zero")
    (cache / "db3").symlink_to(tmp_path / "gone")
    (cache / "db4.json").mkdir()
    (cache / "db5").write_text(json.dumps({"ansible_facts": {"mysql_replication": build_member(P, {})}}))
    (cache / "db6").write_text(json.dumps({"skipped": True, "changed": False}))
    loaded = load_facts([str(cache)])
    assert sorted(e.split(": ", 1)[1] for e in loaded.errors) == [
        "a dangling symbolic link", "a directory; facts are read from regular files only",
        "not a regular file (FIFO, socket or device); facts are read from regular files only",
        "not a regular file (FIFO, socket or device); facts are read from regular files only"]
    assert list(loaded.snapshot["clusters"]["default"]["members"]) == [P]


def test_unreadable_and_overlong_paths_are_named(tmp_path, mysqlha):
    proc = mysqlha("eval", "--rules", "rules", "--facts", "x" * 5000)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
