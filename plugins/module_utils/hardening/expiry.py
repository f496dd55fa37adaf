# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which accounts a new ``default_password_lifetime`` would expire at once.

The server expires a password when ``now - password_last_changed`` exceeds the
account's lifetime: its own (``PASSWORD EXPIRE INTERVAL n DAY``; 0 or
``PASSWORD EXPIRE NEVER`` means never) or, when it has none, the global
``default_password_lifetime`` (0 means never).  An account with no recorded
change time counts as changed at the epoch: every account ``mariadb-install-db``
makes, and accounts carried over from versions before password expiry, expire
the moment the global becomes non-zero.  An expired login can still connect but
every statement fails with ERROR 1820 (You must SET PASSWORD), or it is refused
outright with ``disconnect_on_expired_password``.

Per flavour (the row formats are the servers'; see ``AGES_SQL``):

* MariaDB 10.4+: ``mysql.global_priv.Priv`` JSON: ``password_last_changed``
  (epoch; absent = never recorded; 0 = expired by ``ALTER USER ... PASSWORD
  EXPIRE``), ``password_lifetime`` (absent or -1 = the global), ``plugin`` and
  ``auth_or`` (every way the account may authenticate), ``account_locked``,
  ``is_role``.  Logins that never present a password (``unix_socket``, PAM,
  named pipes) are not expired by the server.
* MySQL 5.7/8.x: ``mysql.user`` columns ``password_expired`` (N/Y),
  ``password_last_changed`` (TIMESTAMP, NULL = never recorded),
  ``password_lifetime`` (NULL = the global, 0 = never), ``account_locked``
  (N/Y), ``plugin``.  Expiry applies to the built-in plugins only
  (``mysql_native_password``, ``sha256_password``, ``caching_sha2_password``).

Everything here but ``read_password_ages`` is pure.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

__all__ = ["AGES_SQL", "parse_password_ages", "read_password_ages", "expired_under", "expiring_at_once",
           "account_name"]

AGES_SQL = {
    "mariadb": "SELECT User, Host, Priv, UNIX_TIMESTAMP() AS server_now FROM mysql.global_priv",
    "mysql": ("SELECT User, Host, plugin, password_expired, password_last_changed, password_lifetime, account_locked, "
              "UNIX_TIMESTAMP(password_last_changed) AS password_last_changed_epoch, UNIX_TIMESTAMP() AS server_now "
              "FROM mysql.user"),
}
# MariaDB plugins that never take a password (the server does not expire their logins).
_MARIADB_PASSWORDLESS = frozenset(["unix_socket", "named_pipe", "pam", "auth_pam_v1"])
# MySQL: "password expiration applies only to accounts that use a built-in authentication plugin".
_MYSQL_BUILT_IN = frozenset(["mysql_native_password", "sha256_password", "caching_sha2_password"])
_DAY = 86400


def account_name(user, host):
    return "'%s'@'%s'" % (user, host)


def _text(value):
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return value


def _int_or_none(value):
    if value is None or value == "":
        return None
    return int(value)


def _mariadb_methods(priv):
    """Every way the account may authenticate: [(plugin, authentication_string)].  ``auth_or``
    (IDENTIFIED VIA a OR b) lists them; an empty ``{}`` in it stands for the top-level pair."""
    top = (priv.get("plugin") or "mysql_native_password", priv.get("authentication_string") or "")
    alternatives = priv.get("auth_or") or [{}]
    return [(alt["plugin"], alt.get("authentication_string") or "") if (alt or {}).get("plugin") else top
            for alt in alternatives]


def _password_login(plugin, auth_string):
    """A method by which a client logs in with a password the server may expire.
    ``mysql_native_password USING 'invalid'`` (what mariadb-install-db gives root besides
    unix_socket) matches no password: the plugin takes an empty string or a 41-character hash."""
    if plugin in _MARIADB_PASSWORDLESS:
        return False
    if plugin == "mysql_native_password":
        return auth_string == "" or (len(auth_string) == 41 and auth_string.startswith("*"))
    return True


def _mariadb_account(row):
    priv = json.loads(_text(row["Priv"]) or "{}")
    methods = _mariadb_methods(priv)
    lifetime = _int_or_none(priv.get("password_lifetime"))
    last_changed = _int_or_none(priv.get("password_last_changed"))
    return {
        "user": _text(row["User"]), "host": _text(row["Host"]), "plugins": [m[0] for m in methods],
        # A login by any password-taking method is subject to expiry.
        "uses_password": any(_password_login(*m) for m in methods),
        "last_changed": last_changed or None,
        "lifetime": None if lifetime is None or lifetime < 0 else lifetime,
        "expired": last_changed == 0,          # ALTER USER ... PASSWORD EXPIRE stores 0
        "locked": bool(priv.get("account_locked")),
        "is_role": bool(priv.get("is_role")),
    }


def _mysql_account(row):
    plugin = _text(row["plugin"]) or ""
    return {
        "user": _text(row["User"]), "host": _text(row["Host"]), "plugins": [plugin],
        "uses_password": plugin in _MYSQL_BUILT_IN,
        "last_changed": _int_or_none(row.get("password_last_changed_epoch")) if row.get("password_last_changed") is not None
        else None,
        "lifetime": _int_or_none(row["password_lifetime"]),
        "expired": (_text(row["password_expired"]) or "N").upper() == "Y",
        # MySQL 8 roles are locked accounts without a password.
        "locked": (_text(row.get("account_locked")) or "N").upper() == "Y",
        "is_role": False,
    }


def parse_password_ages(rows, flavor):
    """Rows of ``AGES_SQL[flavor]`` -> {"now": server epoch, "accounts": [...]}."""
    reader = _mariadb_account if flavor == "mariadb" else _mysql_account
    rows = list(rows)
    now = int(rows[0]["server_now"]) if rows else None
    return {"now": now, "accounts": [reader(r) for r in rows]}


def read_password_ages(session, flavor):
    """The password ages of every account, read over an open Session (needs SELECT on
    mysql.global_priv / mysql.user); raises QueryError when the login may not."""
    return parse_password_ages(session.query(AGES_SQL[flavor]), flavor)


def expired_under(account, default_days, now):
    """True when the server treats this account's password as expired with
    ``default_password_lifetime = default_days`` at ``now``."""
    if account["expired"]:
        return True
    lifetime = account["lifetime"] if account["lifetime"] is not None else (default_days or 0)
    if not lifetime:
        return False
    return now - (account["last_changed"] or 0) > lifetime * _DAY


def _reason(account, now):
    if not account["last_changed"]:
        return "no recorded password change"
    return "password changed %d days ago" % ((now - account["last_changed"]) // _DAY)


def expiring_at_once(ages, current_days, new_days):
    """Accounts that log in with a password today and whose password would be expired the
    moment ``default_password_lifetime`` goes from ``current_days`` to ``new_days``:
    [{"user", "host", "account", "reason"}], in server order.  Locked accounts and roles
    cannot log in today and are left out; so are accounts with a lifetime of their own."""
    now = ages["now"]
    found = []
    for account in ages["accounts"]:
        if account["is_role"] or account["locked"] or not account["uses_password"]:
            continue
        if expired_under(account, current_days, now) or not expired_under(account, new_days, now):
            continue
        found.append({"user": account["user"], "host": account["host"],
                      "account": account_name(account["user"], account["host"]), "reason": _reason(account, now)})
    return found
