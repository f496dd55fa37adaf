"""SLA tiers: who is told about an alert, when, how often, and when it escalates.

Config (the ``sla`` and ``business_hours`` sections of engine.yml; defaults follow the
product contract)::

    sla:
      P0: {channels: [ops, dingtalk], ack_within: 2m, repeat: 5m, escalate_after: 5m, escalate_to: [phone]}
      P1: {channels: [ops], ack_within: 15m, repeat: 30m, escalate_after: 30m}
      P2: {channels: [ops], business_hours_only: true}
      P3: {notify: false}                      # report only
    business_hours: {days: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00", utc_offset: "+08:00"}

``due(alert, now, ledger)`` is pure: given the alert and what was already sent, it
returns the notifications to send now.  An acked alert is neither repeated nor
escalated; a resolved one is announced once to everyone who was told it fired.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from ansible_collections.dbaops.mysql_ha.engine.rules.loader import parse_duration

SEVERITIES = ("P0", "P1", "P2", "P3")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULTS: dict[str, dict[str, object]] = {
    "P0": {"ack_within": "2m", "repeat": "5m", "escalate_after": "5m", "business_hours_only": False, "notify": True},
    "P1": {"ack_within": "15m", "repeat": "30m", "escalate_after": "30m", "business_hours_only": False, "notify": True},
    "P2": {"ack_within": None, "repeat": "4h", "escalate_after": None, "business_hours_only": True, "notify": True},
    "P3": {"ack_within": None, "repeat": None, "escalate_after": None, "business_hours_only": False, "notify": False},
}
FIELDS = {"channels", "escalate_to", "ack_within", "repeat", "escalate_after", "business_hours_only", "notify"}
_OFFSET_RE = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")


class SlaError(ValueError):
    """An SLA section that cannot be used; the message names every bad field."""


@dataclass(frozen=True)
class Tier:
    severity: str
    channels: tuple[str, ...]
    escalate_to: tuple[str, ...]
    ack_within: float | None
    repeat: float | None
    escalate_after: float | None
    business_hours_only: bool
    notify: bool


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset = frozenset(DAYS[:5])
    start_minute: int = 9 * 60
    end_minute: int = 18 * 60
    offset: timedelta = timedelta(0)

    def contains(self, ts: float) -> bool:
        local = datetime.fromtimestamp(ts, timezone.utc) + self.offset
        minute = local.hour * 60 + local.minute
        return DAYS[local.weekday()] in self.days and self.start_minute <= minute < self.end_minute

    def next_opening(self, ts: float) -> float:
        """The first moment at or after ``ts`` inside business hours (minute resolution)."""
        probe = ts
        for _minute in range(8 * 24 * 60):
            if self.contains(probe):
                return probe
            probe = (int(probe) // 60 + 1) * 60
        return ts


@dataclass(frozen=True)
class Notification:
    kind: str                 # firing | repeat | escalation | resolved
    channels: tuple[str, ...]


@dataclass
class Ledger:
    """What was sent for one alert (kept with the alert state)."""

    first_sent_at: float | None = None
    last_sent_at: float | None = None
    escalated: bool = False
    resolved_sent: bool = False
    told: set = field(default_factory=set)


def _duration(value, where: str, problems: list[str]) -> float | None:
    if value in (None, 0, "0"):
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


def parse_sla(sla: dict | None, channels: set[str], business_hours: dict | None = None) -> tuple[dict, BusinessHours]:
    """Tiers for P0..P3 and business hours; SlaError names every bad field at once."""
    problems: list[str] = []
    sla = sla or {}
    for key in sla:
        if key not in SEVERITIES:
            problems.append(f"sla.{key}: unknown tier (tiers: {', '.join(SEVERITIES)})")
    tiers = {}
    for severity in SEVERITIES:
        given = sla.get(severity) or {}
        if not isinstance(given, dict):
            problems.append(f"sla.{severity}: expected a mapping")
            given = {}
        for key in set(given) - FIELDS:
            problems.append(f"sla.{severity}.{key}: unknown field (fields: {', '.join(sorted(FIELDS))})")
        merged: dict = dict(DEFAULTS[severity])
        merged.update({k: v for k, v in given.items() if k in FIELDS})
        for key in ("channels", "escalate_to"):
            value = merged.get(key)
            if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                problems.append(f"sla.{severity}.{key}: expected a list of channel names")
                merged[key] = None
        tier_channels = tuple(merged.get("channels") or (sorted(channels) if severity == "P0" else ()))
        escalate_to = tuple(merged.get("escalate_to") or ())
        for name in tier_channels + escalate_to:
            if name not in channels:
                problems.append(f"sla.{severity}: channel {name!r} is not defined in channels "
                                f"(defined: {', '.join(sorted(channels)) or 'none'})")
        tiers[severity] = Tier(severity, tier_channels, escalate_to,
                               _duration(merged["ack_within"], f"sla.{severity}.ack_within", problems),
                               _duration(merged["repeat"], f"sla.{severity}.repeat", problems),
                               _duration(merged["escalate_after"], f"sla.{severity}.escalate_after", problems),
                               bool(merged["business_hours_only"]), bool(merged["notify"]))
    hours = BusinessHours()
    if business_hours:
        raw_days = business_hours.get("days", DAYS[:5])
        days = [str(d).lower()[:3] for d in (raw_days if isinstance(raw_days, (list, tuple)) else [raw_days])]
        bad_days = [d for d in days if d not in DAYS]
        if bad_days:
            problems.append(f"business_hours.days: unknown day(s) {', '.join(bad_days)}")
        minutes = []
        for key, default in (("start", "09:00"), ("end", "18:00")):
            match = _TIME_RE.match(str(business_hours.get(key, default)))
            if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
                problems.append(f"business_hours.{key}: expected HH:MM, got {business_hours.get(key)!r}")
                minutes.append(0)
            else:
                minutes.append(int(match.group(1)) * 60 + int(match.group(2)))
        offset = timedelta(0)
        match = _OFFSET_RE.match(str(business_hours.get("utc_offset", "+00:00")))
        if not match or int(match.group(2)) > 14 or int(match.group(3)) > 59:
            problems.append(f"business_hours.utc_offset: expected +HH:MM, got {business_hours.get('utc_offset')!r}")
        else:
            offset = (1 if match.group(1) == "+" else -1) * timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        if minutes[0] >= minutes[1]:
            problems.append("business_hours: start must be before end")
        hours = BusinessHours(frozenset(days), minutes[0], minutes[1], offset)
    if problems:
        raise SlaError("; ".join(problems))
    return tiers, hours


def due(alert: dict, started: float, now: float, tier: Tier, hours: BusinessHours, ledger: Ledger) -> list[Notification]:
    """Notifications to send now for ``alert`` (state firing/acked/resolved); updates ``ledger``."""
    out: list[Notification] = []
    if not tier.notify:
        return out
    if alert["state"] == "resolved":
        if ledger.told and not ledger.resolved_sent:
            ledger.resolved_sent = True
            out.append(Notification("resolved", tuple(sorted(ledger.told))))
        return out
    if tier.business_hours_only and not hours.contains(now):
        return out
    if ledger.first_sent_at is None:
        ledger.first_sent_at = ledger.last_sent_at = now
        ledger.told.update(tier.channels)
        out.append(Notification("firing", tier.channels))
        return out
    if alert["state"] == "acked":
        return out
    if tier.escalate_after is not None and not ledger.escalated and tier.escalate_to and now - started >= tier.escalate_after:
        ledger.escalated = True
        ledger.told.update(tier.escalate_to)
        out.append(Notification("escalation", tier.escalate_to + tier.channels))
        ledger.last_sent_at = now
        return out
    if tier.repeat is not None and now - (ledger.last_sent_at or now) >= tier.repeat:
        ledger.last_sent_at = now
        out.append(Notification("repeat", tuple(sorted(ledger.told))))
    return out
