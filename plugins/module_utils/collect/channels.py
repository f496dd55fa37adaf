# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replication channels: SHOW REPLICA STATUS / SHOW ALL SLAVES STATUS rows -> facts.

One row per channel (MySQL) or multi-source connection (MariaDB).  MySQL rows
are enriched from performance_schema (heartbeats, per-worker errors).
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import (
    as_bool,
    as_float,
    as_int,
    as_text,
    normalized_row,
)

__all__ = ["channel_facts", "io_state"]

_IO_STATES = {"yes": "yes", "no": "no", "connecting": "connecting", "preparing": "connecting"}


def io_state(value):
    """Slave_IO_Running / Replica_IO_Running -> ``yes`` | ``no`` | ``connecting``."""
    return _IO_STATES.get(str(value or "no").strip().lower(), "no")


def _lag(row, io_running, sql_running):
    """seconds_behind_source: None whenever the lag cannot be known, never a fake 0."""
    value = as_int(row.get("seconds_behind_source"))
    if not sql_running:
        return None
    if io_running != "yes" and value == 0:
        # Caught up with a relay log that no longer grows: the real lag is unknown.
        return None
    return value


def _ssl(row):
    return {
        "allowed": as_bool(row.get("source_ssl_allowed")) or False,
        "verify_server_cert": as_bool(row.get("source_ssl_verify_server_cert")) or False,
        "ca_file": as_text(row.get("source_ssl_ca_file")),
        "cert": as_text(row.get("source_ssl_cert")),
        "cipher": as_text(row.get("source_ssl_cipher")),
    }


def _by_channel(rows, key="channel_name"):
    grouped = {}
    for row in rows or ():
        row = dict((k.lower(), v) for k, v in row.items())
        grouped.setdefault(as_text(row.get(key)) or "", []).append(row)
    return grouped


def channel_facts(rows, dialect, connection_status_rows=None, worker_rows=None):
    """Build the ``channels`` list from replica-status rows; the Dialect names the channel column
    and says how a channel positions itself."""
    connection_status = _by_channel(connection_status_rows)
    workers = _by_channel(worker_rows)
    channels = []
    for raw in rows or ():
        row = normalized_row(raw)
        name = dialect.channel_name(row)
        io_running = io_state(row.get("replica_io_running"))
        sql_running = bool(as_bool(row.get("replica_sql_running")))
        status = (connection_status.get(name) or [{}])[0]
        worker_errors = [
            {"worker_id": as_int(w.get("worker_id")), "errno": as_int(w.get("last_error_number")),
             "error": as_text(w.get("last_error_message")), "timestamp": as_text(w.get("last_error_timestamp"))}
            for w in workers.get(name, []) if as_int(w.get("last_error_number"))
        ]
        channel = {
            "name": name,
            "source_host": as_text(row.get("source_host")),
            "source_port": as_int(row.get("source_port")),
            "source_user": as_text(row.get("source_user")),
            "source_server_id": as_int(row.get("source_server_id")),
            "source_uuid": as_text(row.get("source_uuid") or status.get("source_uuid")),
            "io_running": io_running,
            "sql_running": sql_running,
            "io_state": as_text(row.get("replica_io_state")),
            "sql_state": as_text(row.get("replica_sql_running_state") or row.get("replica_sql_state")),
            "seconds_behind_source": _lag(row, io_running, sql_running),
            "sql_delay": as_int(row.get("sql_delay")) or 0,
            "sql_remaining_delay": as_int(row.get("sql_remaining_delay")),
            "last_io_errno": as_int(row.get("last_io_errno")) or 0,
            "last_io_error": as_text(row.get("last_io_error")) or "",
            "last_io_error_timestamp": as_text(row.get("last_io_error_timestamp")),
            "last_sql_errno": as_int(row.get("last_sql_errno")) or 0,
            "last_sql_error": as_text(row.get("last_sql_error")) or "",
            "last_sql_error_timestamp": as_text(row.get("last_sql_error_timestamp")),
            "retrieved_gtid_set": _gtid_text(row.get("retrieved_gtid_set") or status.get("received_transaction_set")),
            "executed_gtid_set": _gtid_text(row.get("executed_gtid_set")),
            "gtid_io_pos": as_text(row.get("gtid_io_pos")),
            "using_gtid": dialect.using_gtid(row),
            "source_log_file": as_text(row.get("source_log_file")),
            "read_source_log_pos": as_int(row.get("read_source_log_pos")),
            "relay_source_log_file": as_text(row.get("relay_source_log_file")),
            "exec_source_log_pos": as_int(row.get("exec_source_log_pos")),
            "relay_log_file": as_text(row.get("relay_log_file")),
            "relay_log_pos": as_int(row.get("relay_log_pos")),
            "relay_log_space": as_int(row.get("relay_log_space")),
            "connect_retry": as_int(row.get("connect_retry")),
            "heartbeat_period": as_float(row.get("replica_heartbeat_period")),
            "received_heartbeats": as_int(row.get("replica_received_heartbeats")
                                          if row.get("replica_received_heartbeats") is not None
                                          else status.get("count_received_heartbeats")),
            "last_heartbeat_timestamp": as_text(status.get("last_heartbeat_timestamp")),
            "retried_transactions": as_int(row.get("retried_transactions")),
            "parallel_mode": as_text(row.get("parallel_mode")),
            "ssl": _ssl(row),
            "worker_errors": worker_errors,
        }
        channels.append(channel)
    return channels


def _gtid_text(value):
    text = as_text(value)
    return text.replace("\n", "") if text else ""
