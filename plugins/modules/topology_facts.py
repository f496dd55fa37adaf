#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: topology_facts
short_description: Gather every member of a MySQL/MariaDB cluster and tell a dead primary from a hung or unreachable one
version_added: 0.1.0
description:
  - Gathers the replication facts of every member concurrently and analyses the cluster as a whole
    (the primary, the replica tree, writable members, errant GTIDs per replica, lag to the primary).
  - C(cluster.analysis.code) is the most severe finding. C(primary_dead) only when this host cannot reach the primary
    (refused, or no TCP answer) and every reachable replica reports its IO thread unable to connect to it.
    C(primary_unreachable) when a replica still streams from it. C(primary_hung) when the primary accepts TCP
    but does not complete the handshake or answer within O(connect_timeout) (automatic failover is dangerous then);
    never C(primary_dead). C(primary_overloaded) when it answers with too many connections.
  - A member that cannot be reached is part of the result, not a task failure.
  - The result follows the JSON Schema C(engine/schemas/mysql_topology.schema.json) of this collection.
author:
  - dbaops team (@dbaops)
extends_documentation_fragment:
  - dbaops.mysql_ha.connection
options:
  members:
    description:
      - The cluster's servers as C(host:port) (or C(host) for port 3306). Every member is reached with the same login
        and TLS options; O(login_host), O(login_port) and O(login_unix_socket) are not used.
    type: list
    elements: str
    required: true
  cluster_name:
    description:
      - Name of the cluster, copied to C(cluster.name).
    type: str
  known_primary:
    description:
      - C(host:port) of the member last known as primary; used only when the members themselves do not tell
        (for example no replica is configured at all).
    type: str
  known_state:
    description:
      - The previous result of this module (or its C(cluster)), for a caller that polls. A primary last seen hung
        stays C(primary_hung) until it gives evidence of death (a refusal on its MySQL port, or a silent host with
        every replica agreeing), never dead by time alone; C(cluster.primary_hung_since) carries over.
    type: dict
  liveness_port:
    description:
      - When a member's MySQL port gives no TCP answer, one TCP connect to this port of the same host tells a live
        kernel (RST or SYN-ACK) from a silent host. A live kernel means the process is there but not accepting (a
        frozen mysqld whose accept queue is full), so C(hung), never C(dead). The default, port 1, is closed nearly
        everywhere (a live kernel answers RST); a port known open such as 22 works too. Costs one connect bounded by
        O(connect_timeout), only after a failure. V(0) disables the probe.
    type: int
    default: 1
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing.
"""

EXAMPLES = r"""
- name: Analyse the production cluster
  dbaops.mysql_ha.topology_facts:
    cluster_name: prod-main
    members: ["10.0.1.10:3306", "10.0.1.11:3306", "10.0.1.12:3306"]
    login_user: monitor
    login_password: "{{ vault_monitor_password }}"
    connect_timeout: 2
  register: topo

- name: Stop the play when the primary is really dead
  ansible.builtin.fail:
    msg: "{{ topo.cluster.analysis.details.primary_dead }}"
  when: topo.cluster.analysis.code == 'primary_dead'
"""

RETURN = r"""
cluster:
  description: Cluster analysis (docs/analysis.md).
  returned: always
  type: dict
  contains:
    name:
      description: Cluster name. Null when not applicable.
      returned: always
      type: str
    kind:
      description: replication, galera or group_replication.
      returned: always
      type: str
    primary:
      description: Address of the primary (also when it is down), null when none can be told. Null when
        not applicable.
      returned: always
      type: str
    primary_reachability:
      description: ok, or how the primary failed (refused, unreachable, hung, overloaded, ...). Null when
        not applicable.
      returned: always
      type: str
    replicas:
      description: Members that replicate from another member.
      returned: always
      type: list
      elements: str
    tree:
      description: source -> direct replicas.
      returned: always
      type: dict
    roots:
      description: Sources that replicate from no member.
      returned: always
      type: list
      elements: str
    external_sources:
      description: replica -> sources outside the member list.
      returned: always
      type: dict
    writable:
      description: Reachable members with read_only OFF.
      returned: always
      type: list
      elements: str
    unreachable:
      description: Members that could not be read.
      returned: always
      type: list
      elements: str
    errant_gtids:
      description: replica -> GTIDs it executed that the primary does not have.
      returned: always
      type: dict
    errant_gtid_counts:
      description: replica -> number of errant transactions.
      returned: always
      type: dict
    lag_to_primary:
      description: replica -> seconds behind the primary over the chain; null when unknown.
      returned: always
      type: dict
    transactions_behind:
      description: replica -> primary transactions not yet executed (GTID).
      returned: always
      type: dict
    size:
      description: Members asked.
      returned: always
      type: int
    reachable_count:
      description: Members read.
      returned: always
      type: int
    member_reachability:
      description: member -> ok, or how it failed (refused, unreachable, hung, overloaded, auth, tls,
        lost, error).
      returned: always
      type: dict
    healthy_replica_count:
      description: Reachable direct replicas of the primary whose IO and SQL threads run; null when there
        is no primary. Null when not applicable.
      returned: always
      type: int
    primary_hung_since:
      description: When the primary was first seen hung (epoch seconds), carried over from known_state;
        null unless primary_hung. Null when not applicable.
      returned: always
      type: float
    primary_hung_seconds:
      description: How long the primary has been hung; null unless primary_hung. Null when not applicable.
      returned: always
      type: float
    duration_ms:
      description: Time to gather and analyse.
      returned: always
      type: float
    analysis:
      description: Failure analysis.
      returned: always
      type: dict
      contains:
        code:
          description: The most severe finding, or ok.
          returned: always
          type: str
        codes:
          description: Every finding, most severe first.
          returned: always
          type: list
          elements: str
        details:
          description: code -> explanation naming the hosts.
          returned: always
          type: dict
members:
  description: address -> mysql_replication facts, or an unreachable record.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import PYMYSQL_IMPORT_ERROR, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection_args import (
    connection_argument_spec,
    connection_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import gather_topology, parse_member


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        members=dict(type="list", elements="str", required=True),
        cluster_name=dict(type="str"),
        known_primary=dict(type="str"),
        known_state=dict(type="dict"),
        liveness_port=dict(type="int", default=1),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if PYMYSQL_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=str(PYMYSQL_IMPORT_ERROR))
    if not module.params["members"]:
        module.fail_json(msg="members must name at least one server (host:port)")
    try:
        member_params = []
        for member in module.params["members"]:
            host, port = parse_member(member)
            member_params.append(resolve_params(connection_params(module.params, host=host, port=port)))
    except MysqlhaError as exc:
        module.fail_json(msg=str(exc))
    if not 0 <= module.params["liveness_port"] < 65536:
        module.fail_json(msg="liveness_port must be from 0 (no probe) to 65535")
    result = gather_topology(member_params, name=module.params["cluster_name"],
                             known_primary=module.params["known_primary"], known_state=module.params["known_state"],
                             liveness_port=module.params["liveness_port"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
