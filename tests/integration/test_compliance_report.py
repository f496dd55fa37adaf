"""The compliance_report role on the lab, as a user runs it: ansible-playbook, login_user and
login_password (no option file), one server down; the HTML in headless Chromium, the JUnit
against the JUnit XSD."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema
import yaml

from ansible_collections.dbaops.mysql_ha.engine.ansible_run import ansible_playbook_binary, playbook_env
from ansible_collections.dbaops.mysql_ha.engine.lab.server import free_ports

pytestmark = pytest.mark.integration
JUNIT_XSD = Path(sys.prefix) / "share" / "mysqlha-tests" / "junit-10.xsd"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def run_role(lab, tmp_path: Path, **variables) -> subprocess.CompletedProcess:
    # mysql_port, as the quick start's inventory gives it: the role's default port
    hosts = {node.name: {"mysql_port": node.port} for node in lab.nodes}
    hosts["gone"] = {"mysql_port": free_ports(1)[0]}   # nobody listens there
    inventory = {"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "compliance_report_login_host": "127.0.0.1", "compliance_report_login_user": "mysqlha_admin",
        "compliance_report_login_password": lab.secret("admin"), "compliance_report_connect_timeout": 2,
        "compliance_report_dest": str(tmp_path / "reports"), "compliance_report_cluster": "lab",
        "compliance_report_formats": ["html", "md", "csv", "json", "junit"], **variables}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump([{
        "name": "compliance", "hosts": "all", "gather_facts": False, "roles": ["dbaops.mysql_ha.compliance_report"]}]))
    return subprocess.run([ansible_playbook_binary(), "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=playbook_env(), timeout=600, check=False)


def screenshot(html: Path, png: Path) -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(html.as_uri())
            page.screenshot(path=str(png), full_page=True)
            return page.inner_text("body")
        finally:
            browser.close()


def test_the_role_reports_every_lab_server_in_every_format_and_names_the_one_it_could_not_read(shared_lab, tmp_path):
    proc = run_role(shared_lab, tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert shared_lab.secret("admin") not in output
    reports = tmp_path / "reports"
    report = json.loads((reports / "compliance.json").read_text())
    summary = report["summary"]
    assert (summary["hosts"], summary["assessed"]) == (4, 3)
    assert summary["not_assessed"] == [h["instance"] for h in report["hosts"] if not h["assessed"]]
    roles = sorted(h["role"] for h in report["hosts"] if h["assessed"])
    assert roles == ["primary", "replica", "replica"]
    assert report["servers"] and all(name.startswith("mariadb 10.") for name in report["servers"])
    assert report["collected"]["earliest"] and "cis_mariadb_10_11" in report["benchmarks"]
    for host in report["hosts"]:
        assert host["assessed"] or "refused" in host["problem"]
        if host["assessed"]:   # every control of the catalogue, unknown ones included
            statuses = {c["status"] for c in host["controls"]}
            assert len(host["controls"]) >= 20 and "fail" in statuses and "pass" in statuses

    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(reports / "compliance.junit.xml"))
    text = screenshot(reports / "compliance.html", tmp_path / "report.png")
    assert (tmp_path / "report.png").stat().st_size > 10_000
    for host in report["hosts"]:
        assert host["instance"] in text
    assert "Not assessed" in text and "Failing controls" in text and "By control" in text

    # Again, failing on critical: the unreadable server fails the play, after the report (with
    # what changed since the first) is written.
    again = run_role(shared_lab, tmp_path, compliance_report_fail_on="critical")
    assert again.returncode != 0 and "assessment critical" in again.stdout
    second = json.loads((reports / "compliance.json").read_text())
    assert second["changes"] is not None and not second["changes"]["newly_failing"]
    assert "Changes since the previous report" in (reports / "compliance.md").read_text()
