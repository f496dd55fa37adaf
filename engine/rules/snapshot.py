"""Snapshots: the facts one evaluation sees, from files or from compact test timelines.

``load_snapshot(paths)`` reads what users have: ``topology_facts`` results
(``{"cluster", "members"}``), ``replication_facts`` / ``security_facts`` results
(``ansible_facts.mysql_replication`` / ``mysql_security``), a registered loop
(``{"results": [...]}``), a failed module result (a server that could not be reached),
an Ansible JSON fact cache directory (one file per host), or a snapshot
(``{"clusters": ...}``).  Every fact document is checked against its JSON Schema first.

Nothing is dropped quietly.  A server's failed result becomes a member that could not be
reached (it feeds the analysis, and a warning names the file); a document that cannot be
used is an error naming the file and why, and the other files are still evaluated; security
facts that match no member of any cluster are an error.  Replication facts of a member a
topology result already holds join that topology's cluster; others go to the default
cluster, which is analysed with the same code as ``topology_facts``.

Complete facts from a few fields (rule unit tests) are made by engine/rules/facts_builder.py.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from ansible_collections.dbaops.mysql_ha.engine.bounded_read import FileTooLarge, NotRegularFile, read_regular_file
from ansible_collections.dbaops.mysql_ha.engine.rules.fact_names import load_schema
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.analysis import analyze_cluster
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import REACHABILITY_KINDS

# Fact documents are kilobytes (a 2000-member cluster's snapshot is 5 MB): a file past 16 MB,
# or all inputs of one run past 64 MB together, is refused before it is parsed, and so is a
# file with more than a million lists and objects (a 16 MB "[[],[],...]" would take 400 MB).
MAX_FACTS_BYTES = 16 * 1024 * 1024
MAX_FACTS_TOTAL_BYTES = 64 * 1024 * 1024
MAX_JSON_CONTAINERS = 1_000_000
MAX_MESSAGE = 300
MAX_DIRECTORY_ENTRIES = 10_000
# Facts older than this (seconds) are a member that did not report: a fact cache keeps a
# failed host's last good facts.  0 or None: no check.
DEFAULT_MAX_AGE = 900.0


@dataclass
class LoadedFacts:
    """A snapshot, and what the loading had to say about its input."""

    snapshot: dict
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _short(text, limit: int = MAX_MESSAGE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


class _Validators:
    """One validator per fact document kind, built once."""

    def __init__(self):
        topology = load_schema("mysql_topology.schema.json")
        self.replication = jsonschema.Draft202012Validator(load_schema("mysql_replication.schema.json"))
        self.unreachable = jsonschema.Draft202012Validator(
            topology["properties"]["members"]["additionalProperties"]["oneOf"][1])
        self.security = jsonschema.Draft202012Validator(load_schema("mysql_security.schema.json"))
        self.cluster = jsonschema.Draft202012Validator(topology["properties"]["cluster"])

    @staticmethod
    def problem(validator, document, where: str) -> str | None:
        # The first error, not the "best" one: best_match builds every error of a wide bad document.
        error = next(iter(validator.iter_errors(document)), None)
        if error is None:
            return None
        pointer = "/".join(str(p) for p in error.absolute_path)
        return f"{where}{'/' + pointer if pointer else ''}: {_short(error.message, 160)}"


class _Capped(list):
    """A list of messages that keeps the first ``limit`` and counts the rest."""

    def __init__(self, limit: int = 50):
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def append(self, item) -> None:
        if len(self) < self.limit:
            super().append(item)
        else:
            self.dropped += 1

    def closed(self) -> list[str]:
        return list(self) + ([f"... and {self.dropped} more like these"] if self.dropped else [])


def _collected_at(facts: dict) -> float:
    """When the facts were read (epoch seconds), or -inf when they do not say."""
    value = (facts.get("collection") or {}).get("collected_at") if isinstance(facts.get("collection"), dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("-inf")


class _Loader:
    def __init__(self, default_cluster: str, max_age: float | None = DEFAULT_MAX_AGE, now: float | None = None,
                 security_alone: bool = False):
        self.default_cluster = default_cluster
        # Reports: security facts of a server with no replication facts stand on their own.
        self.security_alone = security_alone
        self.max_age = max_age
        self.now = time.time() if now is None else now
        self.v = _Validators()
        self.clusters: dict = {}
        self.loose_members: list[tuple[str, str, dict]] = []   # (source, address, facts) without a topology
        self.loose_security: list[tuple[str, str, dict]] = []
        self.warnings: _Capped = _Capped()
        self.errors: _Capped = _Capped()
        self.bytes_left = MAX_FACTS_TOTAL_BYTES   # of all files read by this loader together
        self.stopped = False                       # past it: no further input is read

    def _cluster(self, name: str) -> dict:
        return self.clusters.setdefault(name, {"cluster": None, "members": {}, "security": {}})

    def member(self, facts, where: str) -> dict | None:
        """Checked member facts (reachable, or a record of how it failed), or None after an error."""
        if not isinstance(facts, dict):
            self.errors.append(f"{where}: expected an object of mysql_replication facts, got {type(facts).__name__}")
            return None
        if facts.get("reachable") is False:
            problem = self.v.problem(self.v.unreachable, facts, where)
        else:
            problem = self.v.problem(self.v.replication, facts, where)
        if problem:
            self.errors.append(f"{problem} (not usable as mysql_replication facts)")
            return None
        return facts

    def absorb(self, document, source: str, depth: int = 0) -> None:
        if not isinstance(document, dict):
            self.errors.append(f"{source}: expected a JSON object of facts, got {type(document).__name__}")
            return
        payload = document.get("__payload__")
        if isinstance(payload, str) and len(document) == 1 and depth < 2:
            # ansible-core >= 2.19 writes each fact-cache entry as {"__payload__": "<JSON text>"}.
            try:
                inner = json.loads(payload)
            except (ValueError, RecursionError) as exc:
                self.errors.append(f"{source}: fact-cache payload is not JSON ({_short(exc, 160)})")
                return
            self.absorb(inner, source, depth + 1)
            return
        if isinstance(document.get("results"), list) and depth == 0:  # a registered loop
            for index, item in enumerate(document["results"]):
                self.absorb(item, f"{source}: results[{index}]", depth + 1)
            return
        if document.get("skipped") is True and "ansible_facts" not in document:
            return  # a loop item or task skipped by `when:`: nothing was asked of the server
        if document.get("failed") or document.get("unreachable") is True:
            self._failed(document, source)
            return
        if "clusters" in document:
            self._snapshot(document["clusters"], source)
            return
        if "cluster" in document and "members" in document:
            self._topology(document, source)
            return
        facts = document.get("ansible_facts", document)
        if not isinstance(facts, dict):
            self.errors.append(f"{source}: ansible_facts is not an object")
            return
        found = False
        if "mysql_replication" in facts:
            found = True
            checked = self.member(facts["mysql_replication"], f"{source}: mysql_replication")
            if checked is not None:
                self.loose_members.append((source, checked["instance"], checked))
        if "mysql_security" in facts:
            found = True
            security = facts["mysql_security"]
            problem = self.v.problem(self.v.security, security, f"{source}: mysql_security")
            if problem:
                self.errors.append(f"{problem} (not usable as mysql_security facts)")
            else:
                self.loose_security.append((source, security["instance"], security))
        if not found and "instance" in facts and "channels" in facts:
            found = True
            checked = self.member(facts, source)
            if checked is not None:
                self.loose_members.append((source, checked["instance"], checked))
        if not found:
            self.errors.append(f"{source}: no mysql_replication, mysql_security or topology facts in this document")

    def _failed(self, document: dict, source: str) -> None:
        """A module that failed on a server: the server could not be read, which the analysis must know."""
        message = _short(document.get("msg") or "the task failed")
        instance = document.get("instance")
        how = document.get("reachability")
        if how not in REACHABILITY_KINDS:
            how = "error"  # it named its server and failed on it: a member that could not be read all the same
        if isinstance(instance, str) and 0 < len(instance) <= 300:
            errno = document.get("errno")
            record = {"instance": instance, "reachable": False, "reachability": how, "error": message,
                      "errno": errno if isinstance(errno, int) and not isinstance(errno, bool) else None}
            self.loose_members.append((source, instance, record))
            self.warnings.append(f"{source}: {instance} could not be read ({how}); counted as an unreachable member: {message}")
        else:
            self.errors.append(f"{source}: a failed task result that names no server (no instance/reachability): {message}")

    def _topology(self, document: dict, source: str) -> None:
        cluster, members = document["cluster"], document["members"]
        if not isinstance(cluster, dict) or not isinstance(members, dict):
            self.errors.append(f"{source}: cluster and members must be objects")
            return
        problem = self.v.problem(self.v.cluster, cluster, f"{source}: cluster")
        if problem:
            self.errors.append(f"{problem} (not usable as a topology_facts result)")
            return
        checked = {}
        for address, facts in members.items():
            facts = self.member(facts, f"{source}: members/{address}")
            if facts is not None:
                # A member that fails its schema is reported and left out; the verdict the topology
                # carries (made when its facts were read) still stands, so a page is never lost here.
                checked[address] = facts
        name = cluster.get("name") or self.default_cluster
        target = self._cluster(str(name))
        target["cluster"] = cluster
        target["members"].update(checked)

    def _snapshot(self, clusters, source: str) -> None:
        if not isinstance(clusters, dict):
            self.errors.append(f"{source}: clusters must be an object of cluster name -> facts")
            return
        for name, data in clusters.items():
            where = f"{source}: clusters/{name}"
            if not isinstance(data, dict) or not isinstance(data.get("members") or {}, dict) \
                    or not isinstance(data.get("security") or {}, dict):
                self.errors.append(f"{where}: expected {{cluster, members, security}} objects")
                continue
            if data.get("cluster") is not None:
                problem = self.v.problem(self.v.cluster, data["cluster"], f"{where}/cluster")
                if problem:
                    self.errors.append(problem)
                    continue
            members = {}
            for address, facts in (data.get("members") or {}).items():
                checked = self.member(facts, f"{where}/members/{address}")
                if checked is not None:
                    members[address] = checked
            target = self._cluster(str(name))
            target["cluster"] = data.get("cluster") or target["cluster"]
            target["members"].update(members)
            for address, security in (data.get("security") or {}).items():
                problem = self.v.problem(self.v.security, security, f"{where}/security/{address}")
                if problem:
                    self.errors.append(problem)
                else:
                    target["security"][address] = security

    def _age(self, facts: dict) -> float | None:
        collected = _collected_at(facts) if facts.get("reachable") else float("-inf")
        return None if collected == float("-inf") else self.now - collected

    def _expire_stale(self) -> None:
        """Facts older than max_age become members that did not report (and the cluster is analysed again)."""
        if not self.max_age:
            return
        for name, data in self.clusters.items():
            stale = {}
            for address, facts in data["members"].items():
                age = self._age(facts)
                if age is not None and age > self.max_age:
                    stale[address] = {"instance": address, "reachable": False, "reachability": "stale", "errno": None,
                                      "error": f"{address}: no fresh facts: last collected {age:.0f}s ago, "
                                               f"more than the max age of {self.max_age:.0f}s"}
                    self.warnings.append(f"{name}/{address}: facts are {age:.0f}s old (max age {self.max_age:.0f}s); "
                                         "counted as a member that did not report")
            if stale:
                known_primary = (data["cluster"] or {}).get("primary")
                data["members"].update(stale)
                data["cluster"] = analyze_cluster(data["members"], name=name, known_primary=known_primary)

    def _pick_loose_members(self) -> dict[str, tuple[str, dict]]:
        """One record per instance: a failure beats a success (pages rather than hides), else the newest."""
        chosen: dict[str, tuple[str, dict]] = {}
        for source, address, facts in self.loose_members:
            if address not in chosen:
                chosen[address] = (source, facts)
                continue
            old_source, old = chosen[address]
            if old.get("reachable") and not facts.get("reachable"):
                chosen[address] = (source, facts)
                self.warnings.append(f"{address}: {source} says it could not be read, {old_source} has its facts; "
                                     "counting it as not reachable")
            elif not old.get("reachable") and facts.get("reachable"):
                self.warnings.append(f"{address}: {old_source} says it could not be read, {source} has its facts; "
                                     "counting it as not reachable")
            elif facts.get("reachable") and _collected_at(facts) > _collected_at(old):
                chosen[address] = (source, facts)
                self.warnings.append(f"{address}: facts in {old_source} and {source}; using the newer, {source}")
            else:
                self.warnings.append(f"{address}: facts in {old_source} and {source}; using {old_source}")
        return chosen

    def finish(self) -> LoadedFacts:
        home = {address: name for name, data in self.clusters.items() for address in data["members"]}
        reanalyse = set()
        for address, (source, facts) in sorted(self._pick_loose_members().items()):
            name = home.get(address)
            if name is not None and self.clusters[name]["cluster"] is not None:
                if not facts.get("reachable") and self.clusters[name]["members"][address].get("reachable"):
                    # A later failure outranks what the topology saw: it joins, and the cluster is analysed again.
                    self.clusters[name]["members"][address] = facts
                    reanalyse.add(name)
                    self.warnings.append(f"{address}: {source} says it could not be read; it replaces the "
                                         f"topology's view of it and {name} is analysed again")
                continue  # otherwise the topology result already holds this member, as its analysis saw it
            name = name or self.default_cluster
            self._cluster(name)["members"][address] = facts
            home[address] = name
        for name in reanalyse:
            data = self.clusters[name]
            data["cluster"] = analyze_cluster(data["members"], name=name, known_primary=data["cluster"].get("primary"))
        for source, address, security in self.loose_security:
            if address not in home and self.security_alone:
                self._cluster(self.default_cluster)["security"][address] = security
                continue
            if address not in home:
                self.errors.append(f"{source}: mysql_security facts of {address} match no member of any cluster; "
                                   "pass its replication_facts or topology_facts result too")
                continue
            self.clusters[home[address]]["security"][address] = security
        for name, data in self.clusters.items():
            if data["cluster"] is None:
                data["cluster"] = analyze_cluster(data["members"], name=name)
        self._expire_stale()
        if self.security_alone:
            if not any(data["members"] or data["security"] for data in self.clusters.values()):
                self.errors.append("no facts to report on: every input was unusable")
        elif not any(data["members"] for data in self.clusters.values()):
            self.errors.append("no member facts to evaluate: every input was unusable or held security facts only")
        return LoadedFacts({"clusters": self.clusters}, self.warnings.closed(), self.errors.closed())


def facts_from_documents(documents: list, default_cluster: str = "default",
                         max_age: float | None = DEFAULT_MAX_AGE, security_alone: bool = False) -> LoadedFacts:
    """Facts already in memory (registered module results, ansible_facts), loaded as from files."""
    loader = _Loader(default_cluster, max_age, security_alone=security_alone)
    for index, document in enumerate(documents):
        loader.absorb(document, f"facts[{index}]")
    return loader.finish()


_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonFileError(ValueError):
    """A JSON input that is not used; the message says why (the caller names the file)."""


class _NotRegular(JsonFileError):
    pass


class JsonTooLarge(JsonFileError):
    def __init__(self, size: int, exact: bool = True):
        super().__init__(f"{size} bytes" if exact else f"more than {size} bytes")
        self.size = size


def read_bounded(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of a regular file (JsonFileError past it, or for a FIFO or device,
    which is never read)."""
    try:
        return read_regular_file(path, limit)
    except NotRegularFile as exc:
        raise _NotRegular(str(exc)) from None
    except FileTooLarge as exc:
        raise (JsonTooLarge(exc.size) if exc.exact else JsonTooLarge(exc.limit, exact=False)) from None


