"""Documentation that cannot drift: RETURN blocks come from the JSON Schemas, the doc
fragment matches the shared argument spec."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from ansible_collections.dbaops.mysql_ha.plugins.doc_fragments.connection import ModuleDocFragment  # noqa: E402
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection_args import connection_argument_spec  # noqa: E402

from return_doc import return_doc  # noqa: E402


def module_docs(name):
    tree = ast.parse((REPO / "plugins" / "modules" / f"{name}.py").read_text())
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("DOCUMENTATION", "RETURN", "EXAMPLES"):
                docs[node.targets[0].id] = yaml.safe_load(node.value.value)
    return docs


@pytest.mark.parametrize("module,schema,fact", [
    ("replication_facts", "mysql_replication.schema.json", "mysql_replication"),
    ("topology_facts", "mysql_topology.schema.json", None),
    ("security_facts", "mysql_security.schema.json", "mysql_security"),
])
def test_module_return_doc_is_generated_from_the_schema(module, schema, fact):
    expected = yaml.safe_load(return_doc(str(REPO / "engine" / "schemas" / schema), fact))
    assert module_docs(module)["RETURN"] == expected, (
        f"regenerate: python3 scripts/return_doc.py engine/schemas/{schema} {fact or ''}")


def test_doc_fragment_documents_exactly_the_shared_connection_options():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = connection_argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        assert documented[name]["type"] == option["type"], name
        assert documented[name].get("default") == option.get("default"), name
        assert documented[name].get("choices") == option.get("choices"), name
    assert spec["login_password"]["no_log"] is True


def test_every_control_of_the_catalogue_is_documented():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import CONTROLS

    text = (REPO / "docs" / "security.md").read_text()
    assert [c.id for c in CONTROLS if "`%s`" % c.id not in text] == []
