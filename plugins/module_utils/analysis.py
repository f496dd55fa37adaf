# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster analysis: from every member's facts to one verdict per cluster.

The rule that matters most: a primary is ``primary_dead`` only when this
process cannot reach it (refused, or no TCP answer) **and** every reachable
replica reports its IO thread unable to connect to it.  A primary that accepts
TCP but never completes a handshake or answers a query is ``primary_hung``
(an outage where automatic failover is dangerous), never dead.  One that
answers "too many connections" is alive: ``primary_overloaded``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.flavors import dialect_class
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.gtid import (
    GtidError,
    errant_gtids,
    transactions_missing,
)

__all__ = ["analyze_cluster", "CODE_PRIORITY"]

# Most severe first: the cluster's one ``analysis.code`` is the first that applies.
CODE_PRIORITY = (
    "cluster_unreachable",
    "primary_dead",
    "primary_hung",
    "primary_unreachable",
    "multiple_writable_primaries",
    "galera_non_primary",
    "primary_overloaded",
    "no_writable_primary",
    "all_replicas_not_replicating",
    "errant_gtid",
    "replica_writable",
    "replication_stopped",
    "galera_node_not_synced",
    "member_unreachable",
    "ok",
)


def _address_keys(host, port, resolve=None):
    """Every ``host:port`` spelling that may name one server: the name, loopback aliases, and
    the addresses ``resolve(host)`` gives (the analysis itself never asks DNS)."""
    if not host or not port:
        return set()
    host = str(host).lower()
    keys = set(["%s:%s" % (host, port)])
    if host in ("localhost", "127.0.0.1"):
        keys.update(["127.0.0.1:%s" % port, "localhost:%s" % port])
    if resolve is not None:
        for ip in resolve(host) or ():
            keys.add("%s:%s" % (ip, port))
    return keys


def _member_keys(address, facts, resolve=None):
    host, _sep, port = address.rpartition(":")
    keys = _address_keys(host, port, resolve) | set([address])
    if facts.get("reachable"):
        if facts.get("hostname") and facts.get("port"):
            keys |= _address_keys(facts["hostname"], facts["port"], resolve)
    return keys


def _replicating(channel):
    return channel.get("io_running") == "yes" and channel.get("sql_running")


# A replica IO thread that got TCP but no handshake from its source says: "Lost connection to
# server at 'reading initial communication packet'" (errno 2013).
_HANDSHAKE_HUNG = "reading initial communication packet"


def _hung_by_replicas(views):
    """Replicas whose last IO error says the source accepted TCP and never spoke (a hung process)."""
    return [r for r, c in views if c.get("last_io_errno") == 2013 and _HANDSHAKE_HUNG in (c.get("last_io_error") or "")]


def _host_evidence(how, liveness):
    """What the host probe said about a primary whose MySQL port gave no TCP answer."""
    if how != "unreachable" or not liveness:
        return ""
    if liveness.get("answer") == "disabled":
        return " (host probe disabled)"
    if liveness.get("answer") in ("none", "unreachable"):
        return " (its host gave no answer on port %s either%s)" % (
            liveness.get("port"), ": no route to it" if liveness.get("answer") == "unreachable" else "")
    return " (host probe on port %s: %s)" % (liveness.get("port"), liveness.get("answer"))


