"""ssl_mode against real TLS lab servers: each mode does what the mysql client's does, and a
certificate check is never turned on or off by the host-name check alone."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab.tls import make_ca
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import connect, resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError

from lab_helpers import LabFactory, run_module


@pytest.fixture(scope="module")
def tls_lab():
    factory = LabFactory()
    yield factory(replicas=0, tls=True)
    factory.stop_all()


def tls_of(lab, **changes):
    params = resolve_params(lab.params(lab.node("primary"), **changes))
    with connect(params) as session:
        return session.tls


def test_preferred_and_required_encrypt_disabled_does_not(tls_lab):
    assert tls_of(tls_lab, ssl_mode="preferred")["version"] in ("TLSv1.2", "TLSv1.3")
    assert tls_of(tls_lab, ssl_mode="required") is not None
    assert tls_of(tls_lab, ssl_mode="disabled") is None


def test_preferred_falls_back_to_plain_on_a_server_without_tls(shared_lab):
    assert tls_of(shared_lab, ssl_mode="preferred") is None


def test_verify_ca_with_the_lab_ca_through_the_module(tls_lab):
    node = tls_lab.node("primary")
    result, _output = run_module("replication_facts", {
        "login_host": "127.0.0.1", "login_port": node.port, "config_file": tls_lab.client_file,
        "ssl_mode": "verify_ca", "ssl_ca": tls_lab.topology["tls"]["ca"]})
    assert not result.get("failed"), result
    assert result["ansible_facts"]["mysql_replication"]["collection"]["tls"]["version"].startswith("TLSv1.")


def test_a_wrong_ca_fails_clearly_naming_the_host(tls_lab, tmp_path):
    other_ca, _key = make_ca(str(tmp_path), name="someone else's CA")
    node = tls_lab.node("primary")
    result, _output = run_module("replication_facts", {
        "login_host": "127.0.0.1", "login_port": node.port, "config_file": tls_lab.client_file,
        "ssl_mode": "verify_ca", "ssl_ca": str(other_ca)})
    assert result["failed"] is True and result["reachability"] == "tls"
    assert f"127.0.0.1:{node.port}" in result["msg"] and "certificate verify failed" in result["msg"]


def test_verify_identity_checks_the_name_the_certificate_gives(tls_lab):
    ca = tls_lab.topology["tls"]["ca"]
    assert tls_of(tls_lab, ssl_mode="verify_identity", ssl_ca=ca, host="127.0.0.1") is not None
    assert tls_of(tls_lab, ssl_mode="verify_identity", ssl_ca=ca, host="localhost") is not None


def test_name_mismatch_fails_verify_identity_but_not_verify_ca(make_lab):
    lab = make_lab(replicas=0, tls=True, tls_names=("db1.example.internal",))
    ca = lab.topology["tls"]["ca"]
    assert tls_of(lab, ssl_mode="verify_ca", ssl_ca=ca) is not None
    with pytest.raises(ConnectError) as info:
        tls_of(lab, ssl_mode="verify_identity", ssl_ca=ca)
    assert info.value.kind == "tls" and "mismatch" in str(info.value)
