# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Semi-sync, Galera and Group Replication facts from variables, status and rows."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.rows import (
    as_bool,
    as_float,
    as_int,
    as_text,
)

__all__ = ["semi_sync_facts", "galera_facts", "group_replication_facts", "connected_replicas"]


def _first(mapping, *names):
    for name in names:
        if mapping.get(name) is not None:
            return mapping.get(name)
    return None


def semi_sync_facts(variables, status):
    """Both sides of semi-sync; MySQL 8.0.26+ names (source/replica) or the old ones."""
    source_enabled = as_bool(_first(variables, "rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled"))
    replica_enabled = as_bool(_first(variables, "rpl_semi_sync_replica_enabled", "rpl_semi_sync_slave_enabled"))
    return {
        "available": source_enabled is not None or replica_enabled is not None,
        "source_enabled": bool(source_enabled),
        "source_status": bool(as_bool(_first(status, "rpl_semi_sync_source_status", "rpl_semi_sync_master_status"))),
        "source_clients": as_int(_first(status, "rpl_semi_sync_source_clients", "rpl_semi_sync_master_clients")) or 0,
        "source_timeout_ms": as_int(_first(variables, "rpl_semi_sync_source_timeout", "rpl_semi_sync_master_timeout")),
        "wait_point": as_text(_first(variables, "rpl_semi_sync_source_wait_point", "rpl_semi_sync_master_wait_point")),
        "wait_for_replica_count": as_int(_first(variables, "rpl_semi_sync_source_wait_for_replica_count",
                                                "rpl_semi_sync_master_wait_for_slave_count")) or 1,
        "no_tx": as_int(_first(status, "rpl_semi_sync_source_no_tx", "rpl_semi_sync_master_no_tx")) or 0,
        "yes_tx": as_int(_first(status, "rpl_semi_sync_source_yes_tx", "rpl_semi_sync_master_yes_tx")) or 0,
        "replica_enabled": bool(replica_enabled),
        "replica_status": bool(as_bool(_first(status, "rpl_semi_sync_replica_status", "rpl_semi_sync_slave_status"))),
    }


def galera_facts(variables, status):
    """Galera ``wsrep_*`` essentials; None when the node is not a Galera member."""
    if not as_bool(variables.get("wsrep_on")) or status.get("wsrep_cluster_status") is None:
        return None
    addresses = as_text(status.get("wsrep_incoming_addresses")) or ""
    return {
        "cluster_name": as_text(variables.get("wsrep_cluster_name")),
        "node_name": as_text(variables.get("wsrep_node_name")),
        "cluster_size": as_int(status.get("wsrep_cluster_size")) or 0,
        "cluster_status": as_text(status.get("wsrep_cluster_status")),
        "cluster_state_uuid": as_text(status.get("wsrep_cluster_state_uuid")),
        "cluster_conf_id": as_int(status.get("wsrep_cluster_conf_id")),
        "local_state": as_int(status.get("wsrep_local_state")),
        "local_state_comment": as_text(status.get("wsrep_local_state_comment")),
        "local_index": as_int(status.get("wsrep_local_index")),
        "ready": bool(as_bool(status.get("wsrep_ready"))),
        "connected": bool(as_bool(status.get("wsrep_connected"))),
        "desync_count": as_int(status.get("wsrep_desync_count")) or 0,
        "flow_control_paused": as_float(status.get("wsrep_flow_control_paused")) or 0.0,
        "local_recv_queue": as_int(status.get("wsrep_local_recv_queue")) or 0,
        "local_send_queue": as_int(status.get("wsrep_local_send_queue")) or 0,
        "incoming_addresses": [a for a in addresses.split(",") if a],
    }


def group_replication_facts(variables, member_rows, server_uuid):
    """MySQL Group Replication members (performance_schema.replication_group_members)."""
    members = []
    for raw in member_rows or ():
        row = dict((k.lower(), v) for k, v in raw.items())
        if not as_text(row.get("member_id")):
            continue
        members.append({
            "member_id": as_text(row.get("member_id")),
            "host": as_text(row.get("member_host")),
            "port": as_int(row.get("member_port")),
            "state": as_text(row.get("member_state")),
            "role": as_text(row.get("member_role")),
            "version": as_text(row.get("member_version")),
        })
    if not members:
        return None
    me = [m for m in members if server_uuid and m["member_id"] == server_uuid]
    online = [m for m in members if m["state"] == "ONLINE"]
    return {
        "group_name": as_text(variables.get("group_replication_group_name")),
        "single_primary_mode": as_bool(variables.get("group_replication_single_primary_mode")),
        "member_state": me[0]["state"] if me else None,
        "member_role": me[0]["role"] if me else None,
        "members": members,
        "online_members": len(online),
        "primaries": [m["member_id"] for m in members if m["role"] == "PRIMARY"],
    }


def connected_replicas(host_rows, dump_rows):
    """Replicas attached to this server: SHOW SLAVE HOSTS joined with dump threads."""
    replicas = []
    for raw in host_rows or ():
        row = dict((k.lower(), v) for k, v in raw.items())
        replicas.append({
            "server_id": as_int(row.get("server_id")),
            "host": as_text(row.get("host")),
            "port": as_int(row.get("port")),
            "source_id": as_int(row.get("source_id") or row.get("master_id")),
            "uuid": as_text(row.get("replica_uuid") or row.get("slave_uuid")),
        })
    threads = []
    for raw in dump_rows or ():
        row = dict((k.lower(), v) for k, v in raw.items())
        threads.append({"user": as_text(row.get("user")), "client": as_text(row.get("host")),
                        "seconds": as_int(row.get("time")), "state": as_text(row.get("state"))})
    return replicas, threads
