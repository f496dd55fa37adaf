"""The compliance report as data: every host x control of a set of security facts, with
the stamps an auditor files it by, and what changed since a previous report.

The report is a pure function of the facts (and the previous report): no clock is read, and
every list is sorted, so the same facts give byte-identical output in every format.
Host-provided text is bounded and masked (password hashes, IDENTIFIED BY/VIA ... USING literals,
``-p<password>`` on a command line never reach a report; plugins/module_utils/audit/mask.py
finds the literals, and replaces a statement whose literal it cannot locate, one left open
for instance, whole).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.mask import mask
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.controls import (
    BENCHMARKS,
    CONTROLS,
    SEVERITIES,
    STATUSES,
    references_for,
    remediation_for,
)

REPORT_FORMAT = "mysqlha-compliance-report/1"
MAX_TEXT = 1000            # characters of evidence, remediation or a title kept per entry
MAX_CONTROLS_PER_HOST = 200
STATUS_RANK = {"fail": 0, "unknown": 1, "skipped": 2, "pass": 3}
SEVERITY_RANK = dict((s, i) for i, s in enumerate(SEVERITIES))

# Secrets a server or a facts file might carry into evidence text.
_SECRETS = (
    (re.compile(r"(IDENTIFIED\s+(?:WITH\s+\S+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?)('(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\")",
                re.IGNORECASE), r"\1'***'"),
    (re.compile(r"(PASSWORD\s*\(\s*)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", re.IGNORECASE), r"\1'***'"),
    (re.compile(r"(MASTER_PASSWORD|SOURCE_PASSWORD|PASSWORD)(\s*=\s*)('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")",
                re.IGNORECASE), r"\1\2'***'"),
    (re.compile(r"\*[0-9A-Fa-f]{40}\b"), "<password hash>"),                  # mysql_native_password
    (re.compile(r"\$A\$\d{3}\$[^\s'\",;]{20,}"), "<password hash>"),          # caching_sha2_password
    (re.compile(r"\$[1256][ay]?\$[^\s'\",;]{8,}"), "<password hash>"),        # crypt(3) style (sha256_password, PAM)
    # A client's command line: mysql -uroot -phunter7, -p'x y', --password=x (a bare -p prompts: no secret).
    (re.compile(r"(?<![\w-])(-p|--password=|--pass=)('(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?|[^\s'\"]+)"), r"\1***"),
)
# Control characters, and what XML 1.0 cannot carry (lone surrogates, U+FFFE, U+FFFF).
# C1 controls (U+0080-U+009F: U+009B is a terminal's CSI) too.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class ReportError(ValueError):
    """A previous report or facts that cannot make a report; the message names what and why."""


def clean_text(value, limit: int = MAX_TEXT) -> str:
    """Host-provided text as a report may show it: a string, secrets masked, no control
    characters, at most ``limit`` characters."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return _clean(text[: limit * 4], limit)


@lru_cache(maxsize=8192)
def _clean(text: str, limit: int) -> str:
    """Titles, remediations and references repeat on every host: each is cleaned once."""
    text = mask(_CONTROL_CHARS.sub(" ", text))
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text if len(text) <= limit else text[:limit] + "..."


def iso(epoch) -> str | None:
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool) or not 0 <= epoch < 253402300800:
        return None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_CATALOGUE = dict((c.id, c) for c in CONTROLS)  # type: ignore[attr-defined]


def _control_entry(control_id: str, result, flavor) -> dict:
    """One host x control row: the facts' verdict, the catalogue's words where the facts (from
    before 0.3.0) do not carry them."""
    result = result if isinstance(result, dict) else {}
    known = _CATALOGUE.get(control_id)
    status = result.get("status") if result.get("status") in STATUSES else "unknown"
    severity = result.get("severity") if result.get("severity") in SEVERITIES else (known.severity if known else "low")
    references = result.get("references")
    if not isinstance(references, dict):
        references = references_for(known, flavor) if known else {}
    return {
        "id": clean_text(control_id, 100),
        "title": clean_text(result.get("title") or (known.title if known else control_id)),
        "severity": severity,
        "status": status,
        "evidence": clean_text(result.get("evidence")),
        "remediation": clean_text(result.get("remediation") or (remediation_for(known, flavor) if known else "")),
        "references": dict(sorted((clean_text(k, 60), clean_text(v, 300)) for k, v in references.items())),
    }


def _counts(controls: list[dict]) -> dict:
    counts = dict((s, 0) for s in STATUSES)
    failing = dict((s, 0) for s in SEVERITIES)
    for control in controls:
        counts[control["status"]] += 1
        if control["status"] == "fail":
            failing[control["severity"]] += 1
    return {"status": counts, "failing_by_severity": failing}


