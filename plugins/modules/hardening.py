#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: hardening
short_description: Apply a hardening profile to a MySQL or MariaDB server as desired state
version_added: 0.1.0
description:
  - Reads the server's security facts, plans the change each control of the profile needs, and applies it.
    Without changes needed it reports C(changed=false).
  - Controls (ids of the catalogue shown by M(dbaops.mysql_ha.security_facts)) C(anonymous_accounts), C(remote_root),
    C(test_database), C(local_infile), C(remote_accounts_tls), C(require_secure_transport), C(audit_log),
    C(password_validation), C(password_lifetime), C(sql_mode_strict), C(symbolic_links), C(secure_file_priv).
    Every one is on by default; O(profile) switches them off or tunes them.
  - Settings that must survive a restart are also written to O(config_fragment); settings the server reads only at
    start-up are written there and reported as C(needs_restart).
  - Refuses, before changing anything, a change that would lock out the account it runs as (requiring TLS while
    connected without it, dropping or REQUIRE SSL-ing its own account, expiring its password) or every client
    (requiring TLS on a server without TLS), or cut off a service account named in the profile (dropping it,
    requiring TLS of it or of every client while it does not require TLS itself, expiring its password).
  - A new C(default_password_lifetime) (control C(password_lifetime)) expires at once every account whose password
    is older than the lifetime or has no recorded change time (every account C(mariadb-install-db) makes, and
    accounts carried over from versions without password expiry); their logins then fail with ERROR 1820 until the
    password is changed. The module lists those accounts and, unless O(allow_password_expiry=true), refuses.
  - C(test_database) drops the C(test) database (refused when it holds tables) and the grants C(mariadb-install-db)
    makes for test databases (C(mysql.db) rows C(test) and C(test\_%)); other databases whose names start with C(test)
    are left for a DBA, with a warning.
  - C(secure_file_priv) is refused, with O(config_fragment), when its directory does not exist on this host, since the
    server would not start after the next restart (unless O(secure_file_priv_managed=true)).
  - Every refusal is collected before the task fails, so one run names them all, each with its ways out (the fix, or
    the profile entry that switches the control off); the failed result also holds RV(refused) and the plan of the
    other controls in RV(controls).
  - When a statement fails, the task fails naming the control, the controls applied before it and those not applied.
author:
  - dbaops team (@dbaops)
extends_documentation_fragment:
  - dbaops.mysql_ha.connection
options:
  profile:
    description:
      - Control id to V(true)/V(false) or to a mapping with C(enabled) and the control's parameters
        (C(audit_log) C(events), C(rotations), C(rotate_size); C(password_lifetime) C(days);
        C(secure_file_priv) C(path)). Unknown ids and parameters are errors.
      - C(service_accounts) (not a control) lists the accounts applications, replicas and agents log in with, as
        C(user@host) (exactly as in C(mysql.user)) or C(user) (every host of that user). The module refuses any
        change that could cut one of them off.
    type: dict
    default: {}
  allow_password_expiry:
    description:
      - Accept that the new C(default_password_lifetime) expires, at once, the passwords of the accounts it lists
        (returned in RV(expired_accounts) and shown in the diff). Never applies to the account the task is logged
        in as or to a service account of the profile; those are always refused.
    type: bool
    default: false
  config_fragment:
    description:
      - Option file fragment this module owns (for example C(/etc/mysql/mariadb.conf.d/99-hardening.cnf)).
        Without it, changes are made at runtime only and start-up-only controls are skipped.
    type: path
  config_section:
    description:
      - Section of O(config_fragment); C(mariadbd) for MariaDB and C(mysqld) for MySQL by default.
    type: str
  secure_file_priv_managed:
    description:
      - The caller creates the C(secure_file_priv) directory before the server restarts (the role
        C(dbaops.mysql_ha.hardening) does; in check mode its task only reports that it would). With V(true), a missing
        directory is planned, noted in the control's summary and warned about, instead of refused.
      - Leave V(false) when nothing else creates the directory, so that the server is never pointed at a missing one.
    type: bool
    default: false
  tls_pending:
    description:
      - Check mode only. The caller has deployed TLS files that the server loads at a restart it makes before this
        task runs for real (the role C(dbaops.mysql_ha.hardening) does). In check mode, where that restart has not
        happened, the TLS controls are planned as if the server had TLS and this login (unless O(ssl_mode=disabled))
        connected over it, with a warning, instead of refused.
      - Ignored outside check mode, where the server itself is checked.
    type: bool
    default: false
  admin_accounts:
    description:
      - As in M(dbaops.mysql_ha.security_facts), accounts (C(user) or C(user@host)) allowed to hold server-wide
        privileges, so that RV(findings_after) does not report them under C(excess_privileges). The module never
        revokes privileges (a DBA decides that).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports what would change and changes nothing.
  diff_mode:
    support: full
    description: Shows before and after of each control and of the option file fragment.
