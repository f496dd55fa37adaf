"""A lab directory's lab.json, damaged or hostile, is a one-line LabError and changes nothing."""
from __future__ import annotations

import json
import os
import re

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError


def write(tmp_path, content):
    (tmp_path / "lab.json").write_text(content if isinstance(content, str) else json.dumps(content))
    return str(tmp_path)


def node(tmp_path, **changes):
    return dict({"name": "primary", "role": "primary", "server_id": 1, "port": 3306,
                 "dir": str(tmp_path / "primary"), "pid": None}, **changes)


@pytest.mark.parametrize("content, says", [
    ("{not json", "not a lab record"),
    ('"a string"', "expected"),
    ({"nodes": "x"}, "expected"),
    ({"nodes": [1]}, "nodes[0] is not a lab node"),
    ({"nodes": [{"name": "primary"}]}, "nodes[0] is not a lab node"),
    ({"topology": []}, "expected"),
    ({"topology": {"floods": "x"}, "nodes": []}, "topology.floods is not a mapping"),
    ({"topology": {"hostnet": [1]}, "nodes": []}, "topology.hostnet is not a mapping"),
    ("[" * 100000, "not a lab record"),
])
def test_a_damaged_lab_json_is_a_clear_error(tmp_path, content, says):
    with pytest.raises(LabError, match=re.escape(says)):
        Lab(write(tmp_path, content))


@pytest.mark.parametrize("directory", ["", "/", "/usr", "../elsewhere/primary"])
def test_a_node_whose_files_are_not_in_the_lab_is_refused(tmp_path, directory):
    """An empty dir appears in every process's command line: the PID check would match anything."""
    with pytest.raises(LabError, match="does not describe a node of this lab"):
        Lab(write(tmp_path, {"nodes": [node(tmp_path, dir=directory, pid=os.getpid())]}))


def test_a_directory_with_files_and_no_lab_is_never_wiped(tmp_path):
    (tmp_path / "thesis.txt").write_text("precious")
    with pytest.raises(LabError, match="holds no lab"):
        Lab(str(tmp_path)).up(replicas=0)
    assert (tmp_path / "thesis.txt").read_text() == "precious"


def test_a_file_is_not_a_lab_directory(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(LabError, match="not a directory"):
        Lab(str(target))


@pytest.mark.parametrize("changes, says", [
    ({"replicas": -3}, "--replicas"), ({"replicas": 21}, "--replicas"), ({"delayed": -5}, "--delayed"),
    ({"own_hosts": tuple(f"replica{i}" for i in range(1, 10)) + ("primary",), "replicas": 9}, "at most 8"),
])
def test_bad_topologies_are_refused_before_anything_is_touched(tmp_path, changes, says):
    with pytest.raises(LabError, match=says):
        Lab(str(tmp_path / "new")).up(**changes)
    assert not (tmp_path / "new").exists()
