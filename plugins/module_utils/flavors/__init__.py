# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flavour and version detection, and the one resolver of per-flavour SQL.

Collectors never compare version numbers or flavour names: they ask
``resolve(version)`` for a Dialect (one per flavour and version range) and use its
statements, column names and answers.  Code that has facts but no server (the
analysis, the controls) asks ``dialect_class(facts["flavor"])`` for the flavour's traits.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import UnsupportedServer
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import mariadb, mysql

__all__ = ["ServerVersion", "parse_version", "resolve", "dialect_class", "reference_applies"]

# Flavour name (the ``flavor`` fact) -> the Dialect class holding its traits.
_FAMILIES = {mariadb.MariadbDialect.flavor: mariadb.MariadbDialect, mysql.MysqlDialect.flavor: mysql.MysqlDialect}

_VERSION_RE = re.compile(r"^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)(.*)$")


class ServerVersion:
    """A parsed server version: flavor (``mysql``/``mariadb``), variant, numbers."""

    __slots__ = ("flavor", "variant", "major", "minor", "patch", "raw")

    def __init__(self, flavor, variant, major, minor, patch, raw):
        for name, value in (("flavor", flavor), ("variant", variant), ("major", major),
                            ("minor", minor), ("patch", patch), ("raw", raw)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("ServerVersion is immutable")

    @property
    def tuple(self):
        return (self.major, self.minor, self.patch)

    @property
    def text(self):
        return "%d.%d.%d" % self.tuple

    def at_least(self, major, minor=0, patch=0):
        return self.tuple >= (major, minor, patch)

    def __repr__(self):
        return "ServerVersion(%s %s, %r)" % (self.variant, self.text, self.raw)


def parse_version(raw, version_comment=None, address="server"):
    """Parse the handshake version string (and ``@@version_comment`` if known).

    MariaDB before 11 prefixes ``5.5.5-`` for old clients; Percona Server is
    MySQL with variant ``percona``.  Raises UnsupportedServer naming the host
    for a string that is not a MySQL-family version at all.
    """
    text = (raw or "").strip()
    match = _VERSION_RE.match(text)
    if not match:
        raise UnsupportedServer("%s: unrecognised server version %r; expected MySQL 5.7/8.x or MariaDB 10.x/11.x"
                                % (address, raw))
    major, minor, patch = (int(g) for g in match.groups()[:3])
    blob = ("%s %s" % (text, version_comment or "")).lower()
    if "mariadb" in blob:
        return ServerVersion("mariadb", "mariadb", major, minor, patch, text)  # the version string is MariaDB's
    variant = "percona" if "percona" in blob else "mysql"
    return ServerVersion("mysql", variant, major, minor, patch, text)


def resolve(version):
    """The Dialect for a ServerVersion (see flavors/mysql.py, flavors/mariadb.py)."""
    return _module_of[version.flavor].dialect_for(version)


_module_of = {mariadb.MariadbDialect.flavor: mariadb, mysql.MysqlDialect.flavor: mysql}


def dialect_class(flavor):
    """The Dialect class of a ``flavor`` fact (the MySQL family's for anything unknown, as
    parse_version files every non-MariaDB server under MySQL)."""
    return _FAMILIES.get(flavor, mysql.MysqlDialect)


def reference_applies(reference, flavor):
    """Whether a benchmark reference key (``cis_mariadb_10_11``) concerns a server of ``flavor``:
    a flavour's own benchmarks apply to it alone; every other reference applies everywhere.
    With no flavour known, every reference applies."""
    if flavor is None:
        return True
    return not any(reference.startswith(prefix) for name, family in _FAMILIES.items() if name != flavor
                   for prefix in family.benchmark_prefixes)