"""

EXAMPLES = r"""
- name: Harden, keeping the default profile but a shorter password lifetime
  dbaops.mysql_ha.hardening:
    login_host: db1.example.com
    ssl_mode: verify_ca
    ssl_ca: /etc/mysql/ca.pem
    config_fragment: /etc/mysql/mariadb.conf.d/99-hardening.cnf
    profile:
      password_lifetime: {days: 180}
      secure_file_priv: false
  register: hardened

- name: Harden, naming the accounts applications use; refuse anything that could cut them off
  dbaops.mysql_ha.hardening:
    login_unix_socket: /run/mysqld/mysqld.sock
    config_fragment: /etc/mysql/mariadb.conf.d/99-hardening.cnf
    profile:
      service_accounts: ["app@10.0.1.%", "repl@10.0.1.%", "mysqlha_monitor"]

- name: Restart when a start-up-only setting changed
  ansible.builtin.service:
    name: mariadb
    state: restarted
  when: hardened.needs_restart
"""

RETURN = r"""
controls:
  description: Control id -> what happened to it.
  returned: always
  type: dict
  contains:
    status:
      description: C(changed), C(ok), C(needs_restart) (written to the fragment, read at start-up), C(skipped) or C(disabled).
      type: str
      returned: always
    summary:
      description: What the control changes.
      type: str
      returned: when changed
    note:
      description: What the change does to applications (strict sql_mode, password lifetime, permanent audit, ...).
      type: str
      returned: when the control changes and has such an effect
    statements:
      description: SQL run (or, in check mode, that would run), with its values; passwords shown as '***'.
      type: list
      elements: str
      returned: when changed
    expires:
      description: C(password_lifetime) only; the accounts whose password the new lifetime expires at once, with why.
      type: list
      elements: str
      returned: when the new lifetime expires accounts (only with allow_password_expiry)
expired_accounts:
  description:
    - Accounts (C('user'@'host')) whose password the new C(default_password_lifetime) expired at once (in check mode,
      would expire). Empty when it expires none.
  returned: always
  type: list
  elements: str
refused:
  description:
    - On failure only. Control id -> why it was refused and the ways out. RV(controls) then holds the plan of the other
      controls (status C(refused) for these).
  returned: when controls were refused
  type: dict
needs_restart:
  description: A setting only takes effect after a restart.
  returned: always
  type: bool
applied:
  description: Controls whose statements ran, in order.
  returned: always
  type: list
  elements: str
findings_after:
  description: Findings of the catalogue after the change (not in check mode).
  returned: when not in check mode
  type: list
  elements: dict
