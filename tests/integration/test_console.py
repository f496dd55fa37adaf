"""The console at / of a running daemon on the lab, in headless Chromium: the replication tree,
a firing alert, acking it from the page, and a rule's HTML shown as text, never run."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from daemon_helpers import Daemon, Receiver, write_config

pytestmark = pytest.mark.integration
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
HOSTILE_RULE = """rules:
  - id: console_html_probe
    scope: instance
    when: "role == 'primary'"
    severity: P3
    summary: "<img src=x onerror=\\"window.pwned=1\\"> on {instance}"
"""


def test_the_console_shows_the_tree_and_a_firing_alert_and_acks_it(make_lab, tmp_path):
    from playwright.sync_api import sync_playwright

    lab = make_lab(replicas=2)
    primary, replica1, replica2 = lab.by_role("primary")[0], *lab.by_role("replica")
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "probe.yml").write_text(HOSTILE_RULE)
    receiver = Receiver()
    daemon = Daemon(write_config(lab, tmp_path, receiver.url, rules=[str(REPO / "rules"), str(tmp_path / "ours")]), lab)
    try:
        daemon.start()
        with lab.session(replica1) as session:
            session.execute("STOP SLAVE SQL_THREAD")
        receiver.wait("replica_sql_thread_stopped", "firing")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://{daemon.listen}/")
                page.wait_for_selector("tr[data-rule='replica_sql_thread_stopped'] button[data-ack]", timeout=15000)
                cluster = page.locator("[data-cluster='lab']")
                roles = {a: cluster.locator(f"[data-address='{a}'] .role").inner_text()
                         for a in (primary.address, replica1.address, replica2.address)}
                assert roles == {primary.address: "primary", replica1.address: "replica", replica2.address: "replica"}
                depths = {a: cluster.locator(f"[data-address='{a}']").get_attribute("data-depth")
                          for a in (primary.address, replica1.address, replica2.address)}
                assert depths == {primary.address: "0", replica1.address: "1", replica2.address: "1"}   # the tree
                assert "replication_stopped" in cluster.locator(".code").inner_text()
                assert "SQL no" in cluster.locator(f"[data-address='{replica1.address}']").inner_text()
                probe = page.locator("tr[data-rule='console_html_probe']").inner_text()
                assert '<img src=x onerror="window.pwned=1">' in probe
                assert page.evaluate("window.pwned") is None
                page.screenshot(path=str(tmp_path / "console.png"), full_page=True)

                page.click("tr[data-rule='replica_sql_thread_stopped'] button[data-ack]")
                page.wait_for_selector("tr[data-rule='replica_sql_thread_stopped'].acked", timeout=15000)
            finally:
                browser.close()
        with urllib.request.urlopen(f"http://{daemon.listen}/api/alerts", timeout=5) as answer:
            alerts = json.loads(answer.read())["alerts"]
        (stopped,) = [a for a in alerts if a["rule"] == "replica_sql_thread_stopped"]
        assert stopped["state"] == "acked" and stopped["acked_by"] == "console"
        with urllib.request.urlopen(f"http://{daemon.listen}/", timeout=5) as answer:
            assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        daemon.stop()
        receiver.stop()
