"""Messages that count and name things right: `mysqlha check` counts every error, also those
summarised; a state file another run holds gets one message whatever the lock kind; `mysqlha
run --check` prints each config problem on a line of its own."""
from __future__ import annotations

import sqlite3

import pytest
import yaml

from ansible_collections.dbaops.mysql_ha.engine.alerts import store
from ansible_collections.dbaops.mysql_ha.engine.alerts.store import StateFileError, evaluate_once
from ansible_collections.dbaops.mysql_ha.engine.cli import main
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import load_rule_set


def test_check_counts_every_error_also_those_summarised(tmp_path, capsys):
    """12 errors of one kind: 5 shown and one "... and 7 more" line, and the count says 12."""
    (tmp_path / "r.yml").write_text("rules:\n" + "".join(
        f"  - {{id: r{i}, scope: instance, when: no_such_fact_{i}, severity: P3, summary: x}}\n" for i in range(12)))
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "mysqlha check: 12 error(s)"
    assert len(err) == 5 + 1 + 1 and err[5].startswith("... and 7 more errors like")


@pytest.mark.parametrize("lock", ["BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"])
def test_a_state_file_another_run_holds_gets_one_message_whatever_the_lock(tmp_path, monkeypatch, lock):
    """A RESERVED and an EXCLUSIVE lock read alike: "locked by another run?", nothing changed."""
    monkeypatch.setattr(store, "LOCK_TIMEOUT", 0.05)
    (tmp_path / "r.yml").write_text(
        "rules:\n  - {id: ro, scope: instance, when: read_only, for: 1h, severity: P3, summary: x}\n")
    rule_set = load_rule_set([str(tmp_path / "r.yml")])
    snapshot = build_snapshot({"prod": {"members": {"db1:3306": {"role": "primary"},
                                                    "db2:3306": {"role": "replica", "source": "db1:3306"}}}})
    state = str(tmp_path / "state.db")
    evaluate_once(rule_set, snapshot, state_path=state)
    before = (tmp_path / "state.db").read_bytes()
    holder = sqlite3.connect(state, isolation_level=None)
    holder.execute(lock)
    try:
        with pytest.raises(StateFileError) as info:
            evaluate_once(rule_set, snapshot, state_path=state)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(info.value) == f"{state}: locked by another run? (database is locked); nothing was changed"
    assert (tmp_path / "state.db").read_bytes() == before


def test_run_check_prints_each_config_problem_on_its_own_line(tmp_path, capsys):
    config = tmp_path / "engine.yml"
    config.write_text(yaml.safe_dump({"interval": "fast", "extra": 1,
                                      "clusters": [{"name": "prod", "members": []}]}))
    assert main(["run", "--config", str(config), "--check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"mysqlha run: error: {config}: interval: expected a duration" in "\n".join(err)
    problems = [line for line in err if line.startswith(f"mysqlha run: error: {config}: ")]
    assert len(problems) >= 3 and all("; " not in line for line in problems)
    assert err[-1] == f"mysqlha run: {len(problems)} config problem(s)"
