"""Fact and report inputs are bounded before they are parsed: a file's bytes, all inputs of one
run together, and the lists and objects a file may make; whatever still runs out of memory is
"unusable input" naming the file, exit 2, never a traceback or exit 1 (which means an alert)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.dbaops.mysql_ha.engine.cli import main
from ansible_collections.dbaops.mysql_ha.engine.rules import snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_member
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import load_facts


def member_file(tmp_path, name: str, address: str) -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"ansible_facts": {"mysql_replication": build_member(address, {})}}))
    return str(path)


def test_all_facts_inputs_of_a_run_are_limited_together_and_reading_stops_there(tmp_path, monkeypatch):
    """Past MAX_FACTS_TOTAL_BYTES the file that passes it is named, and no later input is read."""
    files = [member_file(tmp_path, f"db{i}.json", f"10.0.0.{i}:3306") for i in range(1, 4)]
    (tmp_path / "broken.json").write_text("{not json")          # after the limit: never read, never reported
    size = (tmp_path / "db1.json").stat().st_size
    monkeypatch.setattr(snapshot, "MAX_FACTS_TOTAL_BYTES", 2 * size + size // 2)
    loaded = load_facts(files + [str(tmp_path / "broken.json")], max_age=None)
    assert list(loaded.errors) == [f"{files[2]}: {size} bytes; all facts inputs of one run are limited "
                                   f"to {2 * size + size // 2} bytes together; not read, nor any input after it"]
    assert sorted(loaded.snapshot["clusters"]["default"]["members"]) == ["10.0.0.1:3306", "10.0.0.2:3306"]


def test_a_directory_of_facts_counts_toward_the_total_too(tmp_path, monkeypatch):
    """Files of a fact-cache directory are charged to the same total as files given one by one."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for i in range(1, 6):
        member_file(cache, f"db{i}", f"10.0.0.{i}:3306")
    monkeypatch.setattr(snapshot, "MAX_FACTS_TOTAL_BYTES", 3 * (cache / "db1").stat().st_size)
    loaded = load_facts([str(cache)], max_age=None)
    assert len(loaded.errors) == 1 and f"{cache / 'db4'}: " in loaded.errors[0]
    assert len(loaded.snapshot["clusters"]["default"]["members"]) == 3


def test_a_file_of_many_empty_lists_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """"[[],[],...]" is counted, not built: the limit on lists and objects names the file."""
    bomb = "[" + ",".join(["[]"] * 500) + "]"
    real_loads, parsed = json.loads, []
    monkeypatch.setattr(snapshot.json, "loads", lambda text, **kw: parsed.append(text == bomb) or real_loads(text, **kw))
    monkeypatch.setattr(snapshot, "MAX_JSON_CONTAINERS", 100)
    (tmp_path / "bomb.json").write_text(bomb)
    loaded = load_facts([str(tmp_path / "bomb.json")])
    assert loaded.errors[0] == (f"{tmp_path / 'bomb.json'}: 501 '[' and '{{' (JSON lists and objects); a JSON "
                                "input is limited to 100")
    assert True not in parsed


@pytest.mark.parametrize("where", ["parse", "evaluate"])
def test_running_out_of_memory_is_unusable_input_exit_2_never_1(tmp_path, monkeypatch, capsys, where):
    """A MemoryError while parsing names the file; one anywhere else in eval is still exit 2, one line."""
    facts = member_file(tmp_path, "db1.json", "10.0.0.1:3306")

    def exhausted(*_args, **_kwargs):
        raise MemoryError()

    if where == "parse":
        real_loads, content = json.loads, (tmp_path / "db1.json").read_text()
        monkeypatch.setattr(snapshot.json, "loads",
                            lambda text, **kw: exhausted() if text == content else real_loads(text, **kw))
    else:
        from ansible_collections.dbaops.mysql_ha.engine.alerts import store
        monkeypatch.setattr(store, "evaluate_once", exhausted)
    status = main(["eval", "--rules", "@default", "--max-age", "0", "--facts", facts, "--fail-on", "P3"])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    if where == "parse":
        assert f"unusable input: {facts}: too large to load in memory" in err
    else:
        assert err.strip() == "mysqlha: error: unusable input: out of memory (an input too large or too deeply nested?)"


def test_a_previous_report_of_many_empty_objects_is_refused_with_its_name(tmp_path, monkeypatch):
    """--previous goes through the same bounded reader: counted lists and objects, exit 2, the file named."""
    monkeypatch.setattr(snapshot, "MAX_JSON_CONTAINERS", 100)
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"hosts": [{}] * 500}))
    facts = member_file(tmp_path, "db1.json", "10.0.0.1:3306")
    from ansible_collections.dbaops.mysql_ha.engine.report import ReportError, read_previous
    with pytest.raises(ReportError, match=f"^{previous}: 502 '\\[' and '{{' \\(JSON lists and objects\\)"):
        read_previous(str(previous))
    assert main(["report", "--facts", facts, "--previous", str(previous), "-o", str(tmp_path / "r.md")]) == 2
    assert not (tmp_path / "r.md").exists()
