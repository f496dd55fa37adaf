"""GTID set algebra: parsing, normalisation, set laws, errant detection, both flavours."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.gtid import (
    GtidError,
    GtidSet,
    MariadbGtidPos,
    errant_gtids,
    transactions_missing,
)

U1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
U2 = "8a94f357-aab4-11df-86ab-c80aa9429562"


def test_parses_server_output_with_newlines_case_and_merges_adjacent_intervals():
    text = f"{U1.upper()}:1-5:6-9:11,\n{U2}:1-3"
    assert str(GtidSet.parse(text)) == f"{U1}:1-9:11,{U2}:1-3"


def test_mysql_84_tags_are_kept_apart_lowercased_and_printed_after_untagged():
    gset = GtidSet.parse(f"{U1}:Batch_1:1-3:5,{U1}:1-10")
    assert str(gset) == f"{U1}:1-10:batch_1:1-3:5"
    assert gset.contains(U1, 2, tag="BATCH_1")
    assert not gset.contains(U1, 4, tag="batch_1")
    assert gset.count() == 14


@pytest.mark.parametrize("bad", [f"{U1}", f"{U1}:0-3", f"{U1}:5-3", "nouuid:1-3", f"{U1}:tag", f"{U1}:1-2:9tag:1"])
def test_rejects_malformed_sets_naming_the_bad_part(bad):
    with pytest.raises(GtidError):
        GtidSet.parse(bad)


def test_errant_mysql_transactions_are_those_the_primary_lacks():
    replica = f"{U1}:1-100,{U2}:1-2"
    primary = f"{U1}:1-120"
    assert errant_gtids(GtidSet, replica, primary) == (f"{U2}:1-2", 2)
    assert errant_gtids(GtidSet, f"{U1}:1-90", primary) == ("", 0)
    assert transactions_missing(GtidSet, f"{U1}:1-90", primary) == 30


def test_mariadb_position_keeps_highest_seq_per_domain():
    pos = MariadbGtidPos.parse("0-1-100, 1-2-5,0-3-7")
    assert str(pos) == "0-1-100,1-2-5"


@pytest.mark.parametrize("replica,primary,expected", [
    ("0-1-10", "0-1-10", ("", 0)),                 # in step
    ("0-1-8", "0-1-10", ("", 0)),                  # behind is not errant
    ("0-3-11", "0-1-10", ("0-3-11", 1)),           # written on the replica, ahead of the primary
    ("0-1-10,1-3-4", "0-1-10", ("1-3-4", 4)),      # a domain the primary never saw
    ("0-3-10", "0-1-10", ("0-3-10", 1)),           # same seq from another server: divergent
])
def test_errant_mariadb_gtids(replica, primary, expected):
    assert errant_gtids(MariadbGtidPos, replica, primary) == expected


def test_mariadb_transactions_missing_counts_per_domain():
    assert transactions_missing(MariadbGtidPos, "0-1-8", "0-1-10,1-1-3") == 5


@pytest.mark.parametrize("bad", ["0-1", "a-b-c", "0-1-2-3"])
def test_rejects_malformed_mariadb_gtids(bad):
    with pytest.raises(GtidError):
        MariadbGtidPos.parse(bad)


# ---- properties -------------------------------------------------------------
uuids = st.sampled_from([U1, U2, "00000000-0000-0000-0000-000000000001"])
tags = st.sampled_from(["", "", "alpha", "b_2"])
intervals = st.tuples(st.integers(1, 60), st.integers(0, 8)).map(lambda t: (t[0], t[0] + t[1]))
gtid_sets = st.dictionaries(st.tuples(uuids, tags), st.lists(intervals, min_size=1, max_size=4), max_size=4).map(GtidSet)


def members(gset):
    return {(u, t, n) for (u, t), ivs in gset.items() for s, e in ivs for n in range(s, e + 1)}


@settings(max_examples=200)
@given(gtid_sets)
def test_text_round_trip_is_identity(a):
    assert GtidSet.parse(str(a)) == a


@settings(max_examples=200)
@given(gtid_sets, gtid_sets)
def test_operations_match_python_set_semantics(a, b):
    assert members(a.union(b)) == members(a) | members(b)
    assert members(a.subtract(b)) == members(a) - members(b)
    assert members(a.intersection(b)) == members(a) & members(b)
    assert a.issubset(b) == (members(a) <= members(b))
    assert a.count() == len(members(a))


@settings(max_examples=200)
@given(gtid_sets, gtid_sets)
def test_union_commutes_and_subtract_then_union_restores(a, b):
    assert a.union(b) == b.union(a)
    assert a.subtract(b).union(a.intersection(b)) == a


@settings(max_examples=100)
@given(gtid_sets, gtid_sets)
def test_errant_is_replica_minus_primary_and_empty_for_a_subset(a, b):
    text, count = errant_gtids(GtidSet, str(a), str(b))
    assert GtidSet.parse(text) == a.subtract(b)
    assert count == a.subtract(b).count()
    assert errant_gtids(GtidSet, str(a.intersection(b)), str(b)) == ("", 0)


positions = st.dictionaries(st.integers(0, 3), st.tuples(st.integers(1, 4), st.integers(1, 50)), max_size=4).map(MariadbGtidPos)


@settings(max_examples=200)
@given(positions, positions)
def test_mariadb_errant_never_reports_a_replica_that_is_behind_in_every_domain(replica, primary):
    text, count = errant_gtids(MariadbGtidPos, str(replica), str(primary))
    behind = all(d in dict(primary.items()) and seq < dict(primary.items())[d][1]
                 for d, (_s, seq) in replica.items())
    if behind:
        assert (text, count) == ("", 0)
    assert MariadbGtidPos.parse(str(replica)) == replica
    assert bool(text) == (count > 0)
