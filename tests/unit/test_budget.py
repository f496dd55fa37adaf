"""The evaluation budget bounds every expression by construction: what the issue's attacks did
(23 s powers, 1 GB %-formats, 500 MB summaries, str() of 10^10 items) is refused at load when
constant, and stopped before it runs when it depends on the facts; a slow rule is capped per
pass and disabled after repeated overruns, and the other rules go on."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.rules.budget import BudgetExceeded
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import RuleGuard, evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.expr import (
    ExpressionError,
    compile_expression,
    compile_template,
    make_evaluator,
)
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import load_rule_set


@pytest.mark.parametrize("text,reason", [
    ("4000000**4000000 > 1", "bits"),
    ("(4000000**4000000)*(4000000**4000000) > 1", "bits"),
    ("len(str([[0]*99999]*99999)) > 0", "items"),
    ("len('%0999999999d' % 1) > 0", "width"),
    ("len('%*d' % (999999999, 1)) > 0", "* width"),
    ("len(f'{1:>999999999}') > 0", "width"),
    ("2 << 100000 > 1", "bits"),
    ("round(10**100, -10**9) > 1", "round"),
    ("len(str([[0]*9999]*9999)) > 0", "str()"),
    ("sum([[0]*9999]*9999, []) == []", "concatenation would make 19998 items"),
    ("1/0 > 1", "ZeroDivisionError"),
])
def test_constant_bombs_are_refused_at_load(text, reason):
    with pytest.raises(ExpressionError) as info:
        compile_expression(text, "instance")
    assert reason in str(info.value)


@pytest.mark.parametrize("text", [
    "instance.ljust(999999999) == ''",
    "[c.name.zfill(999999999) for c in channels] == []",
    "instance.__class__ == 1",
])
def test_no_method_of_a_string_or_list_is_reachable(text):
    with pytest.raises(ExpressionError, match="not allowed"):
        compile_expression(text, "instance")


def names(**overlay):
    base = {"instance": "db1:3306", "server_id": 4000000, "role": "replica", "channels": [{"name": "c"}]}
    base.update(overlay)
    return base


@pytest.mark.parametrize("text,values,reason", [
    ("server_id ** server_id > 1", {}, "bits"),
    ("len(instance * server_id) > 0", {}, "characters"),
    ("len(channels * server_id) > 0", {}, "items"),
    # Facts are input too: a channel named like a format bomb.
    ("len(instance % 1) > 0", {"instance": "%0999999999d"}, "width"),
    ("len([1 for a in [role]*9000 for b in [role]*9000]) > 0", {}, "too many"),
    ("len(str([[role]*9999]*server_id)) > 0", {}, "items"),
])
def test_bombs_that_depend_on_the_facts_are_stopped_before_they_run(text, values, reason):
    expression = compile_expression(text, "instance")
    with pytest.raises(Exception) as info:
        expression.evaluate(make_evaluator(), names(**values))
    assert reason in str(info.value)


def test_attributes_are_fact_keys_only_even_for_names_bound_in_a_comprehension():
    expression = compile_expression("[c.name for c in channels] == ['c']", "instance")
    assert expression.evaluate(make_evaluator(), names()) is True
    with pytest.raises(Exception, match="no field"):
        compile_expression("[c.name.upper for c in channels] == []", "instance").evaluate(make_evaluator(), names())


def test_an_evaluation_past_its_time_cap_is_stopped():
    expression = compile_expression("len([c for c in channels for d in channels]) >= 0", "instance")
    with pytest.raises(BudgetExceeded, match="time cap"):
        expression.evaluate(make_evaluator(), names(channels=[{"name": str(i)} for i in range(90)]), seconds=0.0)


@pytest.mark.parametrize("template,reason", [
    ("{instance:>500000000}", "width"),
    ("{instance:{cluster_name}}", "constant"),
    ("{instance:.999999999}", "width"),
])
def test_template_format_specs_are_checked_at_load(template, reason):
    with pytest.raises(ExpressionError, match=reason):
        compile_template(template, "instance")


def test_a_rendered_summary_is_cut_at_4096_characters():
    rendered = compile_template("{instance:>900} {error}", "member").render({"instance": "x", "error": "e" * 100_000})
    assert len(rendered) == 4096 and rendered.endswith("\u2026")


def snapshot(replicas=3):
    members = {"db1:3306": {"role": "primary"}}
    members.update({f"db{i}:3306": {"role": "replica", "source": "db1:3306"} for i in range(2, 2 + replicas)})
    return build_snapshot({"prod": {"members": members}})


def test_a_rule_over_its_cap_is_stopped_for_the_pass_then_disabled_until_the_rule_set_changes(tmp_path):
    (tmp_path / "r.yml").write_text("""
rules:
  - {id: slow, scope: instance, when: "len([a for a in [role]*90 for b in [role]*90 if a == b and b == a]) >= 0", severity: P3, summary: x}
  - {id: fine, scope: instance, when: "read_only", severity: P3, summary: "{instance}"}
