#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: security_facts
short_description: Accounts, TLS, audit and CIS/dev-sec settings of a MySQL or MariaDB server, with findings
version_added: 0.1.0
description:
  - Gathers C(ansible_facts.mysql_security) in one round trip, checks every control of the collection's catalogue
    against it and returns the failed ones in C(findings), each with a control id, severity, evidence, remediation and
    its CIS Oracle MySQL 8.0 Benchmark section and dev-sec mysql-baseline control.
  - Never returns a password hash, only whether an account has a password.
  - A login that cannot read C(mysql.user) gets partial facts, C(accounts) null, the account controls C(unknown) and
    the missing privilege in C(collection.missing_privileges).
  - The facts follow the JSON Schema C(engine/schemas/mysql_security.schema.json) of this collection.
author:
  - dbaops team (@dbaops)
extends_documentation_fragment:
  - dbaops.mysql_ha.connection
options:
  admin_accounts:
    description:
      - Accounts (C(user) or C(user@host)) allowed to hold server-wide privileges (SUPER, ALL, GRANT OPTION, FILE,
        PROCESS, SHUTDOWN, CREATE USER, RELOAD). C(root) always is.
    type: list
    elements: str
    default: []
  monitor_accounts:
    description:
      - Monitoring accounts (C(user) or C(user@host)); they may hold C(PROCESS), which the replication collector needs
        to see connected replicas, and no other server-wide privilege.
    type: list
    elements: str
    default: [mysqlha_monitor]
  replication_accounts:
    description:
      - Accounts replicas log in with; besides these, any account with REPLICATION SLAVE and without ALL is one.
    type: list
    elements: str
    default: []
  cert_warn_days:
    description:
      - The server certificate fails C(tls_cert_expiry) when it expires in fewer days than this.
    type: int
    default: 30
  skip_controls:
    description:
      - Control ids not to check. An unknown id is an error.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode changes nothing.
"""

EXAMPLES = r"""
- name: Security facts and findings
  dbaops.mysql_ha.security_facts:
    login_host: db1.example.com
    admin_accounts: [dba_admin]
  register: security

