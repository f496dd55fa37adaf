"""The README's first command: `mysqlha demo` runs the whole job and leaves no server behind."""
from __future__ import annotations

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab


def test_demo_detects_each_fault_and_stops_its_servers(tmp_path, mysqlha):
    lab_dir = str(tmp_path / "lab")
    proc = mysqlha("demo", "--dir", lab_dir)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    sections = out.split("\n== ")
    verdicts = [s.splitlines()[1].split()[1] for s in sections[1:] if "analysis:" in s]
    assert verdicts == ["ok", "replication_stopped", "errant_gtid", "primary_hung", "primary_dead"]
    assert "Compliance of the primary" in out and "P1 firing  replica_sql_thread_stopped" in out
    assert "P0 firing  primary_hung" in out and "P0 firing  primary_dead" in out
    assert "P0 firing  primary_dead" not in sections[-2]          # the frozen primary is never called dead
    assert all(row["state"] == "stopped" for row in Lab(lab_dir).status())
