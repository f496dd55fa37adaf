"""mysqlha report / compliance_report: the report of a set of security facts, in every format."""
from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from ansible_collections.dbaops.mysql_ha.engine.report import build_report, check_previous, failing_at_or_above, render
from ansible_collections.dbaops.mysql_ha.engine.report.model import MAX_CONTROLS_PER_HOST, MAX_TEXT, ReportError
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_security
from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import facts_from_documents

REPO = Path(__file__).resolve().parents[2]
FORMATS = ("html", "md", "csv", "json", "junit")
JUNIT_XSD = Path(sys.prefix) / "share" / "mysqlha-tests" / "junit-10.xsd"
NATIVE_HASH = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
SHA2_HASH = "$A$005$THISISACOMBINATIONOFINVALIDSALTANDPASSWORDTHATMUSTNEVERBRBEUSED"


def security(address: str, collected_at: float = 1_795_000_000.0, **controls) -> dict:
    """security_facts of one server, every control passing but ``controls`` ({id: (status, evidence)})."""
    facts = build_security(address, {"collection": {"collected_at": collected_at}})
    for control, (status, evidence) in controls.items():
        facts["controls"][control].update(status=status, evidence=evidence)
    return {"ansible_facts": {"mysql_security": facts}, "changed": False}


def report_of(documents: list, previous: dict | None = None) -> dict:
    loaded = facts_from_documents(documents, max_age=None, security_alone=True)
    assert not loaded.errors, loaded.errors
    return build_report(loaded.snapshot, previous=previous)


FLEET = [
    security("10.0.0.1:3306", local_infile=("fail", "local_infile = True"), tls_cert_expiry=("unknown", "TLS is not enabled")),
    security("10.0.0.2:3306", 1_795_000_060.0, anonymous_accounts=("fail", "anonymous accounts: ''@'localhost'")),
    {"failed": True, "instance": "10.0.0.3:3306", "reachability": "refused", "errno": 2003,
     "msg": "10.0.0.3:3306: connection refused: nothing listens on this port"},
]


def test_same_facts_give_byte_identical_reports_in_every_format_whatever_their_order():
    first, second = report_of(FLEET), report_of(list(reversed(copy.deepcopy(FLEET))))
    for fmt in FORMATS:
        assert render(first, fmt) == render(second, fmt), fmt


def test_every_host_and_control_is_counted_and_a_host_that_could_not_be_read_is_not_assessed():
    report = report_of(FLEET)
    summary = report["summary"]
    per_host = len(FLEET[0]["ansible_facts"]["mysql_security"]["controls"])
    assert summary["hosts"] == 3 and summary["assessed"] == 2 and summary["checks"] == 2 * per_host
    assert summary["status"]["fail"] == 2 and summary["status"]["unknown"] == 1
    assert summary["failing_by_severity"]["critical"] == 1 and summary["failing_by_severity"]["high"] == 1
    assert summary["not_assessed"] == ["10.0.0.3:3306"]
    gone = next(h for h in report["hosts"] if h["instance"] == "10.0.0.3:3306")
    assert not gone["assessed"] and "refused" in gone["problem"]
    assert report["collected"] == {"earliest": "2026-11-18T11:06:40Z", "latest": "2026-11-18T11:07:40Z"}
    assert report["servers"] == {"mariadb 10.11.6": 2}
    assert "cis_mariadb_10_11" in report["benchmarks"] or "cis_mysql_8" in report["benchmarks"]
    # the failing rows come first on each host, most severe first
    first = next(h for h in report["hosts"] if h["instance"] == "10.0.0.1:3306")
    assert [c["status"] for c in first["controls"][:2]] == ["fail", "unknown"]


def test_junit_has_a_case_per_host_and_control_and_validates_against_the_junit_xsd():
    assert JUNIT_XSD.is_file(), f"{JUNIT_XSD} is missing: run bash scripts/bootstrap"
    report = report_of(FLEET)
    text = render(report, "junit")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(text)
    root = ET.fromstring(text)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == report["summary"]["checks"] + 1
    failures = [c.get("name") for c in cases if c.find("failure") is not None]
    assert sorted(failures) == ["anonymous_accounts", "local_infile"]
    assert [c.find("error").get("type") for c in cases if c.find("error") is not None] == ["not_assessed"]
    skipped = [c.find("skipped").get("message") for c in cases if c.find("skipped") is not None]
    assert skipped == ["unknown: TLS is not enabled"]
    assert root.get("failures") == "2" and root.get("errors") == "1"


