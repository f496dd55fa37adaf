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


class RuleSetError(Exception):
    """A rule set that does not load; ``errors`` lists every ``file:line: message``."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


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
    """Rule files under ``paths`` (sorted; ``.git`` and hidden entries skipped)."""
    files, errors = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files.append(path)
            continue
        if not path.is_dir():
            errors.append(f"{raw}:0: no such rule file or directory")
            continue
        seen = set()
        for root, dirs, names in os.walk(path, followlinks=True):
            real = os.path.realpath(root)
            if real in seen:  # a symlink loop: each directory once
                dirs[:] = []
                errors.append(f"{root}:0: directory seen before (symlink loop?); skipped")
                continue
            seen.add(real)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files.extend(Path(root) / n for n in sorted(names) if n.endswith(RULE_SUFFIXES) and not n.startswith("."))
    return files, errors


def _line_of(node: yaml.Node | None, path: list) -> int:
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


def _read(path: Path, errors: list[str]) -> tuple[dict | None, yaml.Node | None, bytes]:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            errors.append(f"{path}:0: file is {size} bytes; rule files are limited to {MAX_FILE_BYTES}")
            return None, None, b""
        data = path.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(f"{path}:0: not UTF-8 text (byte {exc.start})")
        return None, None, b""
    except OSError as exc:
        errors.append(f"{path}:0: cannot read: {exc.strerror}")
        return None, None, b""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        errors.append(f"{path}:{line}: YAML error: {getattr(exc, 'problem', None) or exc}")
        return None, None, data
    return document, node, data


def load_rule_set(paths: list[str]) -> RuleSet:
    """Load and check every rule file under ``paths``; RuleSetError lists all errors."""
    files, errors = rule_files(paths)
    validator = jsonschema.Draft202012Validator(RULE_SCHEMA)
    rules: list[Rule] = []
    first_seen: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in files:
        document, node, data = _read(path, errors)
        digest.update(str(path).encode() + b"\0" + data)
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
                extra = sorted(k for k in error.instance if k not in allowed)
                if extra:
                    where = where + [extra[0]]
            field_name = ".".join(str(p) for p in where[2:]) or "rule"
            errors.append(f"{path}:{_line_of(node, where)}: {field_name}: {error.message}")
        if not isinstance(document, dict) or not isinstance(document.get("rules"), list):
            continue
        for index, raw in enumerate(document["rules"]):
            if index in bad_rules or not isinstance(raw, dict):
                continue
            line = _line_of(node, ["rules", index])
            source = f"{path}:{line}"
            rule_id = raw["id"]
            if rule_id in first_seen:
                errors.append(f"{source}: duplicate rule id {rule_id!r} (first defined at {first_seen[rule_id]})")
                continue
            first_seen[rule_id] = source
            try:
                for_seconds = parse_duration(raw.get("for", 0))
            except ValueError as exc:
                errors.append(f"{path}:{_line_of(node, ['rules', index, 'for'])}: {rule_id}: {exc}")
                continue
            compiled = {}
            for key, compiler in (("when", compile_expression), ("summary", compile_template),
                                  ("remediation", compile_template)):
                if key not in raw:
                    continue
                try:
                    compiled[key] = compiler(raw[key], raw["scope"])
                except ExpressionError as exc:
                    errors.append(f"{path}:{_line_of(node, ['rules', index, key])}: {rule_id}.{key}: {exc}")
            severity_if = []
            for tier, text in sorted((raw.get("severity_if") or {}).items()):
                try:
                    severity_if.append((tier, compile_expression(text, raw["scope"])))
                except ExpressionError as exc:
                    errors.append(f"{path}:{_line_of(node, ['rules', index, 'severity_if', tier])}: "
                                  f"{rule_id}.severity_if.{tier}: {exc}")
            if len(compiled) < 2 + ("remediation" in raw) or len(severity_if) < len(raw.get("severity_if") or {}):
                continue
            rules.append(Rule(id=rule_id, scope=raw["scope"], when=compiled["when"], for_seconds=for_seconds,
                              severity=raw["severity"], summary=compiled["summary"],
                              remediation=compiled.get("remediation"),
                              labels=MappingProxyType(dict(raw.get("labels") or {})), source=source,
                              severity_if=tuple(severity_if)))
    if errors:
        raise RuleSetError(errors)
    by_scope = {scope: tuple(r for r in rules if r.scope == scope) for scope in SCOPES}
    return RuleSet(rules=tuple(rules), files=tuple(str(f) for f in files), checksum=digest.hexdigest(),
                   by_scope=MappingProxyType(by_scope))
