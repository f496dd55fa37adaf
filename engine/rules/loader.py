"""Load a rule set: every file, every rule, validated in one pass.

Errors are ``file:line: message``, all of them at once; a set with any error is
not loaded (``RuleSetError``), so a caller can keep its last good set.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import jsonschema
import yaml

from ansible_collections.dbaops.mysql_ha.engine.rules.expr import (
    Expression,
    ExpressionError,
    Template,
    compile_expression,
    compile_template,
)
from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema

RULE_SCHEMA = load_schema("rule.schema.json")
# The default pack shipped with the package (the repository's rules/).
PACKAGED_RULES = Path(__file__).resolve().parents[2] / "rules"
MAX_FILE_BYTES = 1024 * 1024
RULE_SUFFIXES = (".yml", ".yaml")
SCOPES = ("instance", "channel", "cluster", "member")
_DURATION_RE = re.compile(r"^([0-9]+)(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}


MAX_ERROR_CHARS = 300
SAME_KIND_SHOWN = 5
MAX_RULE_FILES = 2000
MAX_WALK_DEPTH = 16
MAX_YAML_DEPTH = 64
MAX_YAML_ALIASES = 100
MAX_YAML_NODES = 200_000  # after expanding aliases


class RuleSetError(Exception):
    """A rule set that does not load; ``errors`` lists every ``file:line: message``, each cut
    at 300 characters, and errors of one kind past the fifth summarised in one line."""

    def __init__(self, errors: list[str]):
        self.errors = summarise(errors)
        super().__init__("\n".join(self.errors))


def _kind(message: str) -> str:
    """An error with its file, line, quoted values and numbers taken out: its kind."""
    text = message.split(": ", 1)[1] if ": " in message else message
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", text)[:120]


_LOCATED = re.compile(r"^(.*?):(\d+)(?::\d+)?: ")


def _location(error: str) -> tuple:
    """Sort key: file, then line as a number; errors without a line after their file's."""
    match = _LOCATED.match(error)
    return (match.group(1), 0, int(match.group(2))) if match else (error.split(": ", 1)[0], 1, 0)


def summarise(errors: list[str]) -> list[str]:
    shown: list[str] = []
    counts: dict[str, int] = {}
    for error in sorted(errors, key=_location):
        error = error if len(error) <= MAX_ERROR_CHARS else error[:MAX_ERROR_CHARS - 3] + "..."
        kind = _kind(error)
        counts[kind] = counts.get(kind, 0) + 1
        if counts[kind] <= SAME_KIND_SHOWN:
            shown.append(error)
    for kind, count in counts.items():
        if count > SAME_KIND_SHOWN:
            shown.append(f"... and {count - SAME_KIND_SHOWN} more errors like: {kind[:100]}")
    return shown


@dataclass(frozen=True)
class Rule:
    id: str
    scope: str
    when: Expression
    for_seconds: float
    severity: str
    summary: Template
    remediation: Template | None
    labels: MappingProxyType
    source: str
    # (tier, condition), most severe first: the first that holds replaces ``severity``.
    severity_if: tuple[tuple[str, Expression], ...] = ()


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    files: tuple[str, ...]
    checksum: str
    by_scope: MappingProxyType


def parse_duration(value) -> float:
    match = _DURATION_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"bad duration {value!r}; use a number with ms, s, m or h")
    return int(match.group(1)) * _UNITS[match.group(2)]


def rule_files(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Rule files under ``paths`` (sorted; ``.git`` and hidden entries skipped), at most
    MAX_RULE_FILES files and MAX_WALK_DEPTH directories deep.  Nothing is opened here."""
    files: list[Path] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        try:
            is_dir = path.is_dir()
            exists = path.exists() or path.is_symlink()
        except OSError as exc:
            errors.append(f"{raw}:0: cannot read: {exc.strerror or exc}")
            continue
        if not is_dir:
            if exists:
                files.append(path)  # _read refuses what is not a regular file
            else:
                errors.append(f"{raw}:0: no such rule file or directory")
            continue
        seen = set()
        base_depth = len(path.parts)
        for root, dirs, names in os.walk(path, followlinks=True):
            real = os.path.realpath(root)
            if real in seen:  # a symlink loop: each directory once
                dirs[:] = []
                errors.append(f"{root}:0: directory seen before (symlink loop?); skipped")
                continue
            seen.add(real)
            if len(Path(root).parts) - base_depth >= MAX_WALK_DEPTH:
                dirs[:] = []
                errors.append(f"{root}:0: more than {MAX_WALK_DEPTH} directories deep; not read further")
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files.extend(Path(root) / n for n in sorted(names) if n.endswith(RULE_SUFFIXES) and not n.startswith("."))
            if len(files) > MAX_RULE_FILES:
                errors.append(f"{raw}:0: more than {MAX_RULE_FILES} rule files; is this the rule directory?")
                return files[:MAX_RULE_FILES], errors
    return files, errors


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting-depth and an alias limit, checked while composing
    (before PyYAML's own recursion or an alias expansion can run away)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.MarkedYAMLError(problem=f"more than {MAX_YAML_ALIASES} aliases (*name); rule files are "
                                                   "limited to that", problem_mark=self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_YAML_DEPTH} levels deep",
                                           problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(node: yaml.Node) -> int:
    """Nodes the document has once every alias is expanded (shared nodes counted per use)."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack = [node]
    while stack:  # every node once, without recursion; then children before parents
        current = stack.pop()
        if id(current) in sizes:
            continue
        sizes[id(current)] = 1
        order.append(current)
        stack.extend(_children(current))
    for current in reversed(order):
        sizes[id(current)] = min(1 + sum(sizes[id(c)] for c in _children(current)), MAX_YAML_NODES * 10)
    return sizes[id(node)]


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def line_of(node: yaml.Node | None, path: list) -> int:
    """Line of the YAML node at ``path`` (keys and indexes), or of its nearest parent."""
    line = node.start_mark.line + 1 if node is not None else 0
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == part), None)
            if found is None:
                return line
            line = found[0].start_mark.line + 1
            node = found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class _NotRegular(Exception):
    pass