def analyze_cluster(members, name=None, known_primary=None, resolve=None, known_state=None, now=None):
    """Analyse a cluster.

    ``members``: {address: facts} where facts are collect_replication() output
    or unreachable_facts().  ``known_primary``: the address the caller last
    saw as primary (the daemon remembers it); used only when the members
    themselves do not tell.  ``resolve``: an optional ``host -> IP addresses``
    callable, so a replica whose source is named by IP is matched to a member
    named by host name; without it the analysis uses the names as given and
    touches no network.  ``known_state``: the ``cluster`` of the caller's previous
    analysis (the daemon's, or one a playbook passes back): a primary last seen hung stays
    hung until it gives evidence of death (a refusal, or a silent host with every replica
    agreeing), and ``primary_hung_since`` carries over.  ``now``: epoch seconds (tests).
    Returns the ``cluster`` dict of topology_facts.
    """
    now = time.time() if now is None else now
    known_state = known_state if isinstance(known_state, dict) else {}
    index = {}
    for address, facts in members.items():
        for key in _member_keys(address, facts, resolve):
            index.setdefault(key, address)
    reachable = dict((a, f) for a, f in members.items() if f.get("reachable"))
    unreachable = sorted(a for a, f in members.items() if not f.get("reachable"))

    kind = "replication"
    if any(f.get("galera") for f in reachable.values()):
        kind = "galera"
    elif any(f.get("group_replication") for f in reachable.values()):
        kind = "group_replication"

    # Edges: replica -> (source address, channel) for sources inside the cluster.
    sources = {}
    external = {}
    for address, facts in reachable.items():
        for channel in facts.get("channels") or ():
            keys = _address_keys(channel.get("source_host"), channel.get("source_port"), resolve)
            source = next((index[k] for k in keys if k in index), None)
            if source is None:
                external.setdefault(address, []).append("%s:%s" % (channel.get("source_host"), channel.get("source_port")))
            else:
                sources.setdefault(address, []).append((source, channel))

    tree = {}
    for replica, links in sources.items():
        for source, _channel in links:
            tree.setdefault(source, [])
            if replica not in tree[source]:
                tree[source].append(replica)
    for children in tree.values():
        children.sort()

    roots = sorted(s for s in tree if s not in sources)
    writable = sorted(a for a, f in reachable.items() if not f.get("read_only") and not f.get("super_read_only"))
    codes = {}

    primary = None
    if kind == "group_replication":
        for address, facts in reachable.items():
            group = facts.get("group_replication") or {}
            if group.get("member_role") == "PRIMARY":
                primary = address
    elif kind == "replication":
        if len(roots) == 1:
            primary = roots[0]
        elif len(roots) > 1:
            # Two trees in one cluster: the one with more replicas is the primary.
            primary = sorted(roots, key=lambda r: (-_descendants(tree, r), r))[0]
        elif known_primary in members:
            primary = known_primary
        elif len(writable) == 1 and not sources:
            primary = writable[0]

    # Writers outside a replication tree (not replicas of anyone) beyond the primary.
    if kind == "replication":
        writable_roots = [a for a in writable if a not in sources]
        if len(writable_roots) > 1:
            codes["multiple_writable_primaries"] = "writable servers that replicate from no one: %s" % ", ".join(writable_roots)
        for address in writable:
            if address in sources:
                codes.setdefault("replica_writable", "replica %s is writable (read_only=OFF)" % address)
    elif kind == "group_replication":
        primaries = set()
        for facts in reachable.values():
            group = facts.get("group_replication") or {}
            if group.get("single_primary_mode"):
                primaries.update(group.get("primaries") or [])
        if len(primaries) > 1:
            codes["multiple_writable_primaries"] = "group reports %d primaries" % len(primaries)

    primary_facts = members.get(primary) if primary else None
    hung_since = None
    direct_replicas = sorted(tree.get(primary, [])) if primary else []
    if members and not reachable:
        # A total outage is never quiet, whatever the members' roles were.
        codes["cluster_unreachable"] = _outage_details(members)
    elif primary and primary_facts and not primary_facts.get("reachable"):
        how = primary_facts.get("reachability")
        views = [(r, c) for r in direct_replicas for s, c in sources.get(r, []) if s == primary]
        streaming = [r for r, c in views if c.get("io_running") == "yes"]
        liveness = (primary_facts.get("evidence") or {}).get("liveness") or {}
        host_silent = liveness.get("answer") in ("none", "unreachable")
        was_hung = (known_state.get("member_reachability") or {}).get(primary) == "hung" \
            and known_state.get("primary") == primary
        replica_saw_hang = _hung_by_replicas(views)
        if how == "unreachable" and replica_saw_hang:
            # No TCP answer now, but a replica was accepted and never spoken to: a hung process.
            how = "hung"
            primary_facts = dict(primary_facts, reachability="hung", error="%s; replicas %s saw TCP accepted and no handshake (%s)" % (
                primary_facts.get("error"), ", ".join(replica_saw_hang), _HANDSHAKE_HUNG))
        elif how == "unreachable" and was_hung and not (host_silent and views and not streaming):
            # Last seen hung, and no evidence of death since: still hung, never dead by time alone.
            how = "hung"
            primary_facts = dict(primary_facts, reachability="hung", error="%s; last seen hung and no evidence of death since "
                                 "(no refusal; the host is not silent with every replica agreeing)"
                                 % primary_facts.get("error"))
        if how == "hung":
            hung_since = known_state.get("primary_hung_since") if was_hung else None
            hung_since = hung_since if isinstance(hung_since, (int, float)) else now
            silent_port = (primary_facts.get("evidence") or {}).get("mysql_port") == "no TCP answer"
            codes["primary_hung"] = ("%s %s (%s); replicas streaming: %d of %d; hung for %ds. Do not fail over automatically."
                                     % (primary, "gives no TCP answer on its MySQL port, but its host is alive" if silent_port
                                        else "accepts TCP but does not answer", primary_facts.get("error"),
                                        len(streaming), len(views), max(0, now - hung_since)))
        elif how == "overloaded":
            codes["primary_overloaded"] = "%s is alive but refuses work: %s" % (primary, primary_facts.get("error"))
        elif how in ("refused", "unreachable") and views and not streaming:
            codes["primary_dead"] = ("%s is %s%s and all %d reachable replicas lost their IO connection to it"
                                     % (primary, how, _host_evidence(how, liveness), len(views)))
        elif streaming:
            codes["primary_unreachable"] = ("%s is %s from here (%s%s), but %d of %d replicas still stream from it (%s)"
                                            % (primary, how, primary_facts.get("error"), _host_evidence(how, liveness),
                                               len(streaming), len(views), ", ".join(sorted(streaming))))
        else:
            # Not refused or unreachable (auth, tls, lost, stale...), or no replica to ask: not enough to say dead.
            codes["primary_unreachable"] = ("%s is %s from here (%s); %s, so it cannot be called dead"
                                            % (primary, how, primary_facts.get("error"),
                                               "no replica reports on it" if not views else
                                               "none of its %d replicas streams, but '%s' is no proof the server is gone"
                                               % (len(views), how)))
    elif primary and primary_facts:
        load = primary_facts.get("connections") or {}
        used, limit = load.get("threads_connected"), load.get("max_connections")
        if isinstance(used, int) and isinstance(limit, int) and limit > 0 and used >= limit:
            # A monitor on a connection it already holds still gets answers; every new client gets 1040.
            codes["primary_overloaded"] = ("%s is at max_connections (%d of %d connected): new connections are refused"
                                           % (primary, used, limit))
        if kind == "replication" and primary_facts.get("read_only"):
            codes["no_writable_primary"] = "primary %s is read_only" % primary
        views = [c for r in direct_replicas for s, c in sources.get(r, []) if s == primary]
        if views and not any(_replicating(c) for c in views):
            codes["all_replicas_not_replicating"] = "none of the %d replicas of %s replicates" % (len(views), primary)
    elif kind == "replication" and reachable and not writable and not primary:
        codes["no_writable_primary"] = "no member is writable"

    errant = {}
    stopped = []
    errant_counts = {}
    lag = {}
    behind = {}
    primary_gtid = (primary_facts or {}).get("gtid", {}).get("executed") if primary_facts and primary_facts.get("reachable") else None
    for replica in _walk(tree, primary) if primary else []:
        facts = reachable.get(replica)
        if facts is None:
            continue
        lag[replica] = _lag_to(tree, sources, primary, replica)
        channels = [c for _s, c in sources.get(replica, [])]
        if any(not _replicating(c) for c in channels):
            stopped.append(replica)
        if primary_gtid is None:
            continue
        gtid_type = dialect_class(facts.get("flavor")).gtid_type
        try:
            text, count = errant_gtids(gtid_type, facts["gtid"]["executed"], primary_gtid)
            behind[replica] = transactions_missing(gtid_type, facts["gtid"]["executed"], primary_gtid)
        except GtidError:
            continue
        if count:
            errant[replica] = text
            errant_counts[replica] = count
    if stopped:
        codes["replication_stopped"] = "replication is not running on %s" % ", ".join(sorted(stopped))
    carried = ""
    if primary and primary_gtid is None and known_state.get("primary") == primary:
        # The primary does not answer, so nothing can be compared: what was errant stays errant
        # (a transaction does not leave a replica because its primary went quiet).
        errant, errant_counts = _known_errant(known_state, members)
        carried = " (last known: %s does not answer)" % primary if errant else ""
    if errant:
        codes["errant_gtid"] = "; ".join("%s has %s" % (r, t) for r, t in sorted(errant.items())) + carried

    if kind == "galera":
        for address, facts in sorted(reachable.items()):
            galera = facts.get("galera") or {}
            if galera and galera.get("cluster_status") != "Primary":
                codes.setdefault("galera_non_primary", "%s is in a %s component" % (address, galera.get("cluster_status")))
            if galera and galera.get("local_state_comment") != "Synced":
                codes.setdefault("galera_node_not_synced", "%s is %s" % (address, galera.get("local_state_comment")))
    others = [a for a in unreachable if a != primary]
    if others and reachable:
        codes["member_unreachable"] = "unreachable: %s" % ", ".join(
            "%s (%s)" % (a, members[a].get("reachability") or "error") for a in others)
    healthy = None
    if primary:
        healthy = sum(1 for r in direct_replicas if r in reachable
                      and any(s == primary and _replicating(c) for s, c in sources.get(r, [])))

    ordered = [c for c in CODE_PRIORITY if c in codes]
    code = ordered[0] if ordered else "ok"
    return {
        "name": name,
        "kind": kind,
        "primary": primary,
        "primary_reachability": (primary_facts or {}).get("reachability", "ok") if primary_facts else None,
        "replicas": sorted(a for a in members if a != primary and (a in sources or kind != "replication")),
        "tree": tree,
        "roots": roots,
        "external_sources": external,
        "writable": writable,
        "unreachable": unreachable,
        "errant_gtids": errant,
        "errant_gtid_counts": errant_counts,
        "lag_to_primary": lag,
        "transactions_behind": behind,
        "size": len(members),
        "reachable_count": len(reachable),
        "member_reachability": dict((a, "hung" if a == primary and "primary_hung" in codes
                                     else "ok" if f.get("reachable") else (f.get("reachability") or "error"))
                                    for a, f in members.items()),
        "healthy_replica_count": healthy,
        "primary_hung_since": round(hung_since, 3) if hung_since is not None else None,
        "primary_hung_seconds": round(max(0.0, now - hung_since), 3) if hung_since is not None else None,
        "analysis": {"code": code, "codes": ordered or ["ok"], "details": dict((c, codes[c]) for c in ordered)},
    }


