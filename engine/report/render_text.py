"""The report as JSON, Markdown, CSV and JUnit XML (one test case per host x control)."""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

REFERENCE_COLUMNS = ("cis_mysql_8", "cis_mariadb_10_11", "devsec")


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(text) -> str:
    """Markdown text (a table cell too): one line, pipes escaped, and ``&``, ``<``, ``>`` as
    entities, so a wiki that renders HTML in Markdown shows a host's ``<script>`` as text."""
    text = " ".join(str("" if text is None else text).split()).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") or " "


def _refs(references: dict) -> str:
    return "; ".join("%s %s" % (k, v) for k, v in references.items())


def _stamp_lines(report: dict) -> list[str]:
    collected = report["collected"]
    lines = ["- Collected: %s to %s" % (_cell(collected["earliest"] or "unknown"), _cell(collected["latest"] or "unknown"))]
    lines.append("- Servers: %s" % (", ".join("%s (%d)" % (_cell(k), v) for k, v in report["servers"].items())
                                    or "none assessed"))
    lines.append("- Benchmarks: %s" % (", ".join(_cell(v) for v in report["benchmarks"].values()) or "none cited"))
    return lines


def _summary_line(report: dict) -> str:
    s = report["summary"]
    text = "%d hosts (%d assessed), %d checks: %d pass, %d fail, %d unknown, %d skipped" % (
        s["hosts"], s["assessed"], s["checks"], s["status"]["pass"], s["status"]["fail"], s["status"]["unknown"],
        s["status"]["skipped"])
    failing = ", ".join("%d %s" % (n, sev) for sev, n in s["failing_by_severity"].items() if n)
    return text + ("; failing: " + failing if failing else "")


def _changes_markdown(changes: dict | None) -> list[str]:
    if changes is None:
        return []
    previous = changes["previous"]["collected"] or {}
    lines = ["", "## Changes since the previous report", "",
             "Previous report collected %s to %s." % (_cell(previous.get("earliest") or "?"),
                                                      _cell(previous.get("latest") or "?")), ""]
    for label, key in (("Hosts added", "hosts_added"), ("Hosts removed", "hosts_removed")):
        if changes[key]:
            lines.append("- %s: %s" % (label, _cell(", ".join(changes[key]))))
    rows = [("newly failing", c) for c in changes["newly_failing"]] + [("fixed", c) for c in changes["fixed"]] \
        + [("changed", c) for c in changes["other"]]
    if rows:
        lines += ["", "| change | host | control | before | after |", "|---|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s | %s |" % (
            kind, _cell(c["instance"]), _cell(c["control"]), c["before"] or "-", c["after"] or "-") for kind, c in rows]
    elif not (changes["hosts_added"] or changes["hosts_removed"]):
        lines.append("No control changed status.")
    return lines


def render_markdown(report: dict) -> str:
    lines = ["# " + _cell(report["title"]), ""] + _stamp_lines(report) + ["", "## Summary", "", _summary_line(report)]
    if report["summary"]["not_assessed"]:
        lines.append("")
        lines.append("**Not assessed:** " + _cell(", ".join(report["summary"]["not_assessed"])))
    lines += _changes_markdown(report["changes"])
    evidence = dict(((h["instance"], c["id"]), c["evidence"]) for h in report["hosts"] for c in h["controls"])
    failing = [c for c in report["controls"] if c["hosts"]["fail"]]
    if failing:
        lines += ["", "## Failing controls", "", "| severity | control | failing on | remediation | references |",
                  "|---|---|---|---|---|"]
        lines += ["| %s | %s: %s | %s | %s | %s |" % (
            c["severity"], _cell(c["id"]), _cell(c["title"]),
            _cell("; ".join("%s: %s" % (i, evidence.get((i, c["id"]))) for i in c["hosts"]["fail"])),
            _cell(c["remediation"]), _cell(_refs(c["references"]))) for c in failing]
    lines += ["", "## By host"]
    for host in report["hosts"]:
        lines += ["", "### %s" % _cell(host["instance"]), ""]
        lines.append("Cluster %s; %s %s; role %s; collected %s." % (
            _cell(host["cluster"]), _cell(host["flavor"] or "?"), _cell(host["version"] or "?"), _cell(host["role"] or "unknown"),
            _cell(host["collected_at"] or "unknown")))
        if not host["assessed"]:
            lines += ["", "**Not assessed:** " + _cell(host["problem"])]
            continue
        for problem in host["collection_problems"]:
            lines.append("- " + _cell(problem))
        lines += ["", "| status | severity | control | evidence |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % (c["status"], c["severity"], _cell(c["id"]), _cell(c["evidence"]))
                  for c in host["controls"]]
    lines += ["", "## By control", "", "| control | severity | fail | unknown | pass | skipped | references |",
              "|---|---|---|---|---|---|---|"]
    lines += ["| %s: %s | %s | %s | %d | %d | %d | %s |" % (
        _cell(c["id"]), _cell(c["title"]), c["severity"], _cell(", ".join(c["hosts"]["fail"]) or "0"),
        len(c["hosts"]["unknown"]), len(c["hosts"]["pass"]), len(c["hosts"]["skipped"]), _cell(_refs(c["references"])))
        for c in report["controls"]]
    return "\n".join(lines) + "\n"


