"""A daemon-style loop: the watcher reloads while rules are evaluated every 100 ms.  Each hostile
file of the catalogue is dropped into the watched directory in turn: the watcher never dies or
blocks, status shows each failure, the good rules keep being evaluated, and a good change made
afterwards goes live."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from test_hostile import CATALOGUE, REPO, generated_rule_cases
from test_reload import wait_until

from ansible_collections.dbaops.mysql_ha.engine.reload import RuleReloader
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot

SNAPSHOT = build_snapshot({"prod": {"members": {
    "db1:3306": {"role": "primary"},
    "db2:3306": {"role": "replica", "source": "db1:3306", "channels": [{"sql_running": False}]}}}})


class EvaluationLoop(threading.Thread):
    """Evaluates the reloader's current set every 100 ms, as the daemon does."""

    def __init__(self, reloader: RuleReloader):
        super().__init__(daemon=True)
        self.reloader = reloader
        self.passes = 0
        self.fired_every_pass = True
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            results, _errors, _evaluated = evaluate(self.reloader.current, SNAPSHOT)
            self.fired_every_pass &= any(r.rule.id == "replica_sql_thread_stopped" for r in results)
            self.passes += 1
            self.stop.wait(0.1)


def hostile_files(tmp_path: Path) -> list[tuple[str, Path]]:
    staging = tmp_path / "staging"
    staging.mkdir()
    files = [(p.stem, p) for p in sorted((CATALOGUE / "rules").glob("*.hostile"))]
    for name, directory in generated_rule_cases(staging).items():
        files.append((name, next(directory.iterdir())))
    return files


def test_the_watcher_survives_every_hostile_file_and_the_good_rules_keep_running(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    reloader = RuleReloader([str(rules)], debounce=0.05, rescan_interval=0.5).start()
    loop = EvaluationLoop(reloader)
    loop.start()
    try:
        for name, source in hostile_files(tmp_path):
            failures = reloader.status["failures"]
            passes = loop.passes
            target = rules / f"hostile_{name}.yml"
            if source.is_fifo():
                os.mkfifo(target)
            elif source.is_symlink():
                target.symlink_to(os.readlink(source))
            else:
                shutil.copy(source, target)
            assert wait_until(lambda f=failures: reloader.status["failures"] > f), f"{name}: no failure recorded"
            assert reloader.status["last_error"] and reloader.status["last_error_at"], name
            assert reloader._thread.is_alive(), f"{name} killed the watcher"
            assert wait_until(lambda p=passes: loop.passes >= p + 2), f"evaluation stalled during {name}"
            target.unlink()
            assert wait_until(lambda: reloader.status["last_error"] is None), f"{name}: did not recover"
        (rules / "late.yml").write_text("rules:\n  - {id: late_rule, scope: instance, when: read_only, "
                                        "severity: P3, summary: x}\n")
        assert wait_until(lambda: any(r.id == "late_rule" for r in reloader.current.rules))
    finally:
        loop.stop.set()
        loop.join(5)
        reloader.stop()
    assert loop.fired_every_pass and loop.passes > 20
