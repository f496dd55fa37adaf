"""execution-environment.yml builds an AWX execution environment with this collection and the
Python packages its modules need: ``ansible-builder create`` writes the build context (no
container engine runs here), and ``ansible-builder introspect`` finds the same packages in
the collection itself (meta/execution-environment.yml -> requirements.txt), as it does inside
the image once the collection is installed."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).parent / "ansible-builder"
# Needed by the mysqlha daemon only, or brought by the execution environment itself.
NOT_IN_THE_EE = {"ansible-core", "watchdog", "prometheus_client"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].strip()


def _requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _builder(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if not BUILDER.exists():
        pytest.fail("ansible-builder is not installed: run scripts/bootstrap")
    return subprocess.run([str(BUILDER), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_requirements_are_the_runtime_dependencies_of_pyproject_but_the_daemons_own():
    pyproject = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", pyproject, re.S | re.M).group(1)
    runtime = re.findall(r'"([^"]+)"', block)
    expected = [r for r in runtime if _name(r) not in NOT_IN_THE_EE]
    assert sorted(_requirements()) == sorted(expected)
    assert {"PyMySQL", "jsonschema", "simpleeval", "PyYAML"} <= {_name(r) for r in _requirements()}


def test_ansible_builder_create_writes_a_context_with_our_packages_and_the_collection(tmp_path):
    context = tmp_path / "context"
    proc = _builder("create", "--file", "execution-environment.yml", "--context", str(context),
                    "--output-filename", "Containerfile")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    written = (context / "_build" / "requirements.txt").read_text()
    for requirement in _requirements():
        assert requirement in written.splitlines()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["https://github.com/dbaops/mysql_ha.git"]
    # The image installs the collection, then introspects it with our requirements, then installs them.
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect --user-pip=requirements.txt" in containerfile
    assert re.search(r'ANSIBLE_INSTALL_REFS="ansible-core[^"]* ansible-runner', containerfile)
    assert (ROOT / "execution-environment.yml").read_text().startswith("---")
    assert yaml.safe_load((ROOT / "execution-environment.yml").read_text())["version"] == 3


def test_ansible_builder_introspect_finds_the_python_packages_in_the_collection(tmp_path):
    collections = tmp_path / "ansible_collections" / "dbaops"
    collections.mkdir(parents=True)
    os.symlink(ROOT, collections / "mysql_ha")
    proc = _builder("introspect", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = yaml.safe_load(proc.stdout.split("---", 1)[1])
    found = {_name(line): line for line in data["python"]}
    for requirement in _requirements():
        if _name(requirement) == "PyYAML":
            continue   # ansible-core needs it: ansible-builder leaves it to ansible-core's own install
        assert found[_name(requirement)] == f"{requirement}  # from collection dbaops.mysql_ha"
    assert data["system"] == []


def test_the_decision_environment_has_ansible_rulebook_its_jdk_and_the_collection(tmp_path):
    context = tmp_path / "context"
    proc = _builder("create", "--file", "decision-environment.yml", "--context", str(context),
                    "--output-filename", "Containerfile")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [_name(r) for r in (context / "_build" / "requirements.txt").read_text().split()] == ["ansible-rulebook"]
    assert (context / "_build" / "bindep.txt").read_text().startswith("java-17-openjdk-headless")
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["https://github.com/dbaops/mysql_ha.git"]
    assert "ENV JAVA_HOME=" in (context / "Containerfile").read_text()
