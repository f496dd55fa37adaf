"""Time and peak memory of every hostile-catalogue case, against a clean run of the same
command measured in the same session (the baseline: what `mysqlha check|test|eval` costs on
good input, mostly the interpreter and imports).

    python bench/hostile_bench.py

Each case runs as tests/unit/test_hostile.py runs it: the real CLI in a child process capped at
1.5 GB, reporting its own peak RSS.  Prints one line per case and the slowest one.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "unit"))
sys.path.insert(0, str(REPO / "tests" / "output" / "collections"))

from test_hostile import CATALOGUE, generated_rule_cases, run_bounded  # noqa: E402


def timed(args: list[str], cwd: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    status, _out, _err, peak_mb = run_bounded(args, cwd)
    return time.perf_counter() - started, peak_mb, status


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="mysqlha-hostile-bench-"))
    rows = []
    try:
        good = work / "good"
        shutil.copytree(REPO / "rules", good)
        base_seconds, base_mb, _status = timed(["check", str(good)], work)
        rows.append(("baseline: check of the default pack", base_seconds, base_mb, 0))
        for source in sorted((CATALOGUE / "rules").glob("*.hostile")):
            directory = work / f"rules_{source.stem}"
            directory.mkdir()
            shutil.copy(source, directory / "x.yml")
            rows.append((f"rules/{source.stem}", *timed(["check", str(directory)], work)))
        generated = work / "generated"
        generated.mkdir()
        for name, directory in generated_rule_cases(generated).items():
            rows.append((f"rules/{name}", *timed(["check", str(directory)], work)))
        tree = work / "tree"
        (tree / ".git").mkdir(parents=True)
        shutil.copytree(REPO / "rules", tree / "rules")
        (tree / "tests" / "rules").mkdir(parents=True)
        for source in sorted((CATALOGUE / "tests").glob("*.hostile")):
            target = tree / "tests" / "rules" / f"{source.stem}.yml"
            shutil.copy(source, target)
            rows.append((f"tests/{source.stem}", *timed(["test", str(target)], work)))
            target.unlink()
        for source in sorted((CATALOGUE / "facts").glob("*.hostile")):
            target = work / f"{source.stem}.json"
            shutil.copy(source, target)
            rows.append((f"facts/{source.stem}", *timed(["eval", "--rules", str(good), "--facts", str(target)], work)))
        deep = work / "deep.json"
        deep.write_text("[" * 100_000 + "]" * 100_000)
        rows.append(("facts/deep_json", *timed(["eval", "--rules", str(good), "--facts", str(deep)], work)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'case':<42} {'seconds':>8} {'x base':>7} {'peak MB':>8} {'exit':>5}")
    for name, seconds, peak_mb, status in rows:
        print(f"{name:<42} {seconds:8.2f} {seconds / base_seconds:7.2f} {peak_mb:8.1f} {status:5d}")
    slowest = max(rows[1:], key=lambda row: row[1])
    biggest = max(rows[1:], key=lambda row: row[2])
    print(f"slowest: {slowest[0]} {slowest[1]:.2f} s ({slowest[1] / base_seconds:.2f}x the baseline); "
          f"largest: {biggest[0]} {biggest[2]:.0f} MB (baseline {base_mb:.0f} MB)")


if __name__ == "__main__":
    main()
