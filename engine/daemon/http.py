"""The daemon's HTTP endpoints (loopback by default).

    GET  /                         the console (engine/daemon/console/: a page, its script and style)
    GET  /healthz                  200 while cycles run on time, 503 otherwise (JSON either way)
    GET  /metrics                  Prometheus text (engine/daemon/metrics.py)
    GET  /api/alerts[?state=all]   active alerts (pending, firing, acked), or every one kept
    POST /api/alerts/{id}/ack      {"by": "alice"}: stop repeats and escalation
    GET  /api/silences             active silences
    POST /api/silences             {"match": {"rule": "x", "cluster": "y"}, "for": "2h", "by": "...", "comment": "..."}
    DELETE /api/silences/{id}
    GET  /api/clusters             each cluster's analysis, replication tree and members (engine/daemon/views.py)
    GET  /api/compliance           each member's control counts and failing controls

With ``http.token`` set, /api/* needs ``Authorization: Bearer <token>``; /healthz and /metrics
stay open (they carry no secret).  Request bodies are limited to 64 kB.
"""
from __future__ import annotations

import hmac
import json
import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from ansible_collections.dbaops.mysql_ha.engine.daemon import metrics
from ansible_collections.dbaops.mysql_ha.engine.daemon.views import clusters_view, compliance_view

if TYPE_CHECKING:
    from ansible_collections.dbaops.mysql_ha.engine.daemon.service import Service

LOG = logging.getLogger("mysqlha.http")
MAX_BODY = 64 * 1024
CONSOLE = Path(__file__).resolve().parent / "console"
CONSOLE_FILES = {"index.html": "text/html; charset=utf-8", "console.js": "text/javascript; charset=utf-8",
                 "console.css": "text/css; charset=utf-8"}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def handler_for(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mysqlha"
        protocol_version = "HTTP/1.1"
        timeout = 10

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            LOG.debug("%s %s", self.address_string(), format % args)

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data) -> None:
            self._send(status, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))

        def _body(self) -> dict:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                raise ApiError(400, "bad Content-Length") from None
            if length < 0:
                raise ApiError(400, "bad Content-Length")
            if length > MAX_BODY:
                raise ApiError(413, f"request body over {MAX_BODY} bytes")
            raw = self.rfile.read(length) if length else b"{}"
            try:
                data = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                raise ApiError(400, "the body is not JSON (or nests too deep)") from None
            if not isinstance(data, dict):
                raise ApiError(400, "the body must be a JSON object")
            return data

        def _authorised(self) -> None:
            token = service.config.api_token
            if not token:
                return
            given = self.headers.get("Authorization") or ""
            if not hmac.compare_digest(given.encode("utf-8", "replace"), f"Bearer {token}".encode()):
                raise ApiError(401, "missing or wrong bearer token")

        def _dispatch(self, method: str) -> None:
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            try:
                if method == "GET" and parts == ["healthz"]:
                    healthy, report = service.health()
                    return self._json(200 if healthy else 503, report)
                if method == "GET" and parts == ["metrics"]:
                    return self._send(200, metrics.render(service), "text/plain; version=0.0.4; charset=utf-8")
                if method == "GET" and (parts == [] or (len(parts) == 1 and parts[0] in CONSOLE_FILES)):
                    return self._static(parts[0] if parts else "index.html")
                if parts[:1] != ["api"]:
                    raise ApiError(404, f"no such endpoint: {method} {url.path[:100]}")
                self._authorised()
                if method == "GET" and parts == ["api", "clusters"]:
                    monitor = service.monitor
                    return self._json(200, {"clusters": clusters_view(monitor.snapshot), "cycles": monitor.cycles,
                                            "cycle_at": monitor.last_cycle_at, "interval": service.config.interval})
                if method == "GET" and parts == ["api", "compliance"]:
                    return self._json(200, {"members": compliance_view(service.monitor.snapshot)})
                if method == "GET" and parts == ["api", "alerts"]:
                    every = parse_qs(url.query).get("state") == ["all"]
                    return self._json(200, {"alerts": service.alerts(every)})
                if method == "POST" and len(parts) == 4 and parts[:2] == ["api", "alerts"] and parts[3] == "ack":
                    body = self._body()
                    return self._json(200, {"alert": service.ack(parts[2], str(body.get("by") or "api")[:100])})
                if method == "GET" and parts == ["api", "silences"]:
                    return self._json(200, {"silences": service.silences()})
                if method == "POST" and parts == ["api", "silences"]:
                    return self._json(200, {"silence": service.silence(self._body())})
                if method == "DELETE" and len(parts) == 3 and parts[:2] == ["api", "silences"]:
                    return self._json(200, {"expired": service.expire_silence(parts[2])})
                raise ApiError(404, f"no such endpoint: {method} {url.path[:100]}")
            except ApiError as exc:
                return self._json(exc.status, {"error": str(exc)})
            except (UnicodeError, RecursionError) as exc:   # a lone surrogate, a structure too deep
                return self._json(400, {"error": f"bad request: {type(exc).__name__}"})
            except Exception as exc:  # noqa: BLE001 - a bad request never takes the daemon down
                LOG.exception("HTTP %s %s failed", method, url.path[:100])
                return self._json(500, {"error": f"{type(exc).__name__}: {str(exc)[:200]}"})

        def _static(self, name: str) -> None:
            """The console's files (engine/daemon/console/): no data in them, so no token."""
            body = (CONSOLE / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", CONSOLE_FILES[name])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's naming
            self._dispatch("GET")

        def do_POST(self):  # noqa: N802
            self._dispatch("POST")

        def do_DELETE(self):  # noqa: N802
            self._dispatch("DELETE")

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that went away mid-answer is one debug line, not a traceback on stderr."""
        LOG.debug("HTTP client %s: %s", client_address[0] if client_address else "?", sys.exc_info()[1])


class HttpServer:
    def __init__(self, service: Service, host: str, port: int):
        self.httpd = _Server((host, port), handler_for(service))
        self.httpd.daemon_threads = True
        self.address = self.httpd.server_address
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
