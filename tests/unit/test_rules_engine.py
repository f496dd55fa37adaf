"""The rule engine: one-pass validation, simpleeval with a budget, null semantics, alert state."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.alerts.store import AlertStore
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.expr import ExpressionError, compile_expression
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set

REPO = Path(__file__).resolve().parents[2]


def write_rules(tmp_path, body):
    (tmp_path / "r.yml").write_text(body)
    return load_rule_set([str(tmp_path)])


def one_replica_snapshot(**channel):
    """A primary, replica db2 with ``channel`` on its channel, and a healthy replica db3."""
    return build_snapshot({"prod": {"members": {"db1:3306": {"role": "primary"},
                                                "db2:3306": {"role": "replica", "source": "db1:3306", "channels": [channel]},
                                                "db3:3306": {"role": "replica", "source": "db1:3306"}}}})


def test_the_default_pack_checks_clean(mysqlha):
    proc = mysqlha("check", "rules")
    assert proc.returncode == 0, proc.stderr
    pack_size = sum(f.read_text().count("\n  - id: ") for f in (REPO / "rules").glob("*.yml"))
    assert proc.stdout.startswith(f"ok: {pack_size} rules in 4 files")


def test_each_broken_file_gives_exactly_one_precise_error_and_exit_1(tmp_path, mysqlha):
    broken = tmp_path / "broken_rules"
    broken.mkdir()
    for source in sorted((REPO / "tests" / "fixtures" / "broken_rules").glob("*.broken")):
        (broken / (source.stem + ".yml")).write_bytes(source.read_bytes())
    (broken / "09_not_utf8.yml").write_bytes(
        b'rules:\n  - id: latin1\n    scope: instance\n    when: "read_only"\n    severity: P3\n    summary: "caf\xe9"\n')
    proc = mysqlha("check", "broken_rules", cwd=tmp_path)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("broken_rules/")]
    per_file = Counter(line.split(":")[0] for line in errors)
    assert len(per_file) == 10 and set(per_file.values()) == {1}, errors
    by_file = {line.split(":")[0].rsplit("/", 1)[1]: line for line in errors}
    assert ":4: sql_thread_typo.when: channel has no field 'sql_runing' (did you mean 'sql_running'?)" in by_file["03_unknown_field.yml"]
    assert ":7: duplicate rule id 'same_id'" in by_file["06_duplicate_id.yml"]
    assert ":7: severty: Additional properties" in by_file["08_unknown_key.yml"]
    assert "not UTF-8" in by_file["09_not_utf8.yml"]


def test_rule_unit_tests_pass_and_cover_every_default_rule(mysqlha):
    proc = mysqlha("test", "tests/rules", "--require-coverage")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("passed, 0 failed") and "never firing" not in proc.stderr


def test_a_failing_expectation_says_what_was_expected_and_what_fired(tmp_path, mysqlha):
    (tmp_path / "t.yml").write_text(f"""
rule_files: [{REPO / 'rules'}]
tests:
  - name: wrong expectation
    timeline:
      - at: 0s
        clusters:
          prod:
            members:
              "db1:3306": {{role: primary}}
              "db2:3306": {{role: replica, source: "db1:3306", channels: [{{sql_running: false}}]}}
    expect:
      - at: 0s
        firing: [{{rule: replication_error}}]
""")
    proc = mysqlha("test", str(tmp_path / "t.yml"))
    assert proc.returncode == 1
    assert "expected firing [{'rule': 'replication_error'}]" in proc.stderr
    assert "'rule': 'replica_sql_thread_stopped'" in proc.stderr and "0 passed, 1 failed" in proc.stdout


@pytest.mark.parametrize("expression,message", [
    ("x" * 1000 + " == 1 and " + "read_only or " * 9000 + "read_only", "characters; the limit is 4096"),
    (" and ".join(["a"] * 500), "syntax nodes; the limit is 400"),
    ("(" * 250 + "read_only" + ")" * 250, "does not parse|nested too deeply"),
    ("().__class__", "not allowed"),
    ("[c for c in channels].__len__()", "not allowed"),
    ("lambda: 1", "Lambda is not allowed"),
])
def test_dangerous_or_huge_expressions_are_refused_at_load(expression, message):
    with pytest.raises(ExpressionError, match=message):
        compile_expression(expression, "instance")


def test_constant_bombs_are_refused_at_load_naming_the_budget(tmp_path):
    with pytest.raises(RuleSetError) as info:
        write_rules(tmp_path, """