def _host(cluster: str, address: str, security: dict | None, member: dict | None) -> dict:
    member = member or {}
    host: dict = {"instance": clean_text(address, 300), "cluster": clean_text(cluster, 200), "assessed": security is not None,
                  "problem": None, "flavor": None, "version": None, "role": None, "collected_at": None,
                  "controls": [], "collection_problems": []}
    if member.get("reachable") is not False and member:
        host["role"] = clean_text(member.get("role"), 40) or None
    if security is not None and member.get("reachable") is False:
        # A later task could not read the server: its older security facts are no assessment.
        security = None
        host["assessed"] = False
    if security is None:
        if member.get("reachable") is False:
            host["problem"] = "could not be read (%s): %s" % (clean_text(member.get("reachability"), 40),
                                                              clean_text(member.get("error"), 300))
        else:
            host["problem"] = "no security facts were given for this member"
        host.update(_counts([]))
        return host
    flavor = security.get("flavor")
    host.update(flavor=clean_text(flavor, 40) or None, version=clean_text(security.get("version"), 100) or None,
                collected_at=iso((security.get("collection") or {}).get("collected_at")))
    controls: dict = security["controls"] if isinstance(security.get("controls"), dict) else {}
    if not controls:
        host.update(assessed=False, problem="its security facts hold no control results")
        host.update(_counts([]))
        return host
    # Catalogue controls and failing ones first, so padding the facts can never push a failure out.

    def first(control_id):
        result = controls[control_id]
        failing = isinstance(result, dict) and result.get("status") == "fail"
        return (control_id not in _CATALOGUE, not failing, control_id)

    ids = sorted(controls, key=first)
    if len(ids) > MAX_CONTROLS_PER_HOST:
        host["collection_problems"].append("%d controls in the facts; %d are reported (the catalogue's and the failing "
                                           "ones first)" % (len(ids), MAX_CONTROLS_PER_HOST))
        ids = ids[:MAX_CONTROLS_PER_HOST]
    rows = [_control_entry(i, controls[i], flavor) for i in ids]
    for control in CONTROLS:   # a catalogue control the facts do not carry is unknown, never passing
        if control.id not in controls and (not flavor or flavor in control.flavors):
            rows.append(_control_entry(control.id, {"status": "unknown", "evidence": "not in the facts"}, flavor))
    rows.sort(key=lambda c: (STATUS_RANK[c["status"]], SEVERITY_RANK[c["severity"]], c["id"]))
    host["controls"] = rows
    collection: dict = security["collection"] if isinstance(security.get("collection"), dict) else {}
    for problem in (collection.get("missing_privileges") or [])[:20]:
        if isinstance(problem, dict):
            host["collection_problems"].append("not visible to the login: %s (%s)" % (
                clean_text(problem.get("statement"), 200), clean_text(problem.get("message"), 300)))
    host.update(_counts(rows))
    return host


def _by_control(hosts: list[dict]) -> list[dict]:
    controls: dict[str, dict] = {}
    for host in hosts:
        for row in host["controls"]:
            entry = controls.setdefault(row["id"], {
                "id": row["id"], "title": row["title"], "severity": row["severity"], "remediation": row["remediation"],
                "references": {}, "hosts": dict((s, []) for s in STATUSES)})
            entry["references"].update(row["references"])
            entry["hosts"][row["status"]].append(host["instance"])
    order = dict((c.id, i) for i, c in enumerate(CONTROLS))  # type: ignore[attr-defined]
    result = sorted(controls.values(), key=lambda c: (SEVERITY_RANK[c["severity"]], order.get(c["id"], len(order)), c["id"]))
    for entry in result:
        entry["references"] = dict(sorted(entry["references"].items()))
        for status in entry["hosts"]:
            entry["hosts"][status].sort()
    return result


def _stamp(hosts: list[dict]) -> dict:
    times = sorted(h["collected_at"] for h in hosts if h["collected_at"])
    servers: dict[str, int] = {}
    for host in hosts:
        if host["version"]:
            name = "%s %s" % (host["flavor"] or "?", host["version"])
            servers[name] = servers.get(name, 0) + 1
    cited = set(k for h in hosts for c in h["controls"] for k in c["references"])
    return {"collected": {"earliest": times[0] if times else None, "latest": times[-1] if times else None},
            "servers": dict(sorted(servers.items())),
            "benchmarks": dict((k, v) for k, v in sorted(BENCHMARKS.items()) if k in cited)}


