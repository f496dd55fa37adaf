"""The lab acts only on namespaces and links it made, whatever lab.json says."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab import hostnet
from ansible_collections.dbaops.mysql_ha.engine.lab.server import LabError

GOOD = {"netns": "mysqlha-87-primary", "root_if": "mh87r0", "address": "10.213.87.2", "client": "10.213.87.1",
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
    assert [args for args, _ns in ip_calls] == [("link", "del", "mh87r0"), ("netns", "del", "mysqlha-87-primary")]
    hostnet.remove_hosts(None)
    hostnet.remove_hosts({"hosts": "junk"})
    assert len(ip_calls) == 2


def test_silence_blackholes_this_machine_and_every_peer_not_kept(ip_calls):
    hostnet.silence(GOOD, [])
    assert [args[-1] for args, _ns in ip_calls] == ["10.213.87.1/32", "10.213.87.130/32"]
    assert {ns for _args, ns in ip_calls} == {"mysqlha-87-primary"}
    ip_calls.clear()
    hostnet.silence(GOOD, ["replica1"])
    assert [args[-1] for args, _ns in ip_calls] == ["10.213.87.1/32"]
