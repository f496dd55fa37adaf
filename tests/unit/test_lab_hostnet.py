"""The lab acts only on namespaces and links it made, whatever lab.json says."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab import hostnet
from ansible_collections.dbaops.mysql_ha.engine.lab.server import LabError

GOOD = {"netns": "mysqlha-87-ab12-primary", "root_if": "mh87ab12r0", "address": "10.213.87.2", "client": "10.213.87.1",
        "peers": {"replica1": "10.213.87.130"}}


@pytest.fixture
def ip_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(hostnet, "_ip", lambda *args, **kwargs: calls.append((args, kwargs.get("netns"))))
    return calls


@pytest.mark.parametrize("field, value", [
    ("root_if", "eth0"), ("root_if", "lo"), ("netns", "default"), ("netns", "mysqlha-1-x; rm -rf /"),
    ("address", "127.0.0.1"), ("client", None), ("peers", {"r": "0.0.0.0"}),
])
def test_a_damaged_record_changes_nothing_and_names_the_value(ip_calls, field, value):
    record = dict(GOOD, **{field: value})
    for action in (lambda: hostnet.remove_hosts({"hosts": {"primary": record}}),
                   lambda: hostnet.silence(record, []), lambda: hostnet.unsilence(record)):
        with pytest.raises(LabError, match="not one the lab made"):
            action()
    assert ip_calls == []


def test_removal_deletes_exactly_the_lab_link_and_namespace(ip_calls):
    hostnet.remove_hosts({"block": 87, "hosts": {"primary": GOOD}})
    assert [args for args, _ns in ip_calls] == [("link", "del", "mh87ab12r0"), ("netns", "del", "mysqlha-87-ab12-primary")]
    hostnet.remove_hosts(None)
    with pytest.raises(LabError, match="nothing was changed"):
        hostnet.remove_hosts({"hosts": "junk"})
    assert len(ip_calls) == 2


def test_one_bad_record_among_good_ones_stops_the_removal_before_it_starts(ip_calls):
    with pytest.raises(LabError, match="not one the lab made"):
        hostnet.remove_hosts({"hosts": {"primary": GOOD, "replica1": dict(GOOD, root_if="eth0")}})
    assert ip_calls == []


def test_a_planned_lab_names_everything_with_its_own_token():
    net = hostnet._plan(7, "c0de", ["primary", "replica1", "replica2"])
    hosts = net["hosts"]
    assert [h["root_if"] for h in hosts.values()] == ["mh7c0der0", "mh7c0der1", "mh7c0der2"]
    assert all(h["netns"].startswith("mysqlha-7-c0de-") and len(h["root_if"]) <= 15 for h in hosts.values())
    # Each peer link's two ends: what primary sees replica1 talk from is replica1's end of their link.
    assert hosts["primary"]["peers"]["replica1"] != hosts["replica1"]["peers"]["primary"]
    assert hostnet.check_hosts(net) == list(hosts.values())


def test_silence_blackholes_this_machine_and_every_peer_not_kept(ip_calls):
    hostnet.silence(GOOD, [])
    added = [args[-1] for args, _ns in ip_calls if args[1] == "replace"]
    assert added == ["10.213.87.1/32", "10.213.87.130/32"]
    assert {ns for _args, ns in ip_calls} == {"mysqlha-87-ab12-primary"}
    ip_calls.clear()
    # Silenced again with a peer kept: the earlier blackholes go first, so the kept link opens.
    hostnet.silence(GOOD, ["replica1"])
    assert [(args[1], args[-1]) for args, _ns in ip_calls] == [
        ("del", "10.213.87.1/32"), ("del", "10.213.87.130/32"), ("replace", "10.213.87.1/32")]
