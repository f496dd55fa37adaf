"""Make this checkout importable as ansible_collections.dbaops.mysql_ha.

The repository root is the collection root; a symlink under tests/output
gives it the ansible_collections/dbaops/mysql_ha path that both Python imports
and ansible-playbook (ANSIBLE_COLLECTIONS_PATH) need.  It is put first on
sys.path so the checkout, not an installed copy, is what the tests exercise.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / "tests" / "output" / "collections"
_link = COLLECTIONS / "ansible_collections" / "dbaops" / "mysql_ha"
_link.parent.mkdir(parents=True, exist_ok=True)
if not _link.is_symlink() or os.readlink(_link) != str(REPO):
    if _link.is_symlink() or _link.exists():
        _link.unlink()
    _link.symlink_to(REPO, target_is_directory=True)
sys.path.insert(0, str(COLLECTIONS))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/fixtures/golden from the current collectors (review the diff)")


def _run_mysqlha(*args, cwd=REPO, timeout=600):
    """Run the checkout's `mysqlha` command in a subprocess (it imports this collection path)."""
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    return subprocess.run([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, check=False)


@pytest.fixture
def mysqlha():
    """``mysqlha(*args, cwd=..., timeout=...)`` -> CompletedProcess of the checkout's CLI."""
    return _run_mysqlha