""")
    rule_set = load_rule_set([str(tmp_path)])
    # 8100 iterations of a comprehension take tens of ms; "fine" takes microseconds: 20 ms splits them widely.
    guard = RuleGuard(cap_seconds=0.02, disable_after=2)
    for expected_disabled in (False, True):
        results, errors, _evaluated = evaluate(rule_set, snapshot(), guard=guard)
        assert sorted(r.instance for r in results if r.rule.id == "fine") == ["db2:3306", "db3:3306", "db4:3306"]
        assert not [r for r in results if r.rule.id == "slow"]
        assert len([e for e in errors if e.rule_id == "slow"]) == 1     # reported once, other targets skipped
        assert ("slow" in guard.disabled) is expected_disabled
    _results, errors, _evaluated = evaluate(rule_set, snapshot(), guard=guard)
    assert errors == [f"slow: {guard.disabled['slow']}"] and guard.overruns == {"slow": 2}
    (tmp_path / "r.yml").write_text((tmp_path / "r.yml").read_text() + "\n")   # a reload: a new checksum
    evaluate(load_rule_set([str(tmp_path)]), snapshot(), guard=guard)
    assert "slow" not in guard.disabled


class _Clock:
    """A clock that moves only when told: time spent is counted, never waited for."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_rendering_the_summary_counts_in_the_rules_time_cap(tmp_path, monkeypatch):
    """A rule whose summary takes the whole cap to render gets one target, not every target."""
    from ansible_collections.dbaops.mysql_ha.engine.rules import evaluate as evaluate_module
    from ansible_collections.dbaops.mysql_ha.engine.rules.expr import Template

    clock = _Clock()
    monkeypatch.setattr(evaluate_module, "_clock", clock)
    real_render = Template.render

    def slow_render(self, names):
        if self.text == "slow {instance}":
            clock.now += 1.0
        return real_render(self, names)

    monkeypatch.setattr(Template, "render", slow_render)
    (tmp_path / "r.yml").write_text("""
rules:
  - {id: slowsummary, scope: instance, when: "True", severity: P3, summary: "slow {instance}"}
  - {id: fine, scope: instance, when: "True", severity: P3, summary: "{instance}"}
""")
    results, errors, evaluated = evaluate(load_rule_set([str(tmp_path)]), snapshot(), guard=RuleGuard(cap_seconds=0.25))
    assert [r.instance for r in results if r.rule.id == "slowsummary"] == ["db1:3306"]
    assert len([r for r in results if r.rule.id == "fine"]) == 4
    assert [e for e in errors if e.rule_id == "slowsummary" and "over its time cap" in e]
    # The skipped targets are not "evaluated": an alert they had is kept, not resolved.
    assert len([f for f in evaluated if f in {r.fingerprint for r in results if r.rule.id == "slowsummary"}]) == 1


def test_severity_if_tiers_count_in_the_rules_time_cap_and_share_what_is_left(tmp_path, monkeypatch):
    """Each severity_if tier is charged to the rule's cap and gets only what is left of it, not a fresh cap."""
    from ansible_collections.dbaops.mysql_ha.engine.rules import evaluate as evaluate_module
    from ansible_collections.dbaops.mysql_ha.engine.rules.expr import Expression

    clock = _Clock()
    monkeypatch.setattr(evaluate_module, "_clock", clock)
    given: list = []
    real_evaluate = Expression.evaluate

    def costly(self, evaluator, names, seconds=None):
        given.append((self.text, seconds))
        if self.text.startswith("role"):
            clock.now += 0.1
        return real_evaluate(self, evaluator, names, seconds)

    monkeypatch.setattr(Expression, "evaluate", costly)
    (tmp_path / "r.yml").write_text("""
rules:
  - id: tiers
    scope: instance
    when: "True"
    severity: P3
    severity_if: {P1: "role == 'nothing'", P2: "role == 'nothing either'"}
    summary: "{instance}"
""")
    results, errors, _evaluated = evaluate(load_rule_set([str(tmp_path)]), snapshot(), guard=RuleGuard(cap_seconds=0.25))
    # Target 1: both tiers (0.2 s); target 2: one tier uses the last 0.05 s, the rest is skipped.
    assert len(results) == 1 and results[0].severity == "P3"
    assert [seconds for text, seconds in given if text.startswith("role")][2] == pytest.approx(0.05)
    assert len([e for e in errors if "over its time cap" in e]) == 1


def test_a_container_fact_in_a_summary_is_sized_before_its_repr_is_built(monkeypatch):
    """{cluster} with a large nested value prints how many items it has, never a repr to be cut."""
    import builtins

    from ansible_collections.dbaops.mysql_ha.engine.rules import expr as expr_module

    built: list = []
    real_repr = builtins.repr
    monkeypatch.setattr(expr_module, "repr", lambda v: built.append(v) or real_repr(v), raising=False)
    big = {"members": [{"address": f"db{i}:3306", "role": "replica"} for i in range(5000)], "kind": "async"}
    rendered = compile_template("{cluster}", "cluster").render({"cluster": big})
    assert rendered == "<dict of 2 items>" and built == []
    small = compile_template("{cluster}", "cluster").render({"cluster": {"kind": "async"}})
    assert small == "{'kind': 'async'}"
