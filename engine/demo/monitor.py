"""The demo's live monitor: ``mysqlha run`` on the lab, notifying a local webhook receiver
that checks each delivery's HMAC signature as docs/daemon.md tells a receiver to."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError
from ansible_collections.dbaops.mysql_ha.engine.lab.server import free_ports, set_parent_death_signal


class Receiver:
    """A webhook endpoint on loopback: records (arrival, verified, alerts) per POST."""

    def __init__(self, secret: str):
        self.secret = secret.encode()
        self.deliveries: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stamp = self.headers.get("X-Mysqlha-Timestamp", "")
                expected = "sha256=" + hmac.new(receiver.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                verified = hmac.compare_digest(expected, self.headers.get("X-Mysqlha-Signature", ""))
                receiver.deliveries.append({"t": time.monotonic(), "verified": verified,
                                            "alerts": json.loads(body).get("alerts", [])})
                self.send_response(200 if verified else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, rule: str, state: str, since: float, timeout: float = 20) -> tuple[dict, float, bool]:
        """The first delivery after ``since`` carrying ``rule`` in ``state``: (alert, seconds after since, verified)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for delivery in list(self.deliveries):
                if delivery["t"] >= since:
                    for alert in delivery["alerts"]:
                        if alert["rule"] == rule and alert["state"] == state:
                            return alert, delivery["t"] - since, delivery["verified"]
            time.sleep(0.05)
        raise LabError(f"no {state} {rule} alert reached the webhook within {timeout:.0f}s")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Monitor:
    """``mysqlha run`` watching the lab's replication cluster, with the webhook receiver above."""

    def __init__(self, lab: Lab, rules: str):
        self.lab = lab
        self.directory = Path(lab.base) / "monitor"
        self.directory.mkdir(exist_ok=True)
        hook_secret = secrets.token_hex(16)
        self.receiver = Receiver(hook_secret)
        self.listen = "127.0.0.1:%d" % free_ports(1)[0]
        config = {
            "interval": "1s", "state_dir": str(self.directory / "state"), "rules": [rules],
            "http": {"listen": self.listen},
            "clusters": [{"name": "lab", "members": [n.address for n in lab.nodes if n.role in ("primary", "replica")],
                          "user": "mysqlha_admin", "password_env": "MYSQLHA_DEMO_PASSWORD", "ssl_mode": "disabled",
                          "connect_timeout": "1s", "read_timeout": "2s"}],
            "channels": {"hook": {"type": "webhook", "url": self.receiver.url, "secret_env": "MYSQLHA_DEMO_HOOK_SECRET"}},
            "sla": {tier: {"channels": ["hook"], "repeat": "1h", "business_hours_only": False} for tier in ("P0", "P1", "P2")},
        }
        self.config = self.directory / "engine.yml"
        self.config.write_text(yaml.safe_dump(config))
        self.env = dict(os.environ, MYSQLHA_DEMO_PASSWORD=lab.secret("admin"), MYSQLHA_DEMO_HOOK_SECRET=hook_secret)
        self.log = self.directory / "daemon.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine", "run",
                                          "--config", str(self.config)], env=self.env, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL, preexec_fn=set_parent_death_signal)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise LabError(f"mysqlha run exited {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"http://{self.listen}/healthz", timeout=2) as answer:
                    if json.loads(answer.read()).get("cycles", 0) >= 2:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise LabError(f"mysqlha run did not complete two cycles in {timeout:.0f}s; see {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.receiver.close()
