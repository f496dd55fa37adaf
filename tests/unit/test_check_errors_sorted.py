"""mysqlha check lists a rule set's errors by file, then line (as a number), whatever order
the loader found them in."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.rules.loader import RuleSetError, load_rule_set, summarise

BAD = "  - id: {id}\n    when: \"instance ==\"\n    severity: P1\n    summary: x\n"


def test_errors_come_sorted_by_file_and_line(tmp_path):
    (tmp_path / "b.yml").write_text("rules:\n" + BAD.format(id="b_one"))
    (tmp_path / "a.yml").write_text("rules:\n" + "".join(BAD.format(id=f"a_{i}") for i in range(3)))
    with pytest.raises(RuleSetError) as caught:
        load_rule_set([str(tmp_path)])
    located = [e.split(": ")[0] for e in caught.value.errors]
    files = [loc.rsplit(":", 1)[0].rsplit("/", 1)[-1] for loc in located]
    lines = [int(loc.rsplit(":", 1)[1]) for loc in located]
    assert files == sorted(files) and files.count("a.yml") == 3 and files[-1] == "b.yml"
    assert lines[:3] == sorted(lines[:3])


def test_line_10_comes_after_line_9():
    assert summarise(["r.yml:10: x", "r.yml:9: y", "a.yml: z"]) == ["a.yml: z", "r.yml:9: y", "r.yml:10: x"]
