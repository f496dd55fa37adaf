"""The report as one self-contained HTML page: no script, no external file, readable from
disk or an e-mail attachment, and printable.  Every value is escaped."""
from __future__ import annotations

from html import escape

STYLE = """
:root{--fail:#b3261e;--pass:#1b6e3a;--unknown:#8a5a00;--skipped:#5f6368;--line:#d9dce1;--muted:#5f6368}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
margin:0 auto;max-width:1200px;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;
border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:0}.stamp{color:var(--muted);margin:0;
padding:0;list-style:none}.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.tile{border:1px solid var(--line);
border-radius:6px;padding:8px 14px;min-width:110px}.tile b{display:block;font-size:22px}.tile.fail b{color:var(--fail)}
.tile.pass b{color:var(--pass)}.tile.unknown b{color:var(--unknown)}table{border-collapse:collapse;width:100%;
margin:6px 0 12px}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.ev{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;
overflow-wrap:anywhere}.st{font-weight:600;text-transform:uppercase;font-size:12px}.st.fail{color:var(--fail)}
.st.pass{color:var(--pass)}.st.unknown{color:var(--unknown)}.st.skipped{color:var(--skipped)}
.sev{font-size:12px;border-radius:3px;padding:1px 6px;color:#fff;white-space:nowrap}.sev.critical{background:#7f1d1d}
.sev.high{background:#b3261e}.sev.medium{background:#b45309}.sev.low{background:#4b5563}details{border:1px solid
var(--line);border-radius:6px;margin:8px 0;padding:6px 10px}summary{cursor:pointer}summary .counts{color:var(--muted);
font-weight:normal;margin-left:8px}.warn{background:#fdecea;border:1px solid #f5c2c0;border-radius:6px;padding:8px 12px}
.muted{color:var(--muted)}.failing td:nth-child(2){width:20%}.failing td:nth-child(3){width:38%}
.failing td:nth-child(4){width:22%}.refs{font-size:12px;color:var(--muted)}
@media print{details{break-inside:avoid}details>summary{list-style:none}}
"""


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _status(status: str) -> str:
    return '<span class="st %s">%s</span>' % (_e(status), _e(status))


def _severity(severity: str) -> str:
    return '<span class="sev %s">%s</span>' % (_e(severity), _e(severity))


def _refs(references: dict) -> str:
    return "<br>".join("%s: %s" % (_e(k), _e(v)) for k, v in references.items())


def _tiles(report: dict) -> str:
    s = report["summary"]
    tiles = [("", "hosts", "%d" % s["hosts"]), ("", "checks", "%d" % s["checks"]), ("fail", "fail", s["status"]["fail"]),
             ("pass", "pass", s["status"]["pass"]), ("unknown", "unknown", s["status"]["unknown"]),
             ("", "skipped", s["status"]["skipped"])]
    tiles += [("fail", "%s failing" % sev, n) for sev, n in s["failing_by_severity"].items() if n]
    return '<div class="tiles">%s</div>' % "".join(
        '<div class="tile %s"><b>%s</b>%s</div>' % (cls, _e(value), _e(label)) for cls, label, value in tiles)


def _changes(changes: dict | None) -> str:
    if changes is None:
        return ""
    previous = changes["previous"]["collected"] or {}
    parts = ['<h2 id="changes">Changes since the previous report</h2>',
             '<p class="muted">Previous report collected %s to %s.</p>' % (
                 _e(previous.get("earliest") or "?"), _e(previous.get("latest") or "?"))]
    for label, key in (("Hosts added", "hosts_added"), ("Hosts removed", "hosts_removed")):
        if changes[key]:
            parts.append("<p><b>%s:</b> %s</p>" % (label, _e(", ".join(changes[key]))))
    rows = [("newly failing", c) for c in changes["newly_failing"]] + [("fixed", c) for c in changes["fixed"]] \
        + [("changed", c) for c in changes["other"]]
    if rows:
        parts.append("<table><tr><th>change</th><th>host</th><th>control</th><th>before</th><th>after</th></tr>%s</table>" % "".join(
            "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                _e(kind), _e(c["instance"]), _e(c["control"]), _status(c["before"] or "-"), _status(c["after"] or "-"))
            for kind, c in rows))
    elif not (changes["hosts_added"] or changes["hosts_removed"]):
        parts.append("<p>No control changed status.</p>")
    return "".join(parts)


