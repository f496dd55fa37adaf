# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardening as desired state: profile -> plan (pure) -> apply.

``validate_profile`` checks the whole profile first (unknown controls, controls
that only a human can fix, bad parameters, contradictions).  ``plan_hardening``
turns ``mysql_security`` facts into one Action per control that needs a
change, refusing any change that would cut off the login it runs as or a
service account the profile names (``service_accounts``), and any change that
would expire passwords at once unless the caller opted in.  Every refusal is
collected, so one run names them all, each with its ways out (the fix, or the
profile entry that switches the control off).
``apply_plan`` executes the actions in order and stops at the first failure,
saying which controls were applied.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from contextlib import contextmanager

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import control_by_id
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import dialect_class
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.hardening.expiry import account_name, expiring_at_once
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.sqltext import statement_text

__all__ = ["Action", "HardeningError", "DEFAULT_PROFILE", "IMPACT_NOTES", "validate_profile", "plan_hardening", "apply_plan",
           "render_fragment", "parse_fragment", "test_database_scope"]

# Controls the module can apply, with their default parameters.
DEFAULT_PROFILE = {
    "anonymous_accounts": {"enabled": True},
    "remote_root": {"enabled": True},
    "test_database": {"enabled": True},
    "local_infile": {"enabled": True},
    "remote_accounts_tls": {"enabled": True},
    "require_secure_transport": {"enabled": True},
    "audit_log": {"enabled": True, "events": ["CONNECT", "QUERY_DDL", "QUERY_DCL"], "rotations": 9,
                  "rotate_size": 104857600},
    "password_validation": {"enabled": True},
    "password_lifetime": {"enabled": True, "days": 365},
    "sql_mode_strict": {"enabled": True},
    "symbolic_links": {"enabled": True},
    "secure_file_priv": {"enabled": True, "path": "/var/lib/mysql-files"},
}
# What a default does to applications: shown with each change (result, check mode) and in docs/security.md.
IMPACT_NOTES = {
    "sql_mode_strict": "STRICT_ALL_TABLES makes a write that would truncate or mangle data fail with an error, on every "
                       "engine, where it used to warn; test the applications first",
    "password_lifetime": "passwords older than the lifetime expire: those logins get ERROR 1820 until the password is "
                         "changed (the accounts it expires at once are listed)",
    "audit_log": "the option file loads server_audit as FORCE_PLUS_PERMANENT: it cannot be unloaded without a restart; "
                 "logging QUERY events costs disk and some throughput",
    "require_secure_transport": "clients that connect without TLS are refused from then on",
    "password_validation": "new passwords that do not meet the policy are refused (CREATE USER, ALTER USER, SET PASSWORD)",
    "local_infile": "LOAD DATA LOCAL INFILE fails for every client",
}
# The grants mariadb-install-db / mysql_install_db make for the test databases (mysql.db rows; `\_` is a
# literal underscore there), the rows mysql_secure_installation removes.  Nothing else that starts with
# "test" is touched: `testimonials` or `test_app` may be an application's.
TEST_GRANT_DBS = ("test", "test\\_%")
# Profile keys that are not controls.
SERVICE_ACCOUNTS = "service_accounts"
FRAGMENT_HEADER = "# Managed by dbaops.mysql_ha.hardening: edits here are overwritten.\n"
_AUDIT_EVENTS = frozenset(["CONNECT", "QUERY", "TABLE", "QUERY_DDL", "QUERY_DML", "QUERY_DCL", "QUERY_DML_NO_SELECT"])


class HardeningError(MysqlhaError):
    """A profile or a change that cannot be applied; the message names the control.

    From ``plan_hardening``: ``refused`` (control id -> why it was refused, every
    refused control) and ``actions`` (the plan of the controls that were not
    refused), so a caller can show both.
    """

    def __init__(self, message, refused=None, actions=None):
        super(HardeningError, self).__init__(message)
        self.refused = dict(refused or {})
        self.actions = list(actions or ())


