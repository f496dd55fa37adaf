# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the library; every message names the host it is about."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

__all__ = ["failure_fields", "MysqlhaError", "ConfigError", "ConnectError", "QueryError", "UnsupportedServer", "REACHABILITY_KINDS"]

# How a target failed, in the words the cluster analysis uses:
#   refused      nothing listens on the port (errno 111 / unix socket missing)
#   unreachable  no TCP answer at all: host down, cable cut, DNS failure
#   hung         TCP accepted but no handshake or no answer within the timeout
#   overloaded   the server answered "too many connections" or similar
#   auth         the server answered and refused the login
#   tls          the TLS handshake or certificate check failed
#   lost         the server closed the connection mid-query
#   error        anything else the server said
#   stale        (engine only) recorded facts older than the evaluation's max age: the host did
#                not report again (a fact cache keeps a failed host's old facts)
REACHABILITY_KINDS = ("refused", "unreachable", "hung", "overloaded", "auth", "tls", "lost", "error", "stale")


class MysqlhaError(Exception):
    """Base class: a failure a user can act on."""


class ConfigError(MysqlhaError):
    """Bad connection options or an unreadable option file."""


class ConnectError(MysqlhaError):
    """A connection to ``address`` failed; ``kind`` is one of REACHABILITY_KINDS."""

    def __init__(self, address, kind, message, errno=None):
        self.address = address
        self.kind = kind
        self.errno = errno
        self.reason = message
        super(ConnectError, self).__init__("%s: %s" % (address, message))


class QueryError(MysqlhaError):
    """A statement failed on ``address`` without breaking the connection."""

    def __init__(self, address, sql, errno, message):
        self.address = address
        self.sql = sql
        self.errno = errno
        self.reason = message
        super(QueryError, self).__init__("%s: %s failed: (%s) %s" % (address, sql, errno, message))


class UnsupportedServer(MysqlhaError):
    """The server's version string is not one this collection can read."""


def failure_fields(exc):
    """What a failed module result carries besides ``msg``: the server and how it failed.

    ``mysqlha eval`` and ``rules_evaluate`` read a failed result with ``instance`` and
    ``reachability`` as a member that could not be reached, so a dead server still pages.
    A bad option (ConfigError) names no server and carries ``reachability: error`` only.
    """
    fields = {"reachability": getattr(exc, "kind", None) or "error"}
    address = getattr(exc, "address", None)
    if address:
        fields["instance"] = address
        fields["errno"] = getattr(exc, "errno", None)
    return fields