rules:
  - {id: power, scope: instance, when: "9**9**9 > 0", severity: P3, summary: "{instance}"}
  - {id: string, scope: instance, when: "len('x' * 10**9) > 0", severity: P3, summary: "{instance}"}
  - {id: items, scope: instance, when: "len([0]*100000) > 0", severity: P3, summary: "{instance}"}
  - {id: fine, scope: instance, when: "read_only", severity: P3, summary: "{instance} is read-only"}
""")
    assert [e.split(": ", 1)[1].split(".")[0] for e in info.value.errors] == ["power", "string", "items"]
    assert all("over the evaluation budget" in e for e in info.value.errors)


def test_runtime_bombs_are_stopped_and_the_other_rules_still_run(tmp_path):
    rule_set = write_rules(tmp_path, """
rules:
  - {id: power, scope: instance, when: "coalesce(server_id, 9) ** 4000000 > 0", severity: P3, summary: "{instance}"}
  - {id: string, scope: instance, when: "len(instance * 10**9) > 0", severity: P3, summary: "{instance}"}
  - {id: comprehension, scope: instance, when: "len([1 for a in [role]*9000 for b in [role]*9000]) > 0", severity: P3,
     summary: "{instance}"}
  - {id: fine, scope: instance, when: "read_only", severity: P3, summary: "{instance} is read-only"}
""")
    results, errors, _evaluated = evaluate(rule_set, one_replica_snapshot())
    assert [(r.rule.id, r.instance) for r in results] == [("fine", "db2:3306"), ("fine", "db3:3306")]
    assert len(errors) == 9  # three bombs on three instances, each stopped with a reason
    assert any("power" in e and "bits" in e for e in errors) and any("string" in e and "characters" in e for e in errors)


def test_null_lag_never_fires_a_comparison_and_null_arithmetic_is_an_error_not_a_crash(tmp_path):
    rule_set = write_rules(tmp_path, """
rules:
  - {id: lag, scope: channel, when: "channel.seconds_behind_source > 30", severity: P2, summary: "{channel.seconds_behind_source}"}
  - id: unknown
    scope: channel
    when: "is_null(channel.seconds_behind_source)"
    severity: P3
    summary: "lag {channel.seconds_behind_source}"
  - {id: arithmetic, scope: channel, when: "channel.seconds_behind_source + 1 > 0", severity: P3, summary: "x"}
""")
    results, errors, _evaluated = evaluate(rule_set, one_replica_snapshot(sql_running=False, seconds_behind_source=None))
    on_db2 = [r for r in results if r.instance == "db2:3306"]
    assert [r.rule.id for r in on_db2] == ["unknown"] and on_db2[0].summary == "lag unknown"
    assert len(errors) == 1 and errors[0].startswith("arithmetic on prod/db2:3306") and "TypeError" in errors[0]


def test_alert_state_survives_a_restart_without_refiring(tmp_path):
    rule_set = load_rule_set([str(REPO / "rules")])
    stopped = one_replica_snapshot(sql_running=False, seconds_behind_source=None)
    database = str(tmp_path / "alerts.sqlite")
    store = AlertStore(database)
    results, _errors, evaluated = evaluate(rule_set, stopped)
    transitions = store.update(results, evaluated, now=1000.0)
    assert [(a["rule"], old, new) for a, old, new in transitions] == [("replica_sql_thread_stopped", None, "firing")]
    first = store.alerts()[0]
    store.close()

    restarted = AlertStore(database)
    results, _errors, evaluated = evaluate(rule_set, stopped)
    assert restarted.update(results, evaluated, now=1010.0) == []      # still firing: nothing new to send
    assert restarted.alerts()[0]["id"] == first["id"] and restarted.alerts()[0]["started_at"] == first["started_at"]

    assert restarted.ack(first["id"], by="oncall")["state"] == "acked"
    results, _errors, evaluated = evaluate(rule_set, one_replica_snapshot())
    (alert, old, new), = restarted.update(results, evaluated, now=1020.0)
    assert (alert["rule"], old, new) == ("replica_sql_thread_stopped", "acked", "resolved")
    assert restarted.alerts() == []


def test_pending_alerts_that_clear_before_for_never_fire_and_errors_keep_state(tmp_path):
    rule_set = write_rules(tmp_path, """
rules:
  - {id: lag, scope: channel, when: "channel.seconds_behind_source > 30", for: 1m, severity: P2, summary: "x"}
