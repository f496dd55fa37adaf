"""Cluster analysis (SPEC section 6): dead vs unreachable vs hung vs overloaded, writers, errant GTIDs."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster

P, R1, R2, R3 = "10.9.0.1:3306", "10.9.0.2:3306", "10.9.0.3:3306", "10.9.0.4:3306"


def channel(source, io="yes", sql=True, lag=0, errno=0):
    host, port = source.split(":")
    return {"name": "", "source_host": host, "source_port": int(port), "io_running": io, "sql_running": sql,
            "seconds_behind_source": lag, "last_io_errno": errno, "last_sql_errno": 0}


def server(read_only=False, channels=(), gtid="0-1-10", galera=None, flavor="mariadb"):
    return {"reachable": True, "read_only": read_only, "super_read_only": None, "channels": list(channels),
            "gtid": {"executed": gtid}, "flavor": flavor, "hostname": None, "port": None, "galera": galera,
            "group_replication": None}


def down(kind, error="x"):
    return {"reachable": False, "reachability": kind, "error": error}


def replica(io="yes", sql=True, lag=0, gtid="0-1-10", source=P, read_only=True):
    return server(read_only=read_only, channels=[channel(source, io, sql, lag)], gtid=gtid)


def code(members, **kw):
    return analyze_cluster(members, **kw)["analysis"]["code"]


def test_healthy_cluster_is_ok_with_primary_and_tree():
    cluster = analyze_cluster({P: server(), R1: replica(), R2: replica()})
    assert cluster["analysis"]["code"] == "ok"
    assert cluster["primary"] == P and cluster["tree"] == {P: [R1, R2]}
    assert cluster["lag_to_primary"] == {R1: 0, R2: 0} and cluster["errant_gtids"] == {}


@pytest.mark.parametrize("how", ["refused", "unreachable"])
def test_primary_dead_needs_every_reachable_replica_to_have_lost_it(how):
    members = {P: down(how), R1: replica(io="connecting", lag=None), R2: replica(io="connecting", lag=None)}
    assert code(members) == "primary_dead"


def test_one_streaming_replica_makes_it_unreachable_never_dead():
    members = {P: down("refused"), R1: replica(io="connecting", lag=None), R2: replica(io="yes")}
    cluster = analyze_cluster(members)
    assert cluster["analysis"]["code"] == "primary_unreachable"
    assert "primary_dead" not in cluster["analysis"]["codes"]
    assert cluster["primary"] == P


def test_dead_cannot_be_confirmed_without_a_reachable_replica():
    # The daemon remembers P as primary; neither P nor its only replica answers: a total outage.
    members = {P: down("refused"), R1: down("refused")}
    cluster = analyze_cluster(members, known_primary=P)
    assert cluster["primary"] == P
    assert cluster["analysis"]["codes"] == ["cluster_unreachable"]


@pytest.mark.parametrize("known_primary", [None, P])
def test_a_cluster_with_no_member_answering_is_cluster_unreachable_with_each_reason(known_primary):
    members = {P: down("hung"), R1: down("refused"), R2: down("unreachable")}
    cluster = analyze_cluster(members, known_primary=known_primary)
    assert cluster["analysis"]["codes"] == ["cluster_unreachable"]
    details = cluster["analysis"]["details"]["cluster_unreachable"]
    assert details.startswith("none of 3 members answers")
    assert f"hung 1 ({P})" in details and f"refused 1 ({R1})" in details and f"unreachable 1 ({R2})" in details
    assert cluster["member_reachability"] == {P: "hung", R1: "refused", R2: "unreachable"}
    assert cluster["reachable_count"] == 0


def test_healthy_replica_count_counts_only_replicas_that_replicate():
    cluster = analyze_cluster({P: server(), R1: replica(), R2: down("refused")})
    assert cluster["healthy_replica_count"] == 1
    assert cluster["member_reachability"] == {P: "ok", R1: "ok", R2: "refused"}
    cluster = analyze_cluster({P: server(), R1: replica(io="connecting", lag=None), R2: down("refused")})
    assert cluster["healthy_replica_count"] == 0


@pytest.mark.parametrize("io", ["yes", "connecting"])
def test_a_hung_primary_is_never_dead_whatever_the_replicas_say(io):
    members = {P: down("hung"), R1: replica(io=io, lag=None), R2: replica(io=io, lag=None)}
    cluster = analyze_cluster(members)
    assert cluster["analysis"]["code"] == "primary_hung"
    assert "primary_dead" not in cluster["analysis"]["codes"]


def test_too_many_connections_means_overloaded_not_down():
    members = {P: down("overloaded", "Too many connections"), R1: replica(), R2: replica()}
    assert code(members) == "primary_overloaded"


def test_a_primary_answering_a_held_connection_at_max_connections_is_overloaded():
    """A daemon polls over a connection it already holds, so it still gets answers from a primary
    that refuses every new client: the connection counts tell."""
    load = {"threads_connected": 151, "max_connections": 151, "threads_running": 3, "max_used_connections": 152}
    full = dict(server(), connections=load)
    cluster = analyze_cluster({P: full, R1: replica(), R2: replica()})
    assert cluster["analysis"]["code"] == "primary_overloaded"
    assert "151 of 151" in cluster["analysis"]["details"]["primary_overloaded"]
    roomy = dict(full, connections=dict(full["connections"], threads_connected=150))
    assert code({P: roomy, R1: replica(), R2: replica()}) == "ok"


def test_two_writable_servers_replicating_from_no_one_is_split_brain():
    members = {P: server(), R1: server(gtid="0-2-11"), R2: replica()}
    cluster = analyze_cluster(members)
    assert cluster["analysis"]["code"] == "multiple_writable_primaries"
    assert set(cluster["writable"]) == {P, R1}


def test_writable_replica_and_read_only_primary_are_reported():
    assert "replica_writable" in analyze_cluster({P: server(), R1: replica(read_only=False)})["analysis"]["codes"]
    assert code({P: server(read_only=True), R1: replica()}) == "no_writable_primary"


def test_all_replicas_stopped():
    members = {P: server(), R1: replica(sql=False, lag=None), R2: replica(io="no", lag=None)}
    assert code(members) == "all_replicas_not_replicating"


def test_errant_gtid_per_replica_mariadb_and_mysql():
    members = {P: server(gtid="0-1-10"), R1: replica(gtid="0-3-11"), R2: replica(gtid="0-1-9")}
    cluster = analyze_cluster(members)
    assert cluster["errant_gtids"] == {R1: "0-3-11"}
    assert cluster["transactions_behind"][R2] == 1
    u1, u2 = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "8a94f357-aab4-11df-86ab-c80aa9429562"
    mysql = {P: server(gtid=f"{u1}:1-10", flavor="mysql"),
             R1: dict(replica(gtid=f"{u1}:1-10,{u2}:1-2"), flavor="mysql")}
    assert analyze_cluster(mysql)["errant_gtids"] == {R1: f"{u2}:1-2"}


def test_lag_sums_over_an_intermediate_and_is_null_when_a_hop_is_unknown():
    members = {P: server(), R1: replica(lag=5), R2: replica(source=R1, lag=7), R3: replica(source=R1, lag=None)}
    cluster = analyze_cluster(members)
    assert cluster["lag_to_primary"] == {R1: 5, R2: 12, R3: None}
    assert cluster["tree"] == {P: [R1], R1: [R2, R3]}


def test_source_named_by_localhost_matches_a_member_given_by_ip():
    members = {"127.0.0.1:3310": server(), "127.0.0.1:3311": server(read_only=True, channels=[channel("localhost:3310")])}
    assert analyze_cluster(members)["primary"] == "127.0.0.1:3310"


def galera(status="Primary", state="Synced", size=3):
    return {"cluster_status": status, "local_state_comment": state, "cluster_size": size}


def test_galera_non_primary_and_not_synced_nodes():
    members = {P: server(galera=galera()), R1: server(galera=galera(state="Donor/Desynced")),
               R2: server(galera=galera(status="non-Primary", state="Initialized", size=1))}
    cluster = analyze_cluster(members)
    assert cluster["kind"] == "galera"
    assert cluster["analysis"]["code"] == "galera_non_primary"
    assert "galera_node_not_synced" in cluster["analysis"]["codes"]
    assert "multiple_writable_primaries" not in cluster["analysis"]["codes"]  # Galera is multi-writer by design


def test_unreachable_non_primary_member_is_reported():
    cluster = analyze_cluster({P: server(), R1: replica(), R2: down("refused")})
    assert cluster["analysis"]["codes"] == ["member_unreachable"]
    assert cluster["unreachable"] == [R2]


def test_the_analysis_never_asks_dns_on_its_own(monkeypatch):
    import socket

    def no_dns(*_args, **_kwargs):
        raise AssertionError("the analysis asked DNS")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    named = {f"db{i}.unresolvable.invalid:3306": server() for i in range(50)}
    cluster = analyze_cluster(named)
    assert cluster["size"] == 50 and "multiple_writable_primaries" in cluster["analysis"]["codes"]


def test_a_replica_whose_source_is_an_ip_matches_a_member_named_by_host_with_a_resolver():
    members = {"db1.example:3306": server(), "db2.example:3306": replica(source="10.9.0.1:3306")}
    assert analyze_cluster(members)["tree"] == {}          # names as given: no match, nothing guessed
    resolve = {"db1.example": {"10.9.0.1"}, "db2.example": {"10.9.0.2"}}.get
    cluster = analyze_cluster(members, resolve=resolve)
    assert cluster["tree"] == {"db1.example:3306": ["db2.example:3306"]} and cluster["primary"] == "db1.example:3306"


def test_host_resolver_caches_answers_for_its_ttl(monkeypatch):
    import socket

    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import HostResolver

    calls = []

    def fake(host, *_args):
        calls.append(host)
        if host == "gone.invalid":
            raise socket.gaierror(-2, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    now = [0.0]
    resolver = HostResolver(ttl=60, clock=lambda: now[0])
    assert resolver("db1") == {"10.0.0.7"} and resolver("db1") == {"10.0.0.7"}
    assert resolver("gone.invalid") == set() and resolver("gone.invalid") == set()
    assert calls == ["db1", "gone.invalid"]
    now[0] = 61.0
    resolver("db1")
    assert calls == ["db1", "gone.invalid", "db1"]


def test_replication_stopped_names_every_replica_that_stopped():
    cluster = analyze_cluster({P: server(), R1: replica(io="connecting", lag=None), R2: replica(sql=False, lag=None),
                               R3: replica()})
    assert cluster["analysis"]["details"]["replication_stopped"] == f"replication is not running on {R1}, {R2}"


@pytest.mark.parametrize("how", ["auth", "lost", "stale"])
def test_a_primary_we_cannot_log_in_to_is_unreachable_with_words_that_fit(how):
    members = {P: down(how), R1: replica(io="connecting", lag=None), R2: replica(io="connecting", lag=None)}
    cluster = analyze_cluster(members)
    detail = cluster["analysis"]["details"]["primary_unreachable"]
    assert cluster["analysis"]["code"] == "primary_unreachable"
    assert "still stream" not in detail and f"'{how}' is no proof" in detail


def test_errant_gtids_stay_known_while_the_primary_does_not_answer_and_clear_only_when_compared_again():
    errant = analyze_cluster({P: server(gtid="0-1-10"), R1: replica(gtid="0-1-10,1-2-3"), R2: replica()})
    assert errant["errant_gtids"] == {R1: "1-2-3"} and errant["errant_gtid_counts"] == {R1: 3}
    # The primary freezes: nothing can be compared, and nothing was fixed either.
    frozen = analyze_cluster({P: down("hung"), R1: replica(io="connecting", gtid="0-1-10,1-2-3"), R2: replica()},
                             known_state=errant, known_primary=P)
    assert frozen["errant_gtids"] == {R1: "1-2-3"} and frozen["errant_gtid_counts"] == {R1: 3}
    assert "last known: %s does not answer" % P in frozen["analysis"]["details"]["errant_gtid"]
    # Without a previous verdict there is nothing to carry; another primary's verdict is not carried either.
    assert analyze_cluster({P: down("hung"), R1: replica(io="connecting"), R2: replica()})["errant_gtids"] == {}
    assert analyze_cluster({P: down("hung"), R1: replica(io="connecting"), R2: replica()}, known_primary=P,
                           known_state=dict(errant, primary=R2))["errant_gtids"] == {}
    # Back, and the replica rebuilt: compared again, and cleared.
    back = analyze_cluster({P: server(gtid="0-1-10"), R1: replica(), R2: replica()}, known_state=frozen)
    assert back["errant_gtids"] == {} and "errant_gtid" not in back["analysis"]["codes"]
