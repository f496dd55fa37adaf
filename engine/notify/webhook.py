"""The generic webhook: ``POST {"alerts": [...]}`` as JSON.

Headers: ``Idempotency-Key`` (the message id, the same on every retry, so a receiver can drop
the copy it may get after a daemon crash), ``X-Mysqlha-Kind`` (firing, repeat, escalation,
resolved) and, when a secret is set, ``X-Mysqlha-Signature: sha256=<hex>``: HMAC-SHA256 of
``<timestamp>.<body>`` with the secret, the timestamp in ``X-Mysqlha-Timestamp`` (seconds),
so a receiver can refuse replays.

    channels:
      ops: {type: webhook, url: "https://hooks.example/alert", secret_env: HOOK_SECRET}
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time

from ansible_collections.dbaops.mysql_ha.engine.notify.base import Channel, Message, post, read_secret, secret_url
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body,
                                hashlib.sha256).hexdigest()


class Webhook(Channel):
    type = "webhook"
    fields = frozenset({"url", "url_env", "url_file", "secret", "secret_env", "secret_file", "headers"})

    def __init__(self, name: str, spec: dict, env=None):
        super().__init__(name, spec, env)
        self.url = secret_url(spec, self.where, env)
        self.secret = read_secret(spec, "secret", self.where, env=env)
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise ConfigError(f"{self.where}.headers: expected a mapping of header names to strings")
        self.headers = dict(headers)

    def payload(self, message: Message) -> dict:
        return {"kind": message.kind, "id": message.id, "alerts": list(message.alerts)}

    def send(self, message: Message) -> None:
        body = json.dumps(self.payload(message), ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {**self.headers, "Content-Type": "application/json", "Idempotency-Key": message.id,
                   "X-Mysqlha-Kind": message.kind}
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Mysqlha-Timestamp"] = timestamp
            headers["X-Mysqlha-Signature"] = signature(self.secret, timestamp, body)
        post(self.url, body, headers, self.timeout, self.name, secrets=(self.secret,))
