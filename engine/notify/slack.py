"""Slack incoming webhook: ``{"text": ...}``, with ``blocks`` when ``blocks: true``.

The webhook URL's path is the token, so the URL is a secret (``url_env``/``url_file``).  Slack
answers HTTP 200 with the body ``ok``; anything else (``invalid_payload``, ``no_service``,
``channel_is_archived``…) failed.  ``&``, ``<`` and ``>`` in alert text are escaped, so a
summary cannot turn into a link or an ``@here``.

    channels:
      slack: {type: slack, url_env: SLACK_WEBHOOK_URL, blocks: true}
"""
from __future__ import annotations

import json

from ansible_collections.dbaops.mysql_ha.engine.notify.base import (
    Channel,
    Message,
    NotifyError,
    post,
    redact_url,
    secret_url,
    text_body,
)
from ansible_collections.dbaops.mysql_ha.engine.notify.smtp import subject
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

MAX_SECTION_CHARS = 3000     # Slack's limit for a section block's text
MAX_TEXT_CHARS = 12000


def escape(text: str) -> str:
    """Slack mrkdwn control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Slack(Channel):
    type = "slack"
    fields = frozenset({"url", "url_env", "url_file", "blocks"})

    def __init__(self, name: str, spec: dict, env=None):
        super().__init__(name, spec, env)
        self.url = secret_url(spec, self.where, env)
        blocks = spec.get("blocks", False)
        if not isinstance(blocks, bool):
            raise ConfigError(f"{self.where}.blocks: expected true or false, got {blocks!r}")
        self.blocks = blocks

    def payload(self, message: Message) -> dict:
        title = escape(subject(message))
        body = escape(text_body(message, limit=MAX_TEXT_CHARS))
        payload: dict = {"text": f"*{title}*\n{body}"}
        if self.blocks:
            section = f"```{body}```"
            if len(section) > MAX_SECTION_CHARS:
                section = f"```{body[:MAX_SECTION_CHARS - 30]}\n… (truncated)```"
            payload["blocks"] = [
                {"type": "header", "text": {"type": "plain_text", "text": subject(message, limit=150)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": section}},
            ]
        return payload

    def send(self, message: Message) -> None:
        body = json.dumps(self.payload(message), ensure_ascii=False).encode("utf-8")
        _status, answer = post(self.url, body, {"Content-Type": "application/json"}, self.timeout, self.name)
        text = answer.decode("utf-8", "replace").strip()
        if text != "ok":
            raise NotifyError(f"channel {self.name} ({redact_url(self.url)}): Slack answered {text[:200]!r}, not 'ok'")