class _Refusals:
    """Collects the refusals of every control, so that one run names them all."""

    def __init__(self):
        self.messages = []
        self.refused = {}

    @contextmanager
    def control(self, *controls):
        try:
            yield
        except HardeningError as exc:
            self.messages.append(str(exc))
            for control in controls:
                self.refused[control] = str(exc)

    def raise_any(self, actions):
        if len(self.messages) == 1:
            raise HardeningError(self.messages[0], self.refused, actions)
        if self.messages:
            raise HardeningError("%d controls refused, nothing was changed: %s"
                                 % (len(self.messages), " ".join("(%d) %s" % (i, m) for i, m in
                                                                 enumerate(self.messages, start=1))),
                                 self.refused, actions)


class Action:
    """The change one control needs."""

    __slots__ = ("control", "summary", "statements", "before", "after", "settings", "restart", "expires")

    def __init__(self, control, summary, statements=(), before=None, after=None, settings=None, restart=False,
                 expires=None):
        self.control = control
        self.summary = summary
        self.statements = list(statements)      # [(sql, params)]; params hold no secret here
        self.before = before
        self.after = after
        self.settings = dict(settings or {})    # option-file settings to persist
        self.restart = restart                  # takes effect only after a restart
        self.expires = list(expires or ())      # accounts whose password this change expires at once

    def describe(self):
        return {"control": self.control, "summary": self.summary, "before": self.before, "after": self.after,
                "statements": [statement_text(sql, params) for sql, params in self.statements], "settings": self.settings,
                "needs_restart": self.restart, "expires": [a["account"] for a in self.expires]}


def validate_profile(profile):
    """The effective profile (defaults merged); HardeningError names every bad entry at once."""
    problems = []
    effective = dict((k, dict(v)) for k, v in DEFAULT_PROFILE.items())
    profile = dict(profile or {})
    effective[SERVICE_ACCOUNTS] = _service_accounts(profile.pop(SERVICE_ACCOUNTS, None) or [], problems)
    for control_id, settings in profile.items():
        try:
            control = control_by_id(control_id)
        except KeyError as exc:
            problems.append(exc.args[0])
            continue
        if control_id not in DEFAULT_PROFILE:
            if settings is False or settings == {"enabled": False}:
                continue  # switched off: the module never applies it anyway; a profile may say so
            problems.append("control %s cannot be applied automatically (only false is accepted for it); a DBA must: %s"
                            % (control_id, control.remediation))
            continue
        if isinstance(settings, bool):
            settings = {"enabled": settings}
        if not isinstance(settings, dict):
            problems.append("control %s: expected true/false or a mapping, got %r" % (control_id, settings))
            continue
        unknown = set(settings) - set(DEFAULT_PROFILE[control_id])
        if unknown:
            problems.append("control %s: unknown parameter(s) %s (known: %s)"
                            % (control_id, ", ".join(sorted(unknown)), ", ".join(sorted(DEFAULT_PROFILE[control_id]))))
            continue
        effective[control_id].update(settings)
    audit = effective["audit_log"]
    if audit["enabled"]:
        events = [str(e).upper() for e in audit.get("events") or ()]
        if not events:
            problems.append("control audit_log: enabled with no events to log")
        elif set(events) - _AUDIT_EVENTS:
            problems.append("control audit_log: unknown events %s" % ", ".join(sorted(set(events) - _AUDIT_EVENTS)))
        audit["events"] = events
        if not isinstance(audit.get("rotations"), int) or audit["rotations"] < 1:
            problems.append("control audit_log: rotations must be a whole number of at least 1")
    days = effective["password_lifetime"].get("days")
    if effective["password_lifetime"]["enabled"] and (not isinstance(days, int) or not 0 < days <= 365):
        problems.append("control password_lifetime: days must be 1..365 (0 means never, which the control forbids)")
    path = effective["secure_file_priv"].get("path")
    if effective["secure_file_priv"]["enabled"] and (not path or not str(path).startswith("/")):
        problems.append("control secure_file_priv: path must be an absolute directory")
    if problems:
        raise HardeningError("invalid hardening profile: " + "; ".join(problems))
    return effective


