"""Event-Driven Ansible for real: the REAL ansible-rulebook (JVM and all) runs the collection's
example rulebook extensions/eda/rulebooks/replica_sql_thread.yml, whose source
dbaops.mysql_ha.alerts polls a running ``mysqlha run`` daemon on a lab, and whose
remediation playbook dbaops.mysql_ha.start_sql_thread starts the stopped SQL thread; the
daemon then resolves the alert.  ansible-rulebook finds the source and the playbook in the
collection on ANSIBLE_COLLECTIONS_PATH (no -S), and is stopped by its PID at the end.

A DBA's limits, each shown here: a silenced alert (a thread stopped for a backup) is left
alone until the silence ends; a thread stopped by an error (a duplicate key, 1062) is never
started by the playbook."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from ansible_collections.dbaops.mysql_ha.engine.ansible_run import PLAYBOOKS, run_playbook
from ansible_collections.dbaops.mysql_ha.engine.lab.server import set_parent_death_signal

from daemon_helpers import COLLECTIONS, Daemon, Receiver, write_config
from lab_helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = ROOT / "extensions" / "eda" / "rulebooks" / "replica_sql_thread.yml"
BIN = Path(sys.executable).parent
RULE = "replica_sql_thread_stopped"


def _java_home() -> str | None:
    java = shutil.which("java")
    return str(Path(os.path.realpath(java)).parents[1]) if java else None


def _sql(lab, node, *statements):
    with lab.session(node) as session:
        for statement in statements:
            session.execute(statement)


def _channel(lab, node) -> dict:
    with lab.session(node) as session:
        return session.query("SHOW ALL SLAVES STATUS")[0]


def _position(lab) -> int:
    with lab.session("primary") as session:
        return session.query("SHOW MASTER STATUS")[0]["Position"]


def _alert(daemon, instance: str, rule: str = RULE) -> dict | None:
    found = [a for a in daemon.get("/api/alerts?state=all")["alerts"] if a["rule"] == rule and a["instance"] == instance]
    return found[-1] if found else None


def _api(daemon, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"http://{daemon.listen}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


class Rulebook:
    """``ansible-rulebook --rulebook <the example> -i <inventory> --vars <url>`` in a subprocess."""

    def __init__(self, directory: Path, daemon: Daemon, login_user: str, login_password: str):
        java_home = _java_home()
        if not (BIN / "ansible-rulebook").exists() or java_home is None:
            pytest.fail("ansible-rulebook and a JDK 17 are needed: run scripts/bootstrap")
        inventory = directory / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        variables = directory / "vars.yml"
        variables.write_text(yaml.safe_dump({"mysqlha_url": f"http://{daemon.listen}"}))
        self.log = directory / "ansible-rulebook.log"
        self.cmd = [str(BIN / "ansible-rulebook"), "--rulebook", str(RULEBOOK), "-i", str(inventory),
                    "--vars", str(variables), "-v"]
        # The checkout's collection only (never a copy installed on sys.path); the login as the
        # playbook reads it from an AWX credential's environment.
        self.env = dict(os.environ, JAVA_HOME=java_home, PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
                        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                        ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
                        MYSQLHA_LOGIN_USER=login_user, MYSQLHA_LOGIN_PASSWORD=login_password)
        self.directory = directory
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> Rulebook:
        log = open(self.log, "wb")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=set_parent_death_signal)
        log.close()
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        assert self.proc is not None
        assert self.proc.poll() is None, f"ansible-rulebook exited {self.proc.returncode}:\n{self.output()[-4000:]}"
        return True

    # Stopped by its PID as the daemon is: SIGTERM, then SIGKILL if it lingers.
    stop = Daemon.stop


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.stop()


def test_the_real_rulebook_starts_a_forgotten_sql_thread_and_leaves_a_silenced_one_until_the_silence_ends(
        make_lab, receiver, tmp_path):
    lab = make_lab(replicas=2)
    daemon = Daemon(write_config(lab, tmp_path, receiver.url), lab).start()
    rulebook = Rulebook(tmp_path, daemon, "mysqlha_admin", lab.secret("admin"))
    timings: dict[str, float] = {}
    try:
        forgotten, backup = lab.node("replica1"), lab.node("replica2")
        # replica2's SQL thread is stopped for a backup: its DBA silenced the alert first.
        silence = _api(daemon, "POST", "/api/silences", {"match": {"rule": RULE, "instance": backup.address},
                                                         "for": "10m", "by": "dba", "comment": "mysqldump --dump-slave"})
        _sql(lab, backup, "STOP SLAVE SQL_THREAD")
        # replica1's was stopped and forgotten.
        _sql(lab, forgotten, "STOP SLAVE SQL_THREAD")
        rulebook.start()
        receiver.wait(RULE, "firing", timeout=15)
        wait_for(lambda: (_alert(daemon, backup.address) or {}).get("state") == "firing", timeout=15)

        # The rulebook's playbook starts replica1's thread; the daemon sees it and resolves the alert.
        wait_for(lambda: rulebook.running() and _channel(lab, forgotten)["Slave_SQL_Running"] == "Yes", timeout=45)
        timings["thread started"] = time.monotonic() - rulebook.started_at
        resolved = receiver.wait(RULE, "resolved", timeout=15)
        timings["alert resolved"] = time.monotonic() - rulebook.started_at
        assert resolved["instance"] == forgotten.address
        output = rulebook.output()
        assert "PLAY [Start a replica's SQL thread stopped without an error]" in output, output[-4000:]
        assert "changed: [localhost]" in output and "failed=0" in output, output[-4000:]
        assert "failed=1" not in output, output[-4000:]

        # replica2 was in the same poll of the source, and is still stopped: the silence held it back.
        assert _channel(lab, backup)["Slave_SQL_Running"] == "No"
        assert output.count("PLAY RECAP") == 1, output[-4000:]
        # The backup is over: once the silence ends, the alert still firing reaches the rulebook.
        assert _api(daemon, "DELETE", f"/api/silences/{silence['silence']['id']}")["expired"] is True
        wait_for(lambda: rulebook.running() and _channel(lab, backup)["Slave_SQL_Running"] == "Yes", timeout=30)
        wait_for(lambda: (_alert(daemon, backup.address) or {}).get("state") == "resolved", timeout=15)
        timings["silenced one started after the silence"] = time.monotonic() - rulebook.started_at
        assert rulebook.output().count("PLAY RECAP") == 2
        assert receiver.events(RULE).count((RULE, "firing", forgotten.address)) == 1
    finally:
        rulebook.stop()
        daemon.stop()
    print("ansible-rulebook, seconds from its start: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    # The password reached the playbook through the environment only: never in what was printed.
    assert lab.secret("admin") not in rulebook.output()
    assert rulebook.proc is not None and rulebook.proc.poll() is not None


def test_the_remediation_playbook_leaves_a_thread_stopped_by_an_error_to_a_dba(make_lab, monkeypatch):
    lab = make_lab(replicas=2)
    replica = lab.node("replica1")
    # A duplicate key: the row exists on the replica only (written without binlog), then comes from the primary.
    _sql(lab, "primary", "CREATE DATABASE dup", "CREATE TABLE dup.t (id INT PRIMARY KEY)")
    wait_for(lambda: _channel(lab, replica)["Exec_Master_Log_Pos"] == _position(lab), timeout=10)
    _sql(lab, replica, "SET sql_log_bin = 0", "INSERT INTO dup.t VALUES (1)")
    _sql(lab, "primary", "INSERT INTO dup.t VALUES (1)")
    wait_for(lambda: _channel(lab, replica)["Last_SQL_Errno"] == 1062, timeout=10)
    monkeypatch.setenv("MYSQLHA_LOGIN_PASSWORD", lab.secret("admin"))   # as an AWX credential injects it
    proc, _result = run_playbook(PLAYBOOKS / "start_sql_thread.yml", {
        "mysqlha_instance": replica.address, "mysqlha_channel": "", "mysqlha_login_user": "mysqlha_admin"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "stopped by error 1062: left to a DBA" in output, output[-3000:]
    assert "Start the SQL thread" in output and "changed=0" in output, output[-3000:]
    assert _channel(lab, replica)["Slave_SQL_Running"] == "No"
    assert lab.secret("admin") not in output
