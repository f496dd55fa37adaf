"""audit_log on a real MariaDB server_audit log: a session with planted secrets, exported
through ansible-playbook; every statement is there and no secret is."""
from __future__ import annotations

import json

import pytest

from lab_helpers import run_module

pytestmark = pytest.mark.integration
PLANTED = ("PlantedS3cret!", "PlantedS3cret2!", "PlantedS3cret3!", "4111 1111 1111 1111", "11010519491231002X",
           "wang.wu@example.com", "13812345678")


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
        "ALTER USER 'audited'@'127.0.0.1' IDENTIFIED /* rotated */ BY 'PlantedS3cret2!'",
        "SET PASSWORD FOR 'audited'@'127.0.0.1' = PASSWORD('PlantedS3cret3!')",
        "UPDATE shop.person\n   SET mail = 'wang.wu@example.com'\n WHERE id = 1",
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
    assert result["counts"]["malformed"] == 0 and result["counts"]["masked"]["card"] == 1 and result["counts"]["masked"]["id"] == 1
    exported = [json.loads(line) for line in dest.read_text().splitlines()]
    queries = [e["query"] for e in exported]
    assert "CREATE DATABASE shop" in queries and "SELECT id FROM shop.person WHERE id = 1" in queries
    assert "INSERT INTO shop.person VALUES (1, '<card>', '<id>', '<email>', '<phone>')" in queries
    # Every statement of the session, in order, each secret masked: MariaDB writes IDENTIFIED BY
    # and PASSWORD() as ***** itself (kept as is), but not behind a comment; the module masks that one.
    session = [q for q in queries if q in statements or "<" in q or "*" in q]
    assert session == [
        "CREATE DATABASE shop",
        statements[1],
        "INSERT INTO shop.person VALUES (1, '<card>', '<id>', '<email>', '<phone>')",
        "CREATE USER 'audited'@'127.0.0.1' IDENTIFIED BY *****",
        "ALTER USER 'audited'@'127.0.0.1' IDENTIFIED /* rotated */ BY '***'",
        "SET PASSWORD FOR 'audited'@'127.0.0.1' = PASSWORD(*****)",
        "UPDATE shop.person\n   SET mail = '<email>'\n WHERE id = 1",
        "SELECT id FROM shop.person WHERE id = 1",
    ]
    assert result["counts"]["masked"]["password"] == 1 and result["counts"]["masked"]["email"] == 2
    assert result["counts"]["redacted"] == 0
    everything = dest.read_text() + json.dumps(result) + output
    assert not [secret for secret in PLANTED if secret in everything]