def _summary(hosts: list[dict]) -> dict:
    rows = [c for h in hosts for c in h["controls"]]
    summary = _counts(rows)
    summary.update(hosts=len(hosts), assessed=sum(1 for h in hosts if h["assessed"]),
                   not_assessed=sorted(h["instance"] for h in hosts if not h["assessed"]),
                   hosts_failing=sum(1 for h in hosts if h["status"]["fail"] or not h["assessed"]),
                   checks=len(rows))
    return summary


def build_report(snapshot: dict, previous: dict | None = None, title: str | None = None) -> dict:
    """The report of a loaded snapshot (engine/rules/snapshot.py, ``security_alone=True``)."""
    hosts = []
    for cluster, data in sorted((snapshot.get("clusters") or {}).items()):
        security, members = data.get("security") or {}, data.get("members") or {}
        for address in sorted(set(security) | set(members)):
            hosts.append(_host(cluster, address, security.get(address), members.get(address)))
    hosts.sort(key=lambda h: (h["cluster"], h["instance"]))
    report: dict = {"format": REPORT_FORMAT, "title": clean_text(title or "MySQL/MariaDB compliance report", 200)}
    report.update(_stamp(hosts))
    report["summary"] = _summary(hosts)
    report["hosts"] = hosts
    report["controls"] = _by_control(hosts)
    report["changes"] = compare(previous, report) if previous is not None else None
    return report


def _statuses(report: dict) -> dict:
    return dict(((clean_text(h["instance"], 300), clean_text(c["id"], 100)), c["status"])
                for h in report["hosts"] for c in h["controls"])


MAX_PREVIOUS_HOSTS = 20000


def check_previous(previous) -> dict:
    """A previous report (as JSON): checked enough to compare against, else ReportError."""
    if not isinstance(previous, dict) or previous.get("format") != REPORT_FORMAT:
        raise ReportError("not a %s JSON report (write one with --format json)" % REPORT_FORMAT)
    collected = previous.get("collected")
    if collected is not None and not (isinstance(collected, dict) and all(
            v is None or isinstance(v, str) for v in collected.values())):
        raise ReportError("its collected is not {earliest, latest}")
    hosts = previous.get("hosts")
    if isinstance(hosts, list) and (len(hosts) > MAX_PREVIOUS_HOSTS or sum(
            len(h.get("controls") or ()) for h in hosts if isinstance(h, dict)) > MAX_PREVIOUS_HOSTS * MAX_CONTROLS_PER_HOST):
        raise ReportError("more than %d hosts or %d checks" % (MAX_PREVIOUS_HOSTS, MAX_PREVIOUS_HOSTS * MAX_CONTROLS_PER_HOST))
    if not isinstance(hosts, list) or not all(
            isinstance(h, dict) and isinstance(h.get("instance"), str) and isinstance(h.get("controls"), list)
            and all(isinstance(c, dict) and isinstance(c.get("id"), str) and c.get("status") in STATUSES
                    for c in h["controls"]) for h in hosts):
        raise ReportError("its hosts[] are not {instance, controls: [{id, status}]}")
    return previous


def compare(previous: dict, current: dict) -> dict:
    """What changed between two reports: hosts added and removed, controls newly failing,
    fixed, and every other change of status."""
    before, after = _statuses(previous), _statuses(current)
    old_hosts = set(clean_text(h["instance"], 300) for h in previous["hosts"])
    new_hosts = set(h["instance"] for h in current["hosts"])
    newly_failing, fixed, other = [], [], []
    for key in sorted(set(before) | set(after)):
        instance, control = key
        if instance not in old_hosts or instance not in new_hosts:
            continue
        was, now = before.get(key), after.get(key)
        if was == now:
            continue
        change = {"instance": instance, "control": control, "before": was, "after": now}
        if now == "fail":
            newly_failing.append(change)
        elif was == "fail":
            fixed.append(change)
        else:
            other.append(change)
    collected = dict((k, clean_text(previous["collected"].get(k), 40) or None) for k in ("earliest", "latest")) \
        if previous.get("collected") else None
    return {"previous": {"collected": collected, "title": clean_text(previous.get("title"), 200)},
            "hosts_added": sorted(new_hosts - old_hosts), "hosts_removed": sorted(old_hosts - new_hosts),
            "newly_failing": newly_failing, "fixed": fixed, "other": other}


def failing_at_or_above(report: dict, severity: str) -> list[tuple[str, str, str]]:
    """(instance, control, severity) of every failed control at ``severity`` or worse, and
    hosts that could not be assessed (as ``assessment``)."""
    limit = SEVERITY_RANK[severity]
    found = [(h["instance"], c["id"], c["severity"]) for h in report["hosts"] for c in h["controls"]
             if c["status"] == "fail" and SEVERITY_RANK[c["severity"]] <= limit]
    found += [(h["instance"], "assessment", "critical") for h in report["hosts"] if not h["assessed"]]
    return found