def _service_accounts(names, problems):
    """'app@%', "'app'@'10.0.0.%'", 'app' (every host), "''@'h'" (anonymous) -> [(user, host or None)]."""
    if not isinstance(names, (list, tuple)):
        problems.append("service_accounts: expected a list of 'user@host' (or 'user' for every host), got %r" % (names,))
        return []
    accounts = []
    for name in names:
        if not isinstance(name, str) or not name.strip():
            problems.append("service_accounts: %r is not an account name ('user@host' or 'user')" % (name,))
            continue
        user, at, host = name.strip().rpartition("@")
        if not at:
            user, host = host, None
        quoted_empty = user.strip() in ("''", "``", '""')        # the anonymous user, written out
        user = user.strip().strip("'`\"")
        host = None if host is None else host.strip().strip("'`\"")
        if (not user and not quoted_empty) or host == "":
            problems.append("service_accounts: %r is not an account name ('user@host' or 'user')" % (name,))
            continue
        accounts.append((user, host))
    return accounts


def _is_service(effective, user, host):
    return any(user == u and (h is None or h == host) for u, h in effective.get(SERVICE_ACCOUNTS, ()))


def _refuse_cut_off(control, what, accounts, effective, context):
    """Refuse when ``accounts`` ([(user, host)]) this control would cut off include the login
    the task runs as or a service account of the profile."""
    me = tuple(context["current_user"])
    if me in [tuple(a) for a in accounts]:
        raise HardeningError("control %s: refusing to %s %s, the account this task is logged in as; run the task as "
                             "another admin account, or set %s: false" % (control, what, account_name(*me), control))
    services = [account_name(u, h) for u, h in accounts if _is_service(effective, u, h)]
    if services:
        raise HardeningError("control %s: refusing to %s service account(s) %s (profile service_accounts); "
                             "their clients would be cut off. Take them out of service_accounts if nothing logs in "
                             "with them, or set %s: false" % (control, what, ", ".join(services), control))


def _account_actions(facts, effective, context, refusals):
    """Actions of the account controls, and the accounts they drop (refusals go to ``refusals``)."""
    actions = []
    dropping = set()
    accounts = facts.get("accounts")
    me = context["current_user"]
    if accounts is None:
        needed = [c for c in ("anonymous_accounts", "remote_root", "remote_accounts_tls") if effective[c]["enabled"]]
        if needed:
            with refusals.control(*needed):
                ways_out = ", ".join("%s: false" % c for c in needed)
                message = ("controls %s need to read mysql.user, which %s@%s may not; run the task as an "
                           "admin account that may, or set %s" % (", ".join(needed), me[0], me[1], ways_out))
                raise HardeningError(message)
        return actions, dropping
    if effective["anonymous_accounts"]["enabled"]:
        bad = _offenders("anonymous_accounts", facts)
        if bad:
            with refusals.control("anonymous_accounts"):
                _refuse_cut_off("anonymous_accounts", "drop", [(a["user"], a["host"]) for a in bad], effective, context)
                dropping.update((a["user"], a["host"]) for a in bad)
                actions.append(Action("anonymous_accounts", "drop %d anonymous account(s)" % len(bad),
                                      [("DROP USER %s@%s", (a["user"], a["host"])) for a in bad],
                                      before=["''@'%s'" % a["host"] for a in bad], after=[]))
    if effective["remote_root"]["enabled"]:
        bad = _offenders("remote_root", facts)
        if bad:
            with refusals.control("remote_root"):
                if any((a["user"], a["host"]) == tuple(me) for a in bad):
                    raise HardeningError("control remote_root: refusing to drop 'root'@'%s', the account this task is "
                                         "logged in as; run it as a local admin account, or set remote_root: false" % me[1])
                _refuse_cut_off("remote_root", "drop", [(a["user"], a["host"]) for a in bad], effective, context)
                dropping.update((a["user"], a["host"]) for a in bad)
                actions.append(Action("remote_root", "drop %d remote root account(s)" % len(bad),
                                      [("DROP USER %s@%s", (a["user"], a["host"])) for a in bad],
                                      before=["'root'@'%s'" % a["host"] for a in bad], after=[]))
    if effective["remote_accounts_tls"]["enabled"]:
        bad = [a for a in _offenders("remote_accounts_tls", facts) if (a["user"], a["host"]) not in dropping]
        if bad:
            with refusals.control("remote_accounts_tls"):
                actions.append(_remote_accounts_tls(bad, facts, effective, context))
    return actions, dropping


