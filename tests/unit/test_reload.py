"""Hot reload under a running watcher: edits, atomic saves and git pulls go live; invalid
changes, a vanished directory, huge files and symlink loops keep the last good set."""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.reload import RuleReloader

REPO = Path(__file__).resolve().parents[2]
# Rules in the default pack, counted from the files' text (not by the loader under test).
DEFAULT_PACK_SIZE = sum(f.read_text().count("\n  - id: ") for f in (REPO / "rules").glob("*.yml"))
RULE = """rules:
  - id: {id}
    scope: instance
    when: "read_only"
    severity: {severity}
    summary: "{{instance}}"
"""


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def watched(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    reloader = RuleReloader([str(rules)], debounce=0.1, rescan_interval=0.5).start()
    yield rules, reloader
    reloader.stop()


def ids(reloader):
    return {r.id for r in reloader.current.rules}


def severity_of(reloader, rule_id):
    return next(r.severity for r in reloader.current.rules if r.id == rule_id)


def test_an_edit_in_place_goes_live(watched):
    rules, reloader = watched
    path = rules / "replication.yml"
    path.write_text(path.read_text().replace("severity: P2\n    summary: \"Replica {instance} is writable",
                                             "severity: P1\n    summary: \"Replica {instance} is writable"))
    assert wait_until(lambda: severity_of(reloader, "replica_writable") == "P1")
    assert reloader.status["last_error"] is None and reloader.status["reloads"] == 1


def test_an_atomic_save_goes_live(watched):
    rules, reloader = watched
    tmp = rules / ".extra.yml.tmp"
    tmp.write_text(RULE.format(id="atomic_rule", severity="P3"))
    os.replace(tmp, rules / "extra.yml")
    assert wait_until(lambda: "atomic_rule" in ids(reloader))


def test_an_invalid_change_is_refused_and_the_old_set_stays_live_until_fixed(watched):
    rules, reloader = watched
    before = reloader.current
    (rules / "broken.yml").write_text(RULE.format(id="broken_rule", severity="P9"))
    assert wait_until(lambda: reloader.status["last_error"] is not None)
    assert reloader.current is before and "broken_rule" not in ids(reloader)
    assert "broken.yml:5: severity" in reloader.status["last_error"][0]
    (rules / "broken.yml").write_text(RULE.format(id="broken_rule", severity="P2"))
    assert wait_until(lambda: "broken_rule" in ids(reloader))
    assert reloader.status["last_error"] is None


def test_a_git_pull_of_fifty_files_goes_live_as_one_set(tmp_path):
    origin = tmp_path / "origin"
    shutil.copytree(REPO / "rules", origin)
    git = ["git", "-c", "user.email=t@example", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q", str(origin)], check=True)
    subprocess.run(git + ["-C", str(origin), "add", "-A"], check=True)
    subprocess.run(git + ["-C", str(origin), "commit", "-qm", "rules"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    # A longer debounce than the default: a pull on a loaded machine writes its files over a while;
    # no rescan in the middle of it (this test is about the event path).
    reloader = RuleReloader([str(clone)], debounce=0.3, rescan_interval=60).start()
    try:
        for index in range(50):
            (origin / f"extra_{index:02d}.yml").write_text(RULE.format(id=f"pulled_{index:02d}", severity="P3"))
        subprocess.run(git + ["-C", str(origin), "add", "-A"], check=True)
        subprocess.run(git + ["-C", str(origin), "commit", "-qm", "fifty more"], check=True)
        swaps_before = len(reloader.swaps)
        rules_before = len(reloader.current.rules)
        subprocess.run(git + ["-C", str(clone), "pull", "-q"], check=True)
        assert wait_until(lambda: len(reloader.current.rules) == rules_before + 50)
        time.sleep(0.3)
        # Debounced: the many events of one pull make one swap, to the whole pulled set.
        assert [count for _event, _swap, count in reloader.swaps[swaps_before:]] == [rules_before + 50]
    finally:
        reloader.stop()


def test_changes_under_git_are_ignored(watched):
    rules, reloader = watched
    (rules / ".git").mkdir()
    for index in range(20):
        (rules / ".git" / f"obj{index}").write_text("x")
    time.sleep(0.5)
    # Not even attempted: an event that got through would have tried a reload (last_attempt_at).
    assert reloader.status["last_attempt_at"] is None
    assert reloader.status["reloads"] == 0 and reloader.status["failures"] == 0


def test_a_vanished_directory_keeps_the_last_good_set_and_its_return_is_found_by_the_rescan(watched):
    rules, reloader = watched
    saved = rules.parent / "saved"
    shutil.copytree(rules, saved)
    shutil.rmtree(rules)
    assert wait_until(lambda: reloader.status["last_error"] is not None)
    assert len(reloader.current.rules) == DEFAULT_PACK_SIZE
    shutil.copytree(saved, rules)
    (rules / "back.yml").write_text(RULE.format(id="came_back", severity="P3"))
    assert wait_until(lambda: "came_back" in ids(reloader))


def test_a_huge_file_and_a_symlink_loop_are_refused(watched):
    rules, reloader = watched
    with open(rules / "huge.yml", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    assert wait_until(lambda: reloader.status["last_error"] is not None)
    assert "limited to" in reloader.status["last_error"][0] and len(reloader.current.rules) == DEFAULT_PACK_SIZE
    (rules / "huge.yml").unlink()
    os.symlink(rules, rules / "loop")
    assert wait_until(lambda: reloader.status["last_error"] and "symlink loop" in " ".join(reloader.status["last_error"]))
    assert len(reloader.current.rules) == DEFAULT_PACK_SIZE
