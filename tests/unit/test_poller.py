"""A poller against targets that refuse, and with descriptors past select()'s 1024 limit."""
from __future__ import annotations

import os
import resource
import socket
import time

from ansible_collections.dbaops.mysql_ha.engine.daemon.poller import TargetPoller
from ansible_collections.dbaops.mysql_ha.engine.daemon.service import ensure_descriptors
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import ConnectionParams


def refused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]   # closed again: nothing listens there


def test_a_poller_works_with_descriptors_past_1024_and_reports_a_refusal():
    """A daemon with hundreds of targets has descriptors past 1024, where select() fails."""
    ensure_descriptors(600)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 600 * 4
    filler = [os.open(os.devnull, os.O_RDONLY) for _fd in range(1100)]
    poller = TargetPoller("c", ConnectionParams(host="127.0.0.1", port=refused_port(), user="u", password="p",
                                                config_file=os.devnull, connect_timeout=1, read_timeout=1,
                                                ssl_mode="disabled"), liveness_port=0)
    try:
        assert poller._wake_r > 1024
        poller.start()
        target = poller.request()
        deadline = time.monotonic() + 10
        while not poller.done(target) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert poller.done(target)
        assert poller.latest.facts["reachability"] == "refused"
    finally:
        poller.stop()
        for fd in filler:
            os.close(fd)
