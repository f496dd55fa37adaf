"""Compliance audit reports from security (and replication) facts: ``mysqlha report`` and
the ``compliance_report`` action.

``make_report(loaded, previous)`` builds the report (engine/report/model.py);
``render(report, fmt)`` writes it as html, md, csv, json or junit.
"""
from __future__ import annotations

from ansible_collections.dbaops.mysql_ha.engine.report.model import (
    REPORT_FORMAT,
    ReportError,
    build_report,
    check_previous,
    failing_at_or_above,
)
from ansible_collections.dbaops.mysql_ha.engine.report.render_html import render_html
from ansible_collections.dbaops.mysql_ha.engine.report.render_text import render_csv, render_json, render_junit, render_markdown

__all__ = ["FORMATS", "REPORT_FORMAT", "ReportError", "build_report", "check_previous", "failing_at_or_above",
           "format_for_path", "read_previous", "render", "write_atomically"]

FORMATS = {"html": render_html, "md": render_markdown, "csv": render_csv, "json": render_json, "junit": render_junit}
SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".csv": "csv", ".json": "json", ".xml": "junit",
            ".junit": "junit", ".txt": "md"}
MAX_PREVIOUS_BYTES = 16 * 1024 * 1024   # a report of 20k hosts is about that; a bigger one is not ours


def render(report: dict, fmt: str) -> str:
    return FORMATS[fmt](report)


def format_for_path(path: str) -> str | None:
    """The format a file name asks for (report.html -> html, junit.xml -> junit), or None."""
    lowered = path.lower()
    return next((fmt for suffix, fmt in SUFFIXES.items() if lowered.endswith(suffix)), None)


def read_previous(path: str) -> dict:
    """A previous JSON report, checked; ReportError names the file and what is wrong."""
    from pathlib import Path

    from ansible_collections.dbaops.mysql_ha.engine.rules.snapshot import (
        JsonFileError,
        JsonTooLarge,
        parse_json_bounded,
        read_bounded,
    )

    try:
        document = parse_json_bounded(read_bounded(Path(path), MAX_PREVIOUS_BYTES))
    except OSError as exc:
        raise ReportError("%s: cannot read: %s" % (path, exc.strerror or exc))
    except JsonTooLarge as exc:
        raise ReportError("%s: %s; a previous report is limited to %d" % (path, exc, MAX_PREVIOUS_BYTES))
    except JsonFileError as exc:  # not a regular file, not UTF-8, too many lists and objects, too deep
        raise ReportError("%s: %s" % (path, exc))
    except ValueError as exc:  # JSONDecodeError
        raise ReportError("%s: not JSON (%s)" % (path, str(exc)[:160]))
    try:
        return check_previous(document)
    except ReportError as exc:
        raise ReportError("%s: %s" % (path, exc))
    except (MemoryError, RecursionError):
        raise ReportError("%s: too large or too deep to compare against" % path)


def write_atomically(path: str, text: str) -> None:
    """Write a report file so a reader never sees half of it and a failed run leaves the old one."""
    import os
    import stat
    import tempfile

    mode = 0o644
    try:
        existing = os.lstat(path)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        if not stat.S_ISREG(existing.st_mode):
            # A symlink, a device (/dev/stdout, /dev/null) or a FIFO is never replaced by a file.
            raise OSError(0, "not a regular file; reports replace regular files only (use standard output: -o -)")
        mode = stat.S_IMODE(existing.st_mode)
    handle, temporary = tempfile.mkstemp(prefix=".mysqlha-report-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="", errors="replace") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
