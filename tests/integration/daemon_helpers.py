"""A local webhook receiver and a ``mysqlha run`` subprocess for the daemon's tests."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from ansible_collections.dbaops.mysql_ha.engine.lab.server import free_ports, set_parent_death_signal

COLLECTIONS = Path(__file__).resolve().parents[1] / "output" / "collections"


class Receiver:
    """Records every webhook POST: (arrival time, Idempotency-Key, kind, alerts).

    ``mode``: "ok" (200), "error" (500) or "hang" (never answers).  ``stop``/``start`` take
    it off the port and back, as a receiver that goes down and comes back."""

    def __init__(self):
        self.port = free_ports(1)[0]
        self.received: list[dict] = []
        self.attempts = 0
        self.mode = "ok"
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.attempts += 1
                if receiver.mode == "hang":
                    time.sleep(30)
                    return
                if receiver.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                data = json.loads(body)
                receiver.received.append({"t": time.time(), "key": self.headers.get("Idempotency-Key"),
                                          "kind": data["kind"], "alerts": data["alerts"]})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, rule: str | None = None) -> list[tuple[str, str, str]]:
        """(rule, state, instance) per alert received, in arrival order."""
        return [(a["rule"], a["state"], a["instance"]) for r in self.received for a in r["alerts"]
                if rule is None or a["rule"] == rule]

    def wait(self, rule: str, state: str, timeout: float = 30, since: float = 0.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in list(self.received):
                if record["t"] >= since:
                    for alert in record["alerts"]:
                        if alert["rule"] == rule and alert["state"] == state:
                            return dict(alert, received_at=record["t"])
            time.sleep(0.05)
        raise AssertionError(f"no {rule} {state} within {timeout}s; received: {self.events()}")


def write_config(lab, directory: Path, hook_url: str, interval: str = "1s", extra_members: list[str] | None = None,
                 **changes) -> Path:
    members = [n.address for n in lab.nodes if n.role in ("primary", "replica")] + list(extra_members or [])
    config = {
        "interval": interval, "state_dir": str(directory / "state"),
        "http": {"listen": f"127.0.0.1:{free_ports(1)[0]}"},
        "rules": [str(Path(__file__).resolve().parents[2] / "rules")],
        "clusters": [{"name": "lab", "members": members, "user": "mysqlha_admin", "password_env": "LAB_PASSWORD",
                      "ssl_mode": "disabled", "connect_timeout": "1s", "read_timeout": "2s"}],
        "channels": {"hook": {"type": "webhook", "url": hook_url, "secret_env": "HOOK_SECRET", "timeout": 2}},
        "sla": {tier: {"channels": ["hook"], "repeat": "1h", "business_hours_only": False} for tier in ("P0", "P1", "P2")}
        | {"P3": {"notify": False}},
    }
    config.update(changes)
    path = directory / "engine.yml"
    path.write_text(yaml.safe_dump(config))
    return path


class Daemon:
    """``mysqlha run`` from the checkout, in a subprocess that dies with the test."""

    def __init__(self, config: Path, lab):
        self.config = config
        self.listen = yaml.safe_load(config.read_text())["http"]["listen"]
        self.env = dict(os.environ, PYTHONPATH=str(COLLECTIONS), LAB_PASSWORD=lab.secret("admin"), HOOK_SECRET="s3cret-hook")
        self.log = config.parent / "daemon.log"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> Daemon:
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "ansible_collections.dbaops.mysql_ha.engine.cli", "run",
                                      "--config", str(self.config)], env=self.env, stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, preexec_fn=set_parent_death_signal)
        log.close()
        if wait:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, f"the daemon exited {self.proc.returncode}: {self.log.read_text()[-2000:]}"
                try:
                    if self.get("/healthz").get("cycles", 0) >= 2:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            raise AssertionError(f"the daemon did not run two cycles in 30s: {self.log.read_text()[-2000:]}")
        return self

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"http://{self.listen}{path}", timeout=5) as response:
            return json.loads(response.read())

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://{self.listen}/metrics", timeout=5) as response:
            return response.read().decode()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode if self.proc else None


class SilentListener:
    """A TCP port that accepts connections and never says a word (a target that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.address = "127.0.0.1:%d" % self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()
