"""DingTalk (钉钉) custom robot: a ``markdown`` message to a group's webhook.

The webhook URL carries the robot's access_token, so it is a secret (``url_env``/``url_file``).
With a signing secret (加签, ``SEC…``) each request appends ``&timestamp=<ms>&sign=<s>`` where
``s`` is the URL-encoded base64 of HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>").
DingTalk answers HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; any other errcode failed.

``at_mobiles`` (phone numbers) and ``at_all`` mention people on firing, repeat and escalation
messages; a resolution mentions nobody.

    channels:
      dingtalk: {type: dingtalk, url_env: DINGTALK_URL, secret_env: DINGTALK_SECRET, at_mobiles: ["13800000000"]}
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

from ansible_collections.dbaops.mysql_ha.engine.notify.base import (
    Channel,
    Message,
    NotifyError,
    post_json,
    read_secret,
    redact_url,
    secret_url,
    text_body,
)
from ansible_collections.dbaops.mysql_ha.engine.notify.smtp import subject
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

MAX_TEXT_CHARS = 6000


def sign(secret: str, timestamp_ms: str) -> str:
    """The ``sign`` query value (already URL-encoded) for ``timestamp_ms``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def string_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"{where}: expected a list of non-empty strings")
    return [item.strip() for item in value]


class DingTalk(Channel):
    type = "dingtalk"
    fields = frozenset({"url", "url_env", "url_file", "secret", "secret_env", "secret_file", "at_mobiles", "at_all"})

    def __init__(self, name: str, spec: dict, env=None):
        super().__init__(name, spec, env)
        self.url = secret_url(spec, self.where, env)
        self.secret = read_secret(spec, "secret", self.where, env=env)
        self.at_mobiles = string_list(spec.get("at_mobiles"), f"{self.where}.at_mobiles")
        at_all = spec.get("at_all", False)
        if not isinstance(at_all, bool):
            raise ConfigError(f"{self.where}.at_all: expected true or false, got {at_all!r}")
        self.at_all = at_all

    def payload(self, message: Message) -> dict:
        mention = message.kind != "resolved"
        title = subject(message, limit=100)
        body = text_body(message, limit=MAX_TEXT_CHARS)
        text = f"#### {title}\n\n" + "\n\n".join(line.strip() for line in body.splitlines() if line.strip())
        mobiles = self.at_mobiles if mention else []
        if mobiles:
            text += "\n\n" + " ".join(f"@{mobile}" for mobile in mobiles)
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                "at": {"atMobiles": mobiles, "isAtAll": self.at_all and mention}}

    def signed_url(self, now: float | None = None) -> str:
        if not self.secret:
            return self.url
        timestamp = str(int(round((time.time() if now is None else now) * 1000)))
        separator = "&" if urllib.parse.urlsplit(self.url).query else ("" if self.url.endswith("?") else "?")
        return f"{self.url}{separator}timestamp={timestamp}&sign={sign(self.secret, timestamp)}"

    def send(self, message: Message) -> None:
        answer = post_json(self.signed_url(), self.payload(message), None, self.timeout, self.name)
        errcode = answer.get("errcode")
        if errcode != 0:
            errmsg = str(answer.get("errmsg", "no errmsg"))[:200]
            raise NotifyError(f"channel {self.name} ({redact_url(self.url)}): DingTalk errcode {errcode}: {errmsg}")
