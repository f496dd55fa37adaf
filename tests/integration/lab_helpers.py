"""Helpers of the integration tests: run the collection through ansible-playbook."""
from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from ansible_collections.dbaops.mysql_ha.engine.ansible_run import PLAYBOOKS, run_playbook
from ansible_collections.dbaops.mysql_ha.engine.cli import lab_inventory
from ansible_collections.dbaops.mysql_ha.engine.lab import Lab

LAB_ROOT = Path(tempfile.gettempdir()) / "mysqlha-test-labs"


class LabFactory:
    def __init__(self):
        self.labs: list[Lab] = []

    def __call__(self, **topology) -> Lab:
        # Short paths: unix socket paths are limited to 107 bytes.
        base = LAB_ROOT / uuid.uuid4().hex[:10]
        lab = Lab(str(base), die_with_parent=True)
        self.labs.append(lab)
        return lab.up(**topology)

    def stop_all(self):
        for lab in self.labs:
            lab.destroy()


def analyse(lab: Lab, connect_timeout: int = 2, members: list[str] | None = None) -> dict:
    """Run playbooks/lab_topology.yml through ansible-playbook; return its JSON."""
    variables = dict(lab_inventory(lab), connect_timeout=connect_timeout)
    if members is not None:
        variables["members"] = members
    proc, result = run_playbook(PLAYBOOKS / "lab_topology.yml", variables)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return result


def run_tasks(tasks: list[dict], extra_vars: dict | None = None, check: bool = False) -> tuple[dict, str]:
    """Run ``tasks`` in one play on localhost through ansible-playbook; the last task
    saves ``result`` (registered by one of them) as JSON.  Returns that and everything
    ansible printed (to look for leaks)."""
    save = {"name": "save", "ansible.builtin.copy": {"dest": "{{ result_file }}", "content": "{{ result | to_nice_json }}"},
            "check_mode": False}
    play = [{"name": "under test", "hosts": "localhost", "gather_facts": False, "tasks": list(tasks) + [save]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        yaml.safe_dump(play, handle)
        path = handle.name
    try:
        proc, result = run_playbook(path, extra_vars or {}, check=check)
    finally:
        os.unlink(path)
    assert result, proc.stdout[-3000:] + proc.stderr[-3000:]
    return result, proc.stdout + proc.stderr


def run_module(module: str, args: dict, check: bool = False) -> tuple[dict, str]:
    """One task of dbaops.mysql_ha.<module>; its registered result and ansible's output."""
    task = {"name": "the module under test", f"dbaops.mysql_ha.{module}": args, "register": "result", "ignore_errors": True}
    return run_tasks([task], check=check)


def wait_for(predicate, timeout: float = 20, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def no_io_thread_streams(lab) -> bool:
    """True once no replica's IO thread is connected to its source."""
    for node in lab.by_role("replica"):
        with lab.session(node) as replica:
            if replica.query("SHOW ALL SLAVES STATUS")[0]["Slave_IO_Running"] == "Yes":
                return False
    return True
