"""docs/reference/ is generated from rules/, the controls catalogue, the JSON Schemas and the
modules' DOCUMENTATION: a change to any of them without regenerating fails here."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import gen_docs  # noqa: E402


@pytest.mark.parametrize("page", sorted(gen_docs.PAGES))
def test_reference_page_matches_its_source(page):
    on_disk = (REPO / "docs" / "reference" / page).read_text()
    assert on_disk == gen_docs.PAGES[page](), f"docs/reference/{page} is stale: run python3 scripts/gen_docs.py"


def test_every_default_rule_and_control_has_its_own_section():
    import yaml

    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import CONTROLS

    rules = (REPO / "docs" / "reference" / "rules.md").read_text()
    for path in (REPO / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            assert f"\n### {rule['id']}\n" in rules, rule["id"]
    controls = (REPO / "docs" / "reference" / "controls.md").read_text()
    for control in CONTROLS:
        assert f"\n## {control.id}\n" in controls, control.id


def test_a_changed_rule_makes_the_page_stale(tmp_path, monkeypatch):
    copy = tmp_path / "rules"
    copy.mkdir()
    for path in (REPO / "rules").glob("*.yml"):
        (copy / path.name).write_text(path.read_text().replace("severity: P1", "severity: P2", 1))
    monkeypatch.setattr(gen_docs, "REPO", tmp_path)
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    assert gen_docs.rules_page() != (REPO / "docs" / "reference" / "rules.md").read_text()


def test_every_function_a_rule_may_call_is_documented_with_a_signature():
    from ansible_collections.dbaops.mysql_ha.engine.rules.expr import FUNCTION_DOCS, FUNCTIONS

    assert set(FUNCTION_DOCS) == set(FUNCTIONS)
    assert all(signature.startswith(name + "(") for name, (signature, _meaning) in FUNCTION_DOCS.items())
    page = (REPO / "docs" / "reference" / "rules.md").read_text()
    assert all("| `%s` |" % signature.replace("|", "\\|") in page for signature, _meaning in FUNCTION_DOCS.values())


def test_every_role_has_a_readme_generated_from_its_argument_specs():
    pages = gen_docs.role_pages()
    assert {path.parent.name for path in pages} == {p.name for p in (REPO / "roles").iterdir() if p.is_dir()}
    for path, build in pages.items():
        assert path.read_text() == build(), f"{path} is stale: run python3 scripts/gen_docs.py"
        specs = yaml_load(path.parent / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
        assert all(f"| `{name}` |" in path.read_text() for name in specs), path


def yaml_load(path):
    import yaml

    return yaml.safe_load(path.read_text())
