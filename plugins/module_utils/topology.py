# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gather every member of a cluster at once and analyse it."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import (
    gather_replication,
    unreachable_facts,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError, ConnectError, MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.liveness import DEFAULT_PROBE_PORT, probe_host

__all__ = ["HostResolver", "RESOLVER", "failure_facts", "parse_member", "gather_members", "gather_topology"]


class HostResolver:
    """``host -> set of IP addresses`` from the system resolver, cached for ``ttl`` seconds.

    Gathering is online, so it may ask DNS; the analysis takes this as a parameter and
    never resolves on its own (offline evaluation of recorded facts uses no network).
    A name that does not resolve gives an empty set, cached like any answer.
    """

    def __init__(self, ttl=60.0, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._cache = {}
        self._lock = threading.Lock()

    def __call__(self, host):
        now = self.clock()
        with self._lock:
            cached = self._cache.get(host)
            if cached is not None and cached[0] > now:
                return cached[1]
        try:
            addresses = frozenset(info[4][0] for info in socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM))
        except (socket.gaierror, UnicodeError, OSError):
            addresses = frozenset()
        with self._lock:
            self._cache[host] = (now + self.ttl, addresses)
        return addresses


RESOLVER = HostResolver()


def parse_member(text):
    """``host:port`` (or ``[v6]:port``, or ``host``) -> (host, port)."""
    text = str(text).strip()
    if not text:
        raise ConfigError("empty cluster member")
    if text.startswith("["):
        host, _sep, rest = text[1:].partition("]")
        port = rest.lstrip(":") or "3306"
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "3306"
    try:
        port = int(port)
    except ValueError:
        raise ConfigError("cluster member %r: port %r is not a number" % (text, port))
    if not 0 < port < 65536:
        raise ConfigError("cluster member %r: port %d is out of range" % (text, port))
    return host, port


def _gather_one(params, options, liveness_port=DEFAULT_PROBE_PORT):
    try:
        return gather_replication(params, **options)
    except Exception as exc:  # one member's surprise must not cost the whole cluster its verdict
        return failure_facts(params, exc, liveness_port)


def failure_facts(params, exc, liveness_port=DEFAULT_PROBE_PORT):
    """The facts of a member whose gathering raised ``exc``: how it failed and, when its MySQL
    port gave no TCP answer, what the host probe said (the daemon's pollers use this too)."""
    if isinstance(exc, ConnectError) and exc.kind == "unreachable" and params.host and liveness_port:
        return _with_liveness(params, exc, liveness_port)
    if isinstance(exc, MysqlhaError):
        return unreachable_facts(params.address, exc)
    return unreachable_facts(params.address, ConnectError(params.address, "error", "%s: %s" % (
        type(exc).__name__, str(exc)[:200])))


def _with_liveness(params, exc, liveness_port):
    """The MySQL port gave no TCP answer: ask the host's kernel once more on another port.

    A RST or SYN-ACK there means the host is alive and mysqld is not accepting (a frozen
    process whose accept queue is full drops new SYNs): ``hung``, never evidence of death.
    """
    probe = probe_host(params.host, liveness_port, timeout=params.connect_timeout)
    if probe["alive"]:
        exc = ConnectError(params.address, "hung", "no TCP answer on the MySQL port within %ss, but the host's kernel "
                           "answered on port %d (%s): the process is there and not accepting (accept queue full, "
                           "or frozen)" % (params.connect_timeout, probe["port"], probe["answer"]), exc.errno)
    facts = unreachable_facts(params.address, exc)
    facts["evidence"] = {"mysql_port": "no TCP answer", "liveness": probe}
    return facts


def gather_members(member_params, options=None, max_workers=16, liveness_port=DEFAULT_PROBE_PORT):
    """{address: facts} for every ConnectionParams, gathered concurrently.

    A member that cannot be reached or read becomes unreachable_facts(); this
    never raises for one bad member.
    """
    options = options or {}
    if not member_params:
        return {}
    workers = max(1, min(max_workers, len(member_params)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(p.address, pool.submit(_gather_one, p, options, liveness_port)) for p in member_params]
        return dict((address, future.result()) for address, future in futures)


def gather_topology(member_params, name=None, options=None, known_primary=None, known_state=None,
                    liveness_port=DEFAULT_PROBE_PORT):
    """Gather all members and return ``{"members": ..., "cluster": ...}``.

    ``known_state``: the previous result (or its ``cluster``), so a primary last seen hung
    stays hung until there is evidence of death; its primary also serves as ``known_primary``.
    ``liveness_port``: the host probe's port when a MySQL port gives no TCP answer (0: none).
    """
    started = time.monotonic()
    if isinstance(known_state, dict) and isinstance(known_state.get("cluster"), dict):
        known_state = known_state["cluster"]
    if not isinstance(known_state, dict):
        known_state = None
    if known_primary is None and known_state:
        known_primary = known_state.get("primary")
    members = gather_members(member_params, options, liveness_port=liveness_port)
    cluster = analyze_cluster(members, name=name, known_primary=known_primary, resolve=RESOLVER,
                              known_state=known_state)
    cluster["duration_ms"] = round((time.monotonic() - started) * 1000.0, 3)
    return {"members": members, "cluster": cluster}
