"""The installed product, used as a user would: a wheel in a fresh virtualenv, an empty HOME,
no option file, logins given as login_user/login_password (a non-ASCII one), and `mysqlha`
fed whatever Ansible wrote."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab

from .conftest import REPO
from lab_helpers import no_io_thread_streams, wait_for

# Quotes, a backslash and characters outside latin-1: what breaks naive quoting and encoding.
PASSWORD = "pä€✓ss\"wo'rd\\1"
LOGIN = "ops"


def test_installed_check_and_rule_unit_tests_pass_from_a_clean_directory(installed):
    shutil.copytree(REPO / "rules", installed.work / "rules", dirs_exist_ok=True)
    shutil.copytree(REPO / "tests" / "rules", installed.work / "tests" / "rules", dirs_exist_ok=True)
    check = installed.run("mysqlha", "check", "rules/")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: ")
    shipped = installed.run("mysqlha", "check", installed.package / "rules")
    assert shipped.returncode == 0, shipped.stderr
    unit = installed.run("mysqlha", "test", "tests/rules", "--require-coverage")
    assert unit.returncode == 0, unit.stdout + unit.stderr
    assert ", 0 failed" in unit.stdout


def test_installed_collection_lists_its_roles(installed):
    proc = installed.run("ansible-doc", "-t", "role", "-l", "dbaops.mysql_ha")
    assert proc.returncode == 0, proc.stderr
    assert "dbaops.mysql_ha.monitor_user" in proc.stdout and "dbaops.mysql_ha.hardening" in proc.stdout


def test_installed_demo_tells_the_whole_story_and_stops_everything_it_started(installed, tmp_path):
    lab_dir = tmp_path / "lab"
    proc = installed.run("mysqlha", "demo", "--dir", lab_dir, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    verdicts = re.findall(r"^   analysis: (\S+)", out, re.M)
    assert verdicts == ["ok", "replication_stopped", "errant_gtid", "primary_hung", "primary_dead"]
    steps = out.split("\n[")
    assert [s.split("]")[0].split()[0] for s in steps[1:]] == [f"{n}/8" for n in range(1, 9)]   # the progress
    # every alert reached the live monitor's webhook, signed
    webhook = re.findall(r"^   webhook: (P\d) (\S+) (\S+) on .*\((.*)\)$", out, re.M)
    assert [(p, rule, state) for p, rule, state, _signature in webhook] == [
        ("P1", "replica_sql_thread_stopped", "firing"), ("P1", "replica_sql_thread_stopped", "resolved"),
        ("P1", "errant_gtid", "firing"), ("P0", "primary_hung", "firing"), ("P0", "primary_hung", "resolved"),
        ("P0", "primary_dead", "firing")]
    assert {delivery[-1] for delivery in webhook} == {"signature verified"}
    frozen = next(s for s in steps if s and "primary frozen" in s.splitlines()[0])
    assert "primary_dead" not in frozen                       # the frozen primary is never called dead
    assert "compliance of the primary" in out and "hardening (check mode, nothing changed)" in out
    for suffix in (".html", ".md", ".junit.xml", ".json"):
        assert (lab_dir / "report" / ("compliance" + suffix)).stat().st_size > 1000
    assert all(row["state"] == "stopped" for row in Lab(str(lab_dir)).status())
    config = str(lab_dir / "monitor" / "engine.yml").encode()
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p).find(config) >= 0]


def _cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""


def _play(installed, tasks, variables, name="play") -> subprocess.CompletedProcess:
    """ansible-playbook of the virtualenv on localhost, variables (the password too) from a JSON file."""
    play = [{"name": name, "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    (installed.work / f"{name}.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    (installed.work / f"{name}.vars.json").write_text(json.dumps(dict(
        variables, ansible_python_interpreter=str(installed.bin / "python"), out=str(installed.work))))
    return installed.run("ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"@{name}.vars.json", f"{name}.yml")


def _login(address: str) -> dict:
    """Login options for ``host:port``, or for the loop's ``{{ item }}``."""
    if address == "{{ item }}":
        host, port = "{{ item.split(':')[0] }}", "{{ item.split(':')[1] | int }}"
    else:
        host, port = address.rsplit(":", 1)
    return {"login_host": host, "login_port": port, "login_user": LOGIN, "login_password": "{{ password }}",
            "connect_timeout": 2}


