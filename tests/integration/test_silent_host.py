"""A primary whose whole host goes silent (issue 9), on real lab servers on hosts of their own.

The lab runs the primary (and, for the partition, one replica) in network namespaces of their
own; ``Lab.silence`` makes the primary's host drop every reply, so neither its MySQL port nor
the liveness probe gets any answer, as when a host is powered off or cut off.  Then only the
replicas can tell: dead when every one of them lost it, unreachable while one still streams.
Polled every 2 s (1 s connect timeout plus 1 s probe), passing each result back.
"""
from __future__ import annotations

import os
import time

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab import hostnet
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import gather_topology

from lab_helpers import wait_for

if hostnet.unavailable_reason():
    pytest.skip(hostnet.unavailable_reason(), allow_module_level=True)

POLL_SECONDS = 2.0


def poll(lab, known_state=None):
    params = [resolve_params(lab.params(n, connect_timeout=1, read_timeout=2)) for n in lab.nodes]
    return gather_topology(params, name="lab", known_state=known_state)


def watch(lab, fault, seconds, stop_on=None):
    result = poll(lab)
    assert result["cluster"]["analysis"]["code"] == "ok", result["cluster"]["analysis"]
    fault()
    faulted_at, seen = time.monotonic(), []
    while time.monotonic() - faulted_at < seconds:
        began = time.monotonic()
        result = poll(lab, known_state=result)
        seen.append((round(began - faulted_at, 1), result))
        if stop_on and result["cluster"]["analysis"]["code"] == stop_on:
            break
        time.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - began)))
    return seen


def test_the_lab_gives_a_node_a_host_of_its_own_and_takes_it_away_on_down(make_lab):
    lab = make_lab(replicas=1, own_hosts=("primary",))
    primary = lab.node("primary")
    host = lab.own_host(primary)
    assert primary.host == host["address"] and primary.host.startswith(hostnet.PREFIX + ".")
    assert os.path.exists(f"/run/netns/{host['netns']}")
    # The replica on this machine replicates from the primary's own address.
    with lab.session("replica1") as session:
        assert session.query("SHOW SLAVE STATUS")[0]["Master_Host"] == primary.host
    lab.down()
    assert not os.path.exists(f"/run/netns/{host['netns']}")
    assert host["root_if"] not in os.listdir("/sys/class/net")


def test_a_silent_primary_host_is_dead_once_every_replica_lost_it_and_comes_back_on_thaw(make_lab):
    lab = make_lab(replicas=2, own_hosts=("primary",))
    primary = lab.node("primary")
    seen = watch(lab, lambda: lab.silence(primary), seconds=60, stop_on="primary_dead")
    codes = [r["cluster"]["analysis"]["code"] for _at, r in seen]
    # Before the replicas notice, one of them still streams: unreachable, never hung, never ok.
    assert codes[-1] == "primary_dead", codes
    assert set(codes[:-1]) <= {"primary_unreachable"}, codes
    at, result = seen[-1]
    member = result["members"][primary.address]
    assert member["reachability"] == "unreachable"
    assert member["evidence"]["liveness"]["answer"] == "none"
    assert "gave no answer on port 1 either" in result["cluster"]["analysis"]["details"]["primary_dead"]
    print(f"silent host, replicas' IO lost: primary_dead {at}s after the silence, poll {len(seen)}")
    lab.thaw(primary)
    wait_for(lambda: poll(lab)["cluster"]["analysis"]["code"] == "ok", timeout=60, interval=1)


def test_a_silent_primary_host_that_a_replica_still_reaches_is_unreachable_never_dead(make_lab):
    lab = make_lab(replicas=2, own_hosts=("primary", "replica1"))
    primary, kept, cut = lab.node("primary"), lab.node("replica1"), lab.node("replica2")
    seen = watch(lab, lambda: lab.silence(primary, keep=("replica1",)), seconds=20)
    codes = [r["cluster"]["analysis"]["code"] for _at, r in seen]
    assert set(codes) == {"primary_unreachable"}, codes
    last = seen[-1][1]
    # The cut replica did lose the primary meanwhile (slave_net_timeout 4 s); the kept one streams.
    channels = {a: m["channels"][0]["io_running"] for a, m in last["members"].items() if m.get("channels")}
    assert channels == {kept.address: "yes", cut.address: "connecting"}, channels
    assert f"1 of 2 replicas still stream from it ({kept.address})" in last["cluster"]["analysis"]["details"]["primary_unreachable"]
    assert "gave no answer on port 1 either" in last["cluster"]["analysis"]["details"]["primary_unreachable"]
    lab.thaw(primary)
    wait_for(lambda: poll(lab)["cluster"]["analysis"]["code"] == "ok", timeout=60, interval=1)
    assert lab.status()[0]["state"] == "running"


def test_silence_needs_a_host_of_its_own_and_says_so(make_lab):
    from ansible_collections.dbaops.mysql_ha.engine.lab import LabError

    lab = make_lab(replicas=2, own_hosts=("primary",))
    with pytest.raises(LabError, match="--own-host replica1"):
        lab.silence("replica1")
    with pytest.raises(LabError, match="only a node with a host of its own"):
        lab.silence("primary", keep=("replica2",))
