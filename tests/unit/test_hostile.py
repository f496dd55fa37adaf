"""Hostile input is normal input: every case of the hostile catalogue (tests/fixtures/hostile,
plus the cases that cannot live in Git) ends with a clear error naming the file, never a
traceback, a hang or a memory blow-up.

Each case runs the real `mysqlha` command in a child process with its address space capped at
1.5 GB (a runaway would die of MemoryError, not take the machine) and a generous timeout that
only detects a hang.  The child's peak RSS, measured by the kernel, must stay under 200 MB.
bench/hostile_bench.py prints each case's time and memory.
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "tests" / "fixtures" / "hostile"
COLLECTIONS = REPO / "tests" / "output" / "collections"
MAX_RSS_MB = 200
HANG_GUARD_SECONDS = 60


# The CLI, reporting its own peak RSS (the kernel's count for this process alone) on its last line.
RUNNER = """
import resource, sys
from ansible_collections.dbaops.mysql_ha.engine.cli import main
try:
    status = main(sys.argv[1:])
finally:
    sys.stderr.write("\\nPEAK_RSS_KB=%d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(status)
"""


def run_bounded(args: list[str], cwd: Path) -> tuple[int, str, str, float]:
    """Run ``mysqlha ARGS`` capped at 1.5 GB; (exit status, stdout, stderr, peak RSS in MB)."""
    def cap():
        limit = 1536 * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.Popen([sys.executable, "-c", RUNNER, *args],
                            cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)), preexec_fn=cap)
    try:
        out, err = proc.communicate(timeout=HANG_GUARD_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"mysqlha {' '.join(args)[:200]} hung for {HANG_GUARD_SECONDS}s")
    err, _sep, peak = err.rpartition("PEAK_RSS_KB=")
    assert peak.strip().isdigit(), err[-3000:]
    return proc.returncode, out, err, int(peak) / 1024


def assert_clean_error(status: int, out: str, err: str, expected_status: int, names: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert status == expected_status, (status, err[-2000:])
    assert names in err, err[-2000:]
    assert len(err) < 100_000, "an error report must stay readable"


# ---- rule files ------------------------------------------------------------------------------
def generated_rule_cases(directory: Path) -> dict[str, Path]:
    """The rule-file cases that cannot be files in Git."""
    cases = {}
    fifo = directory / "fifo" / "x.yml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    cases["fifo"] = fifo.parent
    zero = directory / "zero" / "z.yml"
    zero.parent.mkdir()
    zero.symlink_to("/dev/zero")
    cases["dev_zero"] = zero.parent
    deep = directory / "deep" / "d.yml"
    deep.parent.mkdir()
    deep.write_text("rules: " + "[" * 5000 + "]" * 5000 + "\n")
    cases["deep_nesting"] = deep.parent
    aliases = directory / "aliases" / "a.yml"
    aliases.parent.mkdir()
    aliases.write_text("rules:\n  - &r {id: same, scope: instance, when: read_only, severity: P3, summary: x}\n"
                       + "  - *r\n" * 100_000)
    cases["100k_aliased_rules"] = aliases.parent
    huge = directory / "huge" / "h.yml"
    huge.parent.mkdir()
    with open(huge, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    cases["50MB_file"] = huge.parent
    return cases


def rule_cases(tmp_path: Path) -> dict[str, Path]:
    cases = {}
    for source in sorted((CATALOGUE / "rules").glob("*.hostile")):
        directory = tmp_path / source.stem
        directory.mkdir()
        shutil.copy(source, directory / "x.yml")
        cases[source.stem] = directory
    cases.update(generated_rule_cases(tmp_path))
    return cases


RULE_CASES = sorted(p.stem for p in (CATALOGUE / "rules").glob("*.hostile")) + [
    "fifo", "dev_zero", "deep_nesting", "100k_aliased_rules", "50MB_file"]


@pytest.mark.parametrize("case", RULE_CASES)
def test_hostile_rule_files_end_in_a_clear_error(tmp_path, case):
    directory = rule_cases(tmp_path)[case]
    status, out, err, peak_mb = run_bounded(["check", str(directory)], tmp_path)
    assert_clean_error(status, out, err, 1, str(directory))
    assert peak_mb < MAX_RSS_MB


# ---- mysqlha test files ---------------------------------------------------------------------
TEST_CASES = sorted(p.stem for p in (CATALOGUE / "tests").glob("*.hostile"))


@pytest.mark.parametrize("case", TEST_CASES)
def test_hostile_rule_test_files_end_in_a_clear_error(tmp_path, case):
    (tmp_path / ".git").mkdir()                       # the work tree rule_files must stay in
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    target = tmp_path / "tests" / "rules" / f"{case}.yml"
    target.parent.mkdir(parents=True)
    shutil.copy(CATALOGUE / "tests" / f"{case}.hostile", target)
    status, out, err, peak_mb = run_bounded(["test", str(target)], tmp_path)
    assert_clean_error(status, out, err, 1, str(target))
    assert "0 passed, 0 failed" not in out or err
    assert peak_mb < MAX_RSS_MB


# ---- mysqlha eval facts ---------------------------------------------------------------------
FACT_CASES = sorted(p.stem for p in (CATALOGUE / "facts").glob("*.hostile")) + [
    "deep_json", "fifo", "dev_zero", "15MB_of_empty_lists"]


@pytest.mark.parametrize("case", FACT_CASES)
def test_hostile_facts_end_in_a_clear_error(tmp_path, case):
    target = tmp_path / f"{case}.json"
    if case == "deep_json":
        target.write_text("[" * 100_000 + "]" * 100_000)
    elif case == "fifo":
        os.mkfifo(target)
    elif case == "dev_zero":
        target.symlink_to("/dev/zero")
    elif case == "15MB_of_empty_lists":   # under the size limit; parsed, it would take some 400 MB
        target.write_text("[" + "[]," * (5 * 1024 * 1024) + "[]]")
    else:
        shutil.copy(CATALOGUE / "facts" / f"{case}.hostile", target)
    status, out, err, peak_mb = run_bounded(["eval", "--rules", str(REPO / "rules"), "--facts", str(target)], tmp_path)
    assert_clean_error(status, out, err, 2, str(target))
    assert peak_mb < MAX_RSS_MB


def test_a_thousand_unresolvable_member_names_are_evaluated_offline(tmp_path):
    """The analysis asks no DNS: 1000 names that would each time out resolving cost nothing."""
    import json

    from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_member

    members = {f"db{i}.invalid:3306": build_member(f"db{i}.invalid:3306", {"role": "replica", "source": "db0.invalid:3306"})
               for i in range(1, 1000)}
    members["db0.invalid:3306"] = build_member("db0.invalid:3306", {"role": "primary"})
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"clusters": {"big": {"members": members}}}))
    status, out, err, peak_mb = run_bounded(["eval", "--rules", str(REPO / "rules"), "--facts", str(path)], tmp_path)
    assert status == 0, err[-2000:]
    assert out.strip() == "no alerts" and peak_mb < MAX_RSS_MB
