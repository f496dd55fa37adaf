#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: monitor_user
short_description: A least-privilege monitoring account with exactly the grants the collectors need
version_added: 0.1.0
description:
  - Creates or converges a monitoring account whose grants are derived, per flavour and version, from the statements
    M(dbaops.mysql_ha.replication_facts) and M(dbaops.mysql_ha.security_facts) run (see C(docs/privileges.md)).
    Extra grants are revoked, TLS is required, and the account gets a connection limit.
  - On MariaDB 10.5.9 and later the replication collector needs C(SLAVE MONITOR), C(BINLOG MONITOR) and C(PROCESS);
    the security collector adds C(SHOW DATABASES) and C(SELECT) on C(mysql.user), C(mysql.global_priv) and
    C(mysql.db), which lets the account read password hashes. Use O(collectors=[replication]) to avoid that.
  - Refuses to change the account it is logged in as.
  - Refuses O(require_tls=true) on a server without TLS (C(have_ssl) not C(YES), for example no certificate), since the
    account could never log in. Warns when it makes an existing account require TLS (its clients that connect
    without TLS are refused from then on), and when it cannot tell whether the server has TLS.
author:
  - dbaops team (@dbaops)
extends_documentation_fragment:
  - dbaops.mysql_ha.connection
options:
  name:
    description: The monitoring account's user name.
    type: str
    default: mysqlha_monitor
  host:
    description: Host part of the account; a wildcard host is a finding of the catalogue, so name the monitoring hosts.
    type: str
    required: true
  password:
    description: Password, needed to create the account. Never returned or logged.
    type: str
  update_password:
    description: V(on_create) sets the password only when creating; V(always) sets it on every run (and reports a change).
    type: str
    choices: [on_create, always]
    default: on_create
  collectors:
    description: Which collectors the account serves.
    type: list
    elements: str
    choices: [replication, security]
    default: [replication, security]
  heartbeat_table:
    description: C(schema.table) of a pt-heartbeat table to grant C(SELECT) on.
    type: str
  require_tls:
    description:
      - The account must log in over TLS (C(REQUIRE SSL)). The module refuses it on a server without TLS; configure
        TLS first or set V(false).
    type: bool
    default: true
  max_user_connections:
    description: Connection limit of the account.
    type: int
    default: 5
  state:
    description: V(absent) drops the account.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    description: Reports the statements it would run and runs none.
  diff_mode:
    support: full
    description: Shows the account's grants, TLS requirement and limit before and after.
"""

EXAMPLES = r"""
- name: Monitoring account for the rule engine's hosts
  dbaops.mysql_ha.monitor_user:
    login_host: db1.example.com
    host: 10.0.9.%
    password: "{{ vault_monitor_password }}"
"""

RETURN = r"""
grants:
  description: The grants the account has now (object -> privileges).
  returned: always
  type: dict
statements:
  description: Statements run (or, in check mode, that would run) with their values in place; passwords shown as '***'.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import PYMYSQL_IMPORT_ERROR, connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection_args import (
    connection_argument_spec,
    connection_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.monitor_account import (
    desired_grants,
    plan_monitor,
    read_account,
    read_server_tls,
    refuse_tls_without_server_tls,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import HardeningError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.sqltext import statement_text


def describe(account):
    if account is None:
        return "absent\n"
    grants = "".join("  %s: %s\n" % (obj, ", ".join(sorted(privs))) for obj, privs in sorted(account["grants"].items()))
    return "require: %s\nmax_user_connections: %s\ngrants:\n%s" % (account["require"], account["max_user_connections"], grants)


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        name=dict(type="str", default="mysqlha_monitor"),
        host=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["on_create", "always"], default="on_create", no_log=False),
        collectors=dict(type="list", elements="str", choices=["replication", "security"], default=["replication", "security"]),
        heartbeat_table=dict(type="str"),
        require_tls=dict(type="bool", default=True),
        max_user_connections=dict(type="int", default=5),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if PYMYSQL_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=str(PYMYSQL_IMPORT_ERROR))
    user, host = module.params["name"], module.params["host"]
    try:
        params = resolve_params(connection_params(module.params))
        with connect(params) as session:
            me = session.query("SELECT CURRENT_USER() AS me")[0]["me"].rpartition("@")
            if (me[0], me[2]) == (user, host):
                raise HardeningError("refusing to change '%s'@'%s': it is the account this task is logged in as" % (user, host))
            dialect = resolve(parse_version(session.server_version, address=params.address))
            current = read_account(session, user, host, dialect)
            if module.params["state"] == "absent":
                statements = [("DROP USER %s@%s", (user, host))] if current is not None else []
                desired = None
            else:
                if module.params["require_tls"]:
                    tls_state = read_server_tls(session, dialect)
                    refuse_tls_without_server_tls(True, tls_state, user, host, params.address)
                    if tls_state[0] is None:
                        module.warn("could not tell whether %s has TLS (%s); '%s'@'%s' will REQUIRE SSL and cannot log in "
                                    "without it" % (params.address, tls_state[1], user, host))
                    if current is not None and current["require"] == "NONE":
                        module.warn("'%s'@'%s' %s TLS: its clients that connect without TLS are refused from then on"
                                    % (user, host, "would require" if module.check_mode else "now requires"))
                desired = desired_grants(dialect, module.params["collectors"], module.params["heartbeat_table"])
                statements = plan_monitor(current, desired, user, host, module.params["password"],
                                          module.params["require_tls"], module.params["max_user_connections"],
                                          module.params["update_password"])
            if not module.check_mode:
                for sql, args in statements:
                    session.execute(sql, args)
            after = read_account(session, user, host, dialect) if not module.check_mode else None
    except HardeningError as exc:
        module.fail_json(msg=str(exc))
    except MysqlhaError as exc:
        module.fail_json(msg=str(exc), reachability=getattr(exc, "kind", "error"))
    result = dict(changed=bool(statements), statements=[statement_text(sql, args) for sql, args in statements])
    shown = after
    if module.check_mode and desired is not None:
        shown = {"grants": desired, "require": "SSL" if module.params["require_tls"] else "NONE",
                 "max_user_connections": module.params["max_user_connections"]}
    result["grants"] = dict((obj, sorted(privs)) for obj, privs in (shown or {"grants": {}})["grants"].items())
    if module._diff:
        result["diff"] = {"before_header": "'%s'@'%s'" % (user, host), "after_header": "'%s'@'%s'" % (user, host),
                          "before": describe(current), "after": describe(shown)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
