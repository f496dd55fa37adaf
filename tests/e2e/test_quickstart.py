"""docs/quickstart.md, as a DBA follows it: its monitoring-account play and its gate play, copied
from the page, run with the installed wheel's ansible-playbook against a lab, logins from the
inventory and a vars file (no option file). The gate passes on a healthy cluster, fails on a
stopped SQL thread, and passes again after START SLAVE."""
from __future__ import annotations

import json
import re

import yaml

from .conftest import REPO
from lab_helpers import wait_for

ADMIN_PASSWORD = "Adm1n-ü'\"pw"
MONITOR_PASSWORD = "m0nitor-€-pw"


def plays_from_the_page() -> dict[str, list]:
    """The YAML plays of docs/quickstart.md, by their name."""
    text = (REPO / "docs" / "quickstart.md").read_text()
    plays = {}
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        document = yaml.safe_load(block)
        if isinstance(document, list) and document and isinstance(document[0], dict) and "name" in document[0]:
            plays[document[0]["name"]] = document
    return plays


def has_monitor_account(lab, node) -> bool:
    with lab.session(node) as session:
        return session.query("SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'mysqlha_monitor'")[0]["n"] == 1


def test_the_quick_start_gate_fails_on_a_stopped_sql_thread_and_passes_after_start_slave(installed, make_lab):
    lab = make_lab(replicas=2)
    primary, replica1, replica2 = lab.by_role("primary")[0], *lab.by_role("replica")
    with lab.session(primary) as admin:
        admin.execute("CREATE USER 'admin'@'127.0.0.1' IDENTIFIED BY %s", (ADMIN_PASSWORD,))
        admin.execute("GRANT ALL PRIVILEGES ON *.* TO 'admin'@'127.0.0.1' WITH GRANT OPTION")
    plays = plays_from_the_page()
    assert {"The monitoring account", "Gate on the health of prod_main"} <= set(plays), sorted(plays)

    inventory = {"prod_main": {
        "hosts": {name: {"ansible_host": "127.0.0.1", "mysql_port": node.port}
                  for name, node in (("db1", primary), ("db2", replica1), ("db3", replica2))},
        "vars": {"monitor_from": "127.0.0.1", "monitor_require_tls": False, "ansible_connection": "local",
                 "ansible_python_interpreter": str(installed.bin / "python")}}}
    (installed.work / "prod.yml").write_text(yaml.safe_dump(inventory))
    (installed.work / "vault.json").write_text(json.dumps({"vault_admin_password": ADMIN_PASSWORD,
                                                          "vault_monitor_password": MONITOR_PASSWORD}))
    (installed.work / "account.yml").write_text(yaml.safe_dump(plays["The monitoring account"], sort_keys=False))
    (installed.work / "gate.yml").write_text(yaml.safe_dump(plays["Gate on the health of prod_main"], sort_keys=False))

    def play(name):
        proc = installed.run("ansible-playbook", "-i", "prod.yml", "-e", "@vault.json", name)
        output = proc.stdout + proc.stderr
        assert ADMIN_PASSWORD not in output and MONITOR_PASSWORD not in output
        return proc, output

    account, output = play("account.yml")
    assert account.returncode == 0, output[-3000:]
    for replica in (replica1, replica2):   # the account reached the replicas by replication
        wait_for(lambda r=replica: has_monitor_account(lab, r))

    healthy, output = play("gate.yml")
    assert healthy.returncode == 0, output[-3000:]

    with lab.session(replica1) as replica:
        replica.execute("STOP SLAVE SQL_THREAD")
    stopped, output = play("gate.yml")
    assert stopped.returncode != 0
    assert f"P1 replica_sql_thread_stopped {replica1.address}" in output, output[-3000:]

    with lab.session(replica1) as replica:
        replica.execute("START SLAVE SQL_THREAD")
    again, output = play("gate.yml")
    assert again.returncode == 0, output[-3000:]
