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
from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema  # noqa: E402

from lab_helpers import LabFactory  # noqa: E402

pytestmark = pytest.mark.integration

# A SIGTERM (a CI time limit, `timeout`) becomes an interrupt, so fixtures still stop their labs.
signal.signal(signal.SIGTERM, signal.default_int_handler)


# The issue-9 soak (a frozen, flooded primary polled for MYSQLHA_SOAK_SECONDS, default 300) runs
# in the background from the end of collection, on a lab of its own, while the other tests run;
# its test is moved to the end of the run and reads the soak's report.
SOAK_TEST = "test_a_frozen_flooded_primary_is_hung_on_every_poll_of_the_soak"
_SOAK: dict = {}


def pytest_collection_modifyitems(items):
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
    soak = [item for item in items if item.name == SOAK_TEST]
    if soak:
        items[:] = [item for item in items if item.name != SOAK_TEST] + soak
        _start_soak()


def _start_soak():
    import subprocess
    import tempfile

    from ansible_collections.dbaops.mysql_ha.engine.lab.server import set_parent_death_signal

    here = Path(__file__).resolve().parent
    seconds = float(os.environ.get("MYSQLHA_SOAK_SECONDS", "300"))
    out = Path(tempfile.mkdtemp(prefix="mysqlha-soak-")) / "report.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(here.parents[1] / "tests" / "output" / "collections"),
                                                       str(here)]))
    log = open(out.with_suffix(".log"), "wb")
    proc = subprocess.Popen([sys.executable, str(here / "soak_frozen.py"), str(out), str(seconds)], env=env,
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, preexec_fn=set_parent_death_signal)
    log.close()
    _SOAK.update(proc=proc, out=out, seconds=seconds)


def pytest_unconfigure(config):
    proc = _SOAK.get("proc")
    if proc is not None and proc.poll() is None:
        proc.terminate()
        proc.wait(30)


@pytest.fixture
def frozen_soak():
    """The background soak's report, once it is done (see soak_frozen.py)."""
    if not _SOAK:
        pytest.fail("the soak was not started at collection time")
    proc = _SOAK["proc"]
    proc.wait(timeout=_SOAK["seconds"] + 600)
    out = _SOAK["out"]
    assert out.exists(), f"the soak wrote no report (exit {proc.returncode}): {out.with_suffix('.log').read_text()[-3000:]}"
    return json.loads(out.read_text())


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
    return load_schema("mysql_replication.schema.json")


@pytest.fixture(scope="session")
def cluster_schema():
    return load_schema("mysql_topology.schema.json")["properties"]["cluster"]
