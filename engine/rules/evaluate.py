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
from dataclasses import dataclass

import simpleeval

from ansible_collections.dbaops.mysql_ha.engine.rules.expr import make_evaluator
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import Rule, RuleSet


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
    """One rule failing on one target: the message, and ``rule_id`` to count by."""

    rule_id: str

    @classmethod
    def of(cls, rule_id: str, message: str) -> RuleError:
        error = cls(message)
        error.rule_id = rule_id
        return error


def rules_failing_everywhere(rule_set: RuleSet, snapshot: dict, errors: list) -> list[str]:
    """Ids of rules that errored on every target of their scope: a rule that cannot look is no check."""
    failed: dict[str, int] = {}
    for error in errors:
        rule_id = getattr(error, "rule_id", None)
        if rule_id and ".severity_if." not in error:
            failed[rule_id] = failed.get(rule_id, 0) + 1
    if not failed:
        return []
    per_scope: dict[str, int] = {}
    for scope, *_rest in targets(snapshot):
        per_scope[scope] = per_scope.get(scope, 0) + 1
    return sorted(r.id for r in rule_set.rules if r.id in failed and failed[r.id] >= per_scope.get(r.scope, 0))


def fingerprint(rule: str, cluster: str, instance: str, channel: str) -> str:
    return hashlib.sha256(f"{rule}\0{cluster}\0{instance}\0{channel}".encode()).hexdigest()[:20]


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
                yield "channel", cluster_name, address, channel.get("name") or "", dict(names, channel=channel)


def member_role(cluster: dict, address: str, facts: dict) -> str:
    """What a member is to its cluster, also when it did not answer (then the analysis tells)."""
    if address == cluster.get("primary"):
        return "primary"
    if cluster.get("kind") in ("galera", "group_replication"):
        return "node"
    if facts.get("reachable", True) and facts.get("role"):
        return "replica" if facts["role"] in ("replica", "intermediate") else str(facts["role"])
    return "replica" if cluster.get("primary") else "unknown"


def evaluate(rule_set: RuleSet, snapshot: dict, evaluator: simpleeval.EvalWithCompoundTypes | None = None):
    """(results, errors, evaluated): the rules that hold, per-target errors, and the
    fingerprints of every (rule, target) evaluated without error."""
    evaluator = evaluator or make_evaluator()
    results: list[Result] = []
    errors: list[str] = []
    evaluated: set[str] = set()
    for scope, cluster_name, instance, channel, names in targets(snapshot):
        for rule in rule_set.by_scope.get(scope, ()):
            try:
                holds = bool(rule.when.evaluate(evaluator, names))
            except Exception as exc:  # a rule that breaks on these facts must not stop the others
                errors.append(RuleError.of(rule.id, f"{rule.id} on {cluster_name}/{instance}{'/' + channel if channel else ''}: "
                                                    f"{type(exc).__name__}: {exc}"))
                continue
            evaluated.add(fingerprint(rule.id, cluster_name, instance, channel))
            if not holds:
                continue
            severity = rule.severity
            for tier, condition in rule.severity_if:
                try:
                    if tier < severity and condition.evaluate(evaluator, names):
                        severity = tier
                        break
                except Exception as exc:  # the base severity stands; the error is reported
                    errors.append(RuleError.of(rule.id, f"{rule.id}.severity_if.{tier} on {cluster_name}/{instance}: "
                                                        f"{type(exc).__name__}: {exc}"))
            results.append(Result(rule=rule, cluster=cluster_name, instance=instance, channel=channel,
                                  summary=rule.summary.render(names), severity=severity,
                                  remediation=rule.remediation.render(names) if rule.remediation else ""))
    return results, errors, evaluated