def _csv_safe(text) -> str:
    """A spreadsheet never runs a cell as a formula: host-provided text that starts like one is quoted."""
    text = "" if text is None else str(text)
    text = text.replace("\r", " ").replace("\n", " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def render_csv(report: dict) -> str:
    out = io.StringIO()
    # Every cell quoted: a carriage return inside a value can never start a row a spreadsheet runs.
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["cluster", "instance", "flavor", "version", "collected_at", "control", "title", "severity", "status",
                     "evidence", "remediation"] + list(REFERENCE_COLUMNS))
    for host in report["hosts"]:
        base = [host["cluster"], host["instance"], host["flavor"], host["version"], host["collected_at"]]
        if not host["assessed"]:
            writer.writerow([_csv_safe(v) for v in base + ["assessment", "The host could be read and assessed", "critical", "error",
                                                           host["problem"], ""]] + [""] * len(REFERENCE_COLUMNS))
        for c in host["controls"]:
            row = base + [c["id"], c["title"], c["severity"], c["status"], c["evidence"], c["remediation"]]
            row += [c["references"].get(k, "") for k in REFERENCE_COLUMNS]
            writer.writerow([_csv_safe(v) for v in row])
    return out.getvalue()


def render_junit(report: dict) -> str:
    """JUnit XML as Jenkins, GitLab and AWX read it: a suite per host, a case per control; a
    failed control is a failure, unknown and skipped ones are skipped, a host that could not
    be assessed is one errored case."""
    s = report["summary"]
    suites = ET.Element("testsuites", {
        "name": report["title"], "tests": str(s["checks"] + len(s["not_assessed"])), "failures": str(s["status"]["fail"]),
        "errors": str(len(s["not_assessed"])), "time": "0"})
    for index, host in enumerate(report["hosts"]):
        counts = host["status"]
        attributes = {"name": host["instance"], "id": str(index), "package": "mysqlha.compliance." + host["cluster"],
                      "hostname": host["instance"], "tests": str(len(host["controls"]) or 1), "failures": str(counts["fail"]),
                      "errors": "0" if host["assessed"] else "1", "skipped": str(counts["unknown"] + counts["skipped"]),
                      "time": "0"}
        if host["collected_at"]:
            attributes["timestamp"] = host["collected_at"].rstrip("Z")
        suite = ET.SubElement(suites, "testsuite", attributes)
        properties = ET.SubElement(suite, "properties")
        for name in ("cluster", "flavor", "version", "role", "collected_at"):
            ET.SubElement(properties, "property", {"name": name, "value": host[name] or ""})
        # Test tools split a classname at dots into packages: an address's dots would make a tree of it.
        classname = "mysqlha.compliance.%s.%s" % (host["cluster"].replace(".", "_"), host["instance"].replace(".", "_"))
        if not host["assessed"]:
            case = ET.SubElement(suite, "testcase", {"name": "assessment", "classname": classname, "time": "0"})
            ET.SubElement(case, "error", {"message": host["problem"] or "", "type": "not_assessed"}).text = host["problem"]
        for c in host["controls"]:
            case = ET.SubElement(suite, "testcase", {"name": c["id"], "classname": classname, "time": "0"})
            if c["status"] == "fail":
                detail = "%s\nRemediation: %s\nReferences: %s" % (c["evidence"], c["remediation"], _refs(c["references"]))
                ET.SubElement(case, "failure", {"message": c["evidence"], "type": c["severity"]}).text = detail
            elif c["status"] in ("unknown", "skipped"):
                ET.SubElement(case, "skipped", {"message": "%s: %s" % (c["status"], c["evidence"])})
            else:
                ET.SubElement(case, "system-out").text = c["evidence"]
        ET.SubElement(suite, "system-out").text = ""
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