def _save(name: str, what: str) -> dict:
    copy = {"dest": f"{{{{ out }}}}/{name}.json", "content": f"{{{{ {what} | to_json }}}}"}
    return {"name": f"save {name}", "ansible.builtin.copy": copy}


@pytest.fixture
def lab_with_ops_login(make_lab):
    lab = make_lab(replicas=2)
    with lab.session(lab.by_role("primary")[0]) as admin:
        admin.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (LOGIN, PASSWORD))
        admin.execute("GRANT ALL PRIVILEGES ON *.* TO %s@'127.0.0.1' WITH GRANT OPTION", (LOGIN,))
    return lab


def test_installed_modules_work_with_login_options_a_non_ascii_password_and_no_option_file(installed, lab_with_ops_login):
    lab = lab_with_ops_login
    members = [n.address for n in lab.nodes]
    primary = lab.by_role("primary")[0].address
    assert not (installed.home / ".my.cnf").exists()
    tasks = [
        {"name": "topology", "dbaops.mysql_ha.topology_facts": dict(_login(primary), members=members, cluster_name="prod"),
         "register": "topology"},
        {"name": "replication", "dbaops.mysql_ha.replication_facts": _login("{{ item }}"), "loop": members,
         "register": "replication"},
        {"name": "security", "dbaops.mysql_ha.security_facts": _login(primary), "register": "security"},
        {"name": "hardening plan", "dbaops.mysql_ha.hardening": dict(
            _login(primary), profile={"require_secure_transport": False}, allow_password_expiry=True),
         "check_mode": True, "register": "hardening"},
        {"name": "monitor account plan", "dbaops.mysql_ha.monitor_user": dict(
            _login(primary), name="mysqlha_monitor", host="127.0.0.1", password="{{ password }}", require_tls=False),
         "check_mode": True, "register": "monitor"},
        {"name": "rules", "dbaops.mysql_ha.rules_evaluate": {"rules": str(installed.package / "rules"),
                                                             "facts": "{{ [topology, security] }}"}, "register": "verdict"},
        _save("topology", "topology"), _save("security", "security"), _save("hardening", "hardening"),
        _save("monitor", "monitor"), _save("verdict", "verdict"),
    ]
    proc = _play(installed, tasks, {"password": PASSWORD})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert PASSWORD not in proc.stdout + proc.stderr

    def load(name):
        return json.loads((installed.work / f"{name}.json").read_text())

    topology = load("topology")
    assert topology["cluster"]["analysis"]["code"] == "ok" and topology["cluster"]["primary"] == primary
    assert topology["cluster"]["reachable_count"] == 3
    assert load("security")["ansible_facts"]["mysql_security"]["instance"] == primary
    hardening = load("hardening")
    assert hardening["changed"] is True and not hardening.get("failed"), hardening.get("msg")
    monitor = load("monitor")
    assert monitor["changed"] is True and not monitor.get("failed")
    verdict = load("verdict")
    assert not verdict.get("failed") and verdict["facts_errors"] == []
    assert not [a for a in verdict["alerts"] if a["severity"] in ("P0", "P1")]

    # The installed mysqlha reads what Ansible wrote, with no --cluster: security joins "prod".
    proc = installed.run("mysqlha", "eval", "--rules", installed.package / "rules", "--facts",
                         "topology.json", "security.json", "--format", "json", "--fail-on", "P1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(json.loads(line)["cluster"] == "prod" for line in proc.stdout.splitlines())


def test_installed_eval_pages_primary_dead_from_a_killed_primarys_failed_result(installed, lab_with_ops_login):
    lab = lab_with_ops_login
    members = [n.address for n in lab.nodes]
    primary = lab.by_role("primary")[0]
    lab.kill(primary)
    wait_for(lambda: no_io_thread_streams(lab), timeout=30)
    tasks = [
        {"name": "replication", "dbaops.mysql_ha.replication_facts": _login("{{ item }}"), "loop": members,
         "register": "replication", "ignore_errors": True},
        {"name": "topology", "dbaops.mysql_ha.topology_facts": dict(_login(members[1]), members=members, cluster_name="prod"),
         "register": "topology"},
        {"name": "save each member's result", "ansible.builtin.copy": {
            "dest": "{{ out }}/member{{ index }}.json", "content": "{{ item | to_json }}"},
         "loop": "{{ replication.results }}", "loop_control": {"index_var": "index"}},
        _save("topology", "topology"),
    ]
    proc = _play(installed, tasks, {"password": PASSWORD}, name="outage")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    files = [f"member{i}.json" for i in range(3)]
    failed = [f for f in files if json.loads((installed.work / f).read_text()).get("failed")]
    assert failed == ["member0.json"]   # the primary is the first member
    rules = installed.package / "rules"
    for facts in (files, files + ["topology.json"]):
        proc = installed.run("mysqlha", "eval", "--rules", rules, "--facts", *facts, "--format", "json", "--fail-on", "P0")
        alerts = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [(a["rule"], a["instance"]) for a in alerts if a["severity"] == "P0"] == [("primary_dead", primary.address)]
        assert proc.returncode == 1, proc.stderr
        assert f"member0.json: {primary.address} could not be read (refused)" in proc.stderr


def test_installed_role_converges_the_monitor_account_with_login_options(installed, lab_with_ops_login):
    primary = lab_with_ops_login.by_role("primary")[0]
    play = [{"name": "role", "hosts": "localhost", "gather_facts": False,
             "roles": [{"role": "dbaops.mysql_ha.monitor_user", "vars": {
                 "monitor_user_login_host": "127.0.0.1", "monitor_user_login_port": primary.port,
                 "monitor_user_login_user": LOGIN, "monitor_user_login_password": "{{ password }}",
                 "monitor_user_password": "{{ password }}", "monitor_user_require_tls": False}}]}]
    (installed.work / "role.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    (installed.work / "role.vars.json").write_text(json.dumps(
        {"password": PASSWORD, "ansible_python_interpreter": str(installed.bin / "python")}))
    proc = installed.run("ansible-playbook", "-i", "localhost,", "-c", "local", "-e", "@role.vars.json", "role.yml")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "changed=1" in proc.stdout and PASSWORD not in proc.stdout + proc.stderr
    with lab_with_ops_login.session(primary) as admin:
        assert admin.query("SELECT user FROM mysql.user WHERE user = 'mysqlha_monitor'")


