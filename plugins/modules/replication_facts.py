#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: replication_facts
short_description: Replication, GTID, semi-sync, Galera and Group Replication facts of one MySQL or MariaDB server
version_added: 0.1.0
description:
  - Gathers C(ansible_facts.mysql_replication) from one server in a single round trip when the login may see everything.
  - Every replication channel is reported (MySQL channels, MariaDB multi-source connections), with the IO thread as
    C(yes), C(no) or C(connecting), the SQL thread as a boolean, and C(seconds_behind_source) null when unknown.
  - A statement the login may not run is listed in C(collection.missing_privileges) with the privilege it needs, and the
    facts it would have given stay null. The module does not fail for that.
  - Supports MySQL 5.7, 8.0, 8.4 (and Percona Server) and MariaDB 10.6, 10.11, 11.x. Statements and column names per
    flavour and version come from one resolver.
  - The facts follow the JSON Schema C(engine/schemas/mysql_replication.schema.json) of this collection.
author:
  - dbaops team (@dbaops)
extends_documentation_fragment:
  - dbaops.mysql_ha.connection
options:
  heartbeat_table:
    description:
      - C(schema.table) of a pt-heartbeat table; when set, C(heartbeat.lag_seconds) is reported.
    type: str
  heartbeat_server_id:
    description:
      - Read only the heartbeat rows written by this server_id (the primary's).
    type: int
  heartbeat_utc:
    description:
      - pt-heartbeat was run with C(--utc) (compare with UTC_TIMESTAMP); set false for local time.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing.
notes:
  - On MariaDB 10.5.9 and later, SHOW SLAVE STATUS needs the REPLICA MONITOR privilege; a login with only the
    REPLICATION CLIENT grant documented by other exporters sees no replica facts, and this module says so in
    C(collection.missing_privileges) instead of reporting a healthy server.
"""

EXAMPLES = r"""
- name: Gather replication facts with the login from ~/.my.cnf
  dbaops.mysql_ha.replication_facts:
    login_host: db1.example.com

- name: Fail when the IO thread of any channel is not running
  ansible.builtin.assert:
    that: ansible_facts.mysql_replication.channels | rejectattr('io_running', 'equalto', 'yes') | list | length == 0

- name: Over verified TLS, with pt-heartbeat lag
  dbaops.mysql_ha.replication_facts:
    login_host: db2.example.com
    login_user: monitor
    login_password: "{{ vault_monitor_password }}"
    ssl_mode: verify_identity
    ssl_ca: /etc/mysql/ca.pem
    heartbeat_table: percona.heartbeat
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host's facts.
  returned: always
  type: dict
  contains:
    mysql_replication:
      description: mysql_replication facts of one server.
      returned: always
      type: dict
      contains:
        instance:
          description: host:port (or socket) the facts are about.
          returned: always
          type: str
        reachable:
          description: Always true here; see unreachable members in topology_facts.
          returned: always
          type: bool
        flavor:
          description: mysql (Percona too) or mariadb.
          returned: always
          type: str
        variant:
          description: mysql, percona or mariadb.
          returned: always
          type: str
        version:
          description: major.minor.patch
          returned: always
          type: str
        version_full:
          description: Version string from the handshake.
          returned: always
          type: str
        server_id:
          description: server_id. Null when not applicable.
          returned: always
          type: int
        server_uuid:
          description: server_uuid (MySQL; MariaDB has none). Null when not applicable.
          returned: always
          type: str
        hostname:
          description: '@@hostname. Null when not applicable.'
          returned: always
          type: str
        port:
          description: '@@port. Null when not applicable.'
          returned: always
          type: int
        role:
          description: primary (no channel, has replicas or is a Galera member), replica, intermediate
            (replica with replicas), standalone; null when the login cannot see replica status. Null when
            not applicable.
          returned: always
          type: str
        read_only:
          description: read_only.
          returned: always
          type: bool
        super_read_only:
          description: super_read_only (MySQL). Null when not applicable.
          returned: always
          type: bool
        offline_mode:
          description: offline_mode. Null when not applicable.
          returned: always
          type: bool
        binlog:
          description: Binary log.
          returned: always
          type: dict
          contains:
            enabled:
              description: log_bin.
              returned: always
              type: bool
            file:
              description: Current binlog file. Null when not applicable.
              returned: always
              type: str
            position:
              description: Current binlog position. Null when not applicable.
              returned: always
              type: int
            format:
              description: binlog_format. Null when not applicable.
              returned: always
              type: str
            log_replica_updates:
              description: log_replica_updates / log_slave_updates. Null when not applicable.
              returned: always
              type: bool
            sync_binlog:
              description: sync_binlog. Null when not applicable.
              returned: always
              type: int
        gtid:
          description: GTID state.
          returned: always
          type: dict
          contains:
            mode:
              description: gtid_mode (MySQL); ON for MariaDB.
              returned: always
              type: str
            executed:
              description: 'Normalised executed GTIDs: MySQL gtid_executed, MariaDB gtid_current_pos.'
              returned: always
              type: str
            purged:
              description: gtid_purged (MySQL). Null when not applicable.
              returned: always
              type: str
            binlog_pos:
              description: gtid_binlog_pos (MariaDB). Null when not applicable.
              returned: always
              type: str
            current_pos:
              description: gtid_current_pos (MariaDB). Null when not applicable.
              returned: always
              type: str
            slave_pos:
              description: gtid_slave_pos (MariaDB). Null when not applicable.
              returned: always
              type: str
            strict_mode:
              description: gtid_strict_mode (MariaDB). Null when not applicable.
              returned: always
              type: bool
            domain_id:
              description: gtid_domain_id (MariaDB). Null when not applicable.
              returned: always
              type: int
            enforce_consistency:
              description: enforce_gtid_consistency (MySQL). Null when not applicable.
              returned: always
              type: str
        channels:
          description: Every replication channel; null when the login may not see replica status. Null
            when not applicable.
          returned: always
          type: list
          elements: dict
          contains:
            name:
              description: Channel (MySQL) or connection name (MariaDB multi-source); '' for the default
                one.
              returned: always
              type: str
            source_host:
              description: Host the replica connects to. Null when not applicable.
              returned: always
              type: str
            source_port:
              description: Port the replica connects to. Null when not applicable.
              returned: always
              type: int
            source_user:
              description: Replication user. Null when not applicable.
              returned: always
              type: str
            source_server_id:
              description: server_id of the source as the replica last saw it. Null when not applicable.
              returned: always
              type: int
            source_uuid:
              description: server_uuid of the source (MySQL). Null when not applicable.
              returned: always
              type: str
            io_running:
              description: 'IO (receiver) thread: yes, no, or connecting (retrying to connect).'
              returned: always
              type: str
            sql_running:
              description: SQL (applier) thread running.
              returned: always
              type: bool
            io_state:
              description: Slave_IO_State / Replica_IO_State text. Null when not applicable.
              returned: always
              type: str
            sql_state:
              description: SQL thread state text. Null when not applicable.
              returned: always
              type: str
            seconds_behind_source:
              description: Seconds_Behind_Source; null whenever the lag cannot be known (SQL thread stopped,
                or caught up while the IO thread is not connected), never a fake 0. Null when not applicable.
              returned: always
              type: int
            sql_delay:
              description: Configured delay (MASTER_DELAY / SOURCE_DELAY) in seconds.
              returned: always
              type: int
            sql_remaining_delay:
              description: Seconds left before the delayed event is applied. Null when not applicable.
              returned: always
              type: int
            last_io_errno:
              description: Last IO thread error number, 0 for none.
              returned: always
              type: int
            last_io_error:
              description: Last IO thread error text, '' for none.
              returned: always
              type: str
            last_io_error_timestamp:
              description: When the last IO error happened (MySQL). Null when not applicable.
              returned: always
              type: str
            last_sql_errno:
              description: Last SQL thread error number (for example 1062), 0 for none.
              returned: always
              type: int
            last_sql_error:
              description: Last SQL thread error text, '' for none.
              returned: always
              type: str
            last_sql_error_timestamp:
              description: When the last SQL error happened (MySQL). Null when not applicable.
              returned: always
              type: str
            retrieved_gtid_set:
              description: GTIDs received (MySQL Retrieved_Gtid_Set or RECEIVED_TRANSACTION_SET).
              returned: always
              type: str
            executed_gtid_set:
              description: GTIDs executed (MySQL Executed_Gtid_Set).
              returned: always
              type: str
            gtid_io_pos:
              description: MariaDB Gtid_IO_Pos. Null when not applicable.
              returned: always
              type: str
            using_gtid:
              description: MariaDB Using_Gtid (slave_pos, current_pos, no); MySQL auto_position or no.
              returned: always
              type: str
            source_log_file:
              description: Binlog file the IO thread reads. Null when not applicable.
              returned: always
              type: str
            read_source_log_pos:
              description: Position the IO thread has read up to. Null when not applicable.
              returned: always
              type: int
            relay_source_log_file:
              description: Source binlog file of the last applied event. Null when not applicable.
              returned: always
              type: str
            exec_source_log_pos:
              description: Source position of the last applied event. Null when not applicable.
              returned: always
              type: int
            relay_log_file:
              description: Current relay log file. Null when not applicable.
              returned: always
              type: str
            relay_log_pos:
              description: Position in the relay log. Null when not applicable.
              returned: always
              type: int
            relay_log_space:
              description: Bytes of relay logs. Null when not applicable.
              returned: always
              type: int
            connect_retry:
              description: Seconds between connect attempts. Null when not applicable.
              returned: always
              type: int
            heartbeat_period:
              description: Heartbeat period in seconds (MariaDB). Null when not applicable.
              returned: always
              type: float
            received_heartbeats:
              description: Heartbeats received. Null when not applicable.
              returned: always
              type: int
            last_heartbeat_timestamp:
              description: Last heartbeat (MySQL performance_schema). Null when not applicable.
              returned: always
              type: str
            retried_transactions:
              description: Transactions retried (MariaDB). Null when not applicable.
              returned: always
              type: int
            parallel_mode:
              description: MariaDB parallel replication mode. Null when not applicable.
              returned: always
              type: str
            ssl:
              description: TLS of the replication connection.
              returned: always
              type: dict
              contains:
                allowed:
                  description: The channel uses TLS.
                  returned: always
                  type: bool
                verify_server_cert:
                  description: The replica verifies the source certificate.
                  returned: always
                  type: bool
                ca_file:
                  description: CA file of the channel. Null when not applicable.
                  returned: always
                  type: str
                cert:
                  description: Client certificate of the channel. Null when not applicable.
                  returned: always
                  type: str
                cipher:
                  description: Cipher list of the channel. Null when not applicable.
                  returned: always
                  type: str
            worker_errors:
              description: Applier workers with an error (MySQL replication_applier_status_by_worker).
              returned: always
              type: list
              elements: dict
              contains:
                worker_id:
                  description: Worker id. Null when not applicable.
                  returned: always
                  type: int
                errno:
                  description: Error number. Null when not applicable.
                  returned: always
                  type: int
                error:
                  description: Error text. Null when not applicable.
                  returned: always
                  type: str
                timestamp:
                  description: When. Null when not applicable.
                  returned: always
                  type: str
        replicas:
          description: Replicas registered with this server (SHOW REPLICAS / SHOW SLAVE HOSTS), or, for
            a login that may not run those, the binlog dump threads it sees (host only; server_id and
            port null). null when replicas are connected that the login cannot see (PROCESS missing; see
            collection.missing_privileges). Null when not applicable.
          returned: always
          type: list
          elements: dict
          contains:
            server_id:
              description: server_id. Null when not applicable.
              returned: always
              type: int
            host:
              description: report_host. Null when not applicable.
              returned: always
              type: str
            port:
              description: report_port. Null when not applicable.
              returned: always
              type: int
            source_id:
              description: This server's id as the replica sees it. Null when not applicable.
              returned: always
              type: int
            uuid:
              description: Replica UUID (MySQL). Null when not applicable.
              returned: always
              type: str
        replica_threads:
          description: Binlog dump threads serving replicas (needs PROCESS); null when the login cannot
            see them. Null when not applicable.
          returned: always
          type: list
          elements: dict
          contains:
            user:
              description: User. Null when not applicable.
              returned: always
              type: str
            client:
              description: Client host:port. Null when not applicable.
              returned: always
              type: str
            seconds:
              description: Seconds in state. Null when not applicable.
              returned: always
              type: int
            state:
              description: Thread state. Null when not applicable.
              returned: always
              type: str
        replica_count:
          description: Connected replicas.
          returned: always
          type: int
        semi_sync:
          description: Semi-synchronous replication.
          returned: always
          type: dict
          contains:
            available:
              description: The server knows semi-sync variables.
              returned: always
              type: bool
            source_enabled:
              description: Source side enabled.
              returned: always
              type: bool
            source_status:
              description: Source side active (false = degraded to async).
              returned: always
              type: bool
            source_clients:
              description: Semi-sync replicas connected.
              returned: always
              type: int
            source_timeout_ms:
              description: rpl_semi_sync_*_timeout. Null when not applicable.
              returned: always
              type: int
            wait_point:
              description: AFTER_SYNC / AFTER_COMMIT. Null when not applicable.
              returned: always
              type: str
            wait_for_replica_count:
              description: Acks waited for.
              returned: always
              type: int
            no_tx:
              description: Commits not acknowledged.
              returned: always
              type: int
            yes_tx:
              description: Commits acknowledged.
              returned: always
              type: int
            replica_enabled:
              description: Replica side enabled.
              returned: always
              type: bool
            replica_status:
              description: Replica side active.
              returned: always
              type: bool
        galera:
          description: Galera state; null when not a Galera node. Null when not applicable.
          returned: always
          type: dict
          contains:
            cluster_name:
              description: wsrep_cluster_name. Null when not applicable.
              returned: always
              type: str
            node_name:
              description: wsrep_node_name. Null when not applicable.
              returned: always
              type: str
            cluster_size:
              description: wsrep_cluster_size.
              returned: always
              type: int
            cluster_status:
              description: Primary, Non-Primary or Disconnected. Null when not applicable.
              returned: always
              type: str
            cluster_state_uuid:
              description: wsrep_cluster_state_uuid. Null when not applicable.
              returned: always
              type: str
            cluster_conf_id:
              description: wsrep_cluster_conf_id. Null when not applicable.
              returned: always
              type: int
            local_state:
              description: wsrep_local_state. Null when not applicable.
              returned: always
              type: int
            local_state_comment:
              description: Synced, Donor/Desynced, Joining, ... Null when not applicable.
              returned: always
              type: str
            local_index:
              description: wsrep_local_index. Null when not applicable.
              returned: always
              type: int
            ready:
              description: wsrep_ready.
              returned: always
              type: bool
            connected:
              description: wsrep_connected.
              returned: always
              type: bool
            desync_count:
              description: wsrep_desync_count.
              returned: always
              type: int
            flow_control_paused:
              description: wsrep_flow_control_paused.
              returned: always
              type: float
            local_recv_queue:
              description: wsrep_local_recv_queue.
              returned: always
              type: int
            local_send_queue:
              description: wsrep_local_send_queue.
              returned: always
              type: int
            incoming_addresses:
              description: wsrep_incoming_addresses.
              returned: always
              type: list
              elements: str
        group_replication:
          description: MySQL Group Replication; null when not a group member. Null when not applicable.
          returned: always
          type: dict
          contains:
            group_name:
              description: Group name. Null when not applicable.
              returned: always
              type: str
            single_primary_mode:
              description: Single-primary mode. Null when not applicable.
              returned: always
              type: bool
            member_state:
              description: This member's state. Null when not applicable.
              returned: always
              type: str
            member_role:
              description: PRIMARY or SECONDARY. Null when not applicable.
              returned: always
              type: str
            members:
              description: replication_group_members rows.
              returned: always
              type: list
              elements: dict
              contains:
                member_id:
                  description: MEMBER_ID.
                  returned: always
                  type: str
                host:
                  description: MEMBER_HOST. Null when not applicable.
                  returned: always
                  type: str
                port:
                  description: MEMBER_PORT. Null when not applicable.
                  returned: always
                  type: int
                state:
                  description: MEMBER_STATE. Null when not applicable.
                  returned: always
                  type: str
                role:
                  description: MEMBER_ROLE (8.0+). Null when not applicable.
                  returned: always
                  type: str
                version:
                  description: MEMBER_VERSION (8.0+). Null when not applicable.
                  returned: always
                  type: str
            online_members:
              description: Members ONLINE.
              returned: always
              type: int
            primaries:
              description: MEMBER_IDs with role PRIMARY.
              returned: always
              type: list
              elements: str
        heartbeat:
          description: pt-heartbeat lag; null unless heartbeat_table is set. Null when not applicable.
          returned: always
          type: dict
          contains:
            table:
              description: schema.table of pt-heartbeat.
              returned: always
              type: str
            lag_seconds:
              description: Now minus the newest heartbeat. Null when not applicable.
              returned: always
              type: float
            source_server_id:
              description: server_id of the heartbeat row. Null when not applicable.
              returned: always
              type: int
            ts:
              description: Heartbeat timestamp. Null when not applicable.
              returned: always
              type: str
        connections:
          description: Connection load.
          returned: always
          type: dict
          contains:
            threads_connected:
              description: Threads_connected. Null when not applicable.
              returned: always
              type: int
            threads_running:
              description: Threads_running. Null when not applicable.
              returned: always
              type: int
            max_connections:
              description: max_connections. Null when not applicable.
              returned: always
              type: int
            max_used_connections:
              description: Max_used_connections. Null when not applicable.
              returned: always
              type: int
        uptime:
          description: Seconds since start. Null when not applicable.
          returned: always
          type: int
        replica_net_timeout:
          description: replica_net_timeout / slave_net_timeout. Null when not applicable.
          returned: always
          type: int
        collection:
          description: How the facts were gathered.
          returned: always
          type: dict
          contains:
            duration_ms:
              description: Time spent collecting.
              returned: always
              type: float
            connect_ms:
              description: Time spent connecting (replication_facts).
              returned: always
              type: float
            round_trips:
              description: Client/server round trips of the collection.
              returned: always
              type: int
            statements:
              description: Statements run.
              returned: always
              type: int
            errors:
              description: Statements that failed for other reasons.
              returned: always
              type: list
              elements: dict
              contains:
                statement:
                  description: The statement (shortened).
                  returned: always
                  type: str
                errno:
                  description: Server error number. Null when not applicable.
                  returned: always
                  type: int
                message:
                  description: Server error text.
                  returned: always
                  type: str
            missing_privileges:
              description: What the login could not see.
              returned: always
              type: list
              elements: dict
              contains:
                statement:
                  description: The statement the login could not run (shortened).
                  returned: always
                  type: str
                privileges:
                  description: Privileges that would allow it (any one of them).
                  returned: always
                  type: list
                  elements: str
                errno:
                  description: Server error number.
                  returned: always
                  type: int
                message:
                  description: Server error text.
                  returned: always
                  type: str
            warnings:
              description: Version warnings.
              returned: always
              type: list
              elements: str
            tls:
              description: TLS of this collector's connection; null when plain (replication_facts). Null
                when not applicable.
              returned: always
              type: dict
              contains:
                version:
                  description: TLS version.
                  returned: always
                  type: str
                cipher:
                  description: Cipher. Null when not applicable.
                  returned: always
                  type: str
            collected_at:
              description: When the facts were read, in seconds since the epoch (UTC); mysqlha eval counts
                facts older than --max-age as a member that did not report. Null when not applicable.
              returned: always
              type: float
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import gather_replication
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import PYMYSQL_IMPORT_ERROR, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection_args import (
    connection_argument_spec,
    connection_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError, failure_fields


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        heartbeat_table=dict(type="str"),
        heartbeat_server_id=dict(type="int"),
        heartbeat_utc=dict(type="bool", default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if PYMYSQL_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=str(PYMYSQL_IMPORT_ERROR))
    try:
        params = resolve_params(connection_params(module.params))
        facts = gather_replication(
            params,
            heartbeat_table=module.params["heartbeat_table"],
            heartbeat_server_id=module.params["heartbeat_server_id"],
            heartbeat_utc=module.params["heartbeat_utc"],
        )
    except MysqlhaError as exc:
        module.fail_json(msg=str(exc), **failure_fields(exc))
    for warning in facts["collection"]["warnings"]:
        module.warn(warning)
    module.exit_json(changed=False, ansible_facts={"mysql_replication": facts})


if __name__ == "__main__":
    main()
