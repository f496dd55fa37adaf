"""Evaluate a rule set against a snapshot of gathered facts.

A snapshot is ``{"clusters": {name: {"cluster": <analysis>, "members": {address:
mysql_replication facts}, "security": {address: mysql_security facts}}}}`` (see
engine/rules/snapshot.py for how module output and fact caches become one).

Instance and channel rules run on reachable members only; member rules run on every
member, reachable or not (a replica that is down is a member without facts), and cluster
rules on the analysis.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from ansible_collections.dbaops.mysql_ha.engine.rules.budget import BoundedEvaluator, BudgetExceeded
from ansible_collections.dbaops.mysql_ha.engine.rules.expr import make_evaluator
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import Rule, RuleSet

# The clock the per-rule cap is measured with (a test replaces it to count instead of wait).
_clock = time.monotonic


@dataclass(frozen=True)
class Result:
    """One rule on one target whose condition holds now."""

    rule: Rule
    cluster: str
    instance: str
    channel: str
    summary: str
    remediation: str
    severity: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule.id, self.cluster, self.instance, self.channel)


class RuleError(str):
    """One rule failing on one target: the message, ``rule_id`` to count by, and whether it is
    the rule's condition (``when``) that failed, or only a ``severity_if``."""

    rule_id: str
    in_condition: bool

    @classmethod
    def of(cls, rule_id: str, message: str, in_condition: bool = True) -> RuleError:
        error = cls(message[:MAX_ERROR_CHARS])
        error.rule_id = rule_id
        error.in_condition = in_condition
        return error


MAX_ERROR_CHARS = 400


@dataclass
class RuleGuard:
    """The per-rule time cap across evaluations (the daemon keeps one; a one-shot run a fresh one).

    A rule gets ``cap_seconds`` per pass over all its targets; past it, it is stopped for that pass
    (an error on its remaining targets, which keep their alerts as they are).  A rule over its cap
    in ``disable_after`` consecutive passes is disabled until the rule set changes (a reload).
    ``overruns`` counts passes over the cap per rule, for metrics.
    """

    cap_seconds: float = 0.25
    disable_after: int = 3
    overruns: dict[str, int] = field(default_factory=dict)
    consecutive: dict[str, int] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    checksum: str | None = None

    def start_pass(self, rule_set: RuleSet) -> None:
        if rule_set.checksum != self.checksum:  # a new rule set: every rule gets a clean slate
            self.checksum = rule_set.checksum
            self.consecutive.clear()
            self.disabled.clear()

    def end_pass(self, over_cap: set[str]) -> None:
        for rule_id in over_cap:
            self.overruns[rule_id] = self.overruns.get(rule_id, 0) + 1
            self.consecutive[rule_id] = self.consecutive.get(rule_id, 0) + 1
            if self.consecutive[rule_id] >= self.disable_after:
                self.disabled[rule_id] = (f"disabled until the next reload: over its {self.cap_seconds * 1000:.0f} ms "
                                          f"cap in {self.consecutive[rule_id]} passes in a row")
        for rule_id in list(self.consecutive):
            if rule_id not in over_cap:
                del self.consecutive[rule_id]


def rules_failing_everywhere(rule_set: RuleSet, snapshot: dict, errors: list) -> list[str]:
    """Ids of rules that errored on every target of their scope: a rule that cannot look is no check."""
    failed: dict[str, int] = {}
    for error in errors:
        rule_id = getattr(error, "rule_id", None)
        if rule_id and getattr(error, "in_condition", True):
            failed[rule_id] = failed.get(rule_id, 0) + 1
    if not failed:
        return []
    per_scope: dict[str, int] = {}
    for scope, *_rest in targets(snapshot):
        per_scope[scope] = per_scope.get(scope, 0) + 1
    return sorted(r.id for r in rule_set.rules if r.id in failed and failed[r.id] >= per_scope.get(r.scope, 0))


def fingerprint(rule: str, cluster: str, instance: str, channel: str) -> str:
    text = f"{rule}\0{cluster}\0{instance}\0{channel}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def targets(snapshot: dict):
    """(scope, cluster, instance, channel, names) for every target of the snapshot."""
    for cluster_name, data in sorted((snapshot.get("clusters") or {}).items()):
        cluster = data.get("cluster") or {}
        members = data.get("members") or {}
        security = data.get("security") or {}
        yield "cluster", cluster_name, cluster.get("primary") or "", "", {
            "cluster": cluster, "members": members, "cluster_name": cluster_name}
        for address, facts in sorted(members.items()):
            reachable = bool(facts.get("reachable", True))
            yield "member", cluster_name, address, "", {
                "cluster": cluster, "cluster_name": cluster_name, "instance": address, "reachable": reachable,
                "reachability": "ok" if reachable else (facts.get("reachability") or "error"),
                "error": None if reachable else facts.get("error"), "errno": None if reachable else facts.get("errno"),
                "member_role": member_role(cluster, address, facts)}
            if not reachable:
                continue
            names = dict(facts)
            names.update(cluster=cluster, cluster_name=cluster_name, instance=address,
                         security=security.get(address), reachability="ok")
            yield "instance", cluster_name, address, "", names
            for channel in facts.get("channels") or ():
                # label: the channel in prose ("default" for the unnamed one; name stays '' for SQL).
                labelled = dict(channel, label=channel.get("name") or "default")
                yield "channel", cluster_name, address, channel.get("name") or "", dict(names, channel=labelled)


