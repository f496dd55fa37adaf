"""One thread per target: a persistent connection, polled on request, watched between polls.

Reconnecting every second would cost a TLS handshake per poll (134 ms of CPU per cycle for 3
TLS targets, against 3.8 ms for plain polls over open connections), so each target keeps one
connection open.  Between polls the thread waits in ``select()`` on that idle connection and
on its wake-up pipe.  When mysqld dies its kernel closes the socket and the FIN makes the idle
connection readable within milliseconds; the poller then polls at once (a reconnect gets
"refused") and calls ``on_change``, which makes the monitor re-check the cluster's other
members and run a cycle without waiting for the next tick.

A poll on an open connection that breaks ("lost") is retried once on a fresh connection in the
same poll, so a killed server is "refused" (evidence of death), not merely "lost".  Every poll
is bounded by the target's connect and read timeouts; one slow target delays no other.
"""
from __future__ import annotations

import logging
import os
import select
import threading
import time
from dataclasses import dataclass
from typing import Callable

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import collect_replication
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.security import gather_security
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import (
    ConnectionParams,
    Session,
    connect,
    resolve_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError, MysqlhaError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import failure_facts

LOG = logging.getLogger("mysqlha.poller")


@dataclass(frozen=True)
class PollResult:
    facts: dict
    finished_at: float       # time.time()
    seconds: float
    seq: int


class TargetPoller:
    """Polls one member of one cluster; ``latest`` is its newest result (None before the first)."""

    def __init__(self, cluster: str, params: ConnectionParams, liveness_port: int = 1,
                 on_result: Callable[[TargetPoller], None] | None = None,
                 on_change: Callable[[TargetPoller, str], None] | None = None,
                 security_interval: float = 300.0):
        self.cluster = cluster
        self.params = params
        self.address = params.address
        self.liveness_port = liveness_port
        self.on_result = on_result
        self.on_change = on_change
        self.security_interval = security_interval
        self.latest: PollResult | None = None
        self.security: dict | None = None
        self.security_error: str | None = None
        self.busy_since: float | None = None
        self.polls = 0
        self.started = 0          # polls begun
        self.completed = 0        # polls finished (``latest`` is the last one's)
        self.reconnects = 0
        self.closes_seen = 0
        self._session: Session | None = None
        self._resolved: ConnectionParams | None = None
        self._security_at = 0.0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._requested = False
        self._stop = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"poll {cluster}/{self.address}", daemon=True)

    # ---- control (any thread) ---------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def request(self) -> int:
        """Ask for a poll; returns the number of the poll that will answer (``done`` reaches it).
        A poll already running began before this request, so the answer is the one after it."""
        with self._lock:
            self._requested = True
            target = self.started + 1
        self._poke()
        return target

    def done(self, target: int) -> bool:
        return self.completed >= target

    def signal_stop(self) -> None:
        self._stop = True
        self._poke()

    def stop(self, timeout: float = 5.0) -> None:
        self.signal_stop()
        self._thread.join(timeout)
        self._close()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _poke(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass

    # ---- the thread -------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop:
            # poll(), not select(): a daemon with hundreds of targets has descriptors past 1024.
            watcher = select.poll()
            watcher.register(self._wake_r, select.POLLIN)
            fd = self._session.fileno() if self._session is not None else -1
            if fd >= 0:
                watcher.register(fd, select.POLLIN)
            try:
                ready = [ready_fd for ready_fd, _event in watcher.poll(5000)]
            except (OSError, ValueError):   # the session's socket went away under us
                ready = []
                self._close()
            if self._wake_r in ready:
                try:
                    os.read(self._wake_r, 4096)
                except (BlockingIOError, OSError):
                    pass
            closed = fd >= 0 and fd in ready
            if self._stop:
                break
            with self._lock:
                wanted = self._requested or closed
                self._requested = False
                if wanted:
                    self.busy_since = time.monotonic()
                    self.started += 1
            if not wanted:
                continue
            if closed:
                self.closes_seen += 1
                self._close()   # the server closed it (or is shutting down): a fresh connection tells how
            before = self.latest.facts.get("reachability") if self.latest else None
            result = self._poll()
            with self._lock:
                self.latest = result
                self.completed = self.started
                self.busy_since = None
            after = result.facts.get("reachability")
            if self.on_result:
                self.on_result(self)
            if self.on_change and (closed or (before != after and self.polls > 1)):
                self.on_change(self, "connection closed by the server" if closed else f"{before} -> {after}")

    def _poll(self) -> PollResult:
        started, self.polls = time.monotonic(), self.polls + 1
        try:
            facts = self._collect()
        except Exception as exc:  # noqa: BLE001 - one target's surprise is that target's facts, never the daemon's end
            self._close()
            facts = failure_facts(self.params, exc, self.liveness_port)
        return PollResult(facts, time.time(), time.monotonic() - started, self.polls)

    def _collect(self) -> dict:
        if self._resolved is None:
            self._resolved = resolve_params(self.params)
        fresh = self._session is None
        if fresh:
            self._open()
        try:
            facts = self._read()
        except ConnectError as exc:
            if fresh or exc.kind != "lost":
                raise   # "hung": no answer within read_timeout on an open connection says it all
            # The open connection broke: ask a fresh one, so a killed server reads "refused".
            self._close()
            self._open()
            facts = self._read()
        self._maybe_security()
        return facts

    def _open(self) -> None:
        assert self._resolved is not None
        self._session = connect(self._resolved, multi_statements=True)
        self.reconnects += 1

    def _read(self) -> dict:
        assert self._session is not None
        facts = collect_replication(self._session, instance=self.address)
        facts["collection"]["connect_ms"] = round(self._session.connect_seconds * 1000.0, 3)
        return facts

    def _maybe_security(self) -> None:
        now = time.monotonic()
        if self.security_interval <= 0 or now - self._security_at < self.security_interval:
            return
        self._security_at = now
        try:
            self.security = gather_security(self._resolved)
            self.security_error = None
        except MysqlhaError as exc:
            self.security_error = str(exc)[:300]
        except Exception as exc:  # noqa: BLE001
            self.security_error = f"{type(exc).__name__}: {str(exc)[:200]}"

    def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()
