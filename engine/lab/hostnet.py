"""Lab nodes on hosts of their own, so that a host can be made silent.

``mysqlha lab up --own-host primary`` starts that node's mariadbd inside a network namespace
(``ip netns``) joined to this machine by a veth pair.  Each lab takes one free /24 of
10.213.0.0/16; node ``i`` gets the /29 at ``8*i``: this machine's end is ``.8i+1``, the node's
address ``.8i+2``.  Nodes with hosts of their own are also joined pairwise by direct veth links
(/30s from ``.128``) with a /32 route to each other's address, so one of them can keep talking
to another when this machine no longer can.

Silencing a host adds blackhole routes inside its namespace towards the clients it must stop
answering.  It then drops every reply: no SYN-ACK, no RST, no data.  From outside that is a
powered-off host or a cut cable, while its processes keep running.  ``unsilence`` deletes the
routes.

This needs root (``ip netns`` needs CAP_SYS_ADMIN and CAP_NET_ADMIN) and iproute2.  Nothing here
touches this machine's other interfaces, routes or sysctls.
"""
from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import random
import re
import secrets
import shutil
import subprocess
from typing import Any

from ansible_collections.dbaops.mysql_ha.engine.lab.server import LabError

PREFIX = "10.213"
MAX_HOSTS = 8
# What the lab names its namespaces and links; a record read back from lab.json is acted on
# only when its names have this shape, so a damaged or hostile lab.json cannot make
# `lab down` delete an interface or namespace the lab did not create (eth0, lo...).
_NETNS = re.compile(r"mysqlha-[0-9]{1,3}-[0-9a-f]{4}-[a-z0-9]{1,32}")
_ROOT_IF = re.compile(r"mh[0-9]{1,3}[0-9a-f]{4}r[0-9]")
LOCK_FILE = "/run/mysqlha-lab-hosts.lock"
_ADDRESS = re.compile(re.escape(PREFIX) + r"\.[0-9]{1,3}\.[0-9]{1,3}")


def is_lab_netns(name: str) -> bool:
    """True when ``name`` has the shape of a namespace the lab makes (never ``../``, never another's)."""
    return bool(_NETNS.fullmatch(name))


def is_lab_address(address: str) -> bool:
    """True when ``address`` is in the block the lab gives its own hosts."""
    return bool(_ADDRESS.fullmatch(address))


def unavailable_reason() -> str | None:
    """Why this machine cannot give lab nodes hosts of their own, or None."""
    if os.geteuid() != 0:
        return "hosts of their own (network namespaces) need root: run the lab as root, or without --own-host"
    if not shutil.which("ip"):
        return "hosts of their own need iproute2's `ip`: apt-get install -y iproute2"
    return None


def _ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    cmd = ["ip"] + (["-n", netns] if netns else []) + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip()[:300]}")
    return proc


def _blocks_in_use() -> set[int]:
    """Third octets of 10.213.X.0/24 blocks this machine already uses (addresses or lab namespaces)."""
    used = set()
    for line in _ip("-o", "-4", "addr", "show").stdout.splitlines():
        for word in line.split():
            if word.startswith(PREFIX + "."):
                used.add(int(word.split(".")[2]))
    for line in _ip("netns", "list").stdout.splitlines():
        parts = line.split()[0].split("-") if line.split() else []
        if len(parts) >= 4 and parts[0] == "mysqlha" and parts[1].isdigit():
            used.add(int(parts[1]))
    return used


def create_hosts(names: list[str], on_planned=None, attempts: int = 5) -> dict:
    """A host of its own for each node named, on a free /24: ``{"block", "token", "hosts": {name: host}}``.

    A host is ``{"netns", "root_if", "address", "client", "peers": {peer: address}}``:
    ``address`` is the node's, ``client`` this machine's end of the pair, and ``peers`` maps
    each other own-host node to the address it talks to this one from.  Names carry a token of
    this lab, so no other lab's record can ever name them.  ``on_planned(net)`` is called with
    the names before anything is made (the lab records them, so an interrupted ``up`` is undone
    by ``down``).  Labs choose their blocks under a lock, one at a time.
    """
    reason = unavailable_reason()
    if reason:
        raise LabError(reason)
    if len(names) > MAX_HOSTS:
        raise LabError(f"at most {MAX_HOSTS} nodes can have hosts of their own, got {len(names)}")
    last = ""
    with _block_lock():
        for _attempt in range(attempts):
            used = _blocks_in_use()
            free = [b for b in range(256) if b not in used]
            if not free:
                raise LabError(f"no free /24 left in {PREFIX}.0.0/16 for the lab's hosts")
            net = _plan(random.choice(free), secrets.token_hex(2), names)
            if on_planned is not None:
                on_planned(net)
            made: list[tuple[str, str]] = []
            try:
                _build(net, made)
                return net
            except LabError as exc:
                last = str(exc)
                _undo(made)
    raise LabError(f"could not build the lab's own hosts: {last}")