class _TooLarge(Exception):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def read_rule_file(path: Path) -> bytes:
    """A regular file's bytes, its size checked before reading; a FIFO or device is never read."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise _NotRegular()
    if info.st_size > MAX_FILE_BYTES:
        raise _TooLarge(info.st_size)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # no wait, should the path turn into a FIFO meanwhile
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular()
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise _TooLarge(size)
    return b"".join(chunks)


def read_yaml(path: Path, errors: list[str]) -> tuple[dict | None, yaml.Node | None, bytes]:
    try:
        data = read_rule_file(path)
        text = data.decode("utf-8")
    except _NotRegular:
        errors.append(f"{path}:0: not a regular file (a FIFO, socket, device or directory); not read")
        return None, None, b""
    except _TooLarge as exc:
        errors.append(f"{path}:0: file is {exc.size} bytes; rule files are limited to {MAX_FILE_BYTES}")
        return None, None, b""
    except UnicodeDecodeError as exc:
        errors.append(f"{path}:0: not UTF-8 text (byte {exc.start})")
        return None, None, b""
    except OSError as exc:
        errors.append(f"{path}:0: cannot read: {exc.strerror or exc}")
        return None, None, b""
    try:
        loader = _BoundedLoader(text)
    except yaml.YAMLError as exc:   # the reader refuses the text itself: a NUL or another control character
        errors.append(f"{path}:0: YAML error: {str(exc)[:200]}")
        return None, None, data
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_NODES:
            errors.append(f"{path}:0: YAML error: its aliases expand it past {MAX_YAML_NODES} nodes")
            return None, None, data
        document = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        errors.append(f"{path}:{line}: YAML error: {getattr(exc, 'problem', None) or exc}")
        return None, None, data
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a date 2001-13-45, a 5000-digit int
        errors.append(f"{path}:0: YAML error: {type(exc).__name__}: {str(exc)[:200]}")
        return None, None, data
    finally:
        loader.dispose()
    return document, node, data


PACK_NAMES = ("@default", "default")


def resolve_pack(path: str) -> str:
    """``@default`` (or ``default`` when no such file or directory is here) is the rule pack
    shipped with this package, wherever it is installed; any other path is itself."""
    if path == "@default" or (path == "default" and not os.path.lexists(path)):
        return str(PACKAGED_RULES)
    return path


def _pack_indexes(files: list[Path], packs: list[str]) -> list[int]:
    """For each file, the index of the first pack (a file, or a directory) it was found in; -1 if none."""
    first: dict[str, int] = {}
    for index, pack in enumerate(packs):
        first.setdefault(os.path.realpath(pack) if pack else "", index)
    found = []
    for path in files:
        real = Path(os.path.realpath(path))
        found.append(next((first[str(p)] for p in (real, *real.parents) if str(p) in first), -1))
    return found


def load_rule_set(paths: list[str]) -> RuleSet:
    """Load and check every rule file under ``paths``, in order; RuleSetError lists all errors.

    Packs layer: a rule whose id an earlier file defined is an error, unless it says
    ``override: true``, which replaces the earlier rule in place."""
    packs = [resolve_pack(p) for p in paths]
    files, errors = rule_files([p for p in packs if p])
    pack_index = _pack_indexes(files, packs)
    # A pack that gives no rule file is a wrong path or a failed checkout: never a green gate.
    # (A pack given twice gives its files to the first mention; the duplicate ids say the rest.)
    giving, real = set(pack_index), [os.path.realpath(p) if p else "" for p in packs]
    errors += [f"{p or repr(p)}:0: no rule file (*.yml, *.yaml) in this pack; nothing would be evaluated"
               for index, p in enumerate(packs)
               if not p or (os.path.exists(p) and index not in giving and real.index(real[index]) == index)]
    validator = jsonschema.Draft202012Validator(RULE_SCHEMA)
    rules: list[Rule] = []
    first_seen: dict[str, str] = {}
    first_pack: dict[str, int] = {}
    digest = hashlib.sha256()
    for path, pack in zip(files, pack_index):
        document, node, data = read_yaml(path, errors)
        digest.update(os.fsencode(path) + b"\0" + data)
        if document is None and node is None:
            continue
        if document is None:
            document = {"rules": []}
        schema_errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        bad_rules = set()
        for error in schema_errors:
            where = list(error.absolute_path)
            if len(where) >= 2 and where[0] == "rules":
                bad_rules.add(where[1])
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                # Point at the unexpected key itself, not at the rule that holds it.
                allowed = set(error.schema.get("properties", {}))
                extra = sorted((k for k in error.instance if k not in allowed), key=str)
                if extra:
                    where = where + [extra[0]]
            field_name = ".".join(str(p) for p in where[2:]) or "rule"
            errors.append(f"{path}:{line_of(node, where)}: {field_name}: {error.message}")
        if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
            continue
        for index, raw in enumerate(document["rules"]):
            if index in bad_rules or not isinstance(raw, dict):
                continue
            line = line_of(node, ["rules", index])
            source = f"{path}:{line}"
            rule_id = raw["id"]
            if rule_id in first_seen and not raw.get("override"):
                errors.append(f"{source}: duplicate rule id {rule_id!r} (first defined at {first_seen[rule_id]}); "
                              "a later pack replaces a rule with override: true")
                continue
            if raw.get("override") and rule_id not in first_seen:
                errors.append(f"{source}: {rule_id}: override: true, but no earlier rule has this id (the packs are "
                              "read in the order given: the pack it overrides comes first)")
                continue
            if raw.get("override") and first_pack.get(rule_id) == pack:
                errors.append(f"{source}: {rule_id}: override: true replaces a rule of an earlier pack, but this id is "
                              f"defined in the same pack at {first_seen[rule_id]}; keep one of them")
                continue
            first_seen[rule_id] = source
            first_pack[rule_id] = pack
            try:
                for_seconds = parse_duration(raw.get("for", 0))
            except ValueError as exc:
                errors.append(f"{path}:{line_of(node, ['rules', index, 'for'])}: {rule_id}: {exc}")
                continue
            compiled = {}
            for key, compiler in (("when", compile_expression), ("summary", compile_template),
                                  ("remediation", compile_template)):
                if key not in raw:
                    continue
                try:
                    compiled[key] = compiler(raw[key], raw["scope"])
                except ExpressionError as exc:
                    errors.append(f"{path}:{line_of(node, ['rules', index, key])}: {rule_id}.{key}: {exc}")
            severity_if = []
            for tier, text in sorted((raw.get("severity_if") or {}).items()):
                if tier >= raw["severity"]:
                    errors.append(f"{path}:{line_of(node, ['rules', index, 'severity_if', tier])}: "
                                  f"{rule_id}.severity_if.{tier}: not more severe than severity {raw['severity']}; "
                                  "it could never apply")
                    severity_if.append((tier, None))
                    continue
                try:
                    severity_if.append((tier, compile_expression(text, raw["scope"])))
                except ExpressionError as exc:
                    errors.append(f"{path}:{line_of(node, ['rules', index, 'severity_if', tier])}: "
                                  f"{rule_id}.severity_if.{tier}: {exc}")
            if len(compiled) < 2 + ("remediation" in raw) or len(severity_if) < len(raw.get("severity_if") or {}) \
                    or any(condition is None for _tier, condition in severity_if):
                continue
            rule = Rule(id=rule_id, scope=raw["scope"], when=compiled["when"], for_seconds=for_seconds,
                        severity=raw["severity"], summary=compiled["summary"],
                        remediation=compiled.get("remediation"),
                        labels=MappingProxyType(dict(raw.get("labels") or {})), source=source,
                        severity_if=tuple(severity_if))
            replaced = [i for i, r in enumerate(rules) if r.id == rule_id] if raw.get("override") else []
            if replaced:
                rules[replaced[0]] = rule
            else:
                rules.append(rule)
    if errors:
        raise RuleSetError(errors)
    by_scope = {scope: tuple(r for r in rules if r.scope == scope) for scope in SCOPES}
    return RuleSet(rules=tuple(rules), files=tuple(str(f) for f in files), checksum=digest.hexdigest(),
                   by_scope=MappingProxyType(by_scope))
