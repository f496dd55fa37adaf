"""Faults the lab injects into its own servers: signals, floods, silent hosts.

``LabFaults`` (mixed into ``Lab``) freezes, thaws and kills nodes by PID, floods them with
idle connections and makes a node's host silent (``hostnet.py``).  ``thaw`` undoes every
fault a node has: it releases the flood, lifts the silence and sends SIGCONT.

``flood(address, count)`` starts a small holder process that opens ``count`` TCP connections
to the server and never sends a byte: against a frozen mysqld each one is completed by the
kernel and waits in the accept queue, which fills (``back_log``) and then the kernel drops
new SYNs, exactly what a client fleet does to a frozen primary.  The holder's PID is kept so
that ``thaw`` and ``down`` release the connections; it also ends by itself after
``max_seconds`` (a test that dies never leaves it behind for long).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from ansible_collections.dbaops.mysql_ha.engine.lab import hostnet
from ansible_collections.dbaops.mysql_ha.engine.lab.server import LabError, Node, pid_runs_datadir

if TYPE_CHECKING:
    from ansible_collections.dbaops.mysql_ha.engine.lab import Lab

__all__ = ["LabFaults", "start_flood", "stop_flood", "flood_alive"]

_HOLDER = r"""
import socket, sys, time
host, port, count, max_seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
held = []
for _ in range(count):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((host, port))
    except (BlockingIOError, OSError):
        pass
    held.append(s)
sys.stdout.write("ready\n")
sys.stdout.flush()
time.sleep(max_seconds)
"""


def start_flood(host: str, port: int, count: int, max_seconds: float = 900.0) -> int:
    """Open ``count`` idle connections to ``host:port`` from a holder process; its PID."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, host, str(port), str(count), str(max_seconds)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # "ready": every connect has been sent
    return proc.pid


def flood_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"held = []" in handle.read()
    except OSError:
        return False


def stop_flood(pid: int | None) -> bool:
    """End a holder process (only ours: its command line is checked first)."""
    if not flood_alive(pid):
        return False
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    for _attempt in range(100):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not flood_alive(pid):
            break
        time.sleep(0.01)
    return True


class LabFaults:
    """The fault helpers of ``Lab``; every one acts on the lab's own servers only."""

    def signal(self: Lab, node: Node | str, sig: int) -> None:
        """Send ``sig`` to a lab server (SIGKILL, SIGSTOP, SIGCONT...), by its PID."""
        node = self.node(node) if isinstance(node, str) else node
        if not pid_runs_datadir(node.pid, node.datadir):
            raise LabError(f"{node.name} is not running")
        os.kill(node.pid, sig)   # type: ignore[arg-type]

    def kill(self: Lab, node: Node | str) -> None:
        self.signal(node, signal.SIGKILL)

    def freeze(self: Lab, node: Node | str) -> None:
        self.signal(node, signal.SIGSTOP)

    def thaw(self: Lab, node: Node | str) -> None:
        """Undo every fault of the node: release its flood, lift its silence, SIGCONT."""
        node = self.node(node) if isinstance(node, str) else node
        self.unflood(node)
        self.unsilence(node)
        self.signal(node, signal.SIGCONT)

    def flood(self: Lab, node: Node | str, count: int) -> int:
        """``count`` idle TCP connections to the node that never handshake, held until thaw/down
        (an application pool reconnecting to a frozen primary fills its accept queue this way)."""
        node = self.node(node) if isinstance(node, str) else node
        if not 0 < count <= 10_000:
            raise LabError(f"flood count must be from 1 to 10000, got {count}")
        if not pid_runs_datadir(node.pid, node.datadir):
            raise LabError(f"{node.name} is not running: there is nothing to flood")
        self.unflood(node)
        pid = start_flood(node.host, node.port, count)
        self.topology.setdefault("floods", {})[node.name] = pid
        self._save_if_present()
        return pid

    def unflood(self: Lab, node: Node | str) -> bool:
        node = self.node(node) if isinstance(node, str) else node
        pid = (self.topology.get("floods") or {}).pop(node.name, None)
        self._save_if_present()
        return stop_flood(pid)

    def own_host(self: Lab, node: Node) -> dict | None:
        return ((self.topology.get("hostnet") or {}).get("hosts") or {}).get(node.name)

    def silence(self: Lab, node: Node | str, keep: tuple[str, ...] = ()) -> None:
        """Make the node's host silent: no answer on any port (a host powered off or cut off),
        while its processes keep running.  ``keep``: nodes with hosts of their own that still
        reach it (a partition that cuts off this machine but not them)."""
        node = self.node(node) if isinstance(node, str) else node
        host = self.own_host(node)
        if host is None:
            raise LabError(f"{node.name} shares this machine's network, so it cannot be made silent alone: start the "
                           f"lab with --own-host {node.name}")
        keep = tuple(dict.fromkeys(keep))
        for name in keep:
            self.node(name)
            if name == node.name:
                raise LabError(f"--keep {name}: a host cannot keep reaching itself; name the nodes that still reach it")
            if name not in host["peers"]:
                raise LabError(f"{name} cannot keep reaching {node.name}: only a node with a host of its own "
                               f"(--own-host {name}) has a link of its own to it")
        hostnet.silence(host, list(keep))
        self.topology.setdefault("silenced", {})[node.name] = sorted(keep)
        self._save_if_present()

    def unsilence(self: Lab, node: Node | str) -> bool:
        node = self.node(node) if isinstance(node, str) else node
        host = self.own_host(node)
        silenced = (self.topology.get("silenced") or {}).pop(node.name, None) is not None
        if host is not None:
            hostnet.unsilence(host)
        self._save_if_present()
        return silenced