def _known_errant(known_state, members):
    """The errant GTIDs of the previous verdict, for replicas still in the cluster."""
    known = known_state.get("errant_gtids")
    counts = known_state.get("errant_gtid_counts")
    counts = counts if isinstance(counts, dict) else {}
    errant = dict((r, t) for r, t in known.items() if r in members and isinstance(t, str)) if isinstance(known, dict) else {}
    return errant, dict((r, counts[r]) for r in errant if isinstance(counts.get(r), int))


def _outage_details(members):
    """``none of 3 members answers: refused 2 (a, b); hung 1 (c)``: each member's reason."""
    by_kind = {}
    for address, facts in sorted(members.items()):
        by_kind.setdefault(facts.get("reachability") or "error", []).append(address)
    return "none of %d members answers: %s" % (len(members), "; ".join(
        "%s %d (%s)" % (kind, len(addresses), ", ".join(addresses)) for kind, addresses in sorted(by_kind.items())))


def _walk(tree, root):
    seen = []
    stack = list(reversed(tree.get(root, [])))
    while stack:
        node = stack.pop()
        if node in seen or node == root:
            continue
        seen.append(node)
        stack.extend(reversed(tree.get(node, [])))
    return seen


def _descendants(tree, root):
    return len(_walk(tree, root))


def _lag_to(tree, sources, primary, replica):
    """Seconds behind the primary, summed over the chain; None when any hop is unknown."""
    total = 0
    node = replica
    hops = 0
    while node != primary and hops < 32:
        links = sources.get(node)
        if not links:
            return None
        source, channel = links[0]
        seconds = channel.get("seconds_behind_source")
        if seconds is None:
            return None
        total += seconds
        node = source
        hops += 1
    return total if node == primary else None
