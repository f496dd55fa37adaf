"""Rule packs layer in order: @default (the shipped pack, wherever installed), then a team's
pack, which may replace a default rule by id only when it says override: true."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACKAGED_RULES, RuleSetError, load_rule_set

REPO = Path(__file__).resolve().parents[2]
OURS = """rules:
  - id: replica_sql_thread_stopped
    override: true
    scope: channel
    when: "not channel.sql_running and channel.last_sql_errno == 0"
    severity: P2
    summary: "SQL thread stopped on {instance} (our runbook: ticket, not a page)"
  - id: our_lag_budget
    scope: channel
    when: "channel.seconds_behind_source != None and channel.seconds_behind_source > 5"
    severity: P3
    summary: "{instance} lags {channel.seconds_behind_source}s"
"""


def test_a_team_pack_overrides_one_default_rule_and_adds_its_own(tmp_path):
    (tmp_path / "ours.yml").write_text(OURS)
    default = load_rule_set(["@default"])
    layered = load_rule_set(["@default", str(tmp_path)])
    by_id = {r.id: r for r in layered.rules}
    assert len(layered.rules) == len(default.rules) + 1
    assert by_id["replica_sql_thread_stopped"].severity == "P2" and "ours.yml" in by_id["replica_sql_thread_stopped"].source
    assert [r.id for r in layered.rules][:len(default.rules)] == [r.id for r in default.rules]   # replaced in place
    assert load_rule_set(["@default"]).files == load_rule_set([str(PACKAGED_RULES)]).files


def test_a_duplicate_without_override_and_an_override_of_nothing_are_errors(tmp_path):
    (tmp_path / "dup.yml").write_text(OURS.replace("    override: true\n", ""))
    with pytest.raises(RuleSetError, match="duplicate rule id 'replica_sql_thread_stopped'.*override: true"):
        load_rule_set(["@default", str(tmp_path)])
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "ours.yml").write_text(OURS)
    with pytest.raises(RuleSetError, match="override: true, but no earlier rule has this id"):
        load_rule_set([str(alone)])


def test_eval_takes_repeated_rules_and_the_override_decides_the_page(tmp_path):
    (tmp_path / "ours.yml").write_text(OURS)
    snapshot = build_snapshot({"c": {"members": {"a:3306": {"role": "primary"},
                                                 "b:3306": {"channels": [{"sql_running": False, "source_host": "a"}]},
                                                 "c:3306": {"channels": [{"source_host": "a"}]}}}})
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(snapshot))
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "output" / "collections"))
    command = [sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine", "eval", "--max-age", "0",
               "--facts", str(facts), "--format", "json", "--fail-on", "P1"]
    alone = subprocess.run(command + ["--rules", "@default"], capture_output=True, text=True, env=env, check=False)
    layered = subprocess.run(command + ["--rules", "@default", "--rules", str(tmp_path)], capture_output=True, text=True,
                             env=env, check=False)
    assert alone.returncode == 1, alone.stderr            # P1 from the default rule
    assert layered.returncode == 0, layered.stderr        # P2 from ours: below --fail-on
    alerts = [json.loads(line) for line in layered.stdout.splitlines()]
    assert [(a["rule"], a["severity"]) for a in alerts if a["rule"] == "replica_sql_thread_stopped"] == [
        ("replica_sql_thread_stopped", "P2")]


def test_the_unnamed_channel_is_default_in_prose_and_empty_in_sql():
    from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate

    snapshot = build_snapshot({"c": {"members": {
        "a:3306": {"role": "primary"},
        "b:3306": {"channels": [{"name": "", "sql_running": False, "source_host": "a"},
                                {"name": "east", "sql_running": False, "source_host": "a"}]}}}})
    results, errors, _evaluated = evaluate(load_rule_set(["@default"]), snapshot)
    assert not errors
    stopped = {r.channel: r for r in results if r.rule.id == "replica_sql_thread_stopped"}
    assert set(stopped) == {"", "east"}
    assert "(channel default)" in stopped[""].summary and "START SLAVE '' SQL_THREAD" in stopped[""].remediation
    assert "(channel east)" in stopped["east"].summary and "START SLAVE 'east' SQL_THREAD" in stopped["east"].remediation
    assert "()" not in stopped[""].summary


def test_an_override_within_one_pack_is_an_error_not_a_silent_replacement(tmp_path):
    (tmp_path / "a.yml").write_text(OURS.replace("    override: true\n", "").replace("our_lag_budget", "our_first"))
    (tmp_path / "b.yml").write_text(OURS.replace("replica_sql_thread_stopped", "our_first"))
    with pytest.raises(RuleSetError, match="our_first: override: true replaces a rule of an earlier pack, but this id "
                                           "is defined in the same pack at .*a.yml"):
        load_rule_set([str(tmp_path)])
    assert load_rule_set([str(tmp_path / "a.yml"), str(tmp_path / "b.yml")])     # two packs: fine


def test_a_pack_with_no_rule_file_or_an_empty_path_is_an_error_never_a_green_gate(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "disabled").mkdir()
    (tmp_path / "disabled" / "a.yml.disabled").write_text(OURS)
    for packs in (["@default", str(tmp_path / "empty")], [str(tmp_path / "disabled")], [""]):
        with pytest.raises(RuleSetError, match="no rule file .* nothing would be evaluated"):
            load_rule_set(packs)


def test_the_same_pack_reached_by_another_path_is_the_same_pack(tmp_path):
    (tmp_path / "p1").mkdir()
    (tmp_path / "p2").mkdir()
    (tmp_path / "p1" / "a.yml").write_text(OURS.replace("    override: true\n", ""))
    (tmp_path / "p2" / "b.yml").write_text(OURS.replace("our_lag_budget", "our_other"))
    layered = load_rule_set([str(tmp_path / "p1"), str(tmp_path / "p1" / ".." / "p2")])
    assert {r.id for r in layered.rules} == {"replica_sql_thread_stopped", "our_lag_budget", "our_other"}


def test_a_template_conversion_is_refused_at_load(tmp_path):
    (tmp_path / "r.yml").write_text(OURS.replace("    override: true\n", "").replace(
        "(our runbook: ticket, not a page)", "{cluster!r}"))
    with pytest.raises(RuleSetError, match=r"\{cluster!r\}: conversions \(!r, !s, !a\) are not supported"):
        load_rule_set([str(tmp_path)])
