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

Per flavour (the row formats are the servers'; each Dialect's ``password_ages_sql`` and
``password_account`` read them):

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

__all__ = ["parse_password_ages", "read_password_ages", "expired_under", "expiring_at_once", "account_name"]

_DAY = 86400


def account_name(user, host):
    return "'%s'@'%s'" % (user, host)


def parse_password_ages(rows, dialect):
    """Rows of ``dialect.password_ages_sql`` -> {"now": server epoch, "accounts": [...]}."""
    rows = list(rows)
    now = int(rows[0]["server_now"]) if rows else None
    return {"now": now, "accounts": [dialect.password_account(r) for r in rows]}


def read_password_ages(session, dialect):
    """The password ages of every account, read over an open Session (needs SELECT on
    mysql.global_priv / mysql.user); raises QueryError when the login may not."""
    return parse_password_ages(session.query(dialect.password_ages_sql), dialect)


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
