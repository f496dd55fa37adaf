"""audit_log on a real MariaDB server_audit log: a session with planted secrets, exported
through ansible-playbook; every statement is there and no secret is."""
from __future__ import annotations

import json

import pytest

from lab_helpers import run_module

pytestmark = pytest.mark.integration
PLANTED = ("PlantedS3cret!", "4111 1111 1111 1111", "11010519491231002X", "wang.wu@example.com", "13812345678")


def test_an_exported_lab_session_has_every_statement_and_no_planted_secret(make_lab, tmp_path):
    lab = make_lab(replicas=0)
    primary = lab.by_role("primary")[0]
    audit = f"{lab.base}/{primary.name}/server_audit.log"
    with lab.session(primary) as admin:
        admin.execute("INSTALL SONAME 'server_audit'")
        admin.execute("SET GLOBAL server_audit_file_path = %s", (audit,))
        admin.execute("SET GLOBAL server_audit_events = 'CONNECT,QUERY'")
        admin.execute("SET GLOBAL server_audit_logging = ON")
    statements = [
        "CREATE DATABASE shop",
        "CREATE TABLE shop.person (id INT PRIMARY KEY, card VARCHAR(40), id_no VARCHAR(20), mail VARCHAR(80), phone VARCHAR(20))",
        "INSERT INTO shop.person VALUES (1, '4111 1111 1111 1111', '11010519491231002X', 'wang.wu@example.com', '13812345678')",
        "CREATE USER 'audited'@'127.0.0.1' IDENTIFIED BY 'PlantedS3cret!'",
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
    assert result["counts"]["malformed"] == 0 and result["masked"]["card"] == 1 and result["masked"]["id"] == 1
    exported = [json.loads(line) for line in dest.read_text().splitlines()]
    queries = [e["query"] for e in exported]
    assert "CREATE DATABASE shop" in queries and "SELECT id FROM shop.person WHERE id = 1" in queries
    assert "INSERT INTO shop.person VALUES (1, '<card>', '<id>', '<email>', '<phone>')" in queries
    # MariaDB masks IDENTIFIED BY itself (*****); the module keeps that and adds nothing back.
    assert "CREATE USER 'audited'@'127.0.0.1' IDENTIFIED BY *****" in queries
    everything = dest.read_text() + json.dumps(result) + output
    assert not [secret for secret in PLANTED if secret in everything]