def _offenders(control_id, facts):
    """The accounts the control's own check fails (mysql.user was read: the caller made sure)."""
    return control_by_id(control_id).check.offenders(facts)


def _satisfied(control_id, value):
    """Whether the server variable passes the control's own check (an unreadable one does not)."""
    return control_by_id(control_id).check.satisfied(value)


def _server_tls(facts, context):
    """The server has TLS, or (check mode, ``tls_pending``) will have it after the caller's restart."""
    return bool((facts.get("tls") or {}).get("enabled") or context.get("tls_pending"))


def _no_tls_refusal(control, facts, what):
    return HardeningError("control %s: the server has no TLS (have_ssl=%s); %s. Deploy certificates first (role "
                          "dbaops.mysql_ha.hardening, variables hardening_tls_*, restarts the server), or set %s: false"
                          % (control, (facts.get("tls") or {}).get("have_ssl"), what, control))


def _remote_accounts_tls(bad, facts, effective, context):
    me = tuple(context["current_user"])
    if not _server_tls(facts, context):
        raise _no_tls_refusal("remote_accounts_tls", facts, "requiring TLS would lock out %d account(s)" % len(bad))
    if any((a["user"], a["host"]) == me for a in bad) and not context["tls"]:
        raise HardeningError("control remote_accounts_tls: refusing to REQUIRE SSL for '%s'@'%s', the account this "
                             "task is logged in as over a plain connection; connect with ssl_mode=required or better, "
                             "or set remote_accounts_tls: false" % me)
    services = [account_name(a["user"], a["host"]) for a in bad if _is_service(effective, a["user"], a["host"])]
    if services:
        raise HardeningError("control remote_accounts_tls: refusing to REQUIRE SSL for service account(s) %s "
                             "(profile service_accounts): their clients may connect without TLS today. Once they "
                             "use TLS, ALTER USER ... REQUIRE SSL yourself, or set remote_accounts_tls: false"
                             % ", ".join(services))
    return Action("remote_accounts_tls", "require TLS for %d remote account(s)%s" % (len(bad), _pending_note(facts, context)),
                  [("ALTER USER %s@%s REQUIRE SSL", (a["user"], a["host"])) for a in bad],
                  before=["'%s'@'%s' REQUIRE NONE" % (a["user"], a["host"]) for a in bad],
                  after=["'%s'@'%s' REQUIRE SSL" % (a["user"], a["host"]) for a in bad])


def _pending_note(facts, context):
    if (facts.get("tls") or {}).get("enabled") or not context.get("tls_pending"):
        return ""
    return " (check mode: assuming the TLS the caller deploys and restarts the server with)"


