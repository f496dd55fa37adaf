"""Flavour/version detection and the per-version statements of the resolver."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import UnsupportedServer
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import normalize_column, privileges_named_in


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
