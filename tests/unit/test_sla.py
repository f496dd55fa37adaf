"""SLA tiers: what is sent when, per tier, and a config that names its mistakes."""
from __future__ import annotations

import calendar
import time

import pytest

from ansible_collections.dbaops.mysql_ha.engine.alerts.sla import Ledger, SlaError, due, parse_sla

CHANNELS = {"ops", "dingtalk", "wecom", "phone"}
# Wednesday 2026-11-18 10:00 UTC; with +08:00 that is 18:00 local (after hours).
WEDNESDAY_10_UTC = calendar.timegm(time.strptime("2026-11-18 10:00", "%Y-%m-%d %H:%M"))


def tiers(**sla):
    return parse_sla(sla or {"P0": {"channels": ["ops", "dingtalk"], "escalate_to": ["phone"]},
                             "P1": {"channels": ["ops"]}, "P2": {"channels": ["ops"]}}, CHANNELS)


def run(tier, hours, states, start=WEDNESDAY_10_UTC):
    """[(seconds after start, state)] -> [(seconds, kind, channels)] sent."""
    ledger, sent = Ledger(), []
    for offset, state in states:
        for note in due({"state": state}, start, start + offset, tier, hours, ledger):
            sent.append((offset, note.kind, note.channels))
    return sent


def test_p0_pages_at_once_repeats_every_5m_and_escalates_after_5m_unacked():
    tier_map, hours = tiers()
    sent = run(tier_map["P0"], hours, [(t, "firing") for t in range(0, 11 * 60, 60)])
    assert sent == [(0, "firing", ("ops", "dingtalk")),
                    (300, "escalation", ("phone", "ops", "dingtalk")),
                    (600, "repeat", ("dingtalk", "ops", "phone"))]


def test_an_ack_stops_repeats_and_escalation_and_resolution_is_announced_once():
    tier_map, hours = tiers()
    states = [(0, "firing"), (60, "acked"), (400, "acked"), (700, "acked"), (800, "resolved"), (900, "resolved")]
    expected = [(0, "firing", ("ops", "dingtalk")), (800, "resolved", ("dingtalk", "ops"))]
    assert run(tier_map["P0"], hours, states) == expected


def test_p1_repeats_every_30m():
    tier_map, hours = tiers()
    sent = run(tier_map["P1"], hours, [(t, "firing") for t in range(0, 61 * 60, 60)])
    assert [(t, kind) for t, kind, _channels in sent] == [(0, "firing"), (1800, "repeat"), (3600, "repeat")]


def test_p2_waits_for_business_hours_and_p3_only_reports():
    tier_map, hours = parse_sla({"P2": {"channels": ["ops"]}}, CHANNELS,
                                {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00",
                                 "utc_offset": "+08:00"})
    # 18:00 local Wednesday: closed; Thursday 09:00 local is 15 hours later.
    sent = run(tier_map["P2"], hours, [(t * 3600, "firing") for t in range(0, 17)])
    assert sent == [(15 * 3600, "firing", ("ops",))]
    assert hours.next_opening(WEDNESDAY_10_UTC) == WEDNESDAY_10_UTC + 15 * 3600
    assert run(tier_map["P3"], hours, [(0, "firing"), (3600, "firing")]) == []


def test_p0_defaults_to_every_channel():
    tier_map, _hours = parse_sla({}, CHANNELS)
    assert set(tier_map["P0"].channels) == CHANNELS and tier_map["P1"].channels == ()


def test_a_bad_sla_section_names_every_mistake():
    with pytest.raises(SlaError) as info:
        parse_sla({"P5": {}, "P0": {"channels": ["pager"], "repeat": "soon", "colour": "red"}}, CHANNELS,
                  {"days": ["funday"], "start": "9am", "utc_offset": "CET"})
    message = str(info.value)
    for part in ("sla.P5: unknown tier", "channel 'pager' is not defined", "sla.P0.repeat: bad duration 'soon'",
                 "sla.P0.colour: unknown field", "unknown day(s) fun", "business_hours.start: expected HH:MM",
                 "business_hours.utc_offset"):
        assert part in message, part
