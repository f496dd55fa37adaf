"""The loop of ``mysqlha run``: collect, analyse, evaluate, keep alert state, notify.

Every ``interval`` the scheduler asks every poller (poller.py) for a poll and waits until
they are all back or the cycle's deadline passes (80 % of the interval); a target still busy
keeps its last result, which turns ``stale`` once it is older than its own timeouts allow, so
one hung target never delays the others.  A poller that sees its server close the connection,
or its reachability change, calls ``changed``: the cluster's other members are polled at once
and a cycle runs as soon as they are back, well inside the interval.

A cycle, per cluster: the members' latest facts -> ``analyze_cluster`` (with the cluster's
previous verdict as ``known_state``, so a hung primary stays hung) -> the rules over all
clusters (one RuleGuard for the daemon's life) -> AlertStore.update -> Router.route (outbox).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time

from ansible_collections.dbaops.mysql_ha.engine.alerts.store import MEMORY_KEYS, AlertStore
from ansible_collections.dbaops.mysql_ha.engine.daemon.config import Cluster, Config
from ansible_collections.dbaops.mysql_ha.engine.daemon.outbox import Router
from ansible_collections.dbaops.mysql_ha.engine.daemon.poller import TargetPoller
from ansible_collections.dbaops.mysql_ha.engine.reload import RuleReloader
from ansible_collections.dbaops.mysql_ha.engine.rules.evaluate import RuleGuard, evaluate
from ansible_collections.dbaops.mysql_ha.engine.rules.expr import make_evaluator
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.collect.replication import unreachable_facts
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import RESOLVER

LOG = logging.getLogger("mysqlha.monitor")
# After a change, the cluster is polled again this long after it (seconds): a replica's IO thread
# notices a killed primary some milliseconds after the daemon's own connection does.
FOLLOW_UPS = (0.05, 0.15, 0.4)
# How long the remembered verdict of a cluster stays usable after the daemon stopped (seconds).
MEMORY_MAX_AGE = 24 * 3600


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether this daemon watches cluster ``name``: a stable hash of the name, modulo n."""
    if shard is None:
        return True
    index, count = shard
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:12], 16) % count == index


