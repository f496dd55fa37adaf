"""What every notification channel shares: the message, the error, secrets, one HTTP POST.

A channel is built once from its ``channels.NAME`` section of engine.yml and then sends
``Message``s.  ``send`` either returns (delivered) or raises ``NotifyError``; the outbox
(engine/daemon/outbox.py) retries with backoff and never drops a message.  A message keeps its
``id`` across retries, so a receiver can drop the copy it may get when the daemon dies between
a delivery and recording it (the webhook sends it as ``Idempotency-Key``).

Secrets (signing secrets, and URLs that carry a token: DingTalk's access_token, WeCom's key,
Slack's path) come from ``*_env`` or ``*_file`` fields and never appear in an error, a log line
or a metric: messages name a URL by scheme and host only.
"""
from __future__ import annotations

import http.client
import json
import os
import stat
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

MAX_RESPONSE_BYTES = 64 * 1024
MAX_SECRET_FILE_BYTES = 64 * 1024
USER_AGENT = "mysqlha-notify/1"


class NotifyError(Exception):
    """A send that failed; the message names the channel and never holds a secret."""


@dataclass(frozen=True)
class Message:
    """One notification: ``kind`` is firing, repeat, escalation or resolved; ``alerts`` are
    alert dicts as the API and webhooks carry them (docs/rules.md).  ``id`` is stable across retries."""

    id: str
    kind: str
    alerts: tuple[dict, ...]
    created_at: float = 0.0
    extra: dict = field(default_factory=dict)


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…``: enough to tell which endpoint, nothing that may be a token."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparsable URL>"
    return f"{parts.scheme}://{parts.hostname or '?'}{':%d' % port if port else ''}/…"


def read_secret(spec: dict, key: str, where: str, required: bool = False, env=None) -> str | None:
    """The value of ``KEY`` given inline, as ``KEY_env`` (a variable's name) or ``KEY_file``."""
    env = os.environ if env is None else env
    given = [k for k in (key, f"{key}_env", f"{key}_file") if spec.get(k) not in (None, "")]
    if len(given) > 1:
        raise ConfigError(f"{where}: give one of {', '.join(given)}, not several")
    if not given:
        if required:
            raise ConfigError(f"{where}: {key} is required ({key}, {key}_env or {key}_file)")
        return None
    name = given[0]
    value = spec[name]
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{name}: expected a string, got {type(value).__name__}")
    if name == key:
        return value
    if name.endswith("_env"):
        if value not in env or env[value] == "":
            raise ConfigError(f"{where}.{name}: environment variable {value} is not set")
        return env[value]
    try:
        # O_NONBLOCK: a FIFO or a device never blocks the start; only a regular file is read.
        fd = os.open(value, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ConfigError(f"{where}.{name}: {value} is not a regular file")
            data = os.read(fd, MAX_SECRET_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ConfigError(f"{where}.{name}: cannot read {value}: {exc.strerror}") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise ConfigError(f"{where}.{name}: {value} is larger than {MAX_SECRET_FILE_BYTES} bytes")
    text = data.decode("utf-8", "replace").strip()
    if not text:
        raise ConfigError(f"{where}.{name}: {value} is empty")
    return text


def check_url(url: str | None, where: str) -> str:
    if not url:
        raise ConfigError(f"{where}: url is required")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) > 126 for ch in url):
        raise ConfigError(f"{where}: url must be plain ASCII without spaces or control characters "
                          f"(percent-encode them), got {redact_url(url)}")
    try:
        parts = urlsplit(url)
        _port = parts.port   # a port that is not a number raises here
    except ValueError:
        raise ConfigError(f"{where}: url is not a valid URL ({redact_url(url)})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: url must be http:// or https:// with a host, got {redact_url(url)}")
    return url


def secret_url(spec: dict, where: str, env=None) -> str:
    """``url``, ``url_env`` or ``url_file`` (a URL may carry a token): http(s), printable ASCII
    only (urllib would refuse a space or a control character with an error quoting the URL)."""
    url = read_secret(spec, "url", where, required=True, env=env) or ""
    if any(not 32 < ord(char) < 127 for char in url):
        given = next(key for key in ("url", "url_env", "url_file") if spec.get(key))
        raise ConfigError(f"{where}.{given}: the URL holds a space, a control or a non-ASCII character (percent-encode it)")
    return check_url(url, where)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: following it would turn the POST into a bodiless GET (the
    message lost, yet counted as sent) and carry the credentials to another host."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def scrub(text: str, url: str, *secrets: str | None) -> str:
    """``text`` without the URL's path, query or any of ``secrets`` (an answer may echo them)."""
    try:
        parts = urlsplit(url)
        pieces = [parts.path, parts.query] + parts.path.split("/") + [v for q in parts.query.split("&") for v in q.split("=")]
    except ValueError:
        pieces = []
    for piece in sorted({p for p in pieces + [url, *secrets] if p and len(p) >= 6}, key=len, reverse=True):
        text = text.replace(piece, "…")
    return text


