"""Hot reload of the rule directory.

watchdog reports file events; they are debounced (a ``git pull`` or an editor's
atomic save is many events), ``.git/`` and hidden files are ignored, and the whole
directory is loaded and validated before the new set replaces the old one in a
single reference swap.  An invalid change keeps the last good set and is reported
in ``status``.  A periodic checksum rescan catches events inotify lost (and a
directory that vanished and came back).
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from ansible_collections.dbaops.mysql_ha.engine.rules import loader
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import (
    RuleSet,
    RuleSetError,
    load_rule_set,
    read_rule_file,
    rule_files,
)

LOG = logging.getLogger("mysqlha.reload")


def _ignored(path: str) -> bool:
    parts = Path(path).parts
    return ".git" in parts or any(part.startswith(".") for part in parts[-1:])


class _Handler(FileSystemEventHandler):
    def __init__(self, reloader: RuleReloader):
        self.reloader = reloader

    def on_any_event(self, event):
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            # A directory's mtime changes with every entry made in it (.git/ too); the entry's own event counts.
            return
        paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
        if all(not p or _ignored(p) for p in paths):
            return
        self.reloader.poke()


class RuleReloader:
    """The live rule set of a rule directory; ``current`` is always a fully valid set."""

    def __init__(self, paths: list[str], debounce: float = 0.15, rescan_interval: float = 5.0):
        self.paths = [str(p) for p in paths]
        self.debounce = debounce
        self.rescan_interval = rescan_interval
        self.current: RuleSet = load_rule_set(self.paths)  # the daemon starts only with a valid set
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_event = 0.0
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self.status = {"loaded_at": time.time(), "checksum": self.current.checksum, "rules": len(self.current.rules),
                       "files": len(self.current.files), "reloads": 0, "failures": 0, "last_error": None,
                       "last_error_at": None, "last_attempt_at": None, "last_live_latency_s": None}
        # (last event, swap) monotonic times and the new set's size, for measurements and tests.
        self.swaps: list[tuple[float, float, int]] = []

    def poke(self) -> None:
        """A file event: (re)start the debounce timer."""
        self._last_event = time.monotonic()
        self._wake.set()

    def start(self) -> RuleReloader:
        observer = Observer()
        handler = _Handler(self)
        for path in self.paths:
            target = path if Path(path).is_dir() else str(Path(path).parent)
            observer.schedule(handler, target, recursive=True)
        observer.start()
        self._observer = observer
        self._thread = threading.Thread(target=self._run, name="mysqlha-reload", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        """The watcher thread: it never dies of a bad file; every failure is in ``status``."""
        while not self._stop.is_set():
            try:
                self._watch()
            except Exception as exc:  # noqa: BLE001 - a reload must never take the watcher down
                self._record_failure([f"watcher: {type(exc).__name__}: {str(exc)[:200]}"])
                LOG.exception("rule watcher failed; watching again")
                self._stop.wait(self.debounce)

    def _watch(self) -> None:
        next_rescan = time.monotonic() + self.rescan_interval
        while not self._stop.is_set():
            self._wake.wait(timeout=max(0.0, min(self.rescan_interval, next_rescan - time.monotonic())))
            if self._stop.is_set():
                return
            if self._wake.is_set():
                # Debounce: wait until no event arrived for `debounce` seconds.
                while time.monotonic() - self._last_event < self.debounce and not self._stop.is_set():
                    time.sleep(max(0.005, self.debounce - (time.monotonic() - self._last_event)))
                self._wake.clear()
                self.reload(reason="event")
            if time.monotonic() >= next_rescan:
                next_rescan = time.monotonic() + self.rescan_interval
                self.reload(reason="rescan", only_if_changed=True)

    def _fingerprint(self) -> str | None:
        """The checksum load_rule_set would compute, without compiling anything."""
        files, errors = rule_files(self.paths)
        if errors:
            return None
        digest = hashlib.sha256()
        left = loader.MAX_RULE_SET_BYTES
        for path in files:
            try:
                data = read_rule_file(path, min(loader.MAX_FILE_BYTES, left))
            except Exception:  # noqa: BLE001 - unreadable, FIFO, too large: "changed", let the loader say why
                return None
            left -= len(data)
            digest.update(os.fsencode(path) + b"\0" + data)
        return digest.hexdigest()

    def _record_failure(self, errors: list[str]) -> None:
        self.status["failures"] += 1
        self.status["last_error"] = errors
        self.status["last_error_at"] = time.time()

    def reload(self, reason: str = "manual", only_if_changed: bool = False) -> bool:
        """Load and swap if valid and different; True when a new set went live.  Never raises:
        a set that does not load, or any failure while loading, keeps the last good set."""
        try:
            return self._reload(reason, only_if_changed)
        except Exception as exc:  # noqa: BLE001 - whatever a file does, the last good set stays live
            self._record_failure([f"reload ({reason}): {type(exc).__name__}: {str(exc)[:200]}"])
            LOG.exception("rule reload (%s) failed, keeping the last good set", reason)
            return False

    def _reload(self, reason: str, only_if_changed: bool) -> bool:
        if only_if_changed and self._fingerprint() == self.current.checksum:
            return False
        event_time = self._last_event
        self.status["last_attempt_at"] = time.time()
        try:
            candidate = load_rule_set(self.paths)
        except RuleSetError as exc:
            self._record_failure(exc.errors)
            LOG.error("rule reload (%s) refused, keeping the last good set (%d rules): %s", reason,
                      len(self.current.rules), "; ".join(exc.errors[:5]))
            return False
        if candidate.checksum == self.current.checksum:
            self.status["last_error"] = None
            return False
        with self._lock:
            self.current = candidate  # one reference assignment: readers see the old or the new set, whole
        now = time.monotonic()
        self.swaps.append((event_time, now, len(candidate.rules)))
        self.status.update(loaded_at=time.time(), checksum=candidate.checksum, rules=len(candidate.rules),
                           files=len(candidate.files), last_error=None,
                           last_live_latency_s=round(now - event_time, 4) if event_time else None)
        self.status["reloads"] += 1
        LOG.info("rules reloaded (%s): %d rules from %d files", reason, len(candidate.rules), len(candidate.files))
        return True