def sql_string_body(text: str) -> str:
    """``text`` as it goes between single quotes in SQL: ``\\`` doubled, ``'`` doubled (safe with
    and without NO_BACKSLASH_ESCAPES: it can never close the literal)."""
    return text.replace("\\", "\\\\").replace("'", "''")


def for_sql(names: dict) -> dict:
    """The names a remediation is rendered with: ``channel.name`` escaped for the SQL quotes it
    is written in (``START SLAVE '{channel.name}' SQL_THREAD``), so the statement is safe to paste."""
    channel = names.get("channel")
    name = channel.get("name") if isinstance(channel, dict) else None
    if isinstance(channel, dict) and isinstance(name, str) and ("'" in name or "\\" in name):
        return dict(names, channel=dict(channel, name=sql_string_body(name)))
    return names


def member_role(cluster: dict, address: str, facts: dict) -> str:
    """What a member is to its cluster, also when it did not answer (then the analysis tells)."""
    if address == cluster.get("primary"):
        return "primary"
    if cluster.get("kind") in ("galera", "group_replication"):
        return "node"
    if facts.get("reachable", True) and facts.get("role"):
        return "replica" if facts["role"] in ("replica", "intermediate") else str(facts["role"])
    return "replica" if cluster.get("primary") else "unknown"


def evaluate(rule_set: RuleSet, snapshot: dict, evaluator: BoundedEvaluator | None = None,
             guard: RuleGuard | None = None):
    """(results, errors, evaluated): the rules that hold, per-target errors, and the
    fingerprints of every (rule, target) evaluated without error.

    Each rule has ``guard.cap_seconds`` for all its targets of this pass (its condition, its
    ``severity_if`` tiers and the rendering of its summary and remediation, all counted), so one
    slow rule delays the others by no more than that plus one step (see RuleGuard)."""
    evaluator = evaluator or make_evaluator()
    guard = guard or RuleGuard()
    guard.start_pass(rule_set)
    results: list[Result] = []
    errors: list[str] = []
    evaluated: set[str] = set()
    spent: dict[str, float] = {}
    over_cap: set[str] = set()
    for rule_id, reason in sorted(guard.disabled.items()):
        errors.append(RuleError.of(rule_id, f"{rule_id}: {reason}"))

    def stop(rule_id: str, where: str) -> None:
        over_cap.add(rule_id)
        errors.append(RuleError.of(rule_id, f"{rule_id} on {where}: over its time cap of "
                                            f"{guard.cap_seconds * 1000:.0f} ms for this pass; "
                                            "its other targets were skipped"))

    def charge(rule_id: str, started: float) -> float:
        """Add the time since ``started`` to the rule's pass; what it has left."""
        spent[rule_id] = spent.get(rule_id, 0.0) + _clock() - started
        return guard.cap_seconds - spent[rule_id]

    for scope, cluster_name, instance, channel, names in targets(snapshot):
        where = f"{cluster_name}/{instance}{'/' + channel if channel else ''}"
        for rule in rule_set.by_scope.get(scope, ()):
            if rule.id in guard.disabled or rule.id in over_cap:
                continue
            left = guard.cap_seconds - spent.get(rule.id, 0.0)
            if left <= 0:
                stop(rule.id, where)
                continue
            started = _clock()
            try:
                holds = bool(rule.when.evaluate(evaluator, names, seconds=left))
            except BudgetExceeded as exc:
                if charge(rule.id, started) <= 0:
                    stop(rule.id, where)
                else:
                    errors.append(RuleError.of(rule.id, f"{rule.id} on {where}: {exc}"))
                continue
            except Exception as exc:  # a rule that breaks on these facts must not stop the others
                charge(rule.id, started)
                errors.append(RuleError.of(rule.id, f"{rule.id} on {where}: {type(exc).__name__}: {exc}"))
                continue
            left = charge(rule.id, started)
            if not holds:
                evaluated.add(fingerprint(rule.id, cluster_name, instance, channel))
                continue
            # severity_if tiers and the templates run on the same cap as the condition: a target
            # the rule has no time left for is skipped whole (not evaluated, its alert kept as it is).
            severity = rule.severity
            for tier, condition in rule.severity_if:
                if left <= 0:
                    break
                if tier >= severity:
                    continue
                started = _clock()
                try:
                    tier_holds, failure = bool(condition.evaluate(evaluator, names, seconds=left)), None
                except Exception as exc:  # the base severity stands; the error is reported
                    tier_holds, failure = False, exc
                left = charge(rule.id, started)
                if failure is not None and left > 0:
                    errors.append(RuleError.of(rule.id, f"{rule.id}.severity_if.{tier} on {where}: "
                                                        f"{type(failure).__name__}: {failure}", in_condition=False))
                if tier_holds:
                    severity = tier
                    break
            if left <= 0:
                stop(rule.id, where)
                continue
            started = _clock()
            summary = rule.summary.render(names)
            remediation = rule.remediation.render(for_sql(names)) if rule.remediation else ""
            charge(rule.id, started)
            evaluated.add(fingerprint(rule.id, cluster_name, instance, channel))
            results.append(Result(rule=rule, cluster=cluster_name, instance=instance, channel=channel,
                                  summary=summary, severity=severity, remediation=remediation))
    guard.end_pass(over_cap)
    return results, errors, evaluated
