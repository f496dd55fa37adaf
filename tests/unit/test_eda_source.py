"""The EDA event source dbaops.mysql_ha.alerts, through its documented main(queue, args) contract,
against an HTTP server that answers like the daemon's /api/alerts."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[2] / "extensions" / "eda" / "plugins" / "event_source" / "alerts.py"
spec = importlib.util.spec_from_file_location("mysqlha_eda_alerts", PLUGIN)
alerts_source = importlib.util.module_from_spec(spec)
spec.loader.exec_module(alerts_source)


def alert(alert_id, state, rule="replica_sql_thread_stopped"):
    return {"id": alert_id, "rule": rule, "state": state, "severity": "P1", "cluster": "c", "instance": "i:3306"}


class FakeDaemon:
    def __init__(self, token=None):
        self.alerts, self.silences, self.token, self.requests = [], [], token, 0
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                daemon.requests += 1
                if daemon.token and self.headers.get("Authorization") != f"Bearer {daemon.token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                if self.path == "/api/silences":
                    body = json.dumps({"silences": list(daemon.silences)}).encode()
                else:
                    body = json.dumps({"alerts": list(daemon.alerts)}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


async def collect(args, steps):
    """Run the source; at each step change the daemon's alerts, then give it two polls."""
    queue: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(alerts_source.main(queue, args))
    events = []
    for change in steps:
        change()
        await asyncio.sleep(0.25)
        while not queue.empty():
            events.append(queue.get_nowait())
    task.cancel()
    return [(e["alert"]["id"], e["transition"]) for e in events], events


def test_each_transition_is_one_event_and_history_is_not_replayed():
    daemon = FakeDaemon()
    try:
        daemon.alerts = [alert("old", "resolved"), alert("a1", "firing")]
        steps = [lambda: None,
                 lambda: daemon.alerts.append(alert("a2", "pending")),
                 lambda: daemon.alerts.__setitem__(2, alert("a2", "firing")),
                 lambda: daemon.alerts.__setitem__(1, alert("a1", "resolved")),
                 lambda: daemon.alerts.append(alert("gone", "resolved"))]
        seen, events = asyncio.run(collect({"url": daemon.url, "interval": 0.1}, steps))
        assert seen == [("a1", "firing"), ("a2", "firing"), ("a1", "resolved")]
        assert events[0]["alert"]["rule"] == "replica_sql_thread_stopped"
        # meta.source is ansible-rulebook's own ({name, type}, added by its insert_meta_info filter).
        assert events[0]["meta"] == {"url": daemon.url}
    finally:
        daemon.close()


def test_existing_false_skips_what_fired_before_the_start_and_the_token_is_sent():
    daemon = FakeDaemon(token="t0k")
    try:
        daemon.alerts = [alert("a1", "firing")]
        steps = [lambda: None, lambda: daemon.alerts.append(alert("a2", "firing"))]
        seen, _events = asyncio.run(collect({"url": daemon.url, "interval": 0.1, "existing": False, "token": "t0k"}, steps))
        assert seen == [("a2", "firing")]
    finally:
        daemon.close()


def test_a_daemon_that_is_down_is_retried_and_never_ends_the_source():
    daemon = FakeDaemon()
    url = daemon.url
    daemon.close()
    queue: asyncio.Queue = asyncio.Queue()

    async def run():
        task = asyncio.create_task(alerts_source.main(queue, {"url": url, "interval": 0.05}))
        await asyncio.sleep(0.3)
        assert not task.done()
        task.cancel()

    asyncio.run(run())
    assert queue.empty()


def test_a_silenced_firing_alert_is_held_back_until_the_silence_ends_and_never_if_it_resolves_first():
    daemon = FakeDaemon()
    backup = dict(alert("b1", "firing"), instance="db2:3306", labels={"team": "dba"})
    try:
        daemon.alerts = [alert("a1", "firing"), backup, dict(alert("c1", "firing"), instance="db3:3306")]
        daemon.silences = [{"id": "s1", "match": {"rule": "replica_sql_thread_stopped", "instance": "db2:3306"}},
                           {"id": "s2", "match": {"team": "dba", "instance": "db3:3306"}}]   # a label, and no such label
        steps = [lambda: None,
                 lambda: daemon.silences.pop(0),    # the backup is over, b1 still fires
                 lambda: daemon.silences.__setitem__(0, {"id": "s3", "match": {"cluster": "c"}}),
                 lambda: daemon.alerts.append(alert("d1", "firing")),
                 lambda: daemon.alerts.__setitem__(3, alert("d1", "resolved"))]
        seen, _events = asyncio.run(collect({"url": daemon.url, "interval": 0.1}, steps))
        # c1's labels have no team: s2 does not match it.  d1 fired and resolved under s3: nothing to act on.
        assert seen == [("a1", "firing"), ("c1", "firing"), ("b1", "firing")]
    finally:
        daemon.close()


def test_silences_false_emits_silenced_alerts():
    daemon = FakeDaemon()
    try:
        daemon.alerts = [alert("a1", "firing")]
        daemon.silences = [{"id": "s1", "match": {"rule": "replica_sql_thread_stopped"}}]
        seen, _events = asyncio.run(collect({"url": daemon.url, "interval": 0.1, "silences": False}, [lambda: None]))
        assert seen == [("a1", "firing")]
    finally:
        daemon.close()


def test_the_example_rulebooks_are_valid_for_ansible_rulebook_and_act_only_on_firing_sql_thread_alerts():
    import yaml
    from ansible_rulebook.validators import Validate

    rulebooks = sorted((PLUGIN.parents[2] / "rulebooks").glob("*.yml"))
    assert [p.name for p in rulebooks] == ["replica_sql_thread.yml", "replica_sql_thread_awx.yml"]
    for path in rulebooks:
        data = yaml.safe_load(path.read_text())
        Validate.rulebook(data)   # ansible-rulebook's own JSON schema of rulebooks
        assert [list(source) for source in data[0]["sources"]] == [["dbaops.mysql_ha.alerts"]]
        (rule,) = data[0]["rules"]
        assert rule["condition"] == 'event.alert.rule == "replica_sql_thread_stopped" and event.transition == "firing"'
        assert rule["throttle"]["group_by_attributes"] == ["event.alert.instance", "event.alert.channel"]
        (action,) = rule["action"].values()
        extra_vars = action.get("extra_vars") or action["job_args"]["extra_vars"]
        assert extra_vars["mysqlha_channel"] == "{{ event.alert.channel }}"
