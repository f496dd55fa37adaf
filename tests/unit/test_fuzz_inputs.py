"""Fuzzing every input path with Hypothesis: random YAML/JSON shapes, and valid documents with
random parts replaced, for rule files, rule test files and facts.  Whatever comes in, the
engine answers with its own errors (RuleSetError, a failed test, an unusable-input message),
never an exception of its own; and whatever loads also evaluates without one.

Time and memory bounds per case are asserted by tests/unit/test_hostile.py (in a capped child
process); here the point is breadth of shapes.
"""
from __future__ import annotations

import copy
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_member
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import load_facts
from ansible_collections.dbaops.mysql_ha.engine.rules.testing import TestReport, run_test_file

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40))
json_values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.text(max_size=12), children, max_size=4), max_leaves=25)

EXPRESSIONS = ["read_only", "role == 'replica'", "4000000**4000000 > 1", "len(instance * 10**9) > 0", "not",
               "channel.sql_running", "cluster.analysis.codes", "[c for c in channels]", "x.__class__", "'%0999d' % 1",
               "coalesce(server_id, 0) ** 99999 > 1", "len(str([[0]*9999]*9999)) > 0", "lower(instance)", "1 +"]
TEMPLATES = ["{instance}", "{instance:>99999999}", "{nope}", "{", "{cluster.analysis.code:>10}", "plain"]


def rule_like():
    return st.fixed_dictionaries({}, optional={
        "id": st.sampled_from(["a", "b", "replica_lag", "BAD ID", ""]) | scalars,
        "scope": st.sampled_from(["instance", "channel", "cluster", "member", "nope"]) | scalars,
        "when": st.sampled_from(EXPRESSIONS) | scalars,
        "severity": st.sampled_from(["P0", "P1", "P2", "P3", "P9"]) | scalars,
        "summary": st.sampled_from(TEMPLATES) | scalars,
        "for": st.sampled_from(["10s", "0", "5m", "-1s", "999999999h"]) | scalars,
        "severity_if": st.dictionaries(st.sampled_from(["P0", "P1", "P3", "X"]), st.sampled_from(EXPRESSIONS) | scalars,
                                       max_size=2) | scalars,
        "labels": st.dictionaries(st.text(max_size=5), scalars, max_size=3) | scalars,
    })


rule_documents = st.one_of(json_values, st.fixed_dictionaries({"rules": st.lists(rule_like(), max_size=4)}),
                           st.fixed_dictionaries({"rules": json_values}))


@SETTINGS
@given(document=rule_documents)
def test_any_rule_file_loads_or_is_refused_with_errors(tmp_path_factory, document):
    directory = tmp_path_factory.mktemp("rules")
    (directory / "r.yml").write_text(yaml.safe_dump(document, allow_unicode=True))
    try:
        rule_set = load_rule_set([str(directory)])
    except RuleSetError as exc:
        assert exc.errors and all(isinstance(e, str) and len(e) <= 300 for e in exc.errors)
        return
    results, errors, _evaluated = evaluate(rule_set, {"clusters": {}})
    assert isinstance(results, list) and isinstance(errors, list)


def rule_test_documents():
    return st.fixed_dictionaries({}, optional={
        "rule_files": st.just(["../rules"]) | json_values,
        "tests": st.lists(st.fixed_dictionaries({}, optional={
            "name": scalars,
            "interval": st.sampled_from(["10s", "0s", "1ms", "-5s"]) | scalars,
            "timeline": st.lists(st.fixed_dictionaries({}, optional={
                "at": st.sampled_from(["0s", "1m", "1000h"]) | scalars,
                "clusters": st.dictionaries(st.text(max_size=5), st.fixed_dictionaries({}, optional={
                    "members": st.dictionaries(st.sampled_from(["db1:3306", "db2:3306", "x"]), json_values, max_size=3)
                    | json_values}), max_size=2) | json_values}), max_size=3) | json_values,
            "expect": json_values,
        }), max_size=3) | json_values,
    })


@SETTINGS
@given(document=st.one_of(json_values, rule_test_documents()))
def test_any_rule_test_file_passes_or_fails_with_a_message(tmp_path_factory, document):
    from pathlib import Path

    tree = tmp_path_factory.mktemp("tree")
    (tree / ".git").mkdir()
    (tree / "rules").mkdir()
    (tree / "rules" / "r.yml").write_text("rules:\n  - {id: ro, scope: instance, when: read_only, severity: P3, summary: x}\n")
    path = tree / "tests" / "t.yml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    report = TestReport()
    run_test_file(str(path), report)
    assert report.passed + len(report.failures) >= 0
    assert all(isinstance(f, str) for f in report.failures)
    assert Path(path).exists()


def replace_at(document, path, value):
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


def paths_of(document, prefix=()):
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths_of(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths_of(value, prefix + (index,))


MEMBER = build_member("db2:3306", {"role": "replica", "source": "db1:3306"})
MEMBER_PATHS = [p for p in paths_of(MEMBER) if p]


@SETTINGS
@given(data=st.data())
def test_any_facts_document_is_evaluated_or_named_as_unusable(tmp_path_factory, data):
    shape = data.draw(st.sampled_from(["member", "failed", "topology", "random"]))
    if shape == "member":
        facts = copy.deepcopy(MEMBER)
        for path in data.draw(st.lists(st.sampled_from(MEMBER_PATHS), max_size=3)):
            try:
                replace_at(facts, path, data.draw(json_values))
            except (KeyError, IndexError, TypeError):
                pass
        document = {"ansible_facts": {"mysql_replication": facts}}
    elif shape == "failed":
        document = {"failed": True, "instance": data.draw(scalars | st.just("db1:3306")),
                    "reachability": data.draw(st.sampled_from(["refused", "hung", "nope"]) | scalars),
                    "errno": data.draw(scalars), "msg": data.draw(scalars)}
    elif shape == "topology":
        document = {"cluster": data.draw(json_values), "members": data.draw(
            st.dictionaries(st.sampled_from(["db1:3306", "db2:3306"]), json_values | st.just(MEMBER), max_size=2))}
    else:
        document = data.draw(json_values)
    directory = tmp_path_factory.mktemp("facts")
    path = directory / "f.json"
    path.write_text(json.dumps(document))
    loaded = load_facts([str(path)])
    assert all(isinstance(e, str) for e in loaded.errors + loaded.warnings)
    from pathlib import Path

    rule_set = load_rule_set([str(Path(__file__).resolve().parents[2] / "rules")])
    results, errors, _evaluated = evaluate(rule_set, loaded.snapshot)
    assert isinstance(results, list) and isinstance(errors, list)
