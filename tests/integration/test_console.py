"""The console at / of a running daemon on the lab, in headless Chromium: the token asked for,
the replication tree, a firing alert, acking it from the page, and markup from a rule and from
the page's own "ack as" shown as text, never run.

Screenshots, to be looked at: /tmp/console.png (the tree and the firing alert), then
/tmp/console-down.png (after the ack, the daemon stopped); ``MYSQLHA_CONSOLE_SCREENSHOT``
names another file."""
from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from ansible_collections.dbaops.mysql_ha.engine.lab.server import free_ports

from daemon_helpers import Daemon, Receiver, write_config

pytestmark = pytest.mark.integration
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
TOKEN = "console-token-7f3a9c"
SCREENSHOT = os.environ.get("MYSQLHA_CONSOLE_SCREENSHOT") or "/tmp/console.png"
HOSTILE = '<img src=x onerror="window.pwned=1">'
HOSTILE_RULE = """rules:
  - id: console_html_probe
    scope: instance
    when: "role == 'primary'"
    severity: P3
    summary: "<img src=x onerror=\\"window.pwned=1\\"> on {instance}"
"""


def api(daemon: Daemon, path: str) -> dict:
    request = urllib.request.Request(f"http://{daemon.listen}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def test_the_console_shows_the_tree_and_a_firing_alert_and_acks_it(make_lab, tmp_path):
    from playwright.sync_api import sync_playwright

    lab = make_lab(replicas=2)
    primary, replica1, replica2 = lab.by_role("primary")[0], *lab.by_role("replica")
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "probe.yml").write_text(HOSTILE_RULE)
    receiver = Receiver()
    config = write_config(lab, tmp_path, receiver.url, rules=[str(REPO / "rules"), str(tmp_path / "ours")],
                          http={"listen": f"127.0.0.1:{free_ports(1)[0]}", "token_env": "CONSOLE_TOKEN"})
    daemon = Daemon(config, lab)
    daemon.env["CONSOLE_TOKEN"] = TOKEN
    try:
        with lab.session(primary) as session:          # a GTID position to show
            session.execute("CREATE DATABASE IF NOT EXISTS console_probe")
        daemon.start()
        with lab.session(replica1) as session:
            session.execute("STOP SLAVE SQL_THREAD")
        receiver.wait("replica_sql_thread_stopped", "firing")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://{daemon.listen}/")
                page.wait_for_selector("#login:not([hidden])", timeout=10000)       # the API wants the token
                page.fill("#token", "wrong")
                page.click("#login button")
                page.locator("#banner", has_text="refused").wait_for(timeout=10000)   # no wait_for_function: the CSP forbids eval
                page.fill("#token", TOKEN)
                page.click("#login button")
                page.wait_for_selector("tr[data-rule='replica_sql_thread_stopped'] button[data-ack]", timeout=15000)
                assert page.evaluate("sessionStorage.getItem('mysqlha-token')") == TOKEN
                assert TOKEN not in page.content() and TOKEN not in page.url
                assert page.is_hidden("#login") and page.is_hidden("#banner")

                cluster = page.locator("[data-cluster='lab']")
                addresses = (primary.address, replica1.address, replica2.address)
                rows = {a: cluster.locator(f"tr[data-address='{a}']") for a in addresses}
                assert {a: r.locator(".role").inner_text() for a, r in rows.items()} == {
                    primary.address: "primary", replica1.address: "replica", replica2.address: "replica"}
                assert {a: r.get_attribute("data-depth") for a, r in rows.items()} == {
                    primary.address: "0", replica1.address: "1", replica2.address: "1"}   # the tree
                assert {a: r.get_attribute("data-state") for a, r in rows.items()} == {
                    primary.address: "ok", replica1.address: "stopped", replica2.address: "ok"}
                assert "replication_stopped" in cluster.locator(".code").first.inner_text()
                assert "SQL no" in rows[replica1.address].inner_text()
                assert "-" in rows[primary.address].locator(".gtid").inner_text()   # a MariaDB domain-server-seq
                probe = page.locator("tr[data-rule='console_html_probe']").inner_text()
                assert HOSTILE in probe
                page.screenshot(path=SCREENSHOT, full_page=True)

                page.fill("#ack-by", '<img src=x onerror="window.pwned=2">')
                page.click("tr[data-rule='replica_sql_thread_stopped'] button[data-ack]")
                page.wait_for_selector("tr[data-rule='replica_sql_thread_stopped'].acked", timeout=15000)
                acked = page.locator("tr[data-rule='replica_sql_thread_stopped']").inner_text()
                assert 'acked by <img src=x onerror="window.pwned=2">' in acked
                assert page.evaluate("window.pwned") is None and page.locator("main img").count() == 0
                (stopped,) = [a for a in api(daemon, "/api/alerts")["alerts"] if a["rule"] == "replica_sql_thread_stopped"]
                assert stopped["state"] == "acked" and stopped["acked_by"] == '<img src=x onerror="window.pwned=2">'
                with urllib.request.urlopen(f"http://{daemon.listen}/", timeout=5) as answer:
                    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
                    assert answer.headers["X-Content-Type-Options"] == "nosniff"
                    assert TOKEN not in answer.read().decode()

                daemon.stop()                                   # the banner, and the last data kept, greyed
                page.wait_for_selector("#banner:not([hidden])", timeout=15000)
                assert "unreachable" in page.inner_text("#banner")
                assert "stale" in (page.get_attribute("#main", "class") or "")
                assert page.locator("[data-cluster='lab'] tr[data-address]").count() == 3
                page.screenshot(path=SCREENSHOT.replace(".png", "-down.png"), full_page=True)
            finally:
                browser.close()
    finally:
        daemon.stop()
        receiver.stop()
