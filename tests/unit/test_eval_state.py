"""`for` in one-shot runs: mysqlha eval --state keeps alert state between runs, so a schedule
(cron, AWX) sees a rule pending on one run and firing on a later one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot

REPO = Path(__file__).resolve().parents[2]
RULE = """rules:
  - id: sql_stopped_a_while
    scope: channel
    when: "not channel.sql_running"
    for: 1s
    severity: P1
    summary: "SQL thread of {instance} stopped"
"""


def snapshot(sql_running: bool) -> dict:
    return build_snapshot({"c": {"members": {"a:3306": {"role": "primary"},
                                             "b:3306": {"channels": [{"sql_running": sql_running, "source_host": "a"}]}}}})


def mysqlha(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "output" / "collections"))
    return subprocess.run([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine", *map(str, args)],
                          capture_output=True, text=True, env=env, check=False, timeout=120)


def run(tmp_path: Path, sql_running: bool, *extra):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(snapshot(sql_running)))
    proc = mysqlha("eval", "--rules", tmp_path / "rules", "--facts", facts, "--max-age", "0", "--format", "json",
                   "--fail-on", "P1", *extra)
    return proc, [json.loads(line) for line in proc.stdout.splitlines()]


def test_a_for_rule_fires_on_a_later_run_with_a_state_file_and_resolves_when_it_clears(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    state = tmp_path / "state.db"
    first, alerts = run(tmp_path, False, "--state", state)
    assert first.returncode == 0 and [a["state"] for a in alerts] == ["pending"], first.stderr
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    time.sleep(1.2)
    second, alerts = run(tmp_path, False, "--state", state)
    assert second.returncode == 1 and [a["state"] for a in alerts] == ["firing"]
    third, alerts = run(tmp_path, True, "--state", state)
    assert third.returncode == 0 and alerts == []


def test_without_a_state_file_a_for_rule_stays_pending_and_eval_says_why(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    run(tmp_path, False)
    time.sleep(1.2)
    proc, alerts = run(tmp_path, False)
    assert [a["state"] for a in alerts] == ["pending"] and "never fire in a run without --state" in proc.stderr
    check = mysqlha("check", tmp_path / "rules")
    assert check.returncode == 0 and "1 rules use `for` (sql_stopped_a_while)" in check.stderr


def test_a_state_file_that_is_a_symlink_or_not_a_database_is_refused(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    target = tmp_path / "elsewhere.db"
    link = tmp_path / "link.db"
    link.symlink_to(target)
    proc, _alerts = run(tmp_path, False, "--state", link)
    assert proc.returncode == 2 and "a symlink" in proc.stderr and not target.exists()
    junk = tmp_path / "junk.db"
    junk.write_text("this is not sqlite " * 100)
    proc, _alerts = run(tmp_path, False, "--state", junk)
    assert proc.returncode == 2 and "not a usable mysqlha state file" in proc.stderr and "Traceback" not in proc.stderr


def test_a_mistyped_state_path_is_refused_before_anything_changes_it(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0:root:/root:/bin/bash\n")
    victim.chmod(0o644)
    proc, _alerts = run(tmp_path, False, "--state", victim)
    assert proc.returncode == 2 and "not SQLite" in proc.stderr
    assert oct(victim.stat().st_mode & 0o777) == "0o644" and victim.read_text().startswith("root:")


def test_another_programs_database_and_a_locked_state_file_are_refused_untouched(tmp_path):
    import hashlib
    import sqlite3

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    theirs = tmp_path / "app.db"
    db = sqlite3.connect(theirs)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    before = hashlib.sha256(theirs.read_bytes()).hexdigest()
    proc, _alerts = run(tmp_path, False, "--state", theirs)
    assert proc.returncode == 2 and "holds tables invoices" in proc.stderr and "Traceback" not in proc.stderr
    assert hashlib.sha256(theirs.read_bytes()).hexdigest() == before
    ours = tmp_path / "state.db"
    assert run(tmp_path, False, "--state", ours)[0].returncode == 0          # pending, kept
    holder = sqlite3.connect(ours, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")                                      # another run, mid-write
    try:
        proc, _alerts = run(tmp_path, False, "--state", ours)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 2 and "locked" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_damaged_alert_row_is_an_error_naming_the_file_not_a_traceback(tmp_path):
    import sqlite3

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yml").write_text(RULE)
    state = tmp_path / "state.db"
    assert run(tmp_path, False, "--state", state)[0].returncode == 0          # a pending alert kept
    for column, value in (("active_since", "abc"), ("labels", "not json")):
        db = sqlite3.connect(state)
        db.execute(f"UPDATE alerts SET {column} = ?", (value,))
        db.commit()
        db.close()
        proc, _alerts = run(tmp_path, False, "--state", state)
        assert proc.returncode == 2 and "state.db: a damaged alert row" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
