"""WeCom (企业微信) group robot: a ``markdown`` message to ``…/cgi-bin/webhook/send?key=…``.

The URL carries the robot's key, so it is a secret (``url_env``/``url_file``).  The markdown
content may hold 4096 bytes of UTF-8: a longer text is cut on a character boundary.  WeCom
answers ``{"errcode": 0, "errmsg": "ok"}``; any other errcode failed.

A markdown message cannot mention people by phone number, so with ``mentioned_mobile_list``
(phone numbers, or ``"@all"``) a short ``text`` message with that list follows the markdown one
on firing, repeat and escalation messages (a resolution mentions nobody).  When that second
request fails the outbox sends both again.

    channels:
      wecom: {type: wecom, url_env: WECOM_URL, mentioned_mobile_list: ["13800000000"]}
"""
from __future__ import annotations

from ansible_collections.dbaops.mysql_ha.engine.notify.base import (
    Channel,
    Message,
    NotifyError,
    post_json,
    redact_url,
    secret_url,
    text_body,
)
from ansible_collections.dbaops.mysql_ha.engine.notify.dingtalk import string_list
from ansible_collections.dbaops.mysql_ha.engine.notify.smtp import subject

MAX_CONTENT_BYTES = 4096
TRUNCATED = "\n… (truncated)"


def truncate_utf8(text: str, limit: int = MAX_CONTENT_BYTES, marker: str = TRUNCATED) -> str:
    """``text`` if its UTF-8 fits in ``limit`` bytes, else its longest prefix that fits with
    ``marker`` appended; never half a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(0, limit - len(marker.encode("utf-8")))
    return data[:room].decode("utf-8", "ignore") + marker


class WeCom(Channel):
    type = "wecom"
    fields = frozenset({"url", "url_env", "url_file", "mentioned_mobile_list"})

    def __init__(self, name: str, spec: dict, env=None):
        super().__init__(name, spec, env)
        self.url = secret_url(spec, self.where, env)
        self.mentioned_mobile_list = string_list(spec.get("mentioned_mobile_list"), f"{self.where}.mentioned_mobile_list")

    def payload(self, message: Message) -> dict:
        content = f"**{subject(message)}**\n" + text_body(message, limit=MAX_CONTENT_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": truncate_utf8(content)}}

    def mention_payload(self, message: Message) -> dict | None:
        if not self.mentioned_mobile_list or message.kind == "resolved":
            return None
        return {"msgtype": "text", "text": {"content": truncate_utf8(subject(message), 2048),
                                            "mentioned_mobile_list": list(self.mentioned_mobile_list)}}

    def _post(self, payload: dict) -> None:
        answer = post_json(self.url, payload, None, self.timeout, self.name)
        errcode = answer.get("errcode")
        if errcode != 0:
            errmsg = str(answer.get("errmsg", "no errmsg"))[:200]
            raise NotifyError(f"channel {self.name} ({redact_url(self.url)}): WeCom errcode {errcode}: {errmsg}")

    def send(self, message: Message) -> None:
        self._post(self.payload(message))
        mention = self.mention_payload(message)
        if mention is not None:
            self._post(mention)
