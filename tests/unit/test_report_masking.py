"""Report masking uses the audit masker (plugins/module_utils/audit/mask.py): comments, VIA ...
USING, literals left open and client command lines hide no password in any format; Markdown
shows a host's HTML as text, and C1 controls (U+009B, a terminal's CSI) are gone everywhere."""
from __future__ import annotations

import pytest

from ansible_collections.dbaops.mysql_ha.engine.report import build_report, render
from ansible_collections.dbaops.mysql_ha.engine.report.model import clean_text
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_security
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import facts_from_documents

FORMATS = ("html", "md", "csv", "json", "junit")


def security(address: str, **controls) -> dict:
    facts = build_security(address, {"collection": {"collected_at": 1_795_000_000.0}})
    for control, (status, evidence) in controls.items():
        facts["controls"][control].update(status=status, evidence=evidence)
    return {"ansible_facts": {"mysql_security": facts}, "changed": False}


def report_of(documents: list) -> dict:
    loaded = facts_from_documents(documents, max_age=None, security_alone=True)
    assert not loaded.errors, loaded.errors
    return build_report(loaded.snapshot)


PLANTED = [
    ("CREATE USER a IDENTIFIED BY 'hunter2", "hunter2"),                      # cut at the source: left open
    ("CREATE USER a IDENTIFIED /* c */ BY 'hunter3'", "hunter3"),
    ("ALTER USER a IDENTIFIED VIA ed25519 USING 'ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY'", "ZIgUREUg5"),
    ("mysql -uroot -phunter7 -e 'select 1'", "hunter7"),
    ("mysqldump --password=hunter9 db", "hunter9"),
    ("mysql -p'two words' db", "two words"),
]


@pytest.mark.parametrize("evidence,secret", PLANTED)
def test_password_forms_the_old_patterns_missed_are_masked(evidence, secret):
    """Each form the hostile review found unmasked: the secret is gone from clean_text."""
    assert secret not in clean_text(evidence)


def test_a_bare_dash_p_and_words_with_dash_p_are_left_alone():
    """-p without a value prompts (no secret); -port or mid-word -p are not passwords."""
    assert clean_text("mysql -uroot -p db1 --port 3306 sub-process") == "mysql -uroot -p db1 --port 3306 sub-process"


def test_planted_passwords_reach_no_format():
    """Every planted form, on one host, in html, md, csv, json and junit."""
    controls = ("local_infile", "anonymous_accounts", "excess_privileges", "empty_passwords", "password_validation",
                "password_lifetime")
    report = report_of([security("10.0.0.9:3306", **{c: ("fail", e) for c, (e, _s) in zip(controls, PLANTED)})])
    for fmt in FORMATS:
        text = render(report, fmt)
        for _evidence, secret in PLANTED:
            assert secret not in text, (fmt, secret)


def test_markdown_shows_host_html_as_text_and_no_format_keeps_c1_controls():
    """<script>, <img onerror> and & are entities in Markdown; U+009B is removed in every format."""
    report = report_of([security("10.0.0.8:3306", local_infile=(
        "fail", "<script>alert(1)</script> <img src=x onerror=alert(2)> a & b \x9b31m \x85"))])
    markdown = render(report, "md")
    assert "<script>" not in markdown and "<img" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown and "a &amp; b" in markdown
    for fmt in FORMATS:
        text = render(report, fmt)
        assert "\x9b" not in text and "\x85" not in text and "\\u009b" not in text, fmt
