"""The lab itself: a lab started again in the same directory lists only its new servers; status tells
a node stopped by `lab down` from one that died; the command line's hints and options."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab

from lab_helpers import wait_for


def test_lab_up_after_down_in_the_same_directory_lists_only_the_new_servers(make_lab):
    lab = make_lab(replicas=1)
    first = {n.name: n.port for n in lab.nodes}
    assert lab.down() and all(row["state"] == "stopped" for row in lab.status())
    again = Lab(lab.base, die_with_parent=True)
    again.up(replicas=1)
    try:
        reread = Lab(lab.base)
        assert sorted(n.name for n in reread.nodes) == sorted(first)
        assert all(row["state"] == "running" for row in reread.status())
    finally:
        again.down()


def test_status_tells_a_node_that_died_from_one_stopped_by_lab_down(make_lab, capsys):
    from ansible_collections.dbaops.mysql_ha.engine.cli import main

    lab = make_lab(replicas=2)
    lab.kill("replica1")
    lab.freeze("replica2")
    try:
        expected = {"primary": "running", "replica1": "dead", "replica2": "frozen"}
        # As `mysqlha lab status` reads it (signals land asynchronously).
        wait_for(lambda: {row["name"]: row["state"] for row in Lab(lab.base).status()} == expected, timeout=10)
        assert main(["lab", "status", "--dir", lab.base]) == 0
        out = capsys.readouterr().out
        assert "dead (not running: killed or crashed; see %s)" % lab.node("replica1").error_log in out
        assert "frozen (SIGSTOP" in out
    finally:
        lab.thaw("replica2")
    assert main(["lab", "down", "--dir", lab.base]) == 0
    assert {row["state"] for row in Lab(lab.base).status()} == {"stopped"}
    capsys.readouterr()
    main(["lab", "status", "--dir", lab.base])
    assert capsys.readouterr().out.count("stopped (lab down)") == 3


def test_a_clean_shutdown_of_one_node_is_stopped_not_dead(make_lab):
    lab = make_lab(replicas=1)
    lab.down_node("replica1")
    assert {row["name"]: row["state"] for row in Lab(lab.base).status()} == {"primary": "running", "replica1": "stopped"}


def test_up_over_a_running_lab_names_the_down_command_with_its_directory(make_lab):
    from ansible_collections.dbaops.mysql_ha.engine.lab import LabError

    lab = make_lab(replicas=0)
    with pytest.raises(LabError) as info:
        Lab(lab.base).up(replicas=0)
    assert "run `mysqlha lab down --dir %s` first" % lab.base in str(info.value)
    assert all(row["state"] == "running" for row in lab.status())


def test_lab_up_keep_install_accounts_from_the_command_line(capsys):
    import uuid

    from ansible_collections.dbaops.mysql_ha.engine.cli import main

    from lab_helpers import LAB_ROOT

    base = str(LAB_ROOT / uuid.uuid4().hex[:10])         # short: unix socket paths are limited to 107 bytes
    try:
        assert main(["lab", "up", "--replicas", "0", "--keep-install-accounts", "--dir", base]) == 0
        lab = Lab(base)
        assert lab.topology["keep_install_accounts"] is True
        with lab.session("primary") as admin:
            hosts = {r["Host"] for r in admin.query("SELECT Host FROM mysql.user WHERE User = 'root'")}
        assert {"localhost", "127.0.0.1", "::1"} <= hosts
    finally:
        Lab(base).destroy()


def test_restart_with_a_stale_pid_starts_nothing_and_a_real_restart_is_checked_by_pid(make_lab):
    """lab.json that lost track of a running server (a stale pid): `restart` is an error naming the
    server still on the datadir, no second mariadbd starts, the server keeps answering; a real
    restart succeeds only once the server answering reports the new pid."""
    from ansible_collections.dbaops.mysql_ha.engine.lab import LabError
    from ansible_collections.dbaops.mysql_ha.engine.lab.server import pid_runs_datadir

    lab = make_lab(replicas=1)
    replica = lab.node("replica1")
    running = replica.pid
    replica.pid = 4_000_000                                  # stale: no such process
    lab._save()
    try:
        stale = Lab(lab.base)
        with pytest.raises(LabError, match=f"restart replica1: a server \\(pid {running}\\) still runs on its datadir"):
            stale.restart("replica1")
        assert stale.node("replica1").pid == 4_000_000      # nothing was started in its place
        with lab.session(replica) as session:
            assert session.query("SELECT 1 AS one") == [{"one": 1}]
    finally:
        replica.pid = running
        lab._save()
    lab.restart("replica1")
    assert lab.node("replica1").pid != running and pid_runs_datadir(lab.node("replica1").pid, replica.datadir)
    assert not pid_runs_datadir(running, replica.datadir)