def test_installed_eval_reads_ansibles_fact_cache_and_pages_a_host_whose_cached_facts_went_stale(
        installed, lab_with_ops_login):
    lab = lab_with_ops_login
    hosts = {n.name: {"ansible_connection": "local", "mysql_port": n.port} for n in lab.nodes}
    (installed.work / "cache-inventory.json").write_text(json.dumps({"all": {"hosts": hosts}}))
    play = [{"name": "facts into the cache", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "replication facts", "ignore_errors": True, "dbaops.mysql_ha.replication_facts": {
            "login_host": "127.0.0.1", "login_port": "{{ mysql_port }}", "login_user": LOGIN,
            "login_password": "{{ password }}", "connect_timeout": 2}}]}]
    (installed.work / "cache.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    (installed.work / "cache.vars.json").write_text(json.dumps(
        {"password": PASSWORD, "ansible_python_interpreter": str(installed.bin / "python")}))
    cache = installed.work / "fact-cache"
    settings = {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)}

    def gather():
        return installed.run("ansible-playbook", "-i", "cache-inventory.json", "-e", "@cache.vars.json", "cache.yml",
                             **settings)

    def evaluate():
        return installed.run("mysqlha", "eval", "--facts", cache, "--format", "json", "--cluster", "prod")

    assert gather().returncode == 0
    healthy = evaluate()     # no --rules, and no rules/ here: the installed default pack
    assert healthy.returncode == 0, healthy.stderr
    assert not [a for a in map(json.loads, healthy.stdout.splitlines()) if a["severity"] != "P3"]

    # replica2's cache entry is an hour old; then replica2 dies and the next run leaves that entry as it was.
    (entry,) = [p for p in cache.iterdir() if p.name.endswith("replica2")]
    wrapped = json.loads(entry.read_text())
    facts = json.loads(wrapped["__payload__"]) if "__payload__" in wrapped else wrapped
    facts["mysql_replication"]["collection"]["collected_at"] -= 3600
    entry.write_text(json.dumps({"__payload__": json.dumps(facts)} if "__payload__" in wrapped else facts))
    lab.kill("replica2")
    gather()
    stale = evaluate()
    alerts = [(a["rule"], a["instance"], a["severity"]) for a in map(json.loads, stale.stdout.splitlines())
              if a["severity"] != "P3"]
    assert alerts == [("replica_unreachable", lab.node("replica2").address, "P2")], stale.stdout + stale.stderr
    assert "counted as a member that did not report" in stale.stderr


