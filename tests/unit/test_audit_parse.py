"""audit_log reads MariaDB server_audit files and MySQL JSON audit logs: every event, filters,
masking in the output, and lines that are not events counted by file and line."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit import files_of, parse_when
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.parse import Budget, Malformed, read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit"
REPO = Path(__file__).resolve().parents[2]
SECRETS = ("4111 1111 1111 1111", "li.si@example.com", "Rep,l1ca", "13812345678", "11010519491231002X",
           "+4915123456789", "Js0n-Secret", "Garbl3dS3cret", "13912345678")


def run(tmp_path: Path, check: bool = False, diff: bool = False, **args) -> dict:
    """The module as Ansible runs it: its JSON arguments in, its JSON result out."""
    if check:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.plugins.modules.audit_log",
                           str(tmp_path / "args.json")], capture_output=True, text=True, check=False, timeout=60,
                          env={"PYTHONPATH": str(REPO / "tests" / "output" / "collections"), "PATH": "/usr/bin:/bin"})
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def records(data: bytes, fmt: str = "auto", limit: int = 10 ** 9, max_line: int = 1024 * 1024):
    stats: dict = {}
    out = list(read_records(io.BytesIO(data), fmt, Budget(limit), stats, max_line=max_line))
    return out, stats


def test_server_audit_events_come_out_masked_and_the_bad_line_is_named_not_quoted(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "server_audit.log"))
    events = result["events"]
    assert [e["event"] for e in events] == ["CONNECT", "WRITE", "QUERY", "QUERY", "QUERY", "QUERY", "FAILED_CONNECT",
                                            "DISCONNECT"]
    assert result["counts"] == {"read": 9, "matched": 8, "exported": 8, "malformed": 1, "redacted": 0,
                                "masked": {"password": 1, "card": 1, "id": 0, "phone": 1, "email": 1}}
    (malformed,) = result["malformed"]
    assert malformed.startswith(f"{FIXTURES / 'server_audit.log'}:6: not timestamp,serverhost,username,")
    assert events[4]["query"] == "SELECT 1,\n 2"                     # escapes undone
    assert events[3]["query"] == "CREATE USER 'rep'@'10.%' IDENTIFIED BY '***'"
    assert events[2]["query"] == "INSERT INTO pay (card, mail) VALUES ('<card>', '<email>')"
    assert events[5]["status"] == 1064 and events[5]["user"] == "app" and events[5]["database"] == "shop"
    # A TABLE event names its table and logs no return code; a failed login keeps its error.
    assert (events[1]["table"], events[1]["query"], events[1]["status"]) == ("pay", "", None)
    assert (events[6]["user"], events[6]["status"]) == ("mallory", 1045)
    assert not [s for s in SECRETS if s in json.dumps(result)]


def test_mysql_json_events_filters_and_dest(tmp_path):
    dest = tmp_path / "out.jsonl"
    result = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["general/status"], users=["root"], dest=str(dest))
    assert result["changed"] and result["counts"]["exported"] == 1 and oct(dest.stat().st_mode & 0o777) == "0o600"
    (line,) = dest.read_text().splitlines()
    assert json.loads(line)["query"] == "ALTER USER 'app'@'%' IDENTIFIED WITH caching_sha2_password BY '***'"
    again = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["general/status"], users=["root"], dest=str(dest))
    assert again["changed"] is False                                   # the same export: no change
    windowed = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), since="2026-11-22T13:05:02", until="2026-11-22 13:05:04")
    assert [e["time"] for e in windowed["events"]] == ["2026-11-22T13:05:02"] * 2 + ["2026-11-22T13:05:03"]
    assert not [s for s in SECRETS if s in json.dumps(windowed)]
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".audit-")] == []   # no temporary file left


def test_a_mysql_class_alone_selects_its_events_and_event_names_ignore_case(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["connection"])
    assert [e["event"] for e in result["events"]] == ["connection/connect", "connection/disconnect"]
    lower = run(tmp_path, path=str(FIXTURES / "server_audit.log"), events=["query"])
    assert {e["event"] for e in lower["events"]} == {"QUERY"} and len(lower["events"]) == 4
    empty = run(tmp_path, path=str(FIXTURES / "server_audit.log"), events=["QUERY", " "])
    assert empty["failed"] and empty["msg"] == "events: an empty event name"


def test_check_mode_reports_the_change_and_writes_nothing(tmp_path):
    dest = tmp_path / "out.jsonl"
    result = run(tmp_path, check=True, path=str(FIXTURES / "server_audit.log"), dest=str(dest))
    assert result["changed"] is True and result["counts"]["exported"] == 8
    assert not dest.exists() and list(tmp_path.iterdir()) == [tmp_path / "args.json"]


def test_a_changed_log_changes_the_export_and_an_identical_one_does_not(tmp_path):
    log, dest = tmp_path / "server_audit.log", tmp_path / "out.jsonl"
    shutil.copy(FIXTURES / "server_audit.log", log)
    assert run(tmp_path, path=str(log), dest=str(dest))["changed"] is True
    assert run(tmp_path, path=str(log), dest=str(dest))["changed"] is False
    with log.open("a") as handle:
        handle.write("20261122 13:08:00,db1,app,10.0.1.20,14,0,CONNECT,shop,,0\n")
    assert run(tmp_path, path=str(log), dest=str(dest))["changed"] is True
    assert len(dest.read_text().splitlines()) == 9


def test_max_events_caps_the_returned_events_not_the_counts(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "server_audit.log"), max_events=2)
    assert len(result["events"]) == 2 and result["counts"]["matched"] == 8 and result["counts"]["exported"] == 2


def test_rotated_files_binary_garbage_long_lines_and_the_byte_budget(tmp_path):
    log = tmp_path / "server_audit.log"
    shutil.copy(FIXTURES / "server_audit.log", log)
    (tmp_path / "server_audit.log.1").write_bytes(b"\xff\xfe binary\n" + b"x" * (2 * 1024 * 1024) + b"\n")
    result = run(tmp_path, path=str(log), rotated=True)
    assert result["counts"]["malformed"] == 3 and result["counts"]["exported"] == 8
    assert result["malformed"][0] == f"{log}.1:1: not UTF-8 text (byte 0)"
    assert result["malformed"][1] == f"{log}.1:2: line longer than 1048576 bytes"
    small = run(tmp_path, path=str(log), max_bytes=200)
    assert small["truncated"] is True and small["counts"]["exported"] < 8
    missing = run(tmp_path, path=str(tmp_path / "nope.log"))
    assert missing["failed"] and "not a regular file" in missing["msg"]


def test_rotated_siblings_are_read_oldest_first(tmp_path):
    log = tmp_path / "a.log"
    for name in ("a.log", "a.log.1", "a.log.2", "a.log.4"):
        (tmp_path / name).write_text("")
    assert files_of(str(log), True) == [f"{log}.2", f"{log}.1", str(log)]     # .4 is past a gap
    assert files_of(str(log), False) == [str(log)]


def test_a_bad_time_is_an_error_naming_the_option(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "server_audit.log"), since="yesterday")
    assert result["failed"] and result["msg"].startswith("since: 'yesterday' is not a time")
    assert parse_when("until", "2026-11-22") == "2026-11-22T00:00:00"
    with pytest.raises(ValueError, match="until"):
        parse_when("until", "2026-11-22T13:05:01+08:00")


def test_a_truncated_last_line_is_malformed_not_an_event():
    good = b"20261122 13:05:01,db1,app,h,12,0,CONNECT,shop,,0\n"
    out, stats = records(good + b"20261122 13:05:02,db1,app,h,12,5,QUERY,shop,'SELECT 1',10")
    assert isinstance(out[0], dict) and isinstance(out[1], Malformed) and stats["read"] == 2
    assert out[1].line == 2 and "truncated last line" in out[1].why


@pytest.mark.parametrize("line, why", [
    (b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'SELECT \\'open,0\n", "not closed"),
    (b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'x'y,0\n", "text after the quoted object"),
    (b"2026-11-22 13:05:01,db1,app,h,12,5,QUERY,shop,'x',0\n", "not timestamp,serverhost"),
    (b"20261399 13:05:01,db1,app,h,12,5,QUERY,shop,'x',0\n", "the timestamp is not a date"),
    (b"20261122 13:05:01,db1,app,h,12,five,QUERY,shop,'x',0\n", "not timestamp,serverhost"),
    (b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop\n", "no object and return code"),
    (b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'x',ok\n", "not a number"),
    (b"20261122 13:05:01,db1\x00,app,h,12,5,QUERY,shop,'x',0\n", "binary data"),
])
def test_server_audit_lines_that_are_not_events_say_why(line, why):
    out, _stats = records(line, "mariadb")
    assert len(out) == 1 and isinstance(out[0], Malformed) and why in out[0].why and out[0].line == 1


def test_a_table_event_names_its_table_and_the_host_may_carry_a_port():
    out, _stats = records(b"20261122 13:05:01,db1,app,10.0.0.9:51234,12,7,WRITE,shop,orders,\n")
    assert (out[0]["event"], out[0]["table"], out[0]["query"]) == ("WRITE", "orders", "")
    assert out[0]["host"] == "10.0.0.9:51234" and out[0]["status"] is None


def test_commas_in_a_user_name_or_a_table_name_do_not_shift_the_fields():
    out, _stats = records(b"20261122 13:05:01,db1,ops,team,10.0.0.9,12,7,QUERY,shop,'SELECT 1',0\n"
                          b"20261122 13:05:02,db1,app,10.0.0.9,12,8,READ,shop,a,b,\n")
    assert (out[0]["user"], out[0]["host"], out[0]["connection_id"], out[0]["query"]) == ("ops,team", "10.0.0.9", 12,
                                                                                          "SELECT 1")
    assert (out[1]["table"], out[1]["status"]) == ("a,b", None)


SECRET_LINES = [
    b"IDENTIFIED BY 'Garbl3dS3cret', 4111111111111111\n",
    b"Garbl3dS3cret 13:05:01,db1,app,h,12,5,QUERY,shop,'x',0\n",
    b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'x',Garbl3dS3cret\n",
    b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'IDENTIFIED BY \\'Garbl3dS3cret\\'\n",
    b"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'IDENTIFIED BY \\'Garbl3dS3cret\\''Garbl3dS3cret,0\n",
    b'{"timestamp": "Garbl3dS3cret", "class": "general"}\n',
    b'{"timestamp": "2026-11-22 13:05:01", "general_data": {"query": "Garbl3dS3cret\n',
    b'[\n{"timestamp": "2026-11-22 13:05:01", "x": Garbl3dS3cret}\n]\n',
]


@pytest.mark.parametrize("line", SECRET_LINES)
def test_why_a_line_is_not_an_event_never_quotes_it(line):
    out, _stats = records(line)
    assert out and all(isinstance(m, Malformed) and "Garbl3d" not in m.why for m in out)


def test_pretty_printed_json_records_as_the_manual_shows_them():
    data = b"""[
  {
    "timestamp": "2019-10-03 13:50:01",
    "id": 0,
    "class": "audit",
    "event": "startup",
    "connection_id": 0,
    "startup_data": { "server_id": 1, "os_version": "x86_64-Linux", "mysql_version": "8.0.19" }
  },
  {
    "timestamp": "2019-10-03 15:02:32",
    "id": 0,
    "class": "general",
    "event": "status",
    "connection_id": 11,
    "account": { "user": "root", "host": "localhost" },
    "login": { "user": "root", "os": "", "ip": "", "proxy": "" },
    "general_data": { "command": "Query", "sql_command": "create_user", "status": 0,
                      "query": "CREATE USER u IDENTIFIED BY 'a}b{\\"c'" }
  }
]
"""
    out, stats = records(data)
    assert [r["event"] for r in out] == ["audit/startup", "general/status"] and stats["read"] == len(data.splitlines())
    assert out[1]["query"] == "CREATE USER u IDENTIFIED BY 'a}b{\"c'" and out[1]["user"] == "root"


def test_a_json_record_cut_at_the_end_or_too_long_is_malformed():
    out, _stats = records(b'[\n{ "timestamp": "2026-11-22 13:05:01", "class": "general",\n  "event": "sta')
    assert len(out) == 1 and isinstance(out[0], Malformed) and out[0].line == 2 and "truncated" in out[0].why
    out, _stats = records(b'[\n{ "timestamp": "2026-11-22 13:05:01",\n' + b'"x": 1,\n' * 40 + b"}\n", max_line=100)
    assert isinstance(out[0], Malformed) and "longer than 100" in out[0].why
    out, _stats = records(b'[\n{"timestamp": "yesterday", "class": "general"},\n"a string"\n]\n', "mysql_json")
    assert [m.line for m in out] == [2, 3] and all(isinstance(m, Malformed) for m in out)


def test_the_byte_budget_stops_reading_across_lines():
    line = b"20261122 13:05:01,db1,app,h,12,0,CONNECT,shop,,0\n"
    budget = Budget(len(line) * 3)
    out = list(read_records(io.BytesIO(line * 10), "mariadb", budget, {}))
    assert len(out) == 3 and budget.exhausted


@settings(max_examples=300)
@given(st.binary(max_size=400), st.sampled_from(["auto", "mariadb", "mysql_json"]))
def test_any_bytes_are_records_or_malformed_lines_never_an_exception(data, fmt):
    out, stats = records(data, fmt, max_line=64)
    assert all(isinstance(r, (dict, Malformed)) for r in out)
    assert all(1 <= m.line <= stats.get("read", 0) for m in out if isinstance(m, Malformed))


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_query_server_audit_escapes_comes_back_as_it_was(query):
    escaped = query.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    escaped = escaped.replace("\x00", "\\0")
    line = f"20261122 13:05:01,db1,app,h,12,5,QUERY,shop,'{escaped}',0\n".encode()
    out, _stats = records(line, "mariadb")
    assert out[0]["query"] == query


def test_a_dest_that_cannot_be_written_is_an_error_naming_it(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "server_audit.log"), dest=str(tmp_path / "missing" / "out.jsonl"))
    assert result["failed"] and result["msg"].startswith(f"dest {tmp_path / 'missing' / 'out.jsonl'}: cannot write")
    (tmp_path / "adir").mkdir()
    (tmp_path / "adir" / "x").write_text("")
    taken = run(tmp_path, path=str(FIXTURES / "server_audit.log"), dest=str(tmp_path / "adir"))
    assert taken["failed"] and "cannot replace it" in taken["msg"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".audit-")] == []


SESSION = b"".join(
    b"20261122 13:05:%02d,db1,app,10.0.0.9,12,%d,%s,shop,%s,%s\n" % (second, second, op, obj, code)
    for second, (op, obj, code) in enumerate([
        (b"CONNECT", b"", b"0"), (b"QUERY", b"'CREATE TABLE t (id INT)'", b"0"), (b"CREATE", b"t", b""),
        (b"QUERY", b"'/* app */ INSERT INTO t VALUES (1)'", b"0"), (b"WRITE", b"t", b""),
        (b"QUERY", b"'(SELECT id FROM t)'", b"0"), (b"READ", b"t", b""),
        (b"QUERY", b"'GRANT SELECT ON shop.* TO \\'r\\'@\\'%\\''", b"0"),
        (b"QUERY", b"'CREATE USER \\'r\\'@\\'%\\' IDENTIFIED BY *****'", b"0"),
        (b"QUERY", b"'SET PASSWORD FOR r = PASSWORD(*****)'", b"0"),
        (b"QUERY", b"'SHOW TABLES'", b"0"), (b"FAILED_CONNECT", b"", b"1045"), (b"DISCONNECT", b"", b"0")]))


@pytest.mark.parametrize("events, expected", [
    (["CONNECT"], ["CONNECT", "FAILED_CONNECT", "DISCONNECT"]),
    (["TABLE"], ["CREATE t", "WRITE t", "READ t"]),
    (["QUERY_DDL"], ["CREATE TABLE t (id INT)"]),
    (["QUERY_DML"], ["/* app */ INSERT INTO t VALUES (1)", "(SELECT id FROM t)"]),
    (["query_dml_no_select"], ["/* app */ INSERT INTO t VALUES (1)"]),
    (["QUERY_DCL"], ["GRANT SELECT ON shop.* TO 'r'@'%'", "CREATE USER 'r'@'%' IDENTIFIED BY *****",
                     "SET PASSWORD FOR r = PASSWORD(*****)"]),
    (["FAILED_CONNECT", "CREATE"], ["CREATE t", "FAILED_CONNECT"]),
])
def test_server_audit_event_classes_select_what_server_audit_events_would_log(tmp_path, events, expected):
    """server_audit logs QUERY_DDL and friends as QUERY: the module tells them apart by the query."""
    (tmp_path / "server_audit.log").write_bytes(SESSION)
    result = run(tmp_path, path=str(tmp_path / "server_audit.log"), events=events)
    assert [e["query"] or (e["event"] + (" " + e["table"] if e["table"] else "")) for e in result["events"]] == expected


def test_query_classes_select_mysql_general_events_by_their_query_and_names_serve_both_formats(tmp_path):
    result = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["QUERY_DCL"])
    assert [e["event"] for e in result["events"]] == ["general/status"]
    assert result["events"][0]["query"].startswith("ALTER USER 'app'@'%'")
    dml = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["QUERY_DML"])
    assert [e["event"] for e in dml["events"]] == ["general/status"]          # not the table_access record
    mixed = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"), events=["CONNECT", "TABLE", "QUERY"])
    assert [e["event"] for e in mixed["events"]] == ["connection/connect", "table_access/insert", "general/status",
                                                     "general/status", "connection/disconnect"]


def test_mysql_json_as_the_manual_lays_it_out(tmp_path):
    """Startup and shutdown records, connection attributes, table access with its table, query statistics:
    each record keeps its class/event, user, host, database and table; nothing else is exported."""
    result = run(tmp_path, path=str(FIXTURES / "mysql_audit.json"))
    events = result["events"]
    assert [e["event"] for e in events] == ["audit/startup", "connection/connect", "table_access/insert", "general/status",
                                            "general/status", "connection/disconnect", "audit/shutdown"]
    assert result["counts"]["malformed"] == 0 and result["counts"]["masked"]["id"] == 2
    table = events[2]
    assert (table["user"], table["host"], table["database"], table["table"]) == ("app", "10.0.1.20", "shop", "person")
    assert table["query"] == "INSERT INTO person VALUES ('<id>', '<phone>')" and table["status"] is None
    assert set(events[0]) == {"time", "server", "user", "host", "connection_id", "event", "database", "table",
                              "query", "status"}
    assert "mysqld" not in json.dumps(result) and "_client_name" not in json.dumps(result)


def test_percona_account_names_are_the_user_name():
    out, _stats = records(b'[\n{"timestamp": "2023-03-29 11:17:05", "id": 2, "class": "general", "event": "log",'
                          b' "connection_id": 11, "account": {"user": "root[root] @ localhost []", "host": "localhost"},'
                          b' "general_data": {"command": "Query", "query": "CREATE TABLE t1 (c1 INT)", "status": 0}}\n]\n')
    assert out[0]["user"] == "root" and out[0]["event"] == "general/log"


def test_diff_shows_the_count_and_digest_of_the_export_never_its_events(tmp_path):
    dest = tmp_path / "out.jsonl"
    first = run(tmp_path, check=True, diff=True, path=str(FIXTURES / "server_audit.log"), dest=str(dest))
    assert first["changed"] and first["diff"]["before"] == ""
    assert first["diff"]["after"].startswith(f"{dest}: 8 events, sha256 ") and not dest.exists()
    run(tmp_path, path=str(FIXTURES / "server_audit.log"), dest=str(dest), events=["CONNECT"])
    again = run(tmp_path, check=True, diff=True, path=str(FIXTURES / "server_audit.log"), dest=str(dest))
    assert again["diff"]["before"].startswith(f"{dest}: 3 events, sha256 ")
    assert again["changed"] and len(dest.read_text().splitlines()) == 3          # check mode wrote nothing
    assert not [s for s in SECRETS if s in json.dumps(again)]
