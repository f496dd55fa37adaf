"""Flavour/version detection and the per-version statements of the resolver."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import normalize_column
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import UnsupportedServer
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import privileges_named_in


@pytest.mark.parametrize("raw,comment,expected", [
    ("5.5.5-10.11.19-MariaDB-0+deb12u1-log", None, ("mariadb", "mariadb", "10.11.19")),
    ("11.4.3-MariaDB", None, ("mariadb", "mariadb", "11.4.3")),
    ("8.0.36-28", "Percona Server (GPL), Release 28", ("mysql", "percona", "8.0.36")),
    ("8.4.3", "MySQL Community Server - GPL", ("mysql", "mysql", "8.4.3")),
    ("5.7.44-log", None, ("mysql", "mysql", "5.7.44")),
])
def test_version_strings_of_each_flavour(raw, comment, expected):
    version = parse_version(raw, comment)
    assert (version.flavor, version.variant, version.text) == expected


def test_a_version_never_seen_is_a_host_named_error():
    with pytest.raises(UnsupportedServer, match="db9:3306: unrecognised server version 'PostgreSQL 16'"):
        parse_version("PostgreSQL 16", address="db9:3306")


@pytest.mark.parametrize("raw,replica,binlog,hosts", [
    ("5.7.44", "SHOW SLAVE STATUS", "SHOW MASTER STATUS", "SHOW SLAVE HOSTS"),
    ("8.0.21", "SHOW SLAVE STATUS", "SHOW MASTER STATUS", "SHOW SLAVE HOSTS"),
    ("8.0.22", "SHOW REPLICA STATUS", "SHOW MASTER STATUS", "SHOW REPLICAS"),
    ("8.2.0", "SHOW REPLICA STATUS", "SHOW BINARY LOG STATUS", "SHOW REPLICAS"),
    ("8.4.3", "SHOW REPLICA STATUS", "SHOW BINARY LOG STATUS", "SHOW REPLICAS"),
    ("5.5.5-10.11.19-MariaDB", "SHOW ALL SLAVES STATUS", "SHOW MASTER STATUS", "SHOW SLAVE HOSTS"),
])
def test_resolver_picks_the_statements_each_version_accepts(raw, replica, binlog, hosts):
    dialect = resolve(parse_version(raw))
    assert (dialect.replica_status_sql, dialect.binlog_status_sql, dialect.replica_hosts_sql) == (replica, binlog, hosts)


@pytest.mark.parametrize("raw,warns", [("9.1.0", "newer"), ("12.0.1-MariaDB", "newer"), ("5.6.51", "older"),
                                       ("8.0.36", None), ("10.6.18-MariaDB", None)])
def test_versions_outside_the_tested_range_warn_but_work(raw, warns):
    dialect = resolve(parse_version(raw))
    if warns:
        assert len(dialect.warnings) == 1 and warns in dialect.warnings[0]
    else:
        assert dialect.warnings == ()


def test_old_and_new_column_names_normalise_to_source_replica_words():
    assert normalize_column("Slave_IO_Running") == normalize_column("Replica_IO_Running") == "replica_io_running"
    assert normalize_column("Seconds_Behind_Master") == "seconds_behind_source"
    assert normalize_column("Exec_Master_Log_Pos") == "exec_source_log_pos"


def test_privileges_are_read_from_the_servers_1227_message():
    message = "Access denied; you need (at least one of) the SUPER, REPLICA MONITOR privilege(s) for this operation"
    assert privileges_named_in(message) == ["SUPER", "REPLICA MONITOR"]
    assert privileges_named_in("Table 'x.y' doesn't exist") == []


class RefusingSession:
    """Answers every statement with a refusal that names no privilege (errno 1142, as for a table)."""

    round_trips = 0
    tls = None
    address = "db1:3306"

    def __init__(self, version):
        self.server_version = version

    def run_batch(self, statements):
        from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import StatementResult
        self.round_trips += 1
        return [StatementResult(sql, errno=1142, error="command denied to user 'm'@'%'") for sql in statements]


@pytest.mark.parametrize("raw", ["5.7.44", "8.0.21", "8.4.3", "10.11.19-MariaDB"])
def test_statement_names_are_unique_in_each_collection(raw):
    dialect = resolve(parse_version(raw))
    for statements in (list(dialect.replication_statements()) + [dialect.replica_hosts_statement()],
                       list(dialect.security_statements())):
        names = [s.name for s in statements]
        assert len(names) == len(set(names)), names
        assert all(s.sql for s in statements)


def test_a_refused_statement_reports_its_declared_privilege_whatever_its_wording():
    """Privileges come from the statement object, not from a prefix of its SQL text: rewording
    SHOW REPLICA STATUS (lower case: a prefix lookup missed it) still reports REPLICATION CLIENT, and the
    optional replica_hosts is silent."""
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.collection import Collection

    collection = Collection(RefusingSession("8.4.3"))
    collection.dialect.replica_status_sql = "show replica status"
    statements = list(collection.dialect.replication_statements()) + [collection.dialect.replica_hosts_statement()]
    collection.run(statements)
    for statement in statements:
        assert collection.value(statement.name) is None
    reported = {m["statement"]: m["privileges"] for m in collection.missing_privileges}
    assert reported["show replica status"] == ["REPLICATION CLIENT"]
    assert reported["SHOW BINARY LOG STATUS"] == ["REPLICATION CLIENT"]
    assert reported["SELECT * FROM performance_schema.replication_connection_status"] == ["SELECT ON performance_schema.*"]
    assert "SHOW REPLICAS" not in reported                # optional: a monitor should not hold REPLICATION SLAVE
    assert len(reported) == len(statements) - 1


def test_flavour_traits_come_from_the_dialect_class_of_the_fact():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import dialect_class, reference_applies
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.gtid import GtidSet, MariadbGtidPos

    assert dialect_class("mariadb").gtid_type is MariadbGtidPos and dialect_class("mysql").gtid_type is GtidSet
    assert dialect_class("mariadb").remediation("[mysqld]\nlocal_infile = OFF") == "[mariadbd]\nlocal_infile = OFF"
    assert dialect_class("mysql").remediation("[mysqld]\nlocal_infile = OFF") == "[mysqld]\nlocal_infile = OFF"
    assert reference_applies("cis_mariadb_10_11", "mariadb") and not reference_applies("cis_mariadb_10_11", "mysql")
    assert reference_applies("cis_mysql_8", "mariadb") and reference_applies("cis_mariadb_10_11", None)


@pytest.mark.parametrize("raw,dialect_name,persists", [
    ("5.7.44", "Mysql57Dialect", False), ("8.0.21", "Mysql80Dialect", True), ("8.0.22", "Mysql8022Dialect", True),
    ("8.4.3", "Mysql82Dialect", True), ("11.4.3-MariaDB", "MariadbDialect", False)])
def test_one_dialect_per_version_range(raw, dialect_name, persists):
    dialect = resolve(parse_version(raw))
    assert type(dialect).__name__ == dialect_name and dialect.persists_with_sql is persists
