"""A rule set is bounded in all, not only per file: YAML nodes are counted while a file is
composed (a huge flow list stops at the limit, with a message about nodes, not aliases), and
bytes, YAML nodes, rules and files are limited across every pack and every file given by itself.
Limits are made small here, so each test counts instead of waiting."""
from __future__ import annotations

import pytest
from yaml.composer import Composer

from ansible_collections.dbaops.mysql_ha.engine.rules import loader
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set


def rule_file(path, first: int, count: int = 2) -> None:
    path.write_text("rules:\n" + "".join(
        f"  - {{id: r{i}, scope: instance, when: read_only, severity: P3, summary: 'rule {i} on {{instance}}'}}\n"
        for i in range(first, first + count)))


def test_a_flow_list_past_the_node_limit_stops_while_composing_with_a_message_about_nodes(tmp_path, monkeypatch):
    """The node limit stops composing where it is passed (not after the whole file) and says nodes, not aliases."""
    monkeypatch.setattr(loader, "MAX_YAML_NODES", 50)
    composed = []
    real = Composer.compose_scalar_node
    monkeypatch.setattr(Composer, "compose_scalar_node", lambda self, anchor: composed.append(1) or real(self, anchor))
    (tmp_path / "flow.yml").write_text("x: [" + ",".join(["a"] * 5000) + "]\n")
    with pytest.raises(RuleSetError) as info:
        load_rule_set([str(tmp_path)])
    assert "flow.yml:1: YAML error: more than 50 YAML nodes" in str(info.value)
    assert "aliases" not in str(info.value)
    assert len(composed) <= 50


def test_rule_text_is_limited_in_all_across_packs_and_reading_stops_there(tmp_path, monkeypatch):
    """Past MAX_RULE_SET_BYTES in all, the file that passes it is named and no later file is read."""
    for name in ("a", "b", "c", "d"):
        (tmp_path / name).mkdir()
        rule_file(tmp_path / name / "r.yml", first=ord(name) * 10)
    (tmp_path / "d" / "r.yml").write_text("rules: [broken\n")   # never read, so never reported
    size = (tmp_path / "a" / "r.yml").stat().st_size
    monkeypatch.setattr(loader, "MAX_RULE_SET_BYTES", 2 * size + size // 2)
    with pytest.raises(RuleSetError) as info:
        load_rule_set([str(tmp_path / n) for n in "abcd"])
    assert info.value.errors == [f"{tmp_path / 'c' / 'r.yml'}:0: the rule set would pass {2 * size + size // 2} "
                                 "bytes of rule text in all with this file; not read (is every --rules path a rule "
                                 "pack?)"]
    monkeypatch.setattr(loader, "MAX_RULE_SET_BYTES", 4 * size)
    (tmp_path / "d" / "r.yml").unlink()
    assert len(load_rule_set([str(tmp_path / n) for n in "abc"]).rules) == 6


def test_rules_and_yaml_nodes_are_limited_in_all(tmp_path, monkeypatch):
    """MAX_RULES and MAX_RULE_SET_NODES count every file of every pack together."""
    rule_file(tmp_path / "a.yml", 0, count=3)
    rule_file(tmp_path / "b.yml", 10, count=3)
    monkeypatch.setattr(loader, "MAX_RULES", 5)
    with pytest.raises(RuleSetError, match=r"b.yml:0: the rule set passes 5 rules in all with this file"):
        load_rule_set([str(tmp_path / "a.yml"), str(tmp_path / "b.yml")])
    monkeypatch.setattr(loader, "MAX_RULES", 6)
    assert len(load_rule_set([str(tmp_path)]).rules) == 6
    monkeypatch.setattr(loader, "MAX_RULE_SET_NODES", 40)   # a file here is 3 rules x 11 nodes + 3
    with pytest.raises(RuleSetError, match=r"b.yml:\d+: YAML error: the rule set passes 40 YAML nodes in all here"):
        load_rule_set([str(tmp_path)])


def test_files_given_one_by_one_count_toward_the_file_limit(tmp_path, monkeypatch):
    """Single-file packs are counted like the files of a directory (MAX_RULE_FILES in all)."""
    monkeypatch.setattr(loader, "MAX_RULE_FILES", 3)
    paths = []
    for index in range(5):
        rule_file(tmp_path / f"f{index}.yml", index * 10)
        paths.append(str(tmp_path / f"f{index}.yml"))
    with pytest.raises(RuleSetError, match=r"f3.yml:0: more than 3 rule files in all; not read"):
        load_rule_set(paths)
    assert len(load_rule_set(paths[:3]).rules) == 6


def test_the_libyaml_event_parser_reads_the_shipped_pack_exactly_as_pure_python():
    """The fast loader (libyaml events, Python composer) gives the same documents and lines."""
    if not hasattr(loader, "_FastBoundedLoader"):
        pytest.skip("PyYAML without libyaml: only the pure-Python loader exists")
    for path in sorted(loader.PACKAGED_RULES.rglob("*.yml")):
        text = path.read_text()
        documents = []
        for cls in (loader._BoundedLoader, loader._FastBoundedLoader):
            bounded = cls(text)
            node = bounded.get_single_node()
            documents.append((bounded.construct_document(node), loader.line_of(node, ["rules", 3, "when"])))
            bounded.dispose()
        assert documents[0] == documents[1], path


def test_the_syntax_nodes_of_all_conditions_are_limited_in_all(tmp_path, monkeypatch):
    """Compiled conditions are kept in memory: their syntax nodes count across the rule set."""
    rule_file(tmp_path / "a.yml", 0, count=3)     # `read_only` is 3 syntax nodes (Expression, Name, Load)
    monkeypatch.setattr(loader, "MAX_RULE_SET_SYNTAX_NODES", 8)
    with pytest.raises(RuleSetError, match=r"a.yml:4: r2: the rule set passes 8 syntax nodes of conditions"):
        load_rule_set([str(tmp_path)])
    monkeypatch.setattr(loader, "MAX_RULE_SET_SYNTAX_NODES", 9)
    assert len(load_rule_set([str(tmp_path)]).rules) == 3


def test_packs_past_the_file_limit_are_not_reported_as_empty(tmp_path, monkeypatch):
    """Past MAX_RULE_FILES one error says so; the packs not read are not each called "no rule file"."""
    monkeypatch.setattr(loader, "MAX_RULE_FILES", 2)
    paths = []
    for index in range(6):
        rule_file(tmp_path / f"f{index}.yml", index * 10)
        paths.append(str(tmp_path / f"f{index}.yml"))
    with pytest.raises(RuleSetError) as info:
        load_rule_set(paths)
    assert info.value.errors == [f"{tmp_path / 'f2.yml'}:0: more than 2 rule files in all; not read"]
