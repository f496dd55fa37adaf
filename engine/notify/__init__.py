"""Notification channels, one module each; ``build_channels`` makes them from engine.yml.

| type | module | sends |
|---|---|---|
| webhook | webhook.py | ``{"alerts": [...]}``, HMAC-SHA256 signed when a secret is set |
| dingtalk | dingtalk.py | a DingTalk robot message, signed (timestamp + secret) |
| wecom | wecom.py | a WeCom (企业微信) group robot message |
| slack | slack.py | a Slack incoming-webhook message |
| email | smtp.py | an SMTP mail |
| alertmanager | alertmanager.py | Alertmanager v2 ``POST /api/v2/alerts``, re-sent while firing |
"""
from __future__ import annotations

import importlib

from ansible_collections.dbaops.mysql_ha.engine.notify.base import Channel, Message, NotifyError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

__all__ = ["CHANNEL_TYPES", "Channel", "Message", "NotifyError", "build_channel", "build_channels"]

# type -> "module:Class" (imported when a channel of that type is configured)
CHANNEL_TYPES = {
    "webhook": "webhook:Webhook",
    "dingtalk": "dingtalk:DingTalk",
    "wecom": "wecom:WeCom",
    "slack": "slack:Slack",
    "email": "smtp:Email",
    "alertmanager": "alertmanager:Alertmanager",
}


def build_channel(name: str, spec: object, env=None) -> Channel:
    if not isinstance(spec, dict):
        raise ConfigError(f"channels.{name}: expected a mapping with a type, got {type(spec).__name__}")
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in CHANNEL_TYPES:
        raise ConfigError(f"channels.{name}.type: unknown channel type {str(kind)[:40]!r} "
                          f"(types: {', '.join(sorted(CHANNEL_TYPES))})")
    module_name, class_name = CHANNEL_TYPES[kind].split(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)(name, spec, env)


def build_channels(specs: object, env=None) -> dict[str, Channel]:
    """Every channel of engine.yml's ``channels``; ConfigError names every bad one at once."""
    if specs is None:
        return {}
    if not isinstance(specs, dict):
        raise ConfigError(f"channels: expected a mapping of channel names, got {type(specs).__name__}")
    channels, problems = {}, []
    for name, spec in specs.items():
        try:
            channels[str(name)] = build_channel(str(name), spec, env)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))
    return channels