fragment:
  description: Path and content of the option file fragment.
  returned: when config_fragment is set
  type: dict
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import collect_security
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import PYMYSQL_IMPORT_ERROR, connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection_args import (
    connection_argument_spec,
    connection_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import assess
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import dialect_class, parse_version, resolve
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.expiry import read_password_ages
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.plan import (
    DEFAULT_PROFILE,
    IMPACT_NOTES,
    HardeningError,
    apply_plan,
    parse_fragment,
    plan_hardening,
    render_fragment,
    test_database_scope,
    validate_profile,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.sqltext import statement_text


def read_text(path):
    if not path or not os.path.exists(path):
        return ""
    with open(path) as handle:
        return handle.read()


def write_atomically(path, text):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".hardening-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def diff_text(value):
    """A control's before/after as the facts show it: ``key: value`` lines, one list item a line."""
    if isinstance(value, dict):
        return "".join("%s: %s\n" % (k, ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else _scalar(v))
                       for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return "".join("- %s\n" % (v,) for v in value) or "(none)\n"
    return "%s\n" % _scalar(value)


def _scalar(value):
    """None, booleans and the empty string as a DBA reads them, never as Python prints them."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "ON" if value else "OFF"
    return "''" if value == "" else value


def controls_report(effective, actions, refused=None):
    """Control id -> {status, summary, statements, ...} for the result."""
    controls = dict((c, {"status": "ok" if effective[c]["enabled"] else "disabled"}) for c in DEFAULT_PROFILE)
    for action in actions:
        controls[action.control] = {"status": "needs_restart" if action.restart else "changed", "summary": action.summary,
                                    "statements": [statement_text(sql, params) for sql, params in action.statements],
                                    "settings": action.settings}
        if action.control in IMPACT_NOTES:
            controls[action.control]["note"] = IMPACT_NOTES[action.control]
        if action.expires:
            controls[action.control]["expires"] = ["%s (%s)" % (a["account"], a["reason"]) for a in action.expires]
    for control, why in (refused or {}).items():
        controls[control] = {"status": "refused", "summary": why}
    return controls


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        profile=dict(type="dict", default={}),
        config_fragment=dict(type="path"),
        config_section=dict(type="str"),
        # "password" in the name is not a secret: say so, or Ansible warns on every run.
        allow_password_expiry=dict(type="bool", default=False, no_log=False),
        secure_file_priv_managed=dict(type="bool", default=False),
        tls_pending=dict(type="bool", default=False),
        admin_accounts=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if PYMYSQL_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=str(PYMYSQL_IMPORT_ERROR))
    fragment_path = module.params["config_fragment"]
    # As security_facts takes it: the accounts allowed server-wide powers (findings_after).
    policy = dict(admin_accounts=module.params["admin_accounts"])
    try:
        effective = validate_profile(module.params["profile"])
        params = resolve_params(connection_params(module.params))
        with connect(params, multi_statements=True) as session:
            facts = collect_security(session, instance=params.address, policy=policy)
            who = session.query("SELECT CURRENT_USER() AS me")[0]["me"]
            user, _sep, host = who.rpartition("@")
            fragment_before = read_text(fragment_path)
            dialect = resolve(parse_version(session.server_version, address=params.address))
            try:
                password_ages = read_password_ages(session, dialect)
            except MysqlhaError:
                password_ages = None    # the plan refuses a lifetime change it cannot check
            test_tables = None
            if "test" in (facts.get("test_databases") or ()):
                test_tables = [r["TABLE_NAME"] for r in session.query(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'test'")]
            # Check mode of a play that deploys TLS and restarts the server before this task: plan with that TLS.
            tls_pending = bool(module.check_mode and module.params["tls_pending"]
                               and not (facts.get("tls") or {}).get("enabled"))
            connected_tls = session.tls is not None or (tls_pending and module.params["ssl_mode"] != "disabled")
            context = {"current_user": (user, host), "tls": connected_tls, "flavor": facts["flavor"],
                       "fragment": parse_fragment(fragment_before),
                       "persist_with_sql": dialect.persists_with_sql,
                       "password_ages": password_ages,
                       "allow_password_expiry": module.params["allow_password_expiry"],
                       "test_tables": test_tables,
                       # The fragment is read by the server on this host: its directories must exist here.
                       "is_dir": os.path.isdir if fragment_path else None,
                       "secure_file_priv_managed": module.params["secure_file_priv_managed"],
                       "tls_pending": tls_pending}
            actions = plan_hardening(facts, module.params["profile"], context)
            if not fragment_path:
                skipped = [a for a in actions if a.restart]
                # Without the fragment, an action that would only persist a setting has nothing to do.
                actions = [a for a in actions if not a.restart and a.statements]
            else:
                skipped = []
            applied = []
            if not module.check_mode:
                applied = apply_plan(session, actions)
            findings_after = None if module.check_mode else assess(collect_security(session, instance=params.address,
                                                                                    policy=policy))["findings"]
    except HardeningError as exc:
        if exc.refused:
            module.fail_json(msg=str(exc), refused=exc.refused, changed=False,
                             controls=controls_report(validate_profile(module.params["profile"]), exc.actions, exc.refused))
        module.fail_json(msg=str(exc))
    except MysqlhaError as exc:
        module.fail_json(msg=str(exc), reachability=getattr(exc, "kind", "error"))

    section = module.params["config_section"] or dialect_class(facts["flavor"]).option_group
    fragment_after = render_fragment(fragment_before, actions, section) if fragment_path else ""
    fragment_changed = bool(fragment_path) and any(a.settings for a in actions) and fragment_after != fragment_before
    if fragment_changed and not module.check_mode:
        try:
            write_atomically(fragment_path, fragment_after)
        except OSError as exc:
            module.fail_json(msg="controls %s were applied at runtime, but %s could not be written: %s"
                             % (", ".join(applied) or "none", fragment_path, exc.strerror or exc), applied=applied)

    controls = controls_report(effective, actions)
    expired_accounts = [a["account"] for action in actions for a in action.expires]
    if expired_accounts:
        module.warn("default_password_lifetime %s the passwords of %s at once (allow_password_expiry); their logins fail "
                    "with ERROR 1820 until the passwords are changed"
                    % ("would expire" if module.check_mode else "expired", ", ".join(expired_accounts)))
    for action in skipped:
        controls[action.control] = {"status": "skipped", "summary": action.summary + " (set config_fragment to persist it)"}
        module.warn("control %s needs a restart-time setting; set config_fragment to manage it" % action.control)
    if effective["test_database"]["enabled"]:
        left = test_database_scope(facts.get("test_databases") or [])[2]
        if left:
            module.warn("control test_database: left %s for a DBA; only `test` and the grants mariadb-install-db makes "
                        "for test databases are removed automatically" % ", ".join(left))
    unpersisted = [a.control for a in actions if a.settings and not fragment_path]
    if unpersisted:
        # Applied at runtime only: a restart would undo them.
        if module.check_mode:
            module.warn("controls %s would be set at runtime only, and a restart would undo them; set config_fragment "
                        "to persist them" % ", ".join(unpersisted))
        else:
            module.warn("controls %s were set at runtime only and a restart will undo them; set config_fragment "
                        "to persist them" % ", ".join(unpersisted))
    if tls_pending:
        module.warn("check mode: %s has no TLS yet; the TLS controls were planned as if it had the TLS the play deploys "
                    "and restarts it with (tls_pending)" % params.address)
    secure_file_priv = effective["secure_file_priv"]
    if controls["secure_file_priv"]["status"] == "needs_restart" and not os.path.isdir(secure_file_priv["path"]):
        module.warn("secure_file_priv: %s does not exist on this host yet; create it before the server restarts, or the "
                    "server will not start (secure_file_priv_managed)" % secure_file_priv["path"])
    result = dict(
        # A start-up-only setting already in the fragment is pending a restart, not a change.
        changed=any(a.statements for a in actions) or fragment_changed,
        controls=controls,
        applied=applied,
        expired_accounts=expired_accounts,
        needs_restart=any(a.restart for a in actions),
    )
    if findings_after is not None:
        result["findings_after"] = findings_after
    if fragment_path:
        result["fragment"] = {"path": fragment_path, "content": fragment_after}
    if module._diff:
        diff = [{"before_header": "%s (%s)" % (a.control, params.address), "after_header": "%s (%s)" % (a.control, params.address),
                 "before": diff_text(a.before), "after": diff_text(a.after)} for a in actions]
        if fragment_changed:
            diff.append({"before_header": fragment_path, "after_header": fragment_path,
                         "before": fragment_before, "after": fragment_after})
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
