"""audit_log on a real MariaDB server_audit log: a session with planted secrets, exported
through ansible-playbook; every statement is there and no secret is."""
from __future__ import annotations

import json
import os

import pytest

from lab_helpers import run_module

pytestmark = pytest.mark.integration
PLANTED = ("PlantedS3cret!", "PlantedS3cret2!", "PlantedS3cret3!", "PlantedK3y!", "4111 1111 1111 1111",
           "11010519491231002X", "wang.wu@example.com", "13812345678", "139-1234-5678", "078-05-1120")


def test_an_exported_lab_session_has_every_statement_and_no_planted_secret(make_lab, tmp_path):
    lab = make_lab(replicas=0)
    primary = lab.by_role("primary")[0]
    audit = f"{lab.base}/{primary.name}/server_audit.log"
    with lab.session(primary) as admin:
        admin.execute("INSTALL SONAME 'server_audit'")
        admin.execute("SET GLOBAL server_audit_file_path = %s", (audit,))
        admin.execute("SET GLOBAL server_audit_events = 'CONNECT,QUERY,TABLE'")
        admin.execute("SET GLOBAL server_audit_logging = ON")
    statements = [
        "CREATE DATABASE shop",
        "CREATE TABLE shop.person (id INT PRIMARY KEY, card VARCHAR(40), id_no VARCHAR(20), mail VARCHAR(80),"
        " phone VARCHAR(20), ssn VARCHAR(11), secret VARBINARY(64))",
        "INSERT INTO shop.person VALUES (1, '4111 1111 1111 1111', '11010519491231002X', 'wang.wu@example.com',"
        " '13812345678', '078-05-1120', AES_ENCRYPT('x', 'PlantedK3y!'))",
        "CREATE USER 'audited'@'127.0.0.1' IDENTIFIED BY 'PlantedS3cret!'",
        "ALTER USER 'audited'@'127.0.0.1' IDENTIFIED /* rotated */ BY 'PlantedS3cret2!'",
        "SET PASSWORD FOR 'audited'@'127.0.0.1' = PASSWORD('PlantedS3cret3!')",
        "UPDATE shop.person\n   SET mail = 'wang.wu@example.com', phone = '139-1234-5678'\n WHERE id = 1",
        "SELECT id FROM shop.person WHERE id = 1",
    ]
    with lab.session(primary) as session:
        for statement in statements:
            session.execute(statement)
    with lab.session(primary) as admin:
        admin.execute("SET GLOBAL server_audit_logging = OFF")
    dest = tmp_path / "audit.jsonl"
    result, output = run_module("audit_log", {"path": audit, "dest": str(dest), "events": ["QUERY"]})
    assert result.get("failed") is not True, result
    assert result["changed"] is True and oct(os.stat(dest).st_mode & 0o777) == "0o600"
    assert result["counts"]["malformed"] == 0 and result["counts"]["masked"]["card"] == 1
    assert result["counts"]["masked"]["id"] == 2                       # the resident ID and the SSN
    exported = [json.loads(line) for line in dest.read_text().splitlines()]
    queries = [e["query"] for e in exported]
    # Every statement of the session, in order, each secret masked: MariaDB writes IDENTIFIED BY
    # and PASSWORD() as ***** itself (kept as is), but not behind a comment; the module masks that one.
    session = [q for q in queries if q in statements or "<" in q or "*" in q]
    assert session == [
        "CREATE DATABASE shop",
        statements[1],
        "INSERT INTO shop.person VALUES (1, '<card>', '<id>', '<email>', '<phone>', '<id>', AES_ENCRYPT('***', '***'))",
        "CREATE USER 'audited'@'127.0.0.1' IDENTIFIED BY *****",
        "ALTER USER 'audited'@'127.0.0.1' IDENTIFIED /* rotated */ BY '***'",
        "SET PASSWORD FOR 'audited'@'127.0.0.1' = PASSWORD(*****)",
        "UPDATE shop.person\n   SET mail = '<email>', phone = '<phone>'\n WHERE id = 1",
        "SELECT id FROM shop.person WHERE id = 1",
    ]
    assert result["counts"]["masked"]["password"] == 3 and result["counts"]["masked"]["email"] == 2
    assert result["counts"]["redacted"] == 0
    again, _output = run_module("audit_log", {"path": audit, "dest": str(dest), "events": ["QUERY"]})
    assert again["changed"] is False                                   # the same log, the same export
    # The other classes of the same log: the table events of the session and its connects.
    tables, _output = run_module("audit_log", {"path": audit, "events": ["TABLE"], "users": [exported[0]["user"]]})
    touched = {(e["event"], e["database"], e["table"]) for e in tables["events"]}
    assert {("WRITE", "shop", "person"), ("READ", "shop", "person")} <= touched
    assert all(e["status"] is None and e["query"] == "" for e in tables["events"])
    connects, _output = run_module("audit_log", {"path": audit, "events": ["CONNECT"]})
    assert {"CONNECT", "DISCONNECT"} <= {e["event"] for e in connects["events"]}
    everything = dest.read_text() + json.dumps([result, tables, connects]) + output
    assert not [secret for secret in PLANTED if secret in everything]
