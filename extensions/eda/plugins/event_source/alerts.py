"""dbaops.mysql_ha.alerts: the alerts of a running ``mysqlha run`` daemon, as EDA events.

An ansible-rulebook event source plugin (a "scraper": it polls the daemon's API).  Each alert
transition the daemon records becomes one event, once::

    {"alert": {...the alert as /api/alerts gives it: id, rule, severity, state, cluster,
               instance, channel, summary, remediation, labels, started_at...},
     "transition": "firing" | "acked" | "resolved",
     "meta": {"url": "http://127.0.0.1:9105"}}

``meta.url`` is the daemon's address; ansible-rulebook adds ``meta.source`` ({name, type}),
``meta.received_at`` and ``meta.uuid`` itself (its insert_meta_info filter wants ``meta.source``
to be a mapping of its own, so this source never sets it).

Arguments:
  url:       the daemon's HTTP address (default http://127.0.0.1:9105)
  token:     its bearer token, when http.token is set (default: $MYSQLHA_API_TOKEN)
  interval:  seconds between polls (default 2)
  states:    the transitions to emit (default [firing, resolved])
  existing:  emit alerts already firing when the source starts (default true)
  silences:  honour the daemon's silences (default true): a firing alert that an active
             silence matches (GET /api/silences, the daemon's own matching) is held back, and
             emitted if it is still firing when the silence ends.  A DBA who stops a SQL thread
             for a backup silences it first, and no rulebook starts it behind their back.

Example::

    sources:
      - dbaops.mysql_ha.alerts:
          url: http://127.0.0.1:9105
          interval: 2

A daemon that cannot be reached is retried with backoff (up to 30 s) and never ends the
source.  Nothing here needs more than the standard library.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any

LOG = logging.getLogger("dbaops.mysql_ha.alerts")
MAX_ANSWER = 32 * 1024 * 1024


def _get(url: str, path: str, key: str, token: str | None, timeout: float) -> list[dict]:
    request = urllib.request.Request(url.rstrip("/") + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's daemon URL
        data = json.loads(response.read(MAX_ANSWER))
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"the answer has no {key} list")
    return [item for item in items if isinstance(item, dict)]


def _fetch(url: str, token: str | None, timeout: float) -> list[dict]:
    return [a for a in _get(url, "/api/alerts?state=all", "alerts", token, timeout) if a.get("id") and a.get("state")]


def _fetch_silences(url: str, token: str | None, timeout: float) -> list[dict]:
    return [s for s in _get(url, "/api/silences", "silences", token, timeout) if isinstance(s.get("match"), dict)]


def silenced(alert: dict, silences: list[dict]) -> bool:
    """The daemon's matching: each key of a silence's match is an alert field or one of its labels."""
    for silence in silences:
        if all(str(alert.get(key) if key in ("rule", "cluster", "instance", "severity", "channel")
                   else (alert.get("labels") or {}).get(key)) == str(value) for key, value in silence["match"].items()):
            return True
    return False


class AlertFeed:
    """What is new since the last poll: one (alert, transition) per alert id and state."""

    def __init__(self, states: list[str], existing: bool):
        self.states = set(states)
        self.existing = existing
        self.seen: dict[str, str] = {}
        self.first = True

    def news(self, alerts: list[dict], silences: list[dict] | None = None) -> list[tuple[dict, str]]:
        out = []
        for alert in alerts:
            state, before = alert["state"], self.seen.get(alert["id"])
            if state == "firing" and silences and silenced(alert, silences):
                continue   # held back, not seen: emitted once the silence ends if it still fires
            self.seen[alert["id"]] = state
            if state == before or state == "pending":
                continue
            if self.first and not self.existing:
                continue   # what fired before the source started
            if state == "resolved" and before is None:
                continue   # never seen active: it fired and resolved between two polls, nothing to act on
            if state in self.states:
                out.append((alert, state))
        self.first = False
        return out


async def main(queue: asyncio.Queue, args: dict[str, Any]) -> None:
    url = str(args.get("url") or "http://127.0.0.1:9105")
    token = args.get("token") or os.environ.get("MYSQLHA_API_TOKEN")
    interval = float(args.get("interval", 2))
    feed = AlertFeed(list(args.get("states") or ["firing", "resolved"]), bool(args.get("existing", True)))
    honour_silences = bool(args.get("silences", True))
    delay = interval
    while True:
        try:
            alerts = await asyncio.to_thread(_fetch, url, token, max(interval, 5.0))
            silences = await asyncio.to_thread(_fetch_silences, url, token, max(interval, 5.0)) if honour_silences else []
        except (OSError, ValueError, urllib.error.URLError) as exc:
            LOG.warning("mysqlha daemon at %s: %s; retrying in %.0fs", url, getattr(exc, "reason", exc), delay)
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)
            continue
        delay = interval
        for alert, transition in feed.news(alerts, silences):
            await queue.put({"alert": alert, "transition": transition,
                             "meta": {"url": url}})
        await asyncio.sleep(interval)


if __name__ == "__main__":
    class _Print:
        async def put(self, event):
            print(json.dumps(event, sort_keys=True), flush=True)

    asyncio.run(main(_Print(), {"url": os.environ.get("MYSQLHA_URL", "http://127.0.0.1:9105")}))  # type: ignore[arg-type]
