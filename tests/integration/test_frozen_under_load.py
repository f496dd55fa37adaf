"""A frozen primary under client load is never "dead" (issue 9), on real lab servers.

The primary is SIGSTOPped and flooded with idle connections until its accept queue is full,
so that the kernel drops new SYNs and the MySQL port gives no TCP answer at all, as in
production.  Polled every 2 s the way a monitor polls (passing its last result back), the
verdict must stay primary_hung on every poll; the host liveness probe (a RST from another
port of the same host) is what tells it from a dead host.  That soak runs in the background
(soak_frozen.py, started at collection; MYSQLHA_SOAK_SECONDS, default 300) and its test runs
last.
"""
from __future__ import annotations

from lab_helpers import no_io_thread_streams, wait_for
from soak_frozen import POLL_SECONDS, poll


def test_a_frozen_flooded_primary_is_hung_on_every_poll_of_the_soak(frozen_soak):
    """The soak (soak_frozen.py, run in the background from the start of the session): a frozen
    primary whose accept queue is full is primary_hung on every 2 s poll, never primary_dead,
    and once thawed the cluster is ok and the replicas catch up."""
    report = frozen_soak
    assert "error" not in report, report.get("error")
    polls = report["polls"]
    assert polls and polls[-1]["at"] >= report["seconds"] - 2 * POLL_SECONDS - 5, polls[-1:]
    assert [p for p in polls if "primary_dead" in p["codes"]] == []
    assert {p["code"] for p in polls} == {"primary_hung"}, [p for p in polls if p["code"] != "primary_hung"][:3]
    # The flood did fill the accept queue: the MySQL port gave no TCP answer and the probe told.
    silent = [p for p in polls if p["mysql_port"] == "no TCP answer"]
    assert silent and all(p["probe"] == "rst" for p in silent), polls[:3]
    assert polls[-1]["hung_seconds"] >= polls[-1]["at"] - 1
    assert report["recovered"] is not False and report["caught_up"] is True


def test_a_killed_primary_is_dead_as_soon_as_the_replicas_lost_it(make_lab):
    lab = make_lab(replicas=2)
    lab.kill("primary")
    wait_for(lambda: no_io_thread_streams(lab), timeout=30)
    cluster = poll(lab)["cluster"]
    assert cluster["analysis"]["code"] == "primary_dead", cluster["analysis"]


def test_without_the_probe_a_flooded_frozen_primary_would_look_dead(make_lab):
    """The probe is what saves the verdict: with it disabled and the replicas' streams broken, the
    same frozen, flooded primary is indistinguishable from a dead host (the old false alarm)."""
    lab = make_lab(replicas=2)
    primary = lab.node("primary")
    lab.freeze(primary)
    lab.flood(primary, 400)
    try:
        for replica in lab.by_role("replica"):
            with lab.session(replica) as session:   # the replicas give up on it, as they do after net timeouts
                session.execute("STOP SLAVE IO_THREAD")
        blind = poll(lab, liveness_port=0)["cluster"]["analysis"]["code"]
        seen = poll(lab)["cluster"]["analysis"]["code"]
    finally:
        lab.thaw(primary)
    assert (blind, seen) == ("primary_dead", "primary_hung")