def _read_within(response, deadline: float) -> bytes:
    """At most 64 kB of an answer, within the send's overall deadline (a server dripping a byte a
    second would otherwise hold the channel for hours, each read within its own timeout)."""
    chunks, size = [], 0
    while size < MAX_RESPONSE_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer did not arrive within the channel's timeout")
        reader = getattr(response, "read1", None) or response.read   # read1: one recv, not "until n bytes"
        chunk = reader(min(4096, MAX_RESPONSE_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, channel: str,
         secrets: tuple[str | None, ...] = ()) -> tuple[int, bytes]:
    """POST ``body``; (status, first 64 kB of the response) for a 2xx, NotifyError otherwise.
    No redirect is followed; the whole answer must arrive within about twice ``timeout``."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"User-Agent": USER_AGENT, **headers})
    where = f"channel {channel} ({redact_url(url)})"
    deadline = time.monotonic() + 2 * timeout
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, _read_within(response, deadline)
    except urllib.error.HTTPError as exc:
        try:
            text = _read_within(exc, deadline)[:300].decode("utf-8", "replace") if exc.fp else ""
        except (OSError, http.client.HTTPException):   # an error answer whose body stalls or breaks
            text = ""
        if 300 <= exc.code < 400:
            text = "a redirect; mysqlha follows none (configure the final URL)"
        text = scrub(text, url, *secrets, *headers.values())
        raise NotifyError(f"{where}: HTTP {exc.code} {scrub(str(exc.reason), url, *secrets)}: {text[:200]}") from None
    except urllib.error.URLError as exc:
        raise NotifyError(f"{where}: {scrub(str(exc.reason), url, *secrets)}") from None
    except (OSError, ValueError) as exc:   # timeouts, resets
        raise NotifyError(f"{where}: {type(exc).__name__}") from None
    except http.client.HTTPException as exc:   # a broken answer; its text may quote the URL, so only its type
        raise NotifyError(f"{where}: {type(exc).__name__}: the server's answer was not valid HTTP") from None


def post_json(url: str, payload: Any, headers: dict[str, str] | None, timeout: float, channel: str) -> dict:
    """POST ``payload`` as JSON; the JSON answer (or {}) of a 2xx."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    _status, answer = post(url, body, {"Content-Type": "application/json", **(headers or {})}, timeout, channel)
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class Channel:
    """A notification channel; subclasses set ``type`` and implement ``send``."""

    type: ClassVar[str] = ""
    fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, spec: dict, env=None):
        self.name = name
        self.where = f"channels.{name}"
        unknown = sorted(set(spec) - self.fields - {"type", "timeout"})
        if unknown:
            raise ConfigError(f"{self.where}: unknown field(s) {', '.join(unknown)} for type {self.type} "
                              f"(fields: {', '.join(sorted(self.fields | {'timeout'}))})")
        timeout = spec.get("timeout", 10)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 120:
            raise ConfigError(f"{self.where}.timeout: seconds from 0 to 120, got {timeout!r}")
        self.timeout = float(timeout)

    def send(self, message: Message) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.type} channel {self.name}"


def summary_line(alert: dict) -> str:
    """``[P0 FIRING] primary_dead prod-main 10.0.1.10:3306: summary`` (one alert, one line)."""
    state = "RESOLVED" if alert.get("state") == "resolved" else str(alert.get("state", "")).upper()
    where = " ".join(str(x) for x in (alert.get("cluster"), alert.get("instance")) if x)
    return f"[{alert.get('severity')} {state}] {alert.get('rule')} {where}: {alert.get('summary', '')}"


def text_body(message: Message, limit: int = 4000) -> str:
    """A plain-text rendering for chat robots and mail: one block per alert, remediation included."""
    lines = []
    for alert in message.alerts:
        lines.append(summary_line(alert))
        if alert.get("remediation") and alert.get("state") != "resolved":
            lines.append(f"  remediation: {alert['remediation']}")
        if alert.get("started_at"):
            lines.append(f"  since {alert['started_at']}" + (f", resolved {alert['resolved_at']}"
                                                             if alert.get("resolved_at") else ""))
    text = "\n".join(lines)
    return text if len(text) <= limit else text[:limit - 20] + "\n… (truncated)"
