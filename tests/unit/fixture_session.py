"""A Session stand-in that answers from MySQL fixture files (tests/fixtures/mysql).

Only for MySQL-only paths, which no server here can run; MariaDB paths are
tested against the real lab.  A statement the fixture does not expect fails
the test, so a wrong statement for a version (SHOW MASTER STATUS on 8.4) is caught.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import StatementResult

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mysql"


def _key(sql: str) -> str:
    for marker, key in (("information_schema.PLUGINS", "plugins"), ("SHOW SESSION STATUS", "session_status"),
                        ("information_schema.SCHEMATA", "schemata"), ("FROM mysql.user", "accounts"),
                        ("FROM mysql.db", "mysql.db"), ("mysql.global_grants", "global_grants")):
        if marker in sql:
            return key
    if sql.startswith("SHOW GLOBAL VARIABLES"):
        return "security_variables" if "server_audit%" in sql else "variables"
    if sql.startswith("SHOW GLOBAL STATUS"):
        return "status"
    if "PROCESSLIST" in sql:
        return "PROCESSLIST"
    if "performance_schema." in sql:
        return sql.split("performance_schema.")[1].split()[0]
    return sql


class FixtureSession:
    def __init__(self, name: str):
        self.fixture = yaml.safe_load((FIXTURES / f"{name}.yml").read_text())
        self.address = f"fixture:{name}"
        self.round_trips = 0
        self.tls = None
        self.executed: list[str] = []

    @property
    def server_version(self) -> str:
        return self.fixture["handshake_version"]

    def run_batch(self, statements):
        self.round_trips += 1
        results = []
        for sql in statements:
            self.executed.append(sql)
            answer = self.fixture["statements"].get(_key(sql), KeyError)
            if answer is KeyError:
                raise AssertionError(f"collector ran {sql!r}, which the fixture does not expect")
            if isinstance(answer, dict) and "errno" in answer:
                results.append(StatementResult(sql, errno=answer["errno"], error=answer["error"]))
            else:
                results.append(StatementResult(sql, rows=answer))
        return results
