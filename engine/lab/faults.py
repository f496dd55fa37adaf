"""Fault helpers of the lab: a flood of idle TCP connections, as an application pool makes.

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

__all__ = ["start_flood", "stop_flood", "flood_alive"]

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
