"""A frozen primary under client load is never "dead" (issue 9), decided on recorded evidence:
host liveness beyond the MySQL port, what the replicas' IO threads saw, and the memory of a
primary last seen hung.  The decision table is docs/analysis.md's."""
from __future__ import annotations

import socket

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.liveness import probe_host

P, R1, R2 = "10.9.0.1:3306", "10.9.0.2:3306", "10.9.0.3:3306"
HANDSHAKE = "Lost connection to server at 'reading initial communication packet', system error: 110"


def server(channels=()):
    return {"reachable": True, "read_only": bool(channels), "super_read_only": None, "channels": list(channels),
            "gtid": {"executed": "0-1-10"}, "flavor": "mariadb", "hostname": None, "port": None, "galera": None,
            "group_replication": None}


def lost(errno=2003, error="Can't connect to server on '10.9.0.1' (111)"):
    return server([{"name": "", "source_host": "10.9.0.1", "source_port": 3306, "io_running": "connecting",
                    "sql_running": True, "seconds_behind_source": None, "last_io_errno": errno,
                    "last_io_error": error, "last_sql_errno": 0}])


def streaming():
    return server([{"name": "", "source_host": "10.9.0.1", "source_port": 3306, "io_running": "yes",
                    "sql_running": True, "seconds_behind_source": 0, "last_io_errno": 0, "last_io_error": "",
                    "last_sql_errno": 0}])


def primary(how, answer=None):
    record = {"instance": P, "reachable": False, "reachability": how, "error": f"{P}: {how}", "errno": 2003}
    if answer is not None:
        record["evidence"] = {"liveness": {"port": 1, "answer": answer, "alive": answer in ("rst", "syn-ack")}}
    return record


# port answer x host answer x replicas' view -> verdict (docs/analysis.md)
@pytest.mark.parametrize("how,answer,replicas,verdict", [
    ("refused", None, (lost(), lost()), "primary_dead"),                       # RST on MySQL's port: gone
    ("hung", "rst", (lost(2013, HANDSHAKE), lost(2013, HANDSHAKE)), "primary_hung"),
    ("hung", None, (streaming(), streaming()), "primary_hung"),
    ("unreachable", "none", (lost(), lost()), "primary_dead"),                 # host silent, replicas agree
    ("unreachable", "unreachable", (lost(), lost()), "primary_dead"),
    ("unreachable", "none", (streaming(), lost()), "primary_unreachable"),     # a replica still streams
    ("unreachable", "none", (lost(2013, HANDSHAKE), lost()), "primary_hung"),  # a replica saw TCP, no handshake
    ("refused", None, (lost(2013, HANDSHAKE), lost()), "primary_dead"),        # a refusal outranks an old hang
])
def test_the_decision_table(how, answer, replicas, verdict):
    members = {P: primary(how, answer), R1: replicas[0], R2: replicas[1]}
    cluster = analyze_cluster(members)
    assert cluster["analysis"]["code"] == verdict
    if verdict == "primary_hung":
        assert "primary_dead" not in cluster["analysis"]["codes"]
        assert cluster["member_reachability"][P] == "hung" and cluster["primary_reachability"] == "hung"


def test_a_primary_last_seen_hung_stays_hung_until_it_gives_evidence_of_death():
    first = analyze_cluster({P: primary("hung", "rst"), R1: lost(2013, HANDSHAKE), R2: lost(2013, HANDSHAKE)},
                            now=1000.0)
    assert first["analysis"]["code"] == "primary_hung" and first["primary_hung_since"] == 1000.0
    # Later the MySQL port gives no TCP answer, the probe fails (no proof the host is silent) and the replicas'
    # errors are plain connect failures: nothing proves death, so it stays hung, and for how long is told.
    later = analyze_cluster({P: primary("unreachable", "error"), R1: lost(), R2: lost()}, known_state=first,
                            now=1090.0)
    assert later["analysis"]["code"] == "primary_hung"
    assert later["primary_hung_since"] == 1000.0 and later["primary_hung_seconds"] == 90.0
    assert "hung for 90s" in later["analysis"]["details"]["primary_hung"]
    # Evidence of death: a refusal on MySQL's port.
    dead = analyze_cluster({P: primary("refused"), R1: lost(), R2: lost()}, known_state=later, now=1100.0)
    assert dead["analysis"]["code"] == "primary_dead" and dead["primary_hung_since"] is None
    # Or a silent host with every replica agreeing.
    silent = analyze_cluster({P: primary("unreachable", "none"), R1: lost(), R2: lost()}, known_state=later, now=1100.0)
    assert silent["analysis"]["code"] == "primary_dead"


def test_the_liveness_probe_tells_a_live_kernel_from_silence():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    open_port = listener.getsockname()[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        assert probe_host("127.0.0.1", open_port, timeout=1)["answer"] == "syn-ack"
        rst = probe_host("127.0.0.1", closed_port, timeout=1)
        assert rst["answer"] == "rst" and rst["alive"] is True
        assert probe_host("127.0.0.1", 0)["answer"] == "disabled"
        assert probe_host("no-such-host.invalid", 1, timeout=1)["alive"] is False
    finally:
        listener.close()
