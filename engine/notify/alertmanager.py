"""Prometheus Alertmanager, API v2: ``POST {url}/api/v2/alerts`` with a list of postable alerts.

Labels: ``alertname`` (the rule), ``severity``, ``cluster``, ``instance`` and ``channel`` when
set, then the alert's own labels (which never replace those); names Alertmanager would refuse
get ``_`` for their bad characters.  Annotations: ``summary``, ``remediation``.  ``startsAt`` is
the alert's start; ``endsAt`` its resolution, or, while it fires (or is acked), now plus four
times ``resend_seconds``: the daemon re-sends every active alert each ``resend_seconds`` (field
``resend``, default 1m) and Alertmanager resolves an alert by itself only if we stop.

    channels:
      am: {type: alertmanager, url: "http://alertmanager:9093", resend: 1m,
           basic_auth: {username: mysqlha, password_env: AM_PASSWORD}}
"""
from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timezone

from ansible_collections.dbaops.mysql_ha.engine.notify.base import Channel, Message, check_url, post_json, read_secret, secret_url
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import parse_duration
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

DEFAULT_RESEND_SECONDS = 60.0
_BAD_LABEL_CHARS = re.compile(r"[^A-Za-z0-9_]")


def rfc3339(value: object) -> str | None:
    """An RFC 3339 UTC time from epoch seconds or an ISO string (given as is); None for none."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def label_name(name: object) -> str:
    text = _BAD_LABEL_CHARS.sub("_", str(name)) or "_"
    return "_" + text if text[0].isdigit() else text


class Alertmanager(Channel):
    type = "alertmanager"
    fields = frozenset({"url", "url_env", "url_file", "resend", "external_url", "basic_auth",
                        "bearer_token", "bearer_token_env", "bearer_token_file"})
    resend_seconds: float = DEFAULT_RESEND_SECONDS

    def __init__(self, name: str, spec: dict, env=None):
        super().__init__(name, spec, env)
        base = secret_url(spec, self.where, env)
        self.url = base.rstrip("/") + "/api/v2/alerts"
        if spec.get("resend") is not None:
            try:
                self.resend_seconds = float(parse_duration(spec["resend"]))
            except ValueError as exc:
                raise ConfigError(f"{self.where}.resend: {exc}") from None
            if not 1 <= self.resend_seconds <= 3600:
                raise ConfigError(f"{self.where}.resend: from 1s to 1h, got {spec['resend']!r}")
        external = spec.get("external_url")
        self.external_url = check_url(external, f"{self.where}.external_url") if external is not None else None
        self.headers = self._auth(spec, env)
        self.clock = time.time

    def _auth(self, spec: dict, env) -> dict[str, str]:
        token = read_secret(spec, "bearer_token", self.where, env=env)
        auth = spec.get("basic_auth")
        if token and any(not 32 < ord(char) < 127 for char in token):
            raise ConfigError(f"{self.where}: the bearer token holds a space, a control or a non-ASCII character")
        if auth is None:
            return {"Authorization": f"Bearer {token}"} if token else {}
        where = f"{self.where}.basic_auth"
        if token:
            raise ConfigError(f"{self.where}: give basic_auth or bearer_token, not both")
        if not isinstance(auth, dict):
            raise ConfigError(f"{where}: expected a mapping with username and password")
        unknown = sorted(set(auth) - {"username", "password", "password_env", "password_file"})
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
        username = auth.get("username")
        if not isinstance(username, str) or not username or ":" in username:
            raise ConfigError(f"{where}.username: a non-empty string without ':' is required")
        password = read_secret(auth, "password", where, required=True, env=env) or ""
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {credentials}"}

    def postable(self, alert: dict, now: float) -> dict:
        labels = {"alertname": str(alert.get("rule") or "mysqlha"), "severity": str(alert.get("severity") or "")}
        for key in ("cluster", "instance", "channel"):
            if alert.get(key) not in (None, ""):
                labels[key] = str(alert[key])
        for key, value in sorted((alert.get("labels") or {}).items()):
            if value not in (None, ""):
                labels.setdefault(label_name(key), str(value))
        annotations = {key: str(alert[key]) for key in ("summary", "remediation") if alert.get(key)}
        if alert.get("state") == "resolved":
            ends = rfc3339(alert.get("resolved_at")) or rfc3339(now)
        else:
            ends = rfc3339(now + 4 * self.resend_seconds)
        postable = {"labels": {k: v for k, v in labels.items() if v != ""}, "annotations": annotations, "endsAt": ends}
        starts = rfc3339(alert.get("started_at"))
        if starts:
            postable["startsAt"] = starts
        if self.external_url:
            postable["generatorURL"] = self.external_url
        return postable

    def payload(self, message: Message) -> list[dict]:
        now = self.clock()
        return [self.postable(alert, now) for alert in message.alerts]

    def send(self, message: Message) -> None:
        if message.alerts:
            post_json(self.url, self.payload(message), self.headers, self.timeout, self.name)
