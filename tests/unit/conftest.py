from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
SCHEMAS = Path(__file__).resolve().parents[2] / "engine" / "schemas"


@pytest.fixture(scope="session")
def replication_schema():
    return json.loads((SCHEMAS / "mysql_replication.schema.json").read_text())


@pytest.fixture(scope="session")
def security_schema():
    return json.loads((SCHEMAS / "mysql_security.schema.json").read_text())