def _password_expiry(current, days, dropping, effective, context):
    """The accounts ``default_password_lifetime = days`` would expire at once (not those the plan
    drops).  Refuses when they include this login or a service account, and, without
    ``allow_password_expiry``, when there are any."""
    ages = context.get("password_ages")
    if ages is None:
        raise HardeningError("control password_lifetime: cannot tell which accounts default_password_lifetime = %s would "
                             "expire at once: this login cannot read the accounts' password change times "
                             "(mysql.global_priv on MariaDB, mysql.user on MySQL); run the task as an admin account "
                             "that may, or set password_lifetime: false" % days)
    expiring = [a for a in expiring_at_once(ages, current, days) if (a["user"], a["host"]) not in dropping]
    if not expiring:
        return []
    listed = ", ".join("%s (%s)" % (a["account"], a["reason"]) for a in expiring)
    remedy = ("Change their passwords first (ALTER USER ... IDENTIFIED BY ...), give them a lifetime of their own "
              "(ALTER USER ... PASSWORD EXPIRE NEVER or PASSWORD EXPIRE INTERVAL n DAY), or set password_lifetime: false")
    me = tuple(context["current_user"])
    if any((a["user"], a["host"]) == me for a in expiring):
        raise HardeningError("control password_lifetime: refusing default_password_lifetime = %s: it would expire at once "
                             "the account this task is logged in as, %s. It would expire: %s. %s"
                             % (days, account_name(*me), listed, remedy))
    services = [a["account"] for a in expiring if _is_service(effective, a["user"], a["host"])]
    if services:
        raise HardeningError("control password_lifetime: refusing default_password_lifetime = %s: it would expire at once "
                             "service account(s) %s (profile service_accounts). It would expire: %s. %s"
                             % (days, ", ".join(services), listed, remedy))
    if not context.get("allow_password_expiry"):
        raise HardeningError("control password_lifetime: default_password_lifetime = %s would expire %d account(s) at once: "
                             "%s. Their logins would fail with ERROR 1820 until their passwords are changed. Pass "
                             "allow_password_expiry: true to expire them, or: %s"
                             % (days, len(expiring), listed, remedy[0].lower() + remedy[1:]))
    return expiring


def _persisted(context, key, value):
    """The option-file fragment already sets ``key`` to ``value`` (plugins: loads it)."""
    if key == "plugin_load_add":
        return value in context["fragment"].get("plugin_load_add_all", ())
    if key == "sql_mode":
        # The server prints modes in its own order; the set is what counts.
        return set(str(context["fragment"].get(key, "")).split(",")) == set(str(value).split(","))
    return str(context["fragment"].get(key, "")).lower() == str(value).lower()


def _setting_action(control, key, fragment_key, current, desired, runtime_sql, context, persisted_value=None):
    """An action for a dynamic setting: SET GLOBAL now, and the option file for restarts.

    MySQL 8 persists it itself: SET PERSIST (mysqld-auto.cnf) instead of both.
    """
    persisted_value = desired if persisted_value is None else persisted_value
    if context.get("persist_with_sql"):
        if current == desired:
            return None
        sql, params = runtime_sql
        return Action(control, "%s: %s -> %s (SET PERSIST)" % (key, current, desired),
                      [(sql.replace("SET GLOBAL", "SET PERSIST", 1), params)], before=current, after=desired)
    statements = [] if current == desired else [runtime_sql]
    settings = {} if _persisted(context, fragment_key, persisted_value) else {fragment_key: persisted_value}
    if not statements and not settings:
        return None
    return Action(control, "%s: %s -> %s" % (key, current, desired), statements, before=current, after=desired,
                  settings=settings)


