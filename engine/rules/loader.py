"""Load a rule set: every file, every rule, validated in one pass.

Errors are ``file:line: message``, all of them at once; a set with any error is
not loaded (``RuleSetError``), so a caller can keep its last good set.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import jsonschema
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:  # libyaml parses events some 20 times faster; composing stays in Python, where it is counted
    from yaml.cyaml import CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

from ansible_collections.dbaops.mysql_ha.engine.bounded_read import FileTooLarge, NotRegularFile, read_regular_file
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
MAX_YAML_NODES = 200_000  # per file: counted while composing, and again after expanding aliases
# The whole rule set, every pack and every file given by itself together: what one load may cost.
MAX_RULE_SET_BYTES = 16 * 1024 * 1024
MAX_RULE_SET_NODES = 500_000    # YAML nodes, aliases expanded (a rule is about 20)
MAX_RULES = 10_000
MAX_RULE_SET_SYNTAX_NODES = 1_000_000   # of every when and severity_if (a rule's condition is 400 at most)


class RuleSetError(Exception):
    """A rule set that does not load; ``errors`` lists every ``file:line: message``, each cut
    at 300 characters, and errors of one kind past the fifth summarised in one line."""

    def __init__(self, errors: list[str]):
        self.count = len(errors)          # every error, also those summarised
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
            if not exists:
                errors.append(f"{raw}:0: no such rule file or directory")
            elif len(files) >= MAX_RULE_FILES:  # files given one by one count like those of a directory
                errors.append(f"{raw}:0: more than {MAX_RULE_FILES} rule files in all; not read")
                return files, errors
            else:
                files.append(path)  # _read refuses what is not a regular file
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


@dataclass
class Totals:
    """What is left for the rest of one rule set, shared by its files (MAX_RULE_SET_*)."""

    bytes_left: int
    nodes_left: int
    rules_left: int
    syntax_nodes_left: int = 0


class _Bounds:
    """Nesting depth, aliases and nodes, counted while composing: a limit stops the parse where
    it is passed, before PyYAML's own recursion, an alias expansion or a huge flow list runs on."""

    def _start_bounds(self) -> None:
        self._depth = 0
        self._aliases = 0
        self.nodes = 0
        self.max_nodes = MAX_YAML_NODES
        self.node_limit_problem = (f"more than {MAX_YAML_NODES} YAML nodes (values, lists and mappings); rule files "
                                   "are limited to that")

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.MarkedYAMLError(problem=f"more than {MAX_YAML_ALIASES} aliases (*name); rule files are "
                                                   "limited to that", problem_mark=self.peek_event().start_mark)
        else:
            self.nodes += 1
            if self.nodes > self.max_nodes:
                raise yaml.MarkedYAMLError(problem=self.node_limit_problem, problem_mark=self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_YAML_DEPTH} levels deep",
                                           problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class _BoundedLoader(_Bounds, yaml.SafeLoader):
    """PyYAML's safe loader, bounded while composing (_Bounds)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._start_bounds()


if CParser is not None:
    class _FastBoundedLoader(_Bounds, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
        """libyaml's event parser under PyYAML's composer and safe constructor, bounded (_Bounds)."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._start_bounds()

    BoundedLoader: type = _FastBoundedLoader
else:  # pragma: no cover
    BoundedLoader = _BoundedLoader


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
        total = 1 + sum(sizes[id(c)] for c in _children(current))
        sizes[id(current)] = min(total, max(MAX_YAML_NODES, MAX_RULE_SET_NODES) * 10)
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


