"""Golden fact outputs: every fixture's whole fact document, pinned.

For each fixture under tests/fixtures/mysql (MySQL rows that follow the manual, MariaDB rows
recorded from the lab), each collector's facts are compared with a checked-in JSON file under
tests/fixtures/golden.  A change in any field, asserted elsewhere or not, fails here and the
message names the field.  After a deliberate change, regenerate them and review the diff:

    bash scripts/update-golden        # = pytest tests/unit/test_golden_facts.py --update-golden
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import collect_replication
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import collect_security
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import assess

from fixture_session import FIXTURES, FixtureSession

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden"
NOW = 1795305600.0  # 2026-11-22T00:00:00Z: certificate days and collected_at stay put
# Which collectors each fixture answers (a fixture fails on a statement it does not expect).
COLLECTORS = {
    "mysql57_io_connecting": ("replication",),
    "mysql84_two_channels": ("replication",),
    "percona80_group_replication": ("replication",),
    "mysql84_security": ("security",),
    "mariadb1011_primary": ("replication", "security"),
    "mariadb1011_replica": ("replication", "security"),
}
CASES = [(fixture, collector) for fixture, collectors in COLLECTORS.items() for collector in collectors]


def facts_of(fixture: str, collector: str) -> dict:
    session = FixtureSession(fixture)
    if collector == "replication":
        facts = collect_replication(session, now=NOW)
    else:
        facts = assess(collect_security(session, now=NOW))
    facts["collection"]["duration_ms"] = 0.0  # the only value no clock injection pins
    return json.loads(json.dumps(facts))


def differences(golden, actual, path="") -> list[str]:
    """Every field where ``actual`` differs from ``golden``, as ``path: golden -> actual``."""
    if isinstance(golden, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(golden) | set(actual)):
            where = f"{path}.{key}" if path else key
            if key not in actual:
                out.append(f"{where}: missing (golden {golden[key]!r})")
            elif key not in golden:
                out.append(f"{where}: new field ({actual[key]!r})")
            else:
                out.extend(differences(golden[key], actual[key], where))
        return out
    if isinstance(golden, list) and isinstance(actual, list) and len(golden) == len(actual):
        out = []
        for index, (g, a) in enumerate(zip(golden, actual)):
            out.extend(differences(g, a, f"{path}[{index}]"))
        return out
    if golden != actual or type(golden) is not type(actual):
        return [f"{path}: golden {golden!r} -> now {actual!r}"]
    return []


def test_every_fixture_has_a_golden_output():
    """A new fixture without a golden file (or a golden file of a removed fixture) fails."""
    fixtures = {p.stem for p in FIXTURES.glob("*.yml")}
    assert fixtures == set(COLLECTORS)
    goldens = {p.name for p in GOLDEN.glob("*.json")}
    assert goldens == {f"{fixture}.{collector}.json" for fixture, collector in CASES}


@pytest.mark.parametrize("fixture,collector", CASES, ids=[f"{f}.{c}" for f, c in CASES])
def test_facts_match_golden_output(fixture, collector, request, replication_schema, security_schema):
    """The whole fact document of a fixture is what it was when the golden file was written."""
    actual = facts_of(fixture, collector)
    schema = replication_schema if collector == "replication" else security_schema
    path = GOLDEN / f"{fixture}.{collector}.json"
    if request.config.getoption("--update-golden"):
        assert not schema_problem(actual, schema), schema_problem(actual, schema)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
        return
    # The golden comparison first: it names every changed field; the schema then says which rule broke.
    golden = json.loads(path.read_text())
    changed = differences(golden, actual)
    assert not changed, (f"{path.name}: {len(changed)} field(s) changed:\n  " + "\n  ".join(changed[:40])
                         + "\n(deliberate? run bash scripts/update-golden and review the diff)")
    assert not schema_problem(actual, schema), schema_problem(actual, schema)


def schema_problem(document: dict, schema: dict) -> str:
    """The schema's objection to ``document`` in one line naming the field ('' when it validates)."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(document))
    return "" if error is None else f"{error.json_path}: {error.message[:300]}"


def test_one_changed_field_is_named_alone():
    """Changing one value deep in a document reports that field, and only that one."""
    golden = json.loads((GOLDEN / "mysql84_two_channels.replication.json").read_text())
    actual = json.loads(json.dumps(golden))
    actual["channels"][1]["last_sql_errno"] += 1
    assert differences(golden, actual) == [
        f"channels[1].last_sql_errno: golden {golden['channels'][1]['last_sql_errno']} "
        f"-> now {golden['channels'][1]['last_sql_errno'] + 1}"]
    del actual["channels"][1]["last_sql_errno"]
    actual["gtid"]["new"] = 1
    assert differences(golden, actual) == [
        f"channels[1].last_sql_errno: missing (golden {golden['channels'][1]['last_sql_errno']})",
        "gtid.new: new field (1)"]
    assert differences(golden, json.loads(json.dumps(golden))) == []


def test_a_renamed_field_is_named_by_the_golden_comparison_and_the_schema_in_one_line(security_schema):
    """A collector that renames a fact key fails on the key's name, not on a dump of the document."""
    golden = json.loads((GOLDEN / "mariadb1011_primary.security.json").read_text())
    actual = json.loads(json.dumps(golden))
    actual["settings"]["local_infile_renamed"] = actual["settings"].pop("local_infile")
    assert differences(golden, actual) == ["settings.local_infile: missing (golden True)",
                                           "settings.local_infile_renamed: new field (True)"]
    problem = schema_problem(actual, security_schema)
    assert problem.startswith("$.settings: ") and "local_infile" in problem and "\n" not in problem
    assert schema_problem(golden, security_schema) == ""