def test_secrets_in_evidence_never_reach_any_format():
    planted = security("10.0.0.9:3306", excess_privileges=(
        "fail", f"hash {NATIVE_HASH} and {SHA2_HASH}; CREATE USER x IDENTIFIED BY 'Pl4nted!Secret' ; "
                "CHANGE MASTER TO MASTER_PASSWORD='AlsoPlanted'"))
    report = report_of([planted])
    for fmt in FORMATS:
        text = render(report, fmt)
        for secret in (NATIVE_HASH, SHA2_HASH[:20], "Pl4nted!Secret", "AlsoPlanted"):
            assert secret not in text, (fmt, secret)
        assert "<password hash>" in text or "&lt;password hash&gt;" in text, fmt


def test_host_text_is_escaped_in_html_quoted_in_csv_and_well_formed_in_xml():
    hostile = security("10.0.0.8:3306", local_infile=("fail", "<script>alert(1)</script>\x00\x1b[31m=cmd|' /C calc'!A0"))
    report = report_of([hostile])
    html = render(report, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    evidence = next(r["evidence"] for r in rows if r["control"] == "local_infile")
    assert evidence.startswith("&lt;") or evidence.startswith("<")
    ET.fromstring(render(report, "junit"))  # no control character breaks the XML
    formula = security("10.0.0.7:3306", local_infile=("fail", "=HYPERLINK(\"http://x\")"))
    rows = list(csv.DictReader(io.StringIO(render(report_of([formula]), "csv"))))
    assert next(r["evidence"] for r in rows if r["control"] == "local_infile").startswith("'=")


def test_facts_from_before_0_3_take_titles_and_severities_from_the_catalogue():
    old = security("10.0.0.6:3306", local_infile=("fail", "local_infile = True"))
    old["ansible_facts"]["mysql_security"]["controls"] = {
        k: {"status": v["status"], "evidence": v["evidence"]} for k, v in old["ansible_facts"]["mysql_security"]["controls"].items()}
    row = next(c for c in report_of([old])["hosts"][0]["controls"] if c["id"] == "local_infile")
    assert row["severity"] == "high" and row["title"] == "local_infile is off"
    assert row["references"]["cis_mysql_8"].startswith("4.5")


def test_hostile_sizes_are_bounded_and_padding_never_pushes_a_failure_out():
    big = security("10.0.0.5:3306", local_infile=("fail", "x" * 100_000), empty_passwords=("fail", "u@%"))
    facts = big["ansible_facts"]["mysql_security"]
    facts["controls"].update({f"aaa_{i:06d}": {"status": "pass", "evidence": ""} for i in range(MAX_CONTROLS_PER_HOST * 2)})
    report = report_of([big])
    host = report["hosts"][0]
    assert len(host["controls"]) == MAX_CONTROLS_PER_HOST
    assert "200 are reported" in host["collection_problems"][0]
    assert {c["id"] for c in host["controls"] if c["status"] == "fail"} == {"local_infile", "empty_passwords"}
    assert ("10.0.0.5:3306", "empty_passwords", "critical") in failing_at_or_above(report, "critical")
    assert all(len(c["evidence"]) <= MAX_TEXT + 3 for c in host["controls"])


def test_a_later_failure_or_empty_facts_is_never_a_passing_host():
    stale = security("10.0.0.4:3306")
    failed = {"failed": True, "instance": "10.0.0.4:3306", "reachability": "auth", "msg": "10.0.0.4:3306: access denied"}
    empty = security("10.0.0.3:3306")
    empty["ansible_facts"]["mysql_security"]["controls"] = {}
    partial = security("10.0.0.2:3306")
    del partial["ansible_facts"]["mysql_security"]["controls"]["anonymous_accounts"]
    report = report_of([stale, failed, empty, partial])
    hosts = {h["instance"]: h for h in report["hosts"]}
    assert not hosts["10.0.0.4:3306"]["assessed"] and "auth" in hosts["10.0.0.4:3306"]["problem"]
    assert not hosts["10.0.0.3:3306"]["assessed"] and "no control results" in hosts["10.0.0.3:3306"]["problem"]
    missing = next(c for c in hosts["10.0.0.2:3306"]["controls"] if c["id"] == "anonymous_accounts")
    assert (missing["status"], missing["evidence"]) == ("unknown", "not in the facts")
    assert {i for i, _c, _s in failing_at_or_above(report, "low")} == {"10.0.0.4:3306", "10.0.0.3:3306"}


def test_xml_illegal_characters_and_carriage_returns_cannot_break_junit_or_csv():
    hostile = security("db\r=cmd|' /C calc'!A0", local_infile=("fail", "bad \ufffe\uffff\ud800 text\r=1+1"))
    report = report_of([hostile])
    ET.fromstring(render(report, "junit"))
    for row in csv.reader(io.StringIO(render(report, "csv"))):
        assert not any(cell.startswith(("=", "+", "@")) for cell in row)
    assert all(line.startswith('"') for line in render(report, "csv").splitlines())


def test_a_previous_report_shows_what_changed():
    before = report_of(FLEET)
    fixed_and_broken = [security("10.0.0.1:3306", tls_cert_expiry=("unknown", "TLS is not enabled"),
                                 test_database=("fail", "test databases present: test")),
                        FLEET[1], security("10.0.0.4:3306")]
    previous = check_previous(json.loads(render(before, "json")))
    changes = report_of(fixed_and_broken, previous=previous)["changes"]
    assert changes["hosts_added"] == ["10.0.0.4:3306"] and changes["hosts_removed"] == ["10.0.0.3:3306"]
    assert [(c["instance"], c["control"], c["before"], c["after"]) for c in changes["newly_failing"]] == [
        ("10.0.0.1:3306", "test_database", "pass", "fail")]
    assert [(c["control"], c["after"]) for c in changes["fixed"]] == [("local_infile", "pass")]
    for fmt in ("html", "md"):
        assert "test_database" in render(report_of(fixed_and_broken, previous=previous), fmt)
    with pytest.raises(ReportError, match="not a mysqlha-compliance-report/1"):
        check_previous({"alerts": []})


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "output" / "collections"))
    return subprocess.run([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine", "report", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120, check=False)


def test_cli_writes_the_format_its_suffix_names_and_fails_on_a_severity(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"results": FLEET}))
    done = cli("--facts", str(facts), "-o", str(tmp_path / "r.xml"), "--fail-on", "critical")
    assert done.returncode == 1, done.stderr
    assert "10.0.0.2:3306 anonymous_accounts (critical)" in done.stderr and "10.0.0.3:3306 assessment" in done.stderr
    assert ET.parse(tmp_path / "r.xml").getroot().tag == "testsuites"
    assert cli("--facts", str(facts), "-o", str(tmp_path / "r.html")).returncode == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_writes_nothing_when_a_facts_file_is_unusable(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(FLEET[0]))
    bad.write_text("{not json")
    out = tmp_path / "report.md"
    out.write_text("the last good report\n")
    done = cli("--facts", str(good), str(bad), "-o", str(out))
    assert done.returncode == 2 and "bad.json: not JSON" in done.stderr and "nothing written" in done.stderr
    assert out.read_text() == "the last good report\n"
    previous = tmp_path / "previous.json"
    previous.write_text("[]")
    done = cli("--facts", str(good), "--previous", str(previous))
    assert done.returncode == 2 and "previous.json: not a mysqlha-compliance-report/1" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_never_replaces_a_symlink_or_device_and_keeps_a_reports_mode(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FLEET[0]))
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    (tmp_path / "link.md").symlink_to(target)
    done = cli("--facts", str(facts), "-o", str(tmp_path / "link.md"))
    assert done.returncode == 2 and "not a regular file" in done.stderr
    assert (tmp_path / "link.md").is_symlink() and target.read_text() == "keep me"
    private = tmp_path / "private.md"
    private.write_text("old")
    private.chmod(0o600)
    assert cli("--facts", str(facts), "-o", str(private)).returncode == 0
    assert oct(private.stat().st_mode & 0o777) == "0o600" and private.read_text().startswith("# ")


def test_the_format_comes_from_the_name_and_an_unknown_suffix_is_refused(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FLEET[0]))
    assert cli("--facts", str(facts), "-o", str(tmp_path / "r.junit")).returncode == 0
    assert (tmp_path / "r.junit").read_text().startswith("<?xml")
    done = cli("--facts", str(facts), "-o", str(tmp_path / "r.pdf"))
    assert done.returncode == 2 and "give --format" in done.stderr and not (tmp_path / "r.pdf").exists()
    done = cli("--facts", str(facts), "-o", str(tmp_path / "r.html"), "--format", "json")
    assert done.returncode == 0 and "looks like html, writing json" in done.stderr
    assert json.loads((tmp_path / "r.html").read_text())
