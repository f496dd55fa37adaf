"""The console as the daemon serves it: its three static files (types, no-cache, a strict CSP,
nosniff, no token needed and none inside), /api/* behind the token, and no password, password
hash or token in any answer, even when the facts carry them in fields of their own."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from ansible_collections.dbaops.mysql_ha.engine.daemon.config import load_config
from ansible_collections.dbaops.mysql_ha.engine.daemon.service import Service
from ansible_collections.dbaops.mysql_ha.engine.lab.server import free_ports
from ansible_collections.dbaops.mysql_ha.engine.rules.facts_builder import build_member, build_security

REPO = Path(__file__).resolve().parents[2]
SECRET = "Pw-console-Secret-91"
HASH = "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
TOKEN = "tok-console-5d1e"
PRIMARY, REPLICA = "127.0.0.1:23306", "127.0.0.1:23307"
HOSTILE_RULE = {"rules": [{"id": "console_markup", "scope": "instance", "when": "role == 'primary'", "severity": "P3",
                           "summary": "<img src=x onerror=alert(1)> on {instance}"}]}


def planted_facts() -> dict:
    primary = build_member(PRIMARY, {"role": "primary", "gtid_executed": "0-1-42"})
    replica = build_member(REPLICA, {"role": "replica", "source": PRIMARY, "channels": [{"sql_running": False}]})
    primary.update(password=SECRET, authentication_string=HASH)         # fields the view never copies
    replica["channels"][0].update(source_password=SECRET, master_password=SECRET)
    return {PRIMARY: primary, REPLICA: replica}


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("console")
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "markup.yml").write_text(yaml.safe_dump(HOSTILE_RULE))
    config = {"interval": "1s", "state_dir": str(tmp_path / "state"), "rules": [str(REPO / "rules"), str(tmp_path / "ours")],
              "http": {"listen": f"127.0.0.1:{free_ports(1)[0]}", "token_env": "TOKEN"},
              "clusters": [{"name": "lab", "members": [PRIMARY, REPLICA], "user": "mon", "password_env": "DB_PW"}]}
    (tmp_path / "engine.yml").write_text(yaml.safe_dump(config))
    service = Service(load_config(str(tmp_path / "engine.yml"), env={"DB_PW": SECRET, "TOKEN": TOKEN}))
    facts = planted_facts()
    service.monitor.member_facts = lambda poller, now: facts[poller.address]
    for poller in service.monitor.pollers["lab"]:
        security = build_security(poller.address, {"accounts": [{"user": "app", "host": "%", "authentication_string": HASH,
                                                                 "password": SECRET}]})
        security["findings"] = [{"control": "local_infile", "severity": "high", "title": "LOCAL INFILE", "evidence": "ON"}]
        security["controls"]["local_infile"]["status"] = "fail"
        poller.security = security
    service.monitor.cycle()
    service.http.start()
    yield service
    service.http.stop()


def get(service, path: str, token: str | None = TOKEN):
    host, port = service.http.address[:2]
    request = urllib.request.Request(f"http://{host}:{port}{path}", headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.headers, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8")


@pytest.mark.parametrize("path, content_type", [("/", "text/html"), ("/index.html", "text/html"),
                                                ("/console.js", "text/javascript"), ("/console.css", "text/css")])
def test_the_static_files_are_served_with_strict_headers_and_no_token(service, path, content_type):
    status, headers, body = get(service, path, token=None)
    assert status == 200 and headers["Content-Type"].startswith(content_type)
    assert headers["Cache-Control"] == "no-cache" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"].startswith("default-src 'self';")
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert TOKEN not in body and "http://" not in body and "https://" not in body   # no CDN, no token
    if path.endswith(".js"):
        assert "innerHTML" not in body and "insertAdjacentHTML" not in body and "document.write" not in body


@pytest.mark.parametrize("path", ["/views.py", "/console/index.html", "/..%2fhttp.py", "/console.js/x", "/api"])
def test_nothing_else_is_served(service, path):
    assert get(service, path)[0] == 404


def test_the_api_wants_the_token(service):
    for path in ("/api/clusters", "/api/compliance", "/api/alerts"):
        assert get(service, path, token=None)[0] == 401
        assert get(service, path, token="wrong")[0] == 401
        assert get(service, path)[0] == 200


def test_no_password_hash_or_token_in_any_answer(service):
    paths = ("/", "/console.js", "/api/clusters", "/api/compliance", "/api/alerts", "/api/alerts?state=all",
             "/api/silences", "/healthz", "/metrics")
    answers = [get(service, path)[2] for path in paths]
    for body in answers:
        assert SECRET not in body and HASH not in body and TOKEN not in body
    assert "password" not in answers[2] and "password" not in answers[3]


def test_clusters_and_compliance_carry_what_the_page_draws(service):
    clusters = json.loads(get(service, "/api/clusters")[2])
    assert clusters["cycles"] == 1 and clusters["cycle_at"] and clusters["interval"] == 1.0
    (lab,) = clusters["clusters"]
    assert lab["code"] == "all_replicas_not_replicating" and lab["primary"] == PRIMARY and lab["tree"] == {PRIMARY: [REPLICA]}
    members = {m["address"]: m for m in lab["members"]}
    assert members[PRIMARY]["state"] == "ok" and members[PRIMARY]["gtid_executed"] == "0-1-42"
    assert members[REPLICA]["state"] == "stopped" and members[REPLICA]["channels"][0]["sql_running"] is False
    compliance = json.loads(get(service, "/api/compliance")[2])["members"]
    assert {m["address"] for m in compliance} == {PRIMARY, REPLICA}
    assert all(m["by_severity"]["high"]["fail"] == 1 and m["failing"][0]["control"] == "local_infile" for m in compliance)
    alerts = json.loads(get(service, "/api/alerts")[2])["alerts"]
    assert any(a["summary"] == f"<img src=x onerror=alert(1)> on {PRIMARY}" for a in alerts)   # text: the page sets it as such


def post(service, path: str, body: dict):
    host, port = service.http.address[:2]
    request = urllib.request.Request(f"http://{host}:{port}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("match, says", [
    ({"rulee": "replica_sql_thread_stopped"}, "did you mean 'rule'?"),
    ({"rule": "replica_sql_thread_stoped"}, "no rule 'replica_sql_thread_stoped' here (did you mean 'replica_sql_thread_stopped'?)"),
    ({"cluster": "prod"}, "no cluster 'prod' here"),
    ({"severity": "p1"}, "no severity 'p1' here"),
    ({"notify_channel": "hook"}, "channel is the replication channel"),
])
def test_a_silence_that_could_never_match_is_refused_naming_the_key(service, match, says):
    status, answer = post(service, "/api/silences", {"match": match, "for": "1h"})
    assert status == 400 and says in answer["error"] and "nothing was silenced" in answer["error"], answer
    assert not [s for s in json.loads(get(service, "/api/silences")[2])["silences"] if s["match"] == match]


def test_a_silenced_alert_says_so_in_the_api(service):
    status, answer = post(service, "/api/silences", {"match": {"rule": "replica_sql_thread_stopped", "team": "dba"},
                                                     "for": "10m"})
    assert status == 200, answer
    try:
        alerts = {a["rule"]: a for a in json.loads(get(service, "/api/alerts")[2])["alerts"]}
        assert alerts["replica_sql_thread_stopped"]["silenced"] is True
        assert alerts["console_markup"]["silenced"] is False
    finally:
        host, port = service.http.address[:2]
        request = urllib.request.Request(f"http://{host}:{port}/api/silences/{answer['silence']['id']}", method="DELETE",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        urllib.request.urlopen(request, timeout=5).close()
    assert json.loads(get(service, "/api/alerts")[2])["alerts"][0]["silenced"] is False


def test_the_cli_finds_the_daemon_and_its_token_from_engine_yml(service):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("MYSQLHA_URL", "MYSQLHA_API_TOKEN")}
    env.update(PYTHONPATH=str(REPO / "tests" / "output" / "collections"), TOKEN=TOKEN, DB_PW=SECRET)
    command = [sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine", "alerts", "--json"]
    found = subprocess.run(command + ["--config", service.config.path], env=env, capture_output=True, text=True, check=False)
    assert found.returncode == 0, found.stderr
    assert "replica_sql_thread_stopped" in {json.loads(line)["rule"] for line in found.stdout.splitlines()}
    missing = subprocess.run(command + ["--config", service.config.path + ".missing"], env=env, capture_output=True,
                             text=True, check=False)
    assert missing.returncode == 1 and "engine.yml.missing" in missing.stderr and "Traceback" not in missing.stderr
