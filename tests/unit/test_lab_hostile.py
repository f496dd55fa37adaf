"""lab.json is read bounded (a FIFO is not waited on, a device or a sparse giant is not read
whole), every node field is checked before the lab acts on it, and `lab restart` starts
nothing while a server lab.json lost track of still holds the node, and reports success only
when the server that answers is the one it started."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

import ansible_collections.dbaops.mysql_ha.engine.lab as lab_module
from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError


def stand_in_server(directory):
    """A process whose command line names ``directory``'s option file, as a lab server's does.
    Returned once /proc shows that command line (the kernel sets it a moment after exec)."""
    from pathlib import Path

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(directory / "my.cnf")])
    for _attempt in range(1000):
        if str(directory) in Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode(errors="replace"):
            return proc
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    pytest.fail("the stand-in server never showed its command line")


def node(tmp_path, name="replica1", **changes):
    return dict({"name": name, "role": "replica", "server_id": 2, "port": 3306,
                 "dir": str(tmp_path / name), "pid": None}, **changes)


def write(tmp_path, nodes=None, topology=None):
    (tmp_path / "lab.json").write_text(json.dumps({"topology": topology or {}, "nodes": nodes or []}))
    (tmp_path / "client.cnf").write_text("[client]\nuser=admin\npassword=not-a-real-one\n")
    os.chmod(tmp_path / "client.cnf", 0o600)
    return str(tmp_path)


def test_a_fifo_lab_json_is_an_error_not_a_wait(tmp_path):
    """Opening a FIFO with no writer would block for ever: it is refused as not a regular file."""
    os.mkfifo(tmp_path / "lab.json")
    with pytest.raises(LabError, match=r"lab.json: not a lab record .*not a regular file"):
        Lab(str(tmp_path))


def test_a_device_or_a_sparse_giant_is_never_read_whole(tmp_path, monkeypatch):
    """/dev/zero is refused unread; a sparse file is read to the limit and no further."""
    (tmp_path / "lab.json").symlink_to("/dev/zero")
    with pytest.raises(LabError, match="not a regular file"):
        Lab(str(tmp_path))
    (tmp_path / "lab.json").unlink()
    with open(tmp_path / "lab.json", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    monkeypatch.setattr(lab_module, "MAX_LAB_JSON_BYTES", 4 * 1024 * 1024)
    read = []
    real_read = os.read
    monkeypatch.setattr(lab_module.os, "read", lambda fd, n: read.append(n) or real_read(fd, n))
    with pytest.raises(LabError, match=f"more than {4 * 1024 * 1024} bytes"):
        Lab(str(tmp_path))
    assert sum(read) <= 5 * 1024 * 1024


@pytest.mark.parametrize("changes, says", [
    ({"role": {"x": 1}}, "role {'x': 1} is not one of primary, replica, galera"),
    ({"host": "attacker.example.com"}, "host 'attacker.example.com' is not a loopback address"),
    ({"host": ["127.0.0.1"]}, "host ['127.0.0.1'] is not an address"),
    ({"host": "10.213.1.2"}, "host '10.213.1.2' is not a loopback address"),     # a lab host's, without its netns
    ({"netns": ["x"]}, "netns ['x'] is not a namespace the lab makes"),
    ({"netns": "../../proc/1/ns/net"}, "netns '../../proc/1/ns/net' is not a namespace the lab makes"),
    ({"port": 70000}, "port 70000 is not a port"),
    ({"port": True}, "port True is not a port"),
    ({"pid": True}, "pid True is not a process id"),
    ({"pid": -5}, "pid -5 is not a process id"),
    ({"pid": 2**40}, "is not a process id"),
    ({"extra": "x"}, "extra 'x' is not a mapping"),
    ({"extra": {"delay": "1; DROP"}}, "extra.delay '1; DROP' is not a whole number"),
    ({"stopped": "no"}, "stopped 'no' is not true or false"),
])
def test_every_node_field_is_checked_and_named(tmp_path, changes, says):
    with pytest.raises(LabError) as info:
        Lab(write(tmp_path, [node(tmp_path, **changes)]))
    assert str(info.value).startswith(f"{tmp_path / 'lab.json'}: nodes[0] ('replica1'): ")
    assert says in str(info.value)


@pytest.mark.parametrize("topology, says", [
    ({"silenced": {"replica1": 5}}, r"topology.silenced\['replica1'\] must map a node of this lab to a list"),
    ({"silenced": {"nobody": []}}, r"topology.silenced\['nobody'\] must map a node of this lab"),
    ({"floods": {"replica1": "x"}}, r"topology.floods\['replica1'\] must map a node of this lab to the pid"),
    ({"floods": {"replica1": True}}, r"topology.floods\['replica1'\] must map"),
])
def test_topology_records_are_checked_too(tmp_path, topology, says):
    with pytest.raises(LabError, match=says):
        Lab(write(tmp_path, [node(tmp_path)], topology))


def test_a_node_on_a_lab_host_of_its_own_is_accepted(tmp_path):
    lab = Lab(write(tmp_path, [node(tmp_path, host="10.213.4.10", netns="mysqlha-4-abcd-replica1"),
                               node(tmp_path, name="primary", role="primary", host="::1")]))
    assert [n.host for n in lab.nodes] == ["10.213.4.10", "::1"]


@pytest.fixture
def never_started(monkeypatch):
    started = []
    monkeypatch.setattr(lab_module, "start_server", lambda node, *a, **k: started.append(node.name))
    return started


def test_restart_starts_nothing_while_something_listens_on_the_nodes_port(tmp_path, never_started):
    """A stale pid in lab.json while the real server still runs: an error, not a false "restarted"."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        lab = Lab(write(tmp_path, [node(tmp_path, port=port, pid=None)]))
        with pytest.raises(LabError, match=f"restart replica1: something listens on its address 127.0.0.1:{port}, "
                                           "which lab.json does not record"):
            lab.restart("replica1")
    assert never_started == []