def read_rule_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most ``limit``, its size checked before reading; a FIFO or
    device is never read."""
    try:
        return read_regular_file(path, limit)
    except NotRegularFile:
        raise _NotRegular() from None
    except FileTooLarge as exc:
        raise _TooLarge(exc.size) from None


def read_yaml(path: Path, errors: list[str], totals: Totals | None = None
              ) -> tuple[dict | None, yaml.Node | None, bytes]:
    """The document, its node and its bytes (None, None, bytes after an error in ``errors``).

    ``totals``: what the rule set this file belongs to has left; it is charged the file's
    bytes and nodes, and a file past it is an error that says so."""
    try:
        data = read_rule_file(path, MAX_FILE_BYTES if totals is None else min(MAX_FILE_BYTES, totals.bytes_left))
        text = data.decode("utf-8")
    except _NotRegular:
        errors.append(f"{path}:0: not a regular file (a FIFO, socket, device or directory); not read")
        return None, None, b""
    except _TooLarge as exc:
        if exc.size > MAX_FILE_BYTES:
            errors.append(f"{path}:0: file is {exc.size} bytes; rule files are limited to {MAX_FILE_BYTES}")
        else:
            errors.append(f"{path}:0: the rule set would pass {MAX_RULE_SET_BYTES} bytes of rule text in all with "
                          "this file; not read (is every --rules path a rule pack?)")
        if totals is not None and exc.size <= MAX_FILE_BYTES:
            totals.bytes_left = 0   # the rule set is spent: the caller reads no further file
        return None, None, b""
    except UnicodeDecodeError as exc:
        errors.append(f"{path}:0: not UTF-8 text (byte {exc.start})")
        return None, None, b""
    except OSError as exc:
        errors.append(f"{path}:0: cannot read: {exc.strerror or exc}")
        return None, None, b""
    if totals is not None:
        totals.bytes_left -= len(data)
    try:
        loader = BoundedLoader(text)
    except yaml.YAMLError as exc:   # the reader refuses the text itself: a NUL or another control character
        errors.append(f"{path}:0: YAML error: {str(exc)[:200]}")
        return None, None, data
    if totals is not None and totals.nodes_left < MAX_YAML_NODES:
        loader.max_nodes = max(totals.nodes_left, 0)
        loader.node_limit_problem = (f"the rule set passes {MAX_RULE_SET_NODES} YAML nodes in all here; not read "
                                     "further (is every --rules path a rule pack?)")
    try:
        node = loader.get_single_node()
        expanded = _expanded_size(node) if node is not None else 0
        if expanded > MAX_YAML_NODES:  # composed, it has at most that many: aliases did it
            errors.append(f"{path}:0: YAML error: its aliases expand it past {MAX_YAML_NODES} nodes")
            return None, None, data
        if totals is not None:
            if expanded > totals.nodes_left:
                errors.append(f"{path}:0: YAML error: its aliases take the rule set past {MAX_RULE_SET_NODES} "
                              "YAML nodes in all")
                totals.nodes_left = 0
                return None, None, data
            totals.nodes_left -= expanded
        document = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        errors.append(f"{path}:{line}: YAML error: {getattr(exc, 'problem', None) or exc}")
        if totals is not None and loader.nodes > loader.max_nodes:
            totals.nodes_left -= loader.nodes
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
    giving = set(pack_index)
    first_mention: dict[str, int] = {}
    for index, p in enumerate(packs):
        first_mention.setdefault(os.path.realpath(p) if p else "", index)
    # Past MAX_RULE_FILES the packs after the last one read were not looked at: not "empty".
    last_read = max(giving, default=-1) if len(files) >= MAX_RULE_FILES else len(packs)
    errors += [f"{p or repr(p)}:0: no rule file (*.yml, *.yaml) in this pack; nothing would be evaluated"
               for index, p in enumerate(packs)
               if index <= last_read and (not p or (os.path.exists(p) and index not in giving
                                                    and first_mention[os.path.realpath(p)] == index))]
    validator = jsonschema.Draft202012Validator(RULE_SCHEMA)
    rules: list[Rule] = []
    position: dict[str, int] = {}   # rule id -> its index in ``rules``
    first_seen: dict[str, str] = {}
    first_pack: dict[str, int] = {}
    digest = hashlib.sha256()
    totals = Totals(bytes_left=MAX_RULE_SET_BYTES, nodes_left=MAX_RULE_SET_NODES, rules_left=MAX_RULES,
                    syntax_nodes_left=MAX_RULE_SET_SYNTAX_NODES)
    for path, pack in zip(files, pack_index):
        if totals.bytes_left <= 0 or totals.nodes_left <= 0 or totals.rules_left < 0 or totals.syntax_nodes_left < 0:
            break   # the error that spent the rule set is in ``errors``; reading on would only cost
        document, node, data = read_yaml(path, errors, totals)
        digest.update(os.fsencode(path) + b"\0" + data)
        if document is None and node is None:
            continue
        if document is None:
            document = {"rules": []}
        if isinstance(document, dict) and isinstance(document.get("rules"), list):
            totals.rules_left -= len(document["rules"])
            if totals.rules_left < 0:
                errors.append(f"{path}:0: the rule set passes {MAX_RULES} rules in all with this file; not read "
                              "further (is every --rules path a rule pack?)")
                break
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
            severity_if: list[tuple[str, Expression | None]] = []
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
            conditions = [compiled["when"], *(c for _tier, c in severity_if if c is not None)]
            totals.syntax_nodes_left -= sum(c.nodes for c in conditions)
            if totals.syntax_nodes_left < 0:
                errors.append(f"{source}: {rule_id}: the rule set passes {MAX_RULE_SET_SYNTAX_NODES} syntax nodes of "
                              "conditions (when, severity_if) in all here; not read further")
                break
            rule = Rule(id=rule_id, scope=raw["scope"], when=compiled["when"], for_seconds=for_seconds,
                        severity=raw["severity"], summary=compiled["summary"],
                        remediation=compiled.get("remediation"),
                        labels=MappingProxyType(dict(raw.get("labels") or {})), source=source,
                        severity_if=tuple(severity_if))
            if raw.get("override") and rule_id in position:
                rules[position[rule_id]] = rule
            else:
                position[rule_id] = len(rules)
                rules.append(rule)
    if errors:
        raise RuleSetError(errors)
    by_scope = {scope: tuple(r for r in rules if r.scope == scope) for scope in SCOPES}
    return RuleSet(rules=tuple(rules), files=tuple(str(f) for f in files), checksum=digest.hexdigest(),
                   by_scope=MappingProxyType(by_scope))
