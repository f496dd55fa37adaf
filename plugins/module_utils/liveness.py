# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host liveness, separate from the MySQL port.

When the MySQL port gives no TCP answer, that alone does not tell a dead host from a live
mysqld whose accept queue is full (a frozen process under client load: the kernel drops new
SYNs once the queue is full).  One more TCP connect to another port of the same host tells:

* a RST (connection refused) or a SYN-ACK means the host's kernel is alive, so the MySQL
  process is there but not accepting: ``hung``, never ``dead``;
* no answer within the timeout means the host is down or cut off (or a firewall drops the
  probe silently): no evidence of life, and the replicas decide as before.

The probe costs one TCP connect bounded by the timeout, only after the MySQL port failed to
answer.  ``port`` is the probe's target: by default port 1 (tcpmux, closed nearly everywhere,
so a live kernel answers RST); a port known to be open (22) works too (SYN-ACK).  0 disables it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno as errno_mod
import socket
import time

__all__ = ["DEFAULT_PROBE_PORT", "probe_host"]

DEFAULT_PROBE_PORT = 1


def probe_host(host, port=DEFAULT_PROBE_PORT, timeout=2.0):
    """One TCP connect to ``host:port``: a dict of what answered.

    ``answer``: ``rst`` (refused: the kernel is alive), ``syn-ack`` (open: alive),
    ``none`` (no answer within ``timeout``), ``unreachable`` (no route: EHOSTUNREACH /
    ENETUNREACH), ``error`` (anything else, e.g. a name that does not resolve), or
    ``disabled`` (port 0).  ``alive`` is True only for ``rst`` and ``syn-ack``.
    """
    if not port:
        return {"port": 0, "answer": "disabled", "alive": None, "seconds": 0.0}
    started = time.monotonic()
    answer = "error"
    try:
        sock = socket.create_connection((host, int(port)), timeout)
        sock.close()
        answer = "syn-ack"
    except ConnectionRefusedError:
        answer = "rst"
    except socket.timeout:
        answer = "none"
    except OSError as exc:
        answer = "unreachable" if exc.errno in (errno_mod.EHOSTUNREACH, errno_mod.ENETUNREACH) else "error"
    except (UnicodeError, ValueError, OverflowError):
        answer = "error"
    return {"port": int(port), "answer": answer, "alive": answer in ("rst", "syn-ack"),
            "seconds": round(time.monotonic() - started, 3)}