def parse_json_bounded(data: bytes):
    """JSON text parsed within MAX_JSON_CONTAINERS lists and objects (counted before parsing:
    brackets inside strings count too, which only errs on the safe side); JsonFileError says why not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFileError(f"not UTF-8 text (byte {exc.start})") from None
    containers = text.count("[") + text.count("{")
    if containers > MAX_JSON_CONTAINERS:
        raise JsonFileError(f"{containers} '[' and '{{' (JSON lists and objects); a JSON input is limited to "
                            f"{MAX_JSON_CONTAINERS}")
    try:
        document = json.loads(text)
        if _LONE_SURROGATE.search(text):
            json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonFileError("contains a lone surrogate escape (\\udXXX), which is not text") from None
    except RecursionError:
        raise JsonFileError("JSON nested too deeply") from None
    except MemoryError:
        raise JsonFileError("too large to load in memory") from None
    return document


def _read_json(path: Path, loader: _Loader, in_directory: bool = False) -> None:
    limit = min(MAX_FACTS_BYTES, loader.bytes_left)
    try:
        data = read_bounded(path, limit)
        loader.bytes_left -= len(data)
        document = parse_json_bounded(data)
    except _NotRegular as exc:
        loader.errors.append(f"{path}: {exc}; facts are read from regular files only")
        return
    except JsonTooLarge as exc:
        if limit < MAX_FACTS_BYTES and exc.size <= MAX_FACTS_BYTES:
            loader.errors.append(f"{path}: {exc}; all facts inputs of one run are limited to {MAX_FACTS_TOTAL_BYTES} "
                                 "bytes together; not read, nor any input after it")
            loader.stopped = True
        else:
            loader.errors.append(f"{path}: {exc}; a facts file is limited to {MAX_FACTS_BYTES}")
        return
    except JsonFileError as exc:
        loader.errors.append(f"{path}: {exc}")
        return
    except ValueError as exc:  # JSONDecodeError, and integers past Python's digit limit
        loader.errors.append(f"{path}: not JSON facts ({_short(exc, 160)})")
        return
    except OSError as exc:
        if in_directory and not path.exists():
            loader.errors.append(f"{path}: a dangling symbolic link")
        else:
            loader.errors.append(f"{path}: cannot read: {exc.strerror or exc}")
        return
    try:
        loader.absorb(document, str(path))
    except (MemoryError, RecursionError):
        loader.errors.append(f"{path}: too large or too deep to use as facts")


def load_facts(paths: list[str], default_cluster: str = "default", max_age: float | None = DEFAULT_MAX_AGE,
               now: float | None = None, security_alone: bool = False) -> LoadedFacts:
    """Facts from files and fact-cache directories; unusable files are listed in ``errors``."""
    loader = _Loader(default_cluster, max_age, now, security_alone=security_alone)
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                children = sorted(path.iterdir())
                if len(children) > MAX_DIRECTORY_ENTRIES:
                    loader.errors.append(f"{path}: {len(children)} entries; a facts directory is read up to "
                                         f"{MAX_DIRECTORY_ENTRIES}")
                    children = children[:MAX_DIRECTORY_ENTRIES]
                for child in children:
                    if loader.stopped:
                        break
                    if not child.name.startswith("."):
                        _read_json(child, loader, in_directory=True)
            elif loader.stopped:
                break
            elif path.exists() or path.is_symlink():
                _read_json(path, loader)
            else:
                loader.errors.append(f"{_short(raw, 200)}: no such facts file or directory")
        except OSError as exc:
            loader.errors.append(f"{_short(raw, 200)}: cannot read: {exc.strerror or exc}")
    return loader.finish()