""")
    store = AlertStore()
    results, _errors, evaluated = evaluate(rule_set, one_replica_snapshot(seconds_behind_source=60))
    assert [new for _a, _old, new in store.update(results, evaluated, now=0.0)] == ["pending"]
    results, _errors, evaluated = evaluate(rule_set, one_replica_snapshot(seconds_behind_source=0))
    assert [(old, new) for _a, old, new in store.update(results, evaluated, now=30.0)] == [("pending", None)]
    results, _errors, evaluated = evaluate(rule_set, one_replica_snapshot(seconds_behind_source=60))
    store.update(results, evaluated, now=40.0)
    store.update(results, evaluated, now=100.0)
    assert store.alerts()[0]["state"] == "firing"
    # A target that could not be evaluated is not a recovery: the alert stays firing.
    assert store.update([], set(), now=110.0) == [] and store.alerts()[0]["state"] == "firing"
    # A rule that left the rule set resolves its alerts.
    assert [new for _a, _old, new in store.update([], set(), now=120.0, rule_ids=set())] == ["resolved"]


def test_eval_reads_an_ansible_fact_cache_and_module_results(tmp_path, mysqlha):
    import json

    from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_member, build_security

    cache = tmp_path / "facts_cache"
    cache.mkdir()
    primary = build_member("db1:3306", {"role": "primary"})
    replica = build_member("db2:3306", {"role": "replica", "source": "db1:3306", "channels": [{"last_sql_errno": 1062,
                                                                                               "sql_running": False}]})
    security = build_security("db1:3306", {"settings": {"local_infile": True}})
    # The jsonfile cache plugin writes one file per host holding the host's facts.
    (cache / "db1").write_text(json.dumps({"mysql_replication": primary, "mysql_security": security}))
    (cache / "db2").write_text(json.dumps({"ansible_facts": {"mysql_replication": replica}, "changed": False}))
    proc = mysqlha("eval", "--rules", "rules", "--facts", str(cache), "--cluster", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    alerts = sorted((a["rule"], a["cluster"], a["instance"]) for a in map(json.loads, proc.stdout.splitlines()))
    assert alerts == [("all_replicas_not_replicating", "prod", "db1:3306"), ("local_infile_enabled", "prod", "db1:3306"),
                      ("replication_error", "prod", "db2:3306")]
    table = mysqlha("eval", "--rules", "rules", "--facts", str(cache), "--fail-on", "P1")
    assert table.returncode == 1 and "replication_error" in table.stdout


def test_eval_names_a_facts_file_it_cannot_use(tmp_path, mysqlha):
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    proc = mysqlha("eval", "--facts", str(bad))
    assert proc.returncode == 2 and f"{bad}: no mysql_replication" in proc.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert f"{broken}: not JSON facts" in mysqlha("eval", "--facts", str(broken)).stderr


def test_the_clusters_memory_survives_a_restart_and_a_damaged_or_old_row_is_forgotten(tmp_path):
    path = str(tmp_path / "state.db")
    store = AlertStore(path)
    hung = {"primary": "a:3306", "member_reachability": {"a:3306": "hung", "b:3306": "ok"}, "primary_hung_since": 1000.5,
            "errant_gtids": {"b:3306": "0-2-101"}, "errant_gtid_counts": {"b:3306": 1}, "analysis": {"codes": ["primary_hung"]}}
    store.remember_clusters({"hung": hung, "old": hung}, now=5000)
    store.remember_clusters({"fresh": {"primary": "c:3306"}}, now=9000)
    store.db.execute("INSERT INTO cluster_memory VALUES ('bad', '{\"primary\": [1], \"member_reachability\": [2]}', 9000)")
    store.db.execute("INSERT INTO cluster_memory VALUES ('junk', 'not json', 9000)")
    store.close()
    store = AlertStore(path)                     # a restarted daemon
    recalled = store.recall_clusters(["hung", "old", "fresh", "bad", "junk", "unknown"], max_age=4000, now=9000)
    assert recalled["hung"] == {"primary": "a:3306", "member_reachability": {"a:3306": "hung", "b:3306": "ok"},
                                "primary_hung_since": 1000.5, "errant_gtids": {"b:3306": "0-2-101"},
                                "errant_gtid_counts": {"b:3306": 1}}
    empty = {"member_reachability": {}, "primary_hung_since": None, "errant_gtids": {}, "errant_gtid_counts": {}}
    assert recalled["fresh"] == dict(empty, primary="c:3306")
    assert recalled["bad"] == dict(empty, primary=None)
    assert "junk" not in recalled and "unknown" not in recalled
    assert store.recall_clusters(["old"], max_age=3000, now=9000) == {}          # 4000 s old: forgotten
