"""``mysqlha test``: rule unit tests, like ``promtool test rules``.

A test file::

    rule_files: [../../rules]          # relative to this file
    tests:
      - name: SQL thread stopped fires at once
        interval: 10s                  # evaluation step (default 10s)
        timeline:                      # fact snapshots; each holds until the next
          - at: 0s
            clusters:
              prod:
                members:
                  "db1:3306": {role: primary}
                  "db2:3306": {role: replica, source: "db1:3306", channels: [{sql_running: false}]}
        expect:
          - at: 0s
            firing: [{rule: replica_sql_thread_stopped, instance: "db2:3306"}]
            pending: []                # optional

Members are complete, healthy facts with the given fields on top
(engine/rules/snapshot.py: build_member); the cluster analysis is computed by the
same code as topology_facts.  ``firing`` is the exact set of firing alerts (each
entry matches on the fields it names).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set, parse_duration
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.state import AlertStore


@dataclass
class TestReport:
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    rule_ids: set[str] = field(default_factory=set)


def _matches(alert: dict, expected: dict) -> bool:
    return all(str(alert.get(key)) == str(value) for key, value in expected.items())


def _compare(kind: str, alerts: list[dict], expected: list[dict]) -> str | None:
    unmatched = list(alerts)
    missing = []
    for want in expected:
        hit = next((a for a in unmatched if _matches(a, want)), None)
        if hit is None:
            missing.append(want)
        else:
            unmatched.remove(hit)
    if not missing and not unmatched:
        return None
    got = [{k: a[k] for k in ("rule", "cluster", "instance", "channel", "severity")} for a in alerts]
    return f"expected {kind} {expected}, got {got}" + (f"; missing {missing}" if missing else "") + \
        (f"; unexpected {[a['rule'] + '@' + a['instance'] for a in unmatched]}" if unmatched else "")


def run_test_file(path: str, report: TestReport) -> None:
    source = Path(path)
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        report.failures.append(f"{path}: cannot read test file: {exc}")
        return
    rule_paths = [str((source.parent / p).resolve()) for p in document.get("rule_files") or ()]
    try:
        rule_set = load_rule_set(rule_paths)
    except RuleSetError as exc:
        report.failures.append(f"{path}: rule files do not load:\n" + "\n".join("  " + e for e in exc.errors))
        return
    report.rule_ids.update(r.id for r in rule_set.rules)
    for index, test in enumerate(document.get("tests") or ()):
        name = test.get("name") or f"test #{index + 1}"
        try:
            failure = _run_one(rule_set, test, report)
        except (KeyError, ValueError, TypeError) as exc:
            failure = f"bad test definition: {type(exc).__name__}: {exc}"
        if failure:
            report.failures.append(f"{path}: {name}: {failure}")
        else:
            report.passed += 1


def _run_one(rule_set, test: dict, report: TestReport) -> str | None:
    interval = parse_duration(test.get("interval", "10s"))
    timeline = sorted(((parse_duration(e.get("at", 0)), build_snapshot(e.get("clusters") or {}))
                       for e in test.get("timeline") or ()), key=lambda item: item[0])
    if not timeline:
        return "the test has no timeline"
    expectations = {}
    for entry in test.get("expect") or ():
        expectations[parse_duration(entry.get("at", 0))] = entry
    end = max(list(expectations) + [t for t, _s in timeline])
    steps = sorted(set([round(k * interval, 3) for k in range(int(end // interval) + 1)] + list(expectations)
                       + [t for t, _s in timeline]))
    store = AlertStore(":memory:")
    rule_ids = {r.id for r in rule_set.rules}
    for now in steps:
        snapshot = [s for t, s in timeline if t <= now][-1]
        results, errors, evaluated = evaluate(rule_set, snapshot)
        if errors:
            return f"at {now:g}s rule evaluation failed: {errors[0]}"
        store.update(results, evaluated, now=now, clusters=set(snapshot["clusters"]), rule_ids=rule_ids)
        firing = store.alerts(("firing", "acked"))
        report.fired.update(a["rule"] for a in firing)
        if now in expectations:
            want = expectations[now]
            problem = _compare("firing", firing, want.get("firing") or [])
            if problem is None and "pending" in want:
                problem = _compare("pending", store.alerts(("pending",)), want.get("pending") or [])
            if problem:
                return f"at {now:g}s: {problem}"
    return None
