"""audit_log reads MariaDB server_audit files and MySQL JSON audit logs: every event, filters,
masking in the output, and lines that are not events counted by file and line."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit"
REPO = Path(__file__).resolve().parents[2]
SECRETS = ("4111 1111 1111 1111", "li.si@example.com", "Rep,l1ca", "13812345678", "11010519491231002X",
           "+4915123456789", "Js0n-Secret")


def run(tmp_path: Path, **args) -> dict:
    """The module as Ansible runs it: its JSON arguments in, its JSON result out."""
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.plugins.modules.audit_log",
                           str(tmp_path / "args.json")], capture_output=True, text=True, check=False, timeout=60,
                          env={"PYTHONPATH": str(REPO / "tests" / "output" / "collections"), "PATH": "/usr/bin:/bin"})
    return json.loads(proc.stdout)


def test_server_audit_events_come_out_masked_and_the_bad_line_is_named(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "server_audit.log"))
    events = result["events"]
    assert [e["event"] for e in events] == ["CONNECT", "QUERY", "QUERY", "QUERY", "QUERY", "DISCONNECT"]
    assert result["counts"] == {"read": 7, "matched": 6, "exported": 6, "malformed": 1}
    assert result["malformed"] == [f"{FIXTURES / 'server_audit.log'}:5: 1 fields, server_audit writes 10"]
    assert events[3]["query"] == "SELECT 1,\n 2"                     # escapes undone
    assert events[2]["query"] == "CREATE USER 'rep'@'10.%' IDENTIFIED BY '***'"
    assert result["masked"]["password"] == 1 and result["masked"]["card"] == 1 and result["masked"]["phone"] == 1
    text = json.dumps(result)
    assert not [s for s in SECRETS if s in text]


def test_mysql_json_events_filters_and_dest(tmp_path):
    dest = tmp_path / "out.jsonl"
    result = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["general/status"], users=["root"], dest=str(dest))
    assert result["changed"] and result["counts"]["exported"] == 1 and oct(dest.stat().st_mode & 0o777) == "0o600"
    (line,) = dest.read_text().splitlines()
    assert json.loads(line)["query"] == "ALTER USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY '***'"
    again = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["general/status"], users=["root"], dest=str(dest))
    assert again["changed"] is False                                   # the same export: no change
    windowed = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), since="2026-11-22T13:05:02", until="2026-11-22T13:05:04")
    assert [e["time"] for e in windowed["events"]] == ["2026-11-22T13:05:02", "2026-11-22T13:05:03"]
    assert not [s for s in SECRETS if s in json.dumps(windowed)]


def test_rotated_files_binary_garbage_long_lines_and_the_byte_budget(tmp_path):
    log = tmp_path / "server_audit.log"
    shutil.copy(FIXTURES / "server_audit.log", log)
    (tmp_path / "server_audit.log.1").write_bytes(b"\xff\xfe binary\n" + b"x" * (2 * 1024 * 1024) + b"\n")
    result = run(tmp_path, path=str(log), rotated=True)
    assert result["counts"]["malformed"] == 3 and result["counts"]["exported"] == 6
    assert "not UTF-8" in result["malformed"][0] and "longer than" in result["malformed"][1]
    small = run(tmp_path, path=str(log), max_bytes=200)
    assert small["truncated"] is True and small["counts"]["exported"] < 6
    missing = run(tmp_path, path=str(tmp_path / "nope.log"))
    assert missing["failed"] and "not a regular file" in missing["msg"]