def plan_hardening(facts, profile, context):
    """Actions (in apply order) that bring the server to the profile.

    ``context``: ``current_user`` (user, host) of this login, ``tls`` (this
    connection is encrypted), ``fragment`` (settings already in the option file),
    ``flavor`` (flavors.dialect_class answers for it), ``persist_with_sql`` (MySQL 8: SET PERSIST
    instead of the file),
    ``password_ages`` (``expiry.read_password_ages``; None when unreadable),
    ``allow_password_expiry`` (the caller accepts that accounts expire at once),
    ``test_tables`` (tables in the `test` database), ``is_dir`` (a check for
    directories on the server's host, when the option file is managed),
    ``secure_file_priv_managed`` (the caller creates the secure_file_priv
    directory before the server restarts: plan it even when it is missing) and
    ``tls_pending`` (check mode only: the caller deploys TLS files and restarts
    the server before this runs for real; plan as if the server had TLS).

    Every refusal is collected; HardeningError names them all and carries the
    plan of the other controls.
    """
    effective = validate_profile(profile)
    refusals = _Refusals()
    actions, dropping = _account_actions(facts, effective, context, refusals)
    settings = facts.get("settings") or {}
    tls = facts.get("tls") or {}
    if effective["test_database"]["enabled"]:
        with refusals.control("test_database"):
            action = _test_database_action(facts, context)
            if action:
                actions.append(action)
    if effective["local_infile"]["enabled"]:
        action = _setting_action("local_infile", "local_infile", "local_infile", "ON" if settings.get("local_infile") else "OFF",
                                 "OFF", ("SET GLOBAL local_infile = OFF", None), context, persisted_value="0")
        if action:
            actions.append(action)
    if effective["require_secure_transport"]["enabled"] and tls.get("require_secure_transport") is not None:
        with refusals.control("require_secure_transport"):
            action = _require_secure_transport_action(facts, effective, context, dropping)
            if action:
                actions.append(action)
    if effective["audit_log"]["enabled"]:
        with refusals.control("audit_log"):
            action = _audit_action(facts, effective["audit_log"], context)
            if action:
                actions.append(action)
    if effective["password_validation"]["enabled"]:
        policy = facts.get("password_policy") or {}
        way = dialect_class(context["flavor"]).password_validation(
            policy.get("validation"), _persisted(context, "plugin_load_add", "simple_password_check"))
        if way is not None:
            statements, settings_out, name = way
            if statements or settings_out:
                actions.append(Action("password_validation", "activate password validation", statements,
                                      before=policy.get("validation"), after=name, settings=settings_out))
    if effective["password_lifetime"]["enabled"]:
        days = effective["password_lifetime"]["days"]
        current = (facts.get("password_policy") or {}).get("default_lifetime_days")
        with refusals.control("password_lifetime"):
            action = _setting_action("password_lifetime", "default_password_lifetime", "default_password_lifetime",
                                     current, days, ("SET GLOBAL default_password_lifetime = %s", (days,)), context)
            if action and action.statements:
                action.expires = _password_expiry(current, days, dropping, effective, context)
                if action.expires:
                    action.after = "%s; expires at once: %s" % (days, ", ".join(a["account"] for a in action.expires))
            if action:
                actions.append(action)
    if effective["sql_mode_strict"]["enabled"]:
        mode = settings.get("sql_mode") or ""
        modes = [m for m in mode.split(",") if m]
        if not _satisfied("sql_mode_strict", mode):
            desired = ",".join(modes + ["STRICT_ALL_TABLES"])
            action = _setting_action("sql_mode_strict", "sql_mode", "sql_mode", mode, desired,
                                     ("SET GLOBAL sql_mode = %s", (desired,)), context)
        else:
            action = _setting_action("sql_mode_strict", "sql_mode", "sql_mode", mode, mode, None, context)
        if action:
            actions.append(action)
    sfp_path = effective["secure_file_priv"]["path"]
    sfp_now = settings.get("secure_file_priv")
    # (control, option-file key, its value, in effect now, before and after as the server's variables show them)
    restart_only = (("symbolic_links", "symbolic-links", "0", _satisfied("symbolic_links", settings.get("have_symlink")),
                     {"have_symlink": _shown(settings.get("have_symlink"))}, {"have_symlink": "DISABLED"}),
                    ("secure_file_priv", "secure_file_priv", sfp_path,
                     (sfp_now or "").rstrip("/") == sfp_path.rstrip("/"),
                     {"secure_file_priv": "'' (any directory)" if sfp_now == "" else _shown(sfp_now)},
                     {"secure_file_priv": sfp_path}))
    for control, key, value, in_effect, before, after in restart_only:
        if effective[control]["enabled"] and not in_effect:
            summary = "%s = %s (read at start-up)" % (key, value)
            if control == "secure_file_priv" and context.get("is_dir") and not context["is_dir"](value):
                if not context.get("secure_file_priv_managed"):
                    # mariadbd/mysqld refuse to start with a secure_file_priv they cannot resolve.
                    with refusals.control("secure_file_priv"):
                        raise HardeningError(
                            "control secure_file_priv: %s is not a directory on this host; the server would not start "
                            "after the next restart, cutting off every client. Create it (the role "
                            "dbaops.mysql_ha.hardening does, owned by the server's OS user), pass "
                            "secure_file_priv_managed: true if this play creates it before the restart, set "
                            "secure_file_priv: {path: <an existing directory>}, or set secure_file_priv: false" % value)
                    continue
                summary += "; the directory does not exist yet: the caller creates it before the restart"
            persisted = _persisted(context, key, value)
            actions.append(Action(control, summary, [], before=before, after=after,
                                  settings={} if persisted else {key: value}, restart=True))
    refusals.raise_any(actions)
    return actions


