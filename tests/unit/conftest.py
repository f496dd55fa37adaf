from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def replication_schema():
    return load_schema("mysql_replication.schema.json")


@pytest.fixture(scope="session")
def security_schema():
    return load_schema("mysql_security.schema.json")
