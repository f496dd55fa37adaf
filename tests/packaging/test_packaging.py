"""What a user installs: `pip install .` and `ansible-galaxy collection build` both give a
collection that ansible finds and documents, and the mysqlha command."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = ["replication_facts", "topology_facts"]
PREFIX = "ansible_collections/dbaops/mysql_ha/"
# In the galaxy tarball for developers of the collection, not for its users (the wheel leaves them out).
DEVELOPMENT_ONLY = ("tests/", "bench/", "scripts/", "changelogs/")
DEVELOPMENT_FILES = {"setup.py", "pyproject.toml", "MANIFEST.json", "FILES.json"}


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, **kw)


@pytest.fixture(scope="module")
def pip_target(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    proc = run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(REPO)],
               env=dict(os.environ, TMPDIR=str(build)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def test_pip_install_puts_the_collection_under_ansible_collections(pip_target):
    root = pip_target / "ansible_collections" / "dbaops" / "mysql_ha"
    for path in ("galaxy.yml", "meta/runtime.yml", "plugins/modules/replication_facts.py",
                 "plugins/module_utils/gtid.py", "engine/schemas/mysql_replication.schema.json", "engine/cli/__init__.py",
                 "extensions/eda/plugins/event_source/alerts.py", "playbooks/start_sql_thread.yml"):
        assert (root / path).is_file(), path
    assert not (root / "setup.py").exists() and not (root / "tests").exists()


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_each_module_from_the_pip_install(pip_target, module):
    env = dict(os.environ, PYTHONPATH=str(pip_target), ANSIBLE_COLLECTIONS_PATH=str(pip_target / "nothing-here"))
    proc = run([str(BIN / "ansible-doc"), f"dbaops.mysql_ha.{module}"], env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert f"dbaops.mysql_ha.{module}" in proc.stdout and "login_password" in proc.stdout


def test_the_mysqlha_command_is_installed_and_answers(pip_target):
    env = dict(os.environ, PYTHONPATH=str(pip_target))
    proc = run([sys.executable, str(pip_target / "bin" / "mysqlha"), "lab", "--help"], env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert "up" in proc.stdout and "down" in proc.stdout
    # The installed command says which collection version it is, the one galaxy.yml and the changelog name.
    version = run([sys.executable, str(pip_target / "bin" / "mysqlha"), "--version"], env=env, cwd="/")
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert version.stdout.strip() == "mysqlha (dbaops.mysql_ha) %s" % galaxy, version.stdout + version.stderr
    assert "\nv%s\n" % galaxy in (REPO / "CHANGELOG.rst").read_text()


def test_galaxy_build_makes_a_tarball_that_installs_and_documents(tmp_path):
    proc = run([str(BIN / "ansible-galaxy"), "collection", "build", str(REPO), "--output-path", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    (tarball,) = tmp_path.glob("dbaops-mysql_ha-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "plugins/modules/topology_facts.py" in names and "MANIFEST.json" in names
    assert not [n for n in names if n.startswith((".ci", "tests/output", ".venv", "build/"))]
    installed = tmp_path / "collections"
    # Only the new path: otherwise galaxy finds this checkout (tests' collections path) and installs nothing.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false")
    proc = run([str(BIN / "ansible-galaxy"), "collection", "install", "--force", str(tarball), "-p", str(installed)],
               env=env)
    assert proc.returncode == 0, proc.stderr
    assert (installed / "ansible_collections" / "dbaops" / "mysql_ha" / "MANIFEST.json").is_file()
    for module in MODULES:
        doc = run([str(BIN / "ansible-doc"), f"dbaops.mysql_ha.{module}"], env=env, cwd="/")
        assert doc.returncode == 0 and str(installed) in doc.stdout, doc.stderr


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
               env=dict(os.environ, TMPDIR=str(out)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    return {n[len(PREFIX):] for n in zipfile.ZipFile(wheel).namelist() if n.startswith(PREFIX) and "__pycache__" not in n}


@pytest.fixture(scope="module")
def tarball_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("galaxy")
    proc = run([str(BIN / "ansible-galaxy"), "collection", "build", str(REPO), "--output-path", str(out)])
    assert proc.returncode == 0, proc.stderr
    (tarball,) = out.glob("dbaops-mysql_ha-*.tar.gz")
    with tarfile.open(tarball) as archive:
        return {m.name for m in archive.getmembers() if m.isfile()}


def test_the_wheel_carries_what_the_galaxy_tarball_gives_a_collection_user(wheel_names, tarball_names):
    for_users = {n for n in tarball_names if not n.startswith(DEVELOPMENT_ONLY) and n not in DEVELOPMENT_FILES}
    assert sorted(for_users - wheel_names) == [], "in the tarball but not in the wheel"
    # galaxy.yml is the wheel's collection metadata; the tarball carries MANIFEST.json in its place.
    assert sorted(wheel_names - for_users - {"galaxy.yml"}) == [], "in the wheel but not in the tarball"
    # The guides too: module docs and messages point at docs/privileges.md, docs/rules.md, ...
    assert {"roles/monitor_user/tasks/main.yml", "engine/schemas/rule.schema.json", "meta/runtime.yml",
            "docs/privileges.md", "docs/rules.md"} <= wheel_names


def test_every_data_file_the_code_ships_with_is_in_the_wheel(wheel_names):
    tracked = run(["git", "ls-files", "engine", "plugins", "rules", "roles", "playbooks", "meta", "extensions"],
                  cwd=str(REPO)).stdout.split()
    data = [n for n in tracked if not n.endswith((".py", ".md"))]
    assert data and sorted(set(data) - wheel_names) == []


def test_ansible_doc_lists_the_roles_of_the_pip_install(pip_target):
    env = dict(os.environ, PYTHONPATH=str(pip_target), ANSIBLE_COLLECTIONS_PATH=str(pip_target / "nothing-here"))
    proc = run([str(BIN / "ansible-doc"), "-t", "role", "-l", "dbaops.mysql_ha"], env=env, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert "dbaops.mysql_ha.monitor_user" in proc.stdout and "dbaops.mysql_ha.hardening" in proc.stdout
