"""What a user runs: the package installed from a wheel into a fresh virtualenv.

The tests here never import the checkout.  They build a wheel of it (non-editable), install
it with its dependencies into a virtualenv in a temp dir, and run that virtualenv's
``mysqlha`` and ``ansible-playbook`` as subprocesses whose environment has no PYTHONPATH, no
ANSIBLE_COLLECTIONS_PATH and a HOME that is an empty directory (no ``~/.my.cnf``), from a
working directory outside the checkout.  Lab servers are still started by the test process
(test infrastructure), and stopped whatever the test did.
"""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from lab_helpers import LabFactory  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False,
                          timeout=kw.pop("timeout", 600), **kw)


@dataclass
class Installed:
    """A virtualenv holding the installed package, and a clean place to run it from."""

    venv: Path
    home: Path
    work: Path
    package: Path  # site-packages/ansible_collections/dbaops/mysql_ha

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict:
        env = {"PATH": f"{self.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "HOME": str(self.home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "TMPDIR": os.environ.get("TMPDIR", "/tmp"), "ANSIBLE_NOCOLOR": "1"}
        env.update(extra)
        return env

    def run(self, *cmd, cwd: Path | None = None, timeout: float = 600, **extra_env: str) -> subprocess.CompletedProcess:
        """Run a command of the virtualenv (``mysqlha``, ``ansible-playbook``...) as a user would."""
        program = self.bin / str(cmd[0]) if (self.bin / str(cmd[0])).exists() else cmd[0]
        return _run([program, *cmd[1:]], cwd=str(cwd or self.work), env=self.env(**extra_env), timeout=timeout)


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    wheels = base / "wheels"
    # The user's `pip install .`, as a wheel so that nothing points back at the checkout.
    proc = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
                 "-w", wheels, REPO], env=dict(os.environ, TMPDIR=str(base)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = wheels.glob("*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    pip_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    proc = _run([env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel],
                env=pip_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    home = base / "home"
    home.mkdir()
    work = base / "work"
    work.mkdir()
    where = _run([env_dir / "bin" / "python", "-c",
                  "import ansible_collections.dbaops.mysql_ha.engine as m, os; print(os.path.dirname(os.path.dirname(m.__file__)))"],
                 cwd=str(work), env={"PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert where.returncode == 0, where.stderr
    package = Path(where.stdout.strip())
    assert REPO not in package.parents and str(env_dir) in str(package), package
    return Installed(venv=env_dir, home=home, work=work, package=package)


@pytest.fixture
def make_lab():
    factory = LabFactory()
    yield factory
    factory.stop_all()
