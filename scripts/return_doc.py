"""Print the RETURN documentation of a module's facts from the JSON Schema in engine/schemas.

The modules' RETURN blocks are this script's output (a unit test checks that
they stay equal), so the schema is the one place a fact is documented.

    python3 scripts/return_doc.py engine/schemas/mysql_replication.schema.json mysql_replication
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import yaml

TYPES = {"object": "dict", "array": "list", "string": "str", "integer": "int", "boolean": "bool", "number": "float"}


def _type(node: dict) -> str:
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "str")
    return TYPES.get(kind, "raw")


def describe(node: dict) -> dict:
    """One RETURN entry (description, type, contains/elements) for a schema node."""
    entry: dict = {"description": node.get("description", ""), "returned": "always", "type": _type(node)}
    if isinstance(node.get("type"), list) and "null" in node["type"]:
        entry["description"] += " Null when not applicable."
    if entry["type"] == "dict" and node.get("properties"):
        entry["contains"] = {k: describe(v) for k, v in node["properties"].items()}
    if entry["type"] == "list":
        items = node.get("items", {})
        entry["elements"] = _type(items) if items else "raw"
        if items.get("properties"):
            entry["contains"] = {k: describe(v) for k, v in items["properties"].items()}
    return entry


def load_schema(schema_path: str) -> dict:
    """A schema of engine/schemas as the engine reads it (its $refs to sibling schemas inlined)."""
    spec = importlib.util.spec_from_file_location("_mysqlha_schemas", Path(schema_path).parent / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_schema(Path(schema_path).name)


def return_doc(schema_path: str, fact_name: str | None = None) -> str:
    """RETURN YAML: the schema's properties at the top of the result, or under
    ``ansible_facts.<fact_name>`` when a fact name is given."""
    schema = load_schema(schema_path)
    if fact_name:
        doc = {"ansible_facts": {"description": "Facts added to the host's facts.", "returned": "always",
                                 "type": "dict", "contains": {fact_name: describe(schema)}}}
    else:
        doc = describe(schema)["contains"]
    return yaml.safe_dump(doc, sort_keys=False, width=100)


if __name__ == "__main__":
    print(return_doc(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
