"""One ``collection`` schema: the report every fact module writes matches it, field for field."""
from __future__ import annotations

import json

import jsonschema

from ansible_collections.dbaops.mysql_ha.engine.schemas import SCHEMA_DIR, load_schema
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import collect_replication
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import collect_security

from fixture_session import FixtureSession


def test_every_fact_schema_takes_the_one_collection_schema():
    """The fact schemas refer to collection.schema.json instead of keeping copies that drift."""
    collection = load_schema("collection.schema.json")
    for name in ("mysql_replication.schema.json", "mysql_security.schema.json"):
        raw = json.loads((SCHEMA_DIR / name).read_text())
        assert raw["properties"]["collection"] == {"$ref": "collection.schema.json"}
        inlined = load_schema(name)["properties"]["collection"]
        assert inlined["properties"] == collection["properties"] and inlined["required"] == collection["required"]
    member = load_schema("mysql_topology.schema.json")["properties"]["members"]["additionalProperties"]["oneOf"][0]
    assert member["properties"]["collection"]["properties"] == collection["properties"]


def test_collection_reports_match_the_schema_and_write_every_field_it_documents():
    """No field is documented and never written (errors[].privileges was), none written undocumented,
    and every missing_privileges entry carries the privileges."""
    schema = load_schema("collection.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    written: set[str] = set()
    error_fields: set[str] = set()
    missing_fields: set[str] = set()
    reports = [collect_replication(FixtureSession(name))["collection"]
               for name in ("mysql57_io_connecting", "mysql84_two_channels", "mariadb1011_replica")]
    reports.append(collect_security(FixtureSession("mysql84_security"))["collection"])
    reports.append(dict(collect_replication(FixtureSession("mariadb1011_primary"))["collection"], connect_ms=1.5))
    for report in reports:
        validator.validate(report)
        written |= set(report)
        for entry in report["errors"]:
            error_fields |= set(entry)
        for entry in report["missing_privileges"]:
            missing_fields |= set(entry)
            assert entry["privileges"] and all(isinstance(p, str) for p in entry["privileges"])
    assert written == set(schema["properties"])
    assert missing_fields == set(schema["properties"]["missing_privileges"]["items"]["properties"])
    assert error_fields <= set(schema["properties"]["errors"]["items"]["properties"])
