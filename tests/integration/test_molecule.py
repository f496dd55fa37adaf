"""`molecule test` of the roles with the default (delegated) driver against a real local lab."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.mark.skipif(not (BIN / "molecule").exists(), reason="molecule is installed by scripts/bootstrap ([test] extra)")
def test_molecule_scenario_hardens_and_converges_idempotently(tmp_path):
    collections = os.environ["ANSIBLE_COLLECTIONS_PATH"]
    lab_dir = str(tmp_path / "lab")
    env = dict(os.environ, PATH="%s:%s" % (BIN, os.environ.get("PATH", "")), PYTHONPATH=collections,
               ANSIBLE_COLLECTIONS_PATH=collections, MYSQLHA_MOLECULE_LAB=lab_dir,
               MYSQLHA_CLI="%s -m ansible_collections.dbaops.mysql_ha.engine.cli" % sys.executable,
               MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / "molecule"), ANSIBLE_NOCOLOR="1", NO_COLOR="1")
    try:
        proc = subprocess.run([str(BIN / "molecule"), "test"], cwd=REPO / "extensions", env=env, capture_output=True,
                              text=True, timeout=900, check=False)
    finally:
        Lab(lab_dir).down()
        shutil.rmtree(lab_dir, ignore_errors=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert "idempotence" in output.lower()
