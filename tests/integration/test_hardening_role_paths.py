"""The hardening role finds, on a host where they were left empty, the option-file directory its
fragments go to and the service it restarts; it fails naming what it tried when none is there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.ansible_run import ansible_playbook_binary

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: dbaops.mysql_ha.hardening
        tasks_from: host_paths.yml
        public: true
    - ansible.builtin.debug:
        msg: "PATHS={{ {'fragment': hardening_fragment, 'tls': hardening_tls_fragment,
                       'service': hardening_service_name} | to_json }}"
"""


def role_paths(tmp_path: Path, **variables) -> tuple[dict | None, str]:
    (tmp_path / "play.yml").write_text(PLAY)
    variables.setdefault("ansible_python_interpreter", sys.executable)
    result = subprocess.run([ansible_playbook_binary(), "-i", "localhost,", "-c", "local", "-e", json.dumps(variables),
                             str(tmp_path / "play.yml")], capture_output=True, text=True, timeout=300, check=False,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    for line in result.stdout.splitlines():
        if '"msg": "PATHS=' in line:
            return json.loads(json.loads("{" + line.strip() + "}")["msg"][len("PATHS="):]), result.stdout
    return None, result.stdout


def test_fragments_go_to_the_first_option_directory_that_exists(tmp_path):
    (tmp_path / "mysql.conf.d").mkdir()
    (tmp_path / "not-a-dir").write_text("")
    dirs = [str(tmp_path / "mariadb.conf.d"), str(tmp_path / "not-a-dir"), str(tmp_path / "mysql.conf.d")]
    found, output = role_paths(tmp_path, hardening_option_dirs=dirs, hardening_restart_command="/bin/true")
    assert found == {"fragment": f"{tmp_path}/mysql.conf.d/99-dbaops-hardening.cnf",
                     "tls": f"{tmp_path}/mysql.conf.d/98-dbaops-tls.cnf", "service": ""}, output


def test_paths_and_service_the_caller_set_are_kept(tmp_path):
    found, output = role_paths(tmp_path, hardening_option_dirs=[str(tmp_path / "none")], hardening_fragment="/x/99.cnf",
                               hardening_tls_fragment="/x/98.cnf", hardening_service_name="mysqld@main")
    assert found == {"fragment": "/x/99.cnf", "tls": "/x/98.cnf", "service": "mysqld@main"}, output


def test_no_option_directory_fails_naming_the_ones_tried_and_the_variables_to_set(tmp_path):
    found, output = role_paths(tmp_path, hardening_option_dirs=[str(tmp_path / "a"), str(tmp_path / "b")])
    assert found is None
    assert f"none of {tmp_path}/a, {tmp_path}/b is a directory on localhost" in output
    assert "set hardening_fragment and hardening_tls_fragment" in output


def test_no_known_service_fails_naming_the_candidates_and_the_ways_out(tmp_path):
    found, output = role_paths(tmp_path, hardening_option_dirs=[str(tmp_path)],
                               hardening_service_candidates=["dbaops-no-such-db", "dbaops-nor-this"])
    assert found is None
    assert "none of the services dbaops-no-such-db, dbaops-nor-this is installed on localhost" in output
    assert "set hardening_service_name (or hardening_restart_command, or hardening_restart: false)" in output


@pytest.mark.skipif(not (Path("/etc/init.d/mariadb").exists() or Path("/lib/systemd/system/mariadb.service").exists()),
                    reason="the mariadb service (SysV script or systemd unit) is not installed here")
def test_the_first_installed_service_is_restarted(tmp_path):
    found, output = role_paths(tmp_path, hardening_option_dirs=[str(tmp_path)],
                               hardening_service_candidates=["dbaops-no-such-db", "mariadb", "mysql"])
    assert found and found["service"] == "mariadb", output
