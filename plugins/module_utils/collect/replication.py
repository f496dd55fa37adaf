# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replication collector: one server -> ``mysql_replication`` facts.

All statements of a collection go to the server as one multi-statement batch
(one round trip when the login may run them all).  A statement the login may
not run becomes an entry of ``collection.missing_privileges``; the facts it
would have given stay null rather than looking healthy.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.channels import channel_facts
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.cluster_state import (
    connected_replicas,
    galera_facts,
    group_replication_facts,
    semi_sync_facts,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.collection import Collection
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import (
    as_bool,
    as_float,
    as_int,
    as_text,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError, ConnectError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors.base import Statement

__all__ = ["collect_replication", "gather_replication", "unreachable_facts"]

_IDENT_RE = re.compile(r"^[A-Za-z0-9_$]{1,64}$")


def _heartbeat_statement(table, server_id, utc):
    """The pt-heartbeat row read: identifiers checked here, the only statement not from a flavour file."""
    parts = table.split(".")
    if len(parts) != 2 or not all(_IDENT_RE.match(p) for p in parts):
        raise ConfigError("heartbeat_table must be schema.table with plain identifiers, got %r" % table)
    now = "UTC_TIMESTAMP(6)" if utc else "NOW(6)"
    where = " WHERE server_id = %d" % int(server_id) if server_id is not None else ""
    return Statement("heartbeat", "SELECT ts, server_id, TIMESTAMPDIFF(MICROSECOND, ts, %s) / 1000000 AS lag_seconds "
                     "FROM `%s`.`%s`%s ORDER BY ts DESC LIMIT 1" % (now, parts[0], parts[1], where),
                     privilege="SELECT ON `%s`.`%s`" % (parts[0], parts[1]))


def _role(channels, replica_count, galera, group):
    if group is not None and group.get("member_role"):
        return "primary" if group["member_role"] == "PRIMARY" else "replica"
    if channels:
        return "intermediate" if replica_count else "replica"
    if replica_count or galera is not None:
        return "primary"
    return "standalone"


def _client_host(client):
    """``10.0.0.5:51234`` -> ``10.0.0.5`` (a processlist HOST column)."""
    return client.rsplit(":", 1)[0] if client and ":" in client else client


def _replica_facts(collection, host_rows, dump_rows, registered, server_id):
    """``replicas``, ``replica_threads`` and ``replica_count``; a list is None when unknown.

    SHOW SLAVE HOSTS / SHOW REPLICAS lists the registered replicas, but needs
    REPLICATION MASTER ADMIN / REPLICATION SLAVE, which a monitor should not
    hold (the statement is optional).  Without it the replicas are the binlog
    dump threads of the processlist (server_id and port unknown), which only a
    login with PROCESS sees: any other login sees its own threads, silently.
    MariaDB tells every login how many replicas are registered
    (``Slaves_connected``, ``registered`` here): a login that sees fewer dump
    threads than that cannot see them, which is a missing PROCESS privilege and
    leaves both lists null, never an empty, healthy-looking list.
    """
    replicas, threads = connected_replicas(host_rows, dump_rows)
    if dump_rows is None:
        threads = None  # the statement failed; Collection.rows recorded why
    elif registered is not None and len(threads) < registered:
        collection.missing("dump_threads",
                           "the server has %d registered replica(s) (Slaves_connected) and this login sees %d "
                           "binlog dump thread(s): without PROCESS the processlist shows a login its own threads "
                           "only (inferred; the server hides rows rather than failing)" % (registered, len(threads)))
        threads = None
    if host_rows is None:
        if threads is None:
            replicas = None
        elif registered == 0:
            replicas = []
        else:
            replicas = [{"server_id": None, "host": _client_host(t["client"]), "port": None,
                         "source_id": server_id, "uuid": None} for t in threads]
    count = max(len(replicas or ()), len(threads or ()), registered or 0)
    return replicas, threads, count


def collect_replication(session, heartbeat_table=None, heartbeat_server_id=None, heartbeat_utc=True,
                        instance=None, now=None):
    """Gather ``mysql_replication`` facts over an open Session (``now``: epoch seconds, for tests)."""
    collection = Collection(session, instance, now)
    address, dialect = collection.address, collection.dialect
    statements = list(dialect.replication_statements())
    if heartbeat_table:
        statements.append(_heartbeat_statement(heartbeat_table, heartbeat_server_id, heartbeat_utc))
    statements.append(dialect.replica_hosts_statement())
    collection.run(statements)
    value = collection.value

    variables = value("variables") or {}
    status = value("status") or {}
    replica_rows = value("replica_status")
    binlog_rows = value("binlog_status")
    host_rows = value("replica_hosts")
    dump_rows = value("dump_threads")
    connection_status_rows = value("ps_connection_status")
    worker_rows = value("ps_applier_workers")
    group_rows = value("ps_group_members")
    heartbeat_rows = value("heartbeat")
    version = collection.identify(variables)

    channels = channel_facts(replica_rows, dialect, connection_status_rows=connection_status_rows,
                             worker_rows=worker_rows) if replica_rows is not None else []
    replicas, dump_threads, replica_count = _replica_facts(
        collection, host_rows, dump_rows, as_int(status.get("slaves_connected")), as_int(variables.get("server_id")))
    galera = galera_facts(variables, status)
    server_uuid = as_text(variables.get("server_uuid"))
    group = group_replication_facts(variables, group_rows, server_uuid)
    gtid, gtid_problem = dialect.gtid_facts(variables)
    if gtid_problem:
        collection.errors.append({"statement": "gtid", "errno": None, "message": gtid_problem})

    binlog_row = (binlog_rows or [{}])[0] if binlog_rows is not None else {}
    binlog_row = dict((k.lower(), v) for k, v in binlog_row.items())
    heartbeat = None
    if heartbeat_table:
        row = (heartbeat_rows or [{}])[0] if heartbeat_rows else {}
        heartbeat = {"table": heartbeat_table, "lag_seconds": as_float(row.get("lag_seconds")),
                     "source_server_id": as_int(row.get("server_id")), "ts": as_text(row.get("ts"))}

    facts = {
        "instance": address,
        "reachable": True,
        "flavor": version.flavor,
        "variant": version.variant,
        "version": version.text,
        "version_full": version.raw,
        "server_id": as_int(variables.get("server_id")),
        "server_uuid": server_uuid,
        "hostname": as_text(variables.get("hostname")),
        "port": as_int(variables.get("port")),
        "role": _role(channels if replica_rows is not None else [], replica_count, galera, group),
        "read_only": bool(as_bool(variables.get("read_only"))),
        "super_read_only": as_bool(variables.get("super_read_only")),
        "offline_mode": as_bool(variables.get("offline_mode")),
        "binlog": {
            "enabled": bool(as_bool(variables.get("log_bin"))),
            "file": as_text(binlog_row.get("file")),
            "position": as_int(binlog_row.get("position")),
            "format": as_text(variables.get("binlog_format")),
            "log_replica_updates": as_bool(variables.get("log_replica_updates") or variables.get("log_slave_updates")),
            "sync_binlog": as_int(variables.get("sync_binlog")),
        },
        "gtid": gtid,
        "channels": channels,
        "replicas": replicas,
        "replica_threads": dump_threads,
        "replica_count": replica_count,
        "semi_sync": semi_sync_facts(variables, status),
        "galera": galera,
        "group_replication": group,
        "heartbeat": heartbeat,
        "connections": {
            "threads_connected": as_int(status.get("threads_connected")),
            "threads_running": as_int(status.get("threads_running")),
            "max_connections": as_int(variables.get("max_connections")),
            "max_used_connections": as_int(status.get("max_used_connections")),
        },
        "uptime": as_int(status.get("uptime")),
        "replica_net_timeout": as_int(variables.get("replica_net_timeout") or variables.get("slave_net_timeout")),
        "collection": collection.report(tls=session.tls),
    }
    if replica_rows is None:
        # Unknown, not "no channels": the role above may be wrong.
        facts["channels"] = None
        facts["role"] = None
    return facts


def unreachable_facts(address, error):
    """Facts for a server that could not be reached: what failed and how."""
    return {
        "instance": address,
        "reachable": False,
        "reachability": error.kind if isinstance(error, ConnectError) else "error",
        "error": str(error),
        "errno": getattr(error, "errno", None),
    }


def gather_replication(params, **options):
    """Connect, collect, close.  Raises ConnectError / ConfigError / UnsupportedServer."""
    with connect(params, multi_statements=True) as session:
        facts = collect_replication(session, instance=params.address, **options)
        facts["collection"]["connect_ms"] = round(session.connect_seconds * 1000.0, 3)
        return facts