- name: Fail on critical findings
  ansible.builtin.assert:
    that: security.ansible_facts.mysql_security.findings | selectattr('severity', 'equalto', 'critical') | list | length == 0
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host's facts.
  returned: always
  type: dict
  contains:
    mysql_security:
      description: mysql_security facts of one server.
      returned: always
      type: dict
      contains:
        instance:
          description: host:port the facts are about.
          returned: always
          type: str
        flavor:
          description: mysql or mariadb.
          returned: always
          type: str
        version:
          description: major.minor.patch
          returned: always
          type: str
        accounts:
          description: Every account; null when the login cannot read mysql.user. Null when not applicable.
          returned: always
          type: list
          elements: dict
          contains:
            user:
              description: User name ('' for anonymous).
              returned: always
              type: str
            host:
              description: Host pattern.
              returned: always
              type: str
            plugin:
              description: Authentication plugin. Null when not applicable.
              returned: always
              type: str
            no_password:
              description: No password is set (the hash itself is never returned).
              returned: always
              type: bool
            ssl_type:
              description: 'REQUIRE clause: ANY, X509, SPECIFIED; null for none. Null when not applicable.'
              returned: always
              type: str
            locked:
              description: Account locked.
              returned: always
              type: bool
            is_role:
              description: A MariaDB role, not a login.
              returned: always
              type: bool
            max_user_connections:
              description: Per-account connection limit. Null when not applicable.
              returned: always
              type: int
            privileges:
              description: Global privileges (mysql.user columns; ALL when every one is held; MySQL 8
                dynamic privileges).
              returned: always
              type: list
              elements: str
        tls:
          description: Server TLS.
          returned: always
          type: dict
          contains:
            enabled:
              description: have_ssl = YES.
              returned: always
              type: bool
            have_ssl:
              description: have_ssl. Null when not applicable.
              returned: always
              type: str
            versions:
              description: tls_version.
              returned: always
              type: list
              elements: str
            require_secure_transport:
              description: require_secure_transport; null when the server has no such variable. Null when
                not applicable.
              returned: always
              type: bool
            cert_file:
              description: ssl_cert. Null when not applicable.
              returned: always
              type: str
            ca_file:
              description: ssl_ca. Null when not applicable.
              returned: always
              type: str
            cert_not_after:
              description: Server certificate expiry. Null when not applicable.
              returned: always
              type: str
            cert_days_left:
              description: Days until the server certificate expires. Null when not applicable.
              returned: always
              type: int
            connection:
              description: TLS of the collector's connection. Null when not applicable.
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
        audit:
          description: Audit logging.
          returned: always
          type: dict
          contains:
            plugin:
              description: server_audit or audit_log, when active. Null when not applicable.
              returned: always
              type: str
            enabled:
              description: Audit logging on.
              returned: always
              type: bool
            events:
              description: Logged events (server_audit_events / audit_log_policy).
              returned: always
              type: list
              elements: str
            output:
              description: file or syslog. Null when not applicable.
              returned: always
              type: str
            file:
              description: Audit log file. Null when not applicable.
              returned: always
              type: str
            rotate_size:
              description: Rotation size in bytes. Null when not applicable.
              returned: always
              type: int
            rotations:
              description: Rotated files kept. Null when not applicable.
              returned: always
              type: int
        password_policy:
          description: Password policy.
          returned: always
          type: dict
          contains:
            validation:
              description: Active password validation (plugin or component names). Null when not applicable.
              returned: always
              type: str
            plugins:
              description: Active password validation plugins.
              returned: always
              type: list
              elements: str
            default_lifetime_days:
              description: default_password_lifetime (0 = never). Null when not applicable.
              returned: always
              type: int
            strict_validation:
              description: strict_password_validation (MariaDB). Null when not applicable.
              returned: always
              type: bool
        settings:
          description: Server settings of the CIS benchmark and dev-sec baseline.
          returned: always
          type: dict
          contains:
            local_infile:
              description: local_infile. Null when not applicable.
              returned: always
              type: bool
            secure_file_priv:
              description: secure_file_priv ('' = anywhere). Null when not applicable.
              returned: always
              type: str
            have_symlink:
              description: have_symlink. Null when not applicable.
              returned: always
              type: str
            log_error:
              description: log_error. Null when not applicable.
              returned: always
              type: str
            sql_mode:
              description: sql_mode. Null when not applicable.
              returned: always
              type: str
            skip_name_resolve:
              description: skip_name_resolve. Null when not applicable.
              returned: always
              type: bool
            skip_networking:
              description: skip_networking. Null when not applicable.
              returned: always
              type: bool
            bind_address:
              description: bind_address. Null when not applicable.
              returned: always
              type: str
            max_connections:
              description: max_connections. Null when not applicable.
              returned: always
              type: int
            max_user_connections:
              description: max_user_connections. Null when not applicable.
              returned: always
              type: int
        test_databases:
          description: test / test_* schemas and mysql.db grants on them; null when the login cannot see
            every schema. Null when not applicable.
          returned: always
          type: list
          elements: str
        replication_channels:
          description: TLS of each replication channel; null when the login cannot see replica status.
            Null when not applicable.
          returned: always
          type: list
          elements: dict
          contains:
            name:
              description: Channel name.
              returned: always
              type: str
            source_host:
              description: Source host. Null when not applicable.
              returned: always
              type: str
            ssl:
              description: As in mysql_replication channels.
              returned: always
              type: dict
        policy:
          description: The policy the controls were checked against (admin_accounts, replication_accounts,
            cert_warn_days).
          returned: always
          type: dict
        controls:
          description: 'control id -> {status, evidence, title, severity, remediation, references}: every
            control of the server''s flavor, whatever its status (facts from before 0.3.0 carry status
            and evidence only).'
          returned: always
          type: dict
        findings:
          description: Failed controls, most severe first.
          returned: always
          type: list
          elements: dict
          contains:
            control:
              description: Control id (see the catalogue).
              returned: always
              type: str
            title:
              description: What the control asks.
              returned: always
              type: str
            severity:
              description: critical, high, medium or low.
              returned: always
              type: str
            evidence:
              description: What was seen, naming accounts or settings.
              returned: always
              type: str
            remediation:
              description: What a DBA runs to fix it.
              returned: always
              type: str
            references:
              description: 'Benchmark sections: cis_mysql_8 (CIS Oracle MySQL 8.0), cis_mariadb_10_11
                (CIS MariaDB 10.11, MariaDB servers only), devsec (dev-sec mysql-baseline control id).'
              returned: always
              type: dict
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

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import gather_security
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import PYMYSQL_IMPORT_ERROR, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection_args import (
    connection_argument_spec,
    connection_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import control_by_id
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError, failure_fields


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        admin_accounts=dict(type="list", elements="str", default=[]),
        replication_accounts=dict(type="list", elements="str", default=[]),
        monitor_accounts=dict(type="list", elements="str", default=["mysqlha_monitor"]),
        cert_warn_days=dict(type="int", default=30),
        skip_controls=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if PYMYSQL_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=str(PYMYSQL_IMPORT_ERROR))
    for control_id in module.params["skip_controls"]:
        try:
            control_by_id(control_id)
        except KeyError as exc:
            module.fail_json(msg="skip_controls: %s" % exc.args[0])
    policy = dict(admin_accounts=module.params["admin_accounts"], replication_accounts=module.params["replication_accounts"],
                  monitor_accounts=module.params["monitor_accounts"],
                  cert_warn_days=module.params["cert_warn_days"], skip_controls=module.params["skip_controls"])
    try:
        facts = gather_security(resolve_params(connection_params(module.params)), policy=policy)
    except MysqlhaError as exc:
        module.fail_json(msg=str(exc), **failure_fields(exc))
    module.exit_json(changed=False, ansible_facts={"mysql_security": facts})


if __name__ == "__main__":
    main()
