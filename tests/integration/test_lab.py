"""The lab itself: a lab started again in the same directory lists only its new servers."""
from __future__ import annotations

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab


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