def test_restart_starts_nothing_while_the_pid_file_names_a_live_server_of_the_datadir(tmp_path, never_started):
    (tmp_path / "replica1").mkdir()
    holder = stand_in_server(tmp_path / "replica1")
    try:
        (tmp_path / "replica1" / "mysqld.pid").write_text(f"{holder.pid}\n")
        lab = Lab(write(tmp_path, [node(tmp_path, port=1, pid=999_999)]))
        with pytest.raises(LabError, match=f"a server \\(pid {holder.pid}\\) still runs on its datadir"):
            lab.restart("replica1")
    finally:
        holder.kill()
        holder.wait()
    assert never_started == []


class _Session:
    def __init__(self, pid_file):
        self.pid_file = pid_file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def query(self, _sql):
        return [{"pid_file": self.pid_file}]


@pytest.mark.parametrize("answering_is_new", [True, False])
def test_restart_succeeds_only_when_the_answering_server_is_the_one_started(tmp_path, monkeypatch, answering_is_new):
    (tmp_path / "replica1").mkdir()
    started = stand_in_server(tmp_path / "replica1")
    try:
        def fake_start(node, *_args, **_kwargs):
            node.pid = started.pid

        monkeypatch.setattr(lab_module, "start_server", fake_start)
        monkeypatch.setattr(lab_module, "wait_ready", lambda *a, **k: None)
        monkeypatch.setattr(Lab, "occupied", lambda self, node: None)
        pid_file = tmp_path / "replica1" / "mysqld.pid"
        pid_file.write_text(f"{started.pid if answering_is_new else 424242}\n")
        monkeypatch.setattr(lab_module, "connect", lambda params: _Session(str(pid_file)))
        lab = Lab(write(tmp_path, [node(tmp_path, port=1, pid=None)]))
        if answering_is_new:
            lab.restart("replica1")
        else:
            with pytest.raises(LabError, match=f"has pid 424242, not {started.pid}, the one just started"):
                lab.restart("replica1")
    finally:
        started.kill()
        started.wait()