def _shown(value):
    """A server variable for a diff: the login could not read it, rather than a bare None."""
    return "(not readable by this login)" if value is None else value


def _test_database_action(facts, context):
    present = facts.get("test_databases")
    if present is None:
        raise HardeningError("control test_database: this login cannot list every schema; run the task as an admin "
                             "account (SHOW DATABASES), or set test_database: false")
    drop_schema, drop_grants, left = test_database_scope(present)
    if drop_schema:
        tables = context.get("test_tables")
        if tables is None:
            raise HardeningError("control test_database: cannot tell whether the `test` database holds tables; "
                                 "refusing to drop it. Run the task as an admin account that may read "
                                 "information_schema.TABLES of `test`, or set test_database: false")
        if tables:
            raise HardeningError("control test_database: refusing to drop the `test` database: it holds %d table(s) "
                                 "(%s), which an application may use. Move or drop them yourself, or set "
                                 "test_database: false" % (len(tables), ", ".join(sorted(tables)[:10])))
    if not (drop_schema or drop_grants):
        return None
    statements = [("DROP DATABASE IF EXISTS `test`", None)] if drop_schema else []
    statements += [("DELETE FROM mysql.db WHERE Db IN (%s, %s)", TEST_GRANT_DBS), ("FLUSH PRIVILEGES", None)]
    return Action("test_database", "remove the test database and its grants", statements,
                  before=[p for p in present if p not in left], after=[])


def _require_secure_transport_action(facts, effective, context, dropping):
    tls = facts.get("tls") or {}
    current = "ON" if tls.get("require_secure_transport") else "OFF"
    if current == "OFF":
        if not _server_tls(facts, context):
            raise _no_tls_refusal("require_secure_transport", facts, "every client would be locked out")
        if not context["tls"]:
            raise HardeningError("control require_secure_transport: refusing to require TLS while this task is "
                                 "connected without it (it would lock itself out); use ssl_mode=required or better, "
                                 "or set require_secure_transport: false")
        # A service account that does not require TLS itself may have clients that connect without it.
        # 'localhost' accounts log in over the unix socket, which the server counts as secure.
        plain = [account_name(a["user"], a["host"]) for a in facts.get("accounts") or ()
                 if _is_service(effective, a["user"], a["host"]) and not a.get("ssl_type") and a["host"] != "localhost"
                 and (a["user"], a["host"]) not in dropping]
        if plain:
            raise HardeningError("control require_secure_transport: refusing to require TLS of every client while service "
                                 "account(s) %s (profile service_accounts) do not require it: their clients may connect "
                                 "without TLS today. Once they use TLS, ALTER USER ... REQUIRE SSL, then run again; or "
                                 "set require_secure_transport: false" % ", ".join(plain))
    action = _setting_action("require_secure_transport", "require_secure_transport", "require_secure_transport",
                             current, "ON", ("SET GLOBAL require_secure_transport = ON", None), context)
    if action and current == "OFF":
        action.summary += _pending_note(facts, context)
    return action