def _failing(report: dict) -> str:
    """One row per failing control (most severe first), each failing host with its evidence."""
    evidence = dict(((h["instance"], c["id"]), c["evidence"]) for h in report["hosts"] for c in h["controls"])
    rows = [c for c in report["controls"] if c["hosts"]["fail"]]
    if not rows:
        return '<h2 id="failing">Failing controls</h2><p>None.</p>'
    return ('<h2 id="failing">Failing controls</h2><table class="failing"><tr><th>severity</th><th>control</th>'
            "<th>failing on</th><th>remediation</th><th>references</th></tr>%s</table>") % "".join(
        '<tr><td>%s</td><td><b>%s</b><br>%s</td><td class="ev">%s</td><td class="ev">%s</td><td class="refs">%s</td></tr>' % (
            _severity(c["severity"]), _e(c["id"]), _e(c["title"]),
            "<br>".join("<b>%s</b>: %s" % (_e(i), _e(evidence.get((i, c["id"])))) for i in c["hosts"]["fail"]),
            _e(c["remediation"]), _refs(c["references"]))
        for c in rows)


def _host(host: dict) -> str:
    counts = host["status"]
    head = "<summary><h3 style=\"display:inline\">%s</h3><span class=\"counts\">%s</span></summary>" % (
        _e(host["instance"]),
        _e("not assessed" if not host["assessed"] else "%d fail, %d unknown, %d pass, %d skipped" % (
            counts["fail"], counts["unknown"], counts["pass"], counts["skipped"])))
    meta = '<p class="muted">cluster %s &middot; %s %s &middot; role %s &middot; collected %s</p>' % (
        _e(host["cluster"]), _e(host["flavor"] or "?"), _e(host["version"] or "?"), _e(host["role"] or "unknown"),
        _e(host["collected_at"] or "unknown"))
    if not host["assessed"]:
        return '<details open>%s%s<p class="warn">Not assessed: %s</p></details>' % (head, meta, _e(host["problem"]))
    problems = "".join('<p class="warn">%s</p>' % _e(p) for p in host["collection_problems"])
    table = "<table><tr><th>status</th><th>severity</th><th>control</th><th>evidence</th></tr>%s</table>" % "".join(
        '<tr><td>%s</td><td>%s</td><td><b>%s</b><br>%s</td><td class="ev">%s</td></tr>' % (
            _status(c["status"]), _severity(c["severity"]), _e(c["id"]), _e(c["title"]), _e(c["evidence"]))
        for c in host["controls"])
    return "<details%s>%s%s%s%s</details>" % (" open" if counts["fail"] else "", head, meta, problems, table)


def _controls(report: dict) -> str:
    rows = "".join(
        '<tr><td><b>%s</b><br>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td class="refs">%s</td></tr>' % (
            _e(c["id"]), _e(c["title"]), _severity(c["severity"]),
            _e(", ".join(c["hosts"]["fail"])) or "0", len(c["hosts"]["unknown"]), len(c["hosts"]["pass"]),
            len(c["hosts"]["skipped"]), _refs(c["references"]))
        for c in report["controls"])
    return ('<h2 id="controls">By control</h2><table><tr><th>control</th><th>severity</th><th>failing on</th><th>unknown</th>'
            "<th>pass</th><th>skipped</th><th>references</th></tr>%s</table>") % rows


def render_html(report: dict) -> str:
    collected = report["collected"]
    stamp = "".join("<li>%s</li>" % line for line in (
        "Collected %s to %s" % (_e(collected["earliest"] or "unknown"), _e(collected["latest"] or "unknown")),
        "Servers: %s" % _e(", ".join("%s (%d)" % kv for kv in report["servers"].items()) or "none assessed"),
        "Benchmarks: %s" % _e(", ".join(report["benchmarks"].values()) or "none cited")))
    not_assessed = report["summary"]["not_assessed"]
    warning = '<p class="warn"><b>Not assessed:</b> %s</p>' % _e(", ".join(not_assessed)) if not_assessed else ""
    body = "".join([
        "<h1>%s</h1><ul class=\"stamp\">%s</ul>" % (_e(report["title"]), stamp),
        '<h2 id="summary">Summary</h2>', _tiles(report), warning,
        _changes(report["changes"]), _failing(report),
        '<h2 id="hosts">By host</h2>', "".join(_host(h) for h in report["hosts"]),
        _controls(report),
    ])
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            "<title>%s</title><style>%s</style></head><body>%s</body></html>\n") % (_e(report["title"]), STYLE, body)
