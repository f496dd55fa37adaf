"""Real MariaDB lab servers for the integration tests; every server started is stopped.

Each test that breaks a server gets its own lab (a lab starts in about a second);
read-only tests share one per module.  Labs live under $TMPDIR/mysqlha-test-labs and
are stopped at teardown whatever the test did.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lab_helpers import LabFactory  # noqa: E402

SCHEMAS = Path(__file__).resolve().parents[2] / "engine" / "schemas"

pytestmark = pytest.mark.integration

# A SIGTERM (a CI time limit, `timeout`) becomes an interrupt, so fixtures still stop their labs.
signal.signal(signal.SIGTERM, signal.default_int_handler)


def pytest_collection_modifyitems(items):
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _servers_installed():
    if not shutil.which("mariadbd") and not os.path.exists("/usr/sbin/mariadbd"):
        pytest.fail("mariadbd is not installed: run `apt-get install -y mariadb-server galera-4 rsync` "
                    "(scripts/bootstrap does it)")


@pytest.fixture
def make_lab():
    factory = LabFactory()
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def shared_lab():
    factory = LabFactory()
    yield factory(replicas=2)
    factory.stop_all()


@pytest.fixture(scope="session")
def replication_schema():
    return json.loads((SCHEMAS / "mysql_replication.schema.json").read_text())


@pytest.fixture(scope="session")
def cluster_schema():
    return json.loads((SCHEMAS / "mysql_topology.schema.json").read_text())["properties"]["cluster"]