def test_database_scope(present):
    """What test_database removes from ``test_databases`` facts: (drop the `test` schema,
    delete the install-time grants, [entries left for a DBA])."""
    grant_entries = ["%s (grants in mysql.db)" % db for db in TEST_GRANT_DBS]
    drop_schema = "test" in present
    drop_grants = drop_schema or any(e in present for e in grant_entries)
    left = [p for p in present if p != "test" and p not in grant_entries]
    return drop_schema, drop_grants, left


def _audit_action(facts, wanted, context):
    audit = facts.get("audit") or {}
    if not dialect_class(context["flavor"]).ships_audit_plugin:
        if audit.get("plugin") and audit.get("enabled"):
            return None
        raise HardeningError("control audit_log: MySQL needs the audit_log plugin of MySQL Enterprise or Percona Server "
                             "(INSTALL PLUGIN audit_log SONAME 'audit_log.so'); this server has none loaded. Install one, or set "
                             "audit_log: false")
    events = ",".join(wanted["events"])
    statements = []
    if audit.get("plugin") != "server_audit":
        statements.append(("INSTALL SONAME 'server_audit'", None))
    current_events = ",".join(audit.get("events") or ())
    if current_events != events:
        statements.append(("SET GLOBAL server_audit_events = %s", (events,)))
    if audit.get("rotations") != wanted["rotations"]:
        statements.append(("SET GLOBAL server_audit_file_rotations = %s", (wanted["rotations"],)))
    if audit.get("rotate_size") != wanted["rotate_size"]:
        statements.append(("SET GLOBAL server_audit_file_rotate_size = %s", (wanted["rotate_size"],)))
    if not audit.get("enabled"):
        statements.append(("SET GLOBAL server_audit_logging = ON", None))
    desired_settings = {"plugin_load_add": "server_audit", "server_audit": "FORCE_PLUS_PERMANENT",
                        "server_audit_events": events, "server_audit_file_rotations": str(wanted["rotations"]),
                        "server_audit_file_rotate_size": str(wanted["rotate_size"]), "server_audit_logging": "ON"}
    missing = dict((k, v) for k, v in desired_settings.items() if not _persisted(context, k, v))
    if not statements and not missing:
        return None
    return Action("audit_log", "audit %s with server_audit" % events, statements,
                  before={"plugin": audit.get("plugin"), "enabled": audit.get("enabled"), "events": current_events},
                  after={"plugin": "server_audit", "enabled": True, "events": events}, settings=missing)


def parse_fragment(text):
    """Settings of a fragment this module wrote: {key: value}; plugin_load_add may repeat."""
    settings = {"plugin_load_add_all": []}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")) or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == "plugin_load_add":
            settings["plugin_load_add_all"].append(value)
        settings[key] = value
    return settings


def render_fragment(current, actions, section):
    """The option-file fragment with the actions' settings merged in (stable order)."""
    merged = dict((k, v) for k, v in parse_fragment(current).items() if k not in ("plugin_load_add", "plugin_load_add_all"))
    plugins = list(parse_fragment(current)["plugin_load_add_all"])
    for action in actions:
        for key, value in action.settings.items():
            if key == "plugin_load_add":
                if value not in plugins:
                    plugins.append(value)
            else:
                merged[key] = value
    lines = [FRAGMENT_HEADER, "[%s]\n" % section]
    lines += ["plugin_load_add = %s\n" % p for p in plugins]
    lines += ["%s = %s\n" % (k, merged[k]) for k in sorted(merged)]
    return "".join(lines)


def apply_plan(session, actions):
    """Run the actions' statements in order.  Returns per-control results; on a
    failure raises HardeningError naming the control, what was applied before it
    and what was not."""
    results = []
    for index, action in enumerate(actions):
        try:
            for sql, params in action.statements:
                session.execute(sql, params)
        except MysqlhaError as exc:
            applied = [a.control for a in actions[:index]]
            pending = [a.control for a in actions[index + 1:]]
            raise HardeningError("control %s failed: %s. Applied before it: %s. Not applied: %s."
                                 % (action.control, getattr(exc, "reason", exc), ", ".join(applied) or "none",
                                    ", ".join(pending) or "none"))
        results.append(action.control)
    return results