class Monitor:
    def __init__(self, config: Config, reloader: RuleReloader, store: AlertStore, router: Router,
                 shard: tuple[int, int] | None = None):
        self.config = config
        self.reloader = reloader
        self.store = store
        self.router = router
        self.clusters: list[Cluster] = [c for c in config.clusters if in_shard(c.name, shard)]
        self.guard = RuleGuard()
        self.evaluator = make_evaluator()
        # The analysis' memory of each cluster's last verdict, kept in the state file across restarts:
        # a primary seen hung before a restart is still hung after it, with the same hung_since.
        self.known: dict[str, dict] = store.recall_clusters([c.name for c in self.clusters], max_age=MEMORY_MAX_AGE)
        self._remembered: dict[str, str] = {}
        # Clusters not evaluated yet: a member's first poll is still running (well within its
        # timeouts), so a restart neither resolves nor fires anything on "no answer yet".
        self.warming: list[str] = []
        self.started_at = time.monotonic()
        self.snapshot: dict = {"clusters": {}}
        self.rule_errors: list[str] = []
        self.cycles = 0
        self.last_cycle_at: float | None = None
        self.last_cycle_seconds = 0.0
        self.last_eval_seconds = 0.0
        self.early_cycles = 0
        self.cycle_errors = 0
        self._followups: list[tuple[float, str]] = []
        self._pending: dict = {}
        self._cond = threading.Condition()
        self._urgent = threading.Event()
        self._stop = threading.Event()
        self.pollers: dict[str, list[TargetPoller]] = {
            c.name: [TargetPoller(c.name, p, c.liveness_port, on_result=self._reported, on_change=self.changed,
                                  security_interval=config.security_interval) for p in c.members]
            for c in self.clusters}

    # ---- pollers' callbacks -------------------------------------------------------
    def _reported(self, _poller: TargetPoller) -> None:
        with self._cond:
            self._cond.notify_all()

    def changed(self, poller: TargetPoller, why: str) -> None:
        """A member's connection closed or its reachability changed: re-check its cluster now, and
        again shortly after (replicas notice a lost primary some milliseconds later)."""
        LOG.info("%s/%s: %s; re-checking the cluster now", poller.cluster, poller.address, why)
        now = time.monotonic()
        with self._cond:
            self._followups.extend((now + delay, poller.cluster) for delay in FOLLOW_UPS)
            self._recheck(poller.cluster, skip=poller)
            self._cond.notify_all()
        self._urgent.set()

    def _recheck(self, cluster: str, skip: TargetPoller | None = None) -> None:
        for other in self.pollers.get(cluster, ()):
            if other is not skip:
                self._pending[id(other)] = (other, other.request())

    # ---- the loop --------------------------------------------------------------------
    def start(self) -> None:
        self.started_at = time.monotonic()
        for pollers in self.pollers.values():
            for poller in pollers:
                poller.start()

    def stop(self) -> None:
        self._stop.set()
        self._urgent.set()
        everyone = [p for pollers in self.pollers.values() for p in pollers]
        for poller in everyone:           # all at once: a poll in flight ends within its own timeouts
            poller.signal_stop()
        for poller in everyone:
            poller.stop()

    def run(self) -> None:
        interval = self.config.interval
        next_tick = time.monotonic()
        while not self._stop.is_set():
            tick_started = time.monotonic()
            asked = self._ask_all()
            self._wait_for(asked, deadline=tick_started + interval * 0.8)
            self._safe_cycle()
            next_tick += interval
            if next_tick < time.monotonic():
                next_tick = time.monotonic()
            # Between ticks: a changed member makes early cycles as soon as its cluster reported.
            while not self._stop.is_set():
                now = time.monotonic()
                left = next_tick - now
                if left <= 0:
                    break
                with self._cond:
                    due = [c for at, c in self._followups if at <= now]
                    self._followups = [(at, c) for at, c in self._followups if at > now]
                    for cluster in dict.fromkeys(due):
                        self._recheck(cluster)
                    wake = min([left] + [at - now for at, _c in self._followups])
                if not due and not self._urgent.wait(wake):
                    continue
                self._urgent.clear()
                if self._stop.is_set():
                    break
                with self._cond:
                    pending, self._pending = self._pending, {}
                self._wait_for(pending, deadline=time.monotonic() + min(interval * 0.8, 3.0))
                self.early_cycles += 1
                self._safe_cycle()

    def _safe_cycle(self) -> None:
        try:
            self.cycle()
        except Exception:  # noqa: BLE001 - a cycle that breaks is logged and counted; the loop goes on
            self.cycle_errors += 1
            LOG.exception("cycle %d failed; the next one runs on time", self.cycles + 1)

    def _ask_all(self) -> dict:
        return {id(p): (p, p.request()) for pollers in self.pollers.values() for p in pollers}

    def _wait_for(self, asked: dict, deadline: float) -> None:
        """Until every asked poller has answered its request, or the deadline."""
        with self._cond:
            while not self._stop.is_set():
                if all(poller.done(target) for poller, target in asked.values()):
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(min(left, 0.05))

    # ---- one cycle ---------------------------------------------------------------------
    def horizon(self, poller: TargetPoller) -> float:
        """How long a poll of this target may take before its last result is stale (seconds)."""
        params = poller.params
        return max(3 * self.config.interval, (params.connect_timeout or 1) * 2 + (params.read_timeout or 1) + 1)

    def member_facts(self, poller: TargetPoller, now: float) -> dict | None:
        """The member's latest facts; None while its first poll is still within its timeouts."""
        latest = poller.latest
        horizon = self.horizon(poller)
        if latest is None:
            if time.monotonic() - self.started_at < horizon:
                return None
            return unreachable_facts(poller.address, ConnectError(poller.address, "stale",
                                                                  "no result yet: the first poll is still running"))
        if now - latest.finished_at > horizon and poller.busy_since is not None:
            return unreachable_facts(poller.address, ConnectError(
                poller.address, "stale", "no result for %.1fs: its poll is still running (last: %s)"
                % (now - latest.finished_at, latest.facts.get("reachability") or "ok")))
        return latest.facts

    def _remember(self, clusters: dict, now: float) -> None:
        """Keep the analyses' memory in the state file when it changed (a hang, a new primary)."""
        changed = {}
        for name, data in clusters.items():
            analysis = data["cluster"]
            key = repr([analysis.get(k) for k in MEMORY_KEYS])
            if self._remembered.get(name) != key:
                changed[name] = analysis
                self._remembered[name] = key
        if changed:
            try:
                self.store.remember_clusters(changed, now=now)
            except Exception:  # noqa: BLE001 - memory is a help across restarts, never a reason to miss a cycle
                LOG.exception("could not keep the clusters' memory in the state file")
                for name in changed:
                    self._remembered.pop(name, None)

    def cycle(self) -> None:
        started = time.monotonic()
        now = time.time()
        clusters = {}
        warming = []
        for cluster in self.clusters:
            pollers = self.pollers[cluster.name]
            answers = {p.address: self.member_facts(p, now) for p in pollers}
            members = {address: facts for address, facts in answers.items() if facts is not None}
            if len(members) < len(answers):
                warming.append(cluster.name)     # left out: its alerts keep their state until it has answers
                continue
            known = self.known.get(cluster.name)
            analysis = analyze_cluster(members, name=cluster.name, resolve=RESOLVER, known_state=known,
                                       known_primary=(known or {}).get("primary"))
            self.known[cluster.name] = analysis
            security = {p.address: p.security for p in pollers if p.security is not None and members[p.address].get("reachable")}
            clusters[cluster.name] = {"cluster": analysis, "members": members, "security": security}
        self.warming = warming
        self._remember(clusters, now)
        snapshot = {"clusters": clusters}
        rule_set = self.reloader.current
        evaluated_at = time.monotonic()
        results, errors, evaluated = evaluate(rule_set, snapshot, self.evaluator, self.guard)
        self.last_eval_seconds = time.monotonic() - evaluated_at
        self.store.update(results, evaluated, now=now, clusters=set(clusters), rule_ids={r.id for r in rule_set.rules})
        self.router.route(self.store.alerts(("firing", "acked")), self.store.get, now)
        self.snapshot, self.rule_errors = snapshot, errors
        self.cycles += 1
        self.last_cycle_at = now
        self.last_cycle_seconds = time.monotonic() - started
