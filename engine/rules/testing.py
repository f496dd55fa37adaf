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
(engine/rules/facts_builder.py: build_member); the cluster analysis is computed by the
same code as topology_facts.  ``firing`` is the exact set of firing alerts (each
entry matches on the fields it names).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from ansible_collections.dbaops.mysql_ha.engine.alerts.store import AlertStore
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import (
    RuleSetError,
    line_of,
    load_rule_set,
    parse_duration,
    read_yaml,
)
from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema

MEMBER_VALIDATORS = {
    True: jsonschema.Draft202012Validator(load_schema("mysql_replication.schema.json")),
    False: jsonschema.Draft202012Validator(
        load_schema("mysql_topology.schema.json")["properties"]["members"]["additionalProperties"]["oneOf"][1]),
}


@dataclass
class TestReport:
    __test__ = False  # a report of rule tests, not a pytest test class

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


MAX_STEPS = 100_000
TEST_SCHEMA = jsonschema.Draft202012Validator(load_schema("rule_test.schema.json"))


def _work_tree(path: Path) -> Path:
    """Where relative rule_files must stay: the Git work tree holding ``path``, else the current
    directory when ``path`` is under it, else the test file's own directory."""
    for parent in [path.parent, *path.parent.parents]:
        if (parent / ".git").exists():
            return parent
    cwd = Path.cwd().resolve()
    if cwd in path.parents:
        return cwd
    return path.parent


def _rule_paths(source: Path, rule_files: list[str]) -> tuple[list[str], list[str]]:
    tree = _work_tree(source.resolve())
    paths, problems = [], []
    for entry in rule_files:
        if Path(entry).is_absolute():
            paths.append(entry)
            continue
        resolved = (source.resolve().parent / entry).resolve()
        if resolved != tree and tree not in resolved.parents:
            problems.append(f"rule_files: {entry!r} leads outside {tree}; give an absolute path to mean it")
        else:
            paths.append(str(resolved))
    return paths, problems


def run_test_file(path: str, report: TestReport) -> None:
    source = Path(path)
    errors: list[str] = []
    document, node, _data = read_yaml(source, errors)
    if errors:
        report.failures.extend(f"{path}: cannot read test file: {e}" for e in errors[:5])
        return
    problems = []
    for error in sorted(TEST_SCHEMA.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))[:10]:
        where = list(error.absolute_path)
        pointer = "/" + "/".join(str(p) for p in where)
        problems.append(f"{path}:{line_of(node, where)}: {pointer}: {str(error.message)[:200]}")
    if problems:
        report.failures.extend(problems)
        return
    rule_paths, problems = _rule_paths(source, document["rule_files"])
    if problems:
        report.failures.extend(f"{path}: {p}" for p in problems)
        return
    try:
        rule_set = load_rule_set(rule_paths)
    except RuleSetError as exc:
        report.failures.append(f"{path}: rule files do not load:\n" + "\n".join("  " + e for e in exc.errors))
        return
    report.rule_ids.update(r.id for r in rule_set.rules)
    for index, test in enumerate(document["tests"]):
        name = test.get("name") or f"test #{index + 1}"
        try:
            failure = _run_one(rule_set, test, report)
        except (KeyError, ValueError, TypeError) as exc:
            failure = f"bad test definition: {type(exc).__name__}: {str(exc)[:200]}"
        if failure:
            report.failures.append(f"{path}:{line_of(node, ['tests', index])}: {name}: {failure}")
        else:
            report.passed += 1


def _checked_snapshot(clusters: dict) -> dict:
    """The test's facts, completed and then checked against the facts' schema (a typo is named)."""
    snapshot = build_snapshot(clusters)
    for name, data in snapshot["clusters"].items():
        for address, facts in data["members"].items():
            validator = MEMBER_VALIDATORS[bool(facts.get("reachable", True))]
            error = next(iter(validator.iter_errors(facts)), None)
            if error is not None:
                pointer = "/".join(str(p) for p in error.absolute_path)
                raise ValueError(f"clusters/{name}/members/{address}{'/' + pointer if pointer else ''}: "
                                 f"{str(error.message)[:200]}")
    return snapshot


def _run_one(rule_set, test: dict, report: TestReport) -> str | None:
    interval = parse_duration(test.get("interval", "10s"))
    if interval <= 0:
        return "interval must be more than 0"
    timeline = sorted(((parse_duration(e.get("at", 0)), _checked_snapshot(e.get("clusters") or {}))
                       for e in test["timeline"]), key=lambda item: item[0])
    expectations = {}
    for entry in test["expect"]:
        expectations[parse_duration(entry.get("at", 0))] = entry
    end = max(list(expectations) + [t for t, _s in timeline])
    if end / interval > MAX_STEPS:
        return (f"{end:g}s in steps of {interval:g}s is {end / interval:.0f} evaluations; the limit is {MAX_STEPS} "
                "(a longer interval, or an earlier last expectation)")
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
