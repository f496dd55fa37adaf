"""What `mysqlha eval` prints is safe to look at and to paste: fact values reach the table with
no control character (no terminal escape, no line break to fake an alert line or "no alerts")
and every column cut, and a remediation's SQL keeps a channel name inside its quotes."""
from __future__ import annotations

import json
import re

from ansible_collections.dbaops.mysql_ha.engine.cli import main
from ansible_collections.dbaops.mysql_ha.engine.cli.evaluate import CELL_WIDTHS, table_row
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_snapshot
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import load_rule_set

HOSTILE = "db1\x1b]0;PWNED\x07\x1b[2J\r\nP0  firing   fake_alert\x9b31m\x85:3306"


def test_a_table_row_has_no_control_character_and_every_column_is_cut():
    """C0, C1 and DEL from facts are spaces in the table; a 5 MB instance name is cut, not printed."""
    row = table_row({"severity": "P1", "state": "firing", "rule": "r" * 500, "cluster": "prod\x1b[31m" * 100,
                     "instance": HOSTILE + "x" * 5_000_000, "channel": "ch\x1b[5m", "summary": HOSTILE * 1000})
    assert not re.search("[\x00-\x1f\x7f-\x9f]", row)
    assert len(row) < sum(CELL_WIDTHS.values()) + 40
    assert "r" * 64 not in row and "r" * 63 + "\u2026" in row


def test_eval_prints_hostile_names_on_one_line_each(tmp_path, capsys):
    """A member named with CR/LF and escapes is one line of the table, and on stderr too."""
    snapshot = build_snapshot({"prod\x1b[31m": {"members": {
        HOSTILE: {"role": "primary"},
        "db2:3306": {"role": "replica", "source": HOSTILE,
                     "channels": [{"name": "ch\r\nx", "sql_running": False, "source_host": "db1"}]}}}})
    facts = tmp_path / "snapshot.json"
    facts.write_text(json.dumps(snapshot))
    main(["eval", "--rules", "@default", "--max-age", "0", "--facts", str(facts)])
    out, err = capsys.readouterr()
    assert out and not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", out + err)
    assert all(line.startswith(("P0", "P1", "P2", "P3")) for line in out.splitlines())
    assert all(line.startswith("mysqlha eval: ") for line in err.splitlines())


def test_remediation_sql_keeps_a_hostile_channel_name_inside_its_quotes():
    """START SLAVE '{channel.name}' gets the name escaped ('' and \\\\): one literal, whatever the name;
    the summary (prose) shows the name as it is."""
    name = "x\\'; DROP TABLE t; -- '"
    snapshot = build_snapshot({"c": {"members": {
        "a:3306": {"role": "primary"},
        "b:3306": {"channels": [{"name": name, "sql_running": False, "source_host": "a"}]}}}})
    results, _errors, _evaluated = evaluate(load_rule_set(["@default"]), snapshot)
    stopped = next(r for r in results if r.rule.id == "replica_sql_thread_stopped")
    literal = re.match(r"START SLAVE ('(?:[^'\\]|\\.|'')*') SQL_THREAD", stopped.remediation)
    assert literal, stopped.remediation
    assert literal.group(1)[1:-1].replace("''", "'").replace("\\\\", "\\") == name
    assert f"(channel {name})" in stopped.summary