@contextlib.contextmanager
def _block_lock():
    fd = os.open(LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _plan(block: int, token: str, names: list[str]) -> dict[str, Any]:
    net: dict[str, Any] = {"block": block, "token": token, "hosts": {}}
    for index, name in enumerate(names):
        base = 8 * index
        net["hosts"][name] = {
            "netns": f"mysqlha-{block}-{token}-{name}", "root_if": f"mh{block}{token}r{index}",
            "address": f"{PREFIX}.{block}.{base + 2}", "client": f"{PREFIX}.{block}.{base + 1}", "peers": {}}
    for link, (first, second) in enumerate(itertools.combinations(names, 2)):
        net["hosts"][first]["peers"][second] = f"{PREFIX}.{block}.{128 + 4 * link + 2}"
        net["hosts"][second]["peers"][first] = f"{PREFIX}.{block}.{128 + 4 * link + 1}"
    return net


def _build(net: dict, made: list[tuple[str, str]]) -> None:
    """Make what ``_plan`` named; ``made`` lists what exists so far (for ``_undo``)."""
    hosts = net["hosts"]
    for host in hosts.values():
        _ip("netns", "add", host["netns"])
        made.append(("netns", host["netns"]))
        _ip("link", "add", host["root_if"], "type", "veth", "peer", "name", "uplink", "netns", host["netns"])
        made.append(("link", host["root_if"]))
        _ip("addr", "add", f"{host['client']}/29", "dev", host["root_if"])
        _ip("link", "set", host["root_if"], "up")
        _ip("addr", "add", f"{host['address']}/29", "dev", "uplink", netns=host["netns"])
        _ip("link", "set", "uplink", "up", netns=host["netns"])
        _ip("link", "set", "lo", "up", netns=host["netns"])
    for first, second in itertools.combinations(list(hosts), 2):
        one, two = hosts[first], hosts[second]
        one_end, two_end = two["peers"][first], one["peers"][second]   # the address each end talks from
        _ip("link", "add", "name", f"to-{second}"[:15], "netns", one["netns"], "type", "veth",
            "peer", "name", f"to-{first}"[:15], "netns", two["netns"])
        for host, device, end, other_end, other in ((one, f"to-{second}"[:15], one_end, two_end, two),
                                                    (two, f"to-{first}"[:15], two_end, one_end, one)):
            _ip("addr", "add", f"{end}/30", "dev", device, netns=host["netns"])
            _ip("link", "set", device, "up", netns=host["netns"])
            _ip("route", "add", f"{other['address']}/32", "via", other_end, netns=host["netns"])


def _undo(made: list[tuple[str, str]]) -> None:
    for kind, name in reversed(made):
        if kind == "link":
            _ip("link", "del", name, check=False)
        else:
            _ip("netns", "del", name, check=False)


def _ours(host: object) -> dict:
    """``host`` as recorded by ``create_hosts``, or LabError: the names must be the lab's own."""
    if not isinstance(host, dict):
        raise LabError(f"lab.json: a host record is not a mapping: {str(host)[:80]!r}")
    peers = host.get("peers")
    checks = [(_NETNS, host.get("netns")), (_ROOT_IF, host.get("root_if")), (_ADDRESS, host.get("address")),
              (_ADDRESS, host.get("client"))] + [(_ADDRESS, a) for a in (peers.values() if isinstance(peers, dict) else [None])]
    for pattern, value in checks:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise LabError(f"lab.json: host record {str(host)[:200]!r} is not one the lab made "
                           f"({value!r} is not a lab name or address); nothing was changed")
    return host


def check_hosts(net: object) -> list[dict]:
    """The host records of ``net`` (lab.json's ``hostnet``), every one checked to be the lab's own."""
    if net is None:
        return []
    hosts = net.get("hosts") if isinstance(net, dict) else None
    if not isinstance(hosts, dict):
        raise LabError(f"lab.json: hostnet {str(net)[:120]!r} is not a record the lab made; nothing was changed")
    return [_ours(host) for host in hosts.values()]


def remove_hosts(net: dict | None) -> None:
    """Delete the lab's namespaces and links (after its servers stopped); safe to repeat.
    Every record is checked before anything is deleted."""
    for host in check_hosts(net):
        _ip("link", "del", host["root_if"], check=False)
        _ip("netns", "del", host["netns"], check=False)


def silence(host: dict, keep: list[str]) -> None:
    """Drop every reply ``host`` sends, except to the own-host peers in ``keep`` (replacing any
    earlier silence of the host)."""
    host = _ours(host)
    unsilence(host)
    for address in _client_addresses(host, keep):
        _ip("route", "replace", "blackhole", f"{address}/32", netns=host["netns"])


def unsilence(host: dict) -> None:
    host = _ours(host)
    for address in _client_addresses(host, []):
        _ip("route", "del", "blackhole", f"{address}/32", netns=host["netns"], check=False)


def _client_addresses(host: dict, keep: list[str]) -> list[str]:
    return [host["client"]] + [address for peer, address in sorted(host["peers"].items()) if peer not in keep]