def test_installed_check_uses_the_installed_default_pack_where_there_is_no_rules_directory(installed, tmp_path):
    proc = installed.run("mysqlha", "check", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: ") and str(installed.package / "rules") in proc.stdout


def test_installed_daemon_watches_an_ansible_inventory_pages_a_killed_primary_and_takes_an_ack(
        installed, lab_with_ops_login, tmp_path):
    """`mysqlha run` from the wheel: targets from an Ansible inventory, the password from a file
    (non-ASCII), the packaged rules (no ./rules), a webhook; then `mysqlha alerts` and `ack`."""
    from ansible_collections.dbaops.mysql_ha.engine.lab.server import free_ports

    from daemon_helpers import Receiver

    lab = lab_with_ops_login
    receiver = Receiver()
    password_file = tmp_path / "monitor.pw"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    port = free_ports(1)[0]
    (installed.work / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"prod": {
        "vars": {"mysqlha_user": LOGIN, "mysqlha_password_file": str(password_file), "mysqlha_ssl_mode": "disabled"},
        "hosts": {n.name: {"ansible_host": "127.0.0.1", "mysql_port": n.port} for n in lab.nodes}}}}}))
    (installed.work / "engine.yml").write_text(yaml.safe_dump({
        "interval": "1s", "inventory": "hosts.yml", "http": {"listen": f"127.0.0.1:{port}"},
        "channels": {"hook": {"type": "webhook", "url": receiver.url}},
        "sla": {"P0": {"channels": ["hook"]}, "P1": {"channels": ["hook"]}}}))
    checked = installed.run("mysqlha", "run", "--config", "engine.yml", "--check")
    assert checked.returncode == 0, checked.stderr
    daemon = subprocess.Popen([str(installed.bin / "mysqlha"), "run", "--config", "engine.yml"], cwd=str(installed.work),
                              env=installed.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: installed.run("mysqlha", "alerts", "--url", url).returncode == 0, timeout=30, interval=0.5)
        lab.kill(lab.by_role("primary")[0])
        alert = receiver.wait("primary_dead", "firing", timeout=15)
        assert alert["cluster"] == "prod"
        listed = installed.run("mysqlha", "alerts", "--url", url, "--json")
        alerts = [json.loads(line) for line in listed.stdout.splitlines()]
        dead = [a for a in alerts if a["rule"] == "primary_dead"]
        assert dead and dead[0]["state"] == "firing", listed.stdout
        acked = installed.run("mysqlha", "ack", dead[0]["id"], "--url", url, "--by", "e2e")
        assert acked.returncode == 0 and "acked" in acked.stdout, acked.stderr
        again = installed.run("mysqlha", "ack", dead[0]["id"], "--url", url)
        assert again.returncode == 1 and "only a firing alert can be acked" in again.stderr
    finally:
        daemon.terminate()
        output = daemon.communicate(timeout=30)[0]
        receiver.stop()
    assert daemon.returncode == 0, output[-2000:]
    assert PASSWORD not in output and "Traceback" not in output
