"""Rule expressions and templates: parsed and checked once, evaluated with simpleeval.

Semantics a rule author can rely on:

* ``a.b`` reads key ``b`` of fact ``a``; unknown names and fields are refused at load.
* Null (unknown, e.g. ``seconds_behind_source`` while the SQL thread is stopped):
  ``<``, ``<=``, ``>``, ``>=`` with a null side are false, like SQL's unknown, so
  ``channel.seconds_behind_source > 30`` never fires on an unknown lag; ``== None`` /
  ``is_null(x)`` test for it; ``coalesce(x, default)`` replaces it. Arithmetic on null
  is an evaluation error for that target (reported, the other rules go on).
* Budget: at most 4096 characters and 400 syntax nodes per expression, no method
  calls, and no constant sub-expression over the evaluation budget (checked at load);
  at run time every operation that grows a value is bounded before it runs, and an
  evaluation has a time cap (engine/rules/budget.py).  Dunder/private attributes never.
* Templates: format specs are plain (``{x:>10}``) with widths up to 1000, checked at load;
  a rendered summary or remediation is cut at 4096 characters.
"""
from __future__ import annotations

import ast
import operator
import string
from dataclasses import dataclass

import simpleeval

from ansible_collections.dbaops.mysql_ha.engine.rules.budget import (
    BoundedEvaluator,
    BudgetExceeded,
    check_format_spec,
    nested_size,
)
from ansible_collections.dbaops.mysql_ha.engine.rules.fact_names import check_path

MAX_EXPRESSION_CHARS = 4096
MAX_NODES = 400
MAX_RENDERED_CHARS = 4096
# Time a constant sub-expression may take to evaluate at load.
CONSTANT_CHECK_SECONDS = 0.2


class ExpressionError(ValueError):
    """An expression or template that cannot be loaded; the message says why."""


def _null_safe(compare):
    def wrapped(a, b):
        if a is None or b is None:
            return False
        return compare(a, b)
    return wrapped


def _coalesce(*values):
    for value in values:
        if value is not None:
            return value
    return None


FUNCTIONS = {
    "len": len, "any": any, "all": all, "min": min, "max": max, "sum": sum, "abs": abs, "round": round,
    "int": int, "float": float, "str": str, "bool": bool, "sorted": sorted,
    "lower": lambda s: s.lower() if isinstance(s, str) else s,
    "upper": lambda s: s.upper() if isinstance(s, str) else s,
    "startswith": lambda s, prefix: isinstance(s, str) and s.startswith(prefix),
    "contains": lambda container, item: container is not None and item in container,
    "coalesce": _coalesce,
    "is_null": lambda value: value is None,
}
# Signature and meaning of each function, for docs/reference/rules.md (a test keeps both lists equal).
FUNCTION_DOCS = {
    "len": ("len(collection) -> int", "items of a list, keys of a mapping, characters of a string"),
    "any": ("any(iterable) -> bool", "true when one item is true: `any(c.sql_running for c in channels)`"),
    "all": ("all(iterable) -> bool", "true when every item is true (and for an empty list)"),
    "min": ("min(a, b, ...) or min(iterable) -> value", "the smallest; fails on an empty list (guard with `len`)"),
    "max": ("max(a, b, ...) or max(iterable) -> value", "the largest; fails on an empty list"),
    "sum": ("sum(iterable) -> number", "the total of numbers"),
    "abs": ("abs(number) -> number", "the absolute value"),
    "round": ("round(number, digits=0) -> number", "rounded to `digits` decimals"),
    "int": ("int(value) -> int", "a number or numeric string as a whole number"),
    "float": ("float(value) -> float", "a number or numeric string as a decimal"),
    "str": ("str(value) -> str", "the value as text"),
    "bool": ("bool(value) -> bool", "Python truth: 0, '', [] and null are false"),
    "sorted": ("sorted(iterable) -> list", "a sorted copy"),
    "lower": ("lower(text) -> str", "lower case; a non-string is returned unchanged (null stays null)"),
    "upper": ("upper(text) -> str", "upper case; a non-string is returned unchanged"),
    "startswith": ("startswith(text, prefix) -> bool", "false when `text` is not a string (null included)"),
    "contains": ("contains(container, item) -> bool", "`item in container`; false when the container is null"),
    "coalesce": ("coalesce(a, b, ...) -> value", "the first argument that is not null, else null: "
                                                 "`coalesce(channel.seconds_behind_source, 0)`"),
    "is_null": ("is_null(value) -> bool", "true when the fact is null (unknown)"),
}
OPERATORS = dict(simpleeval.DEFAULT_OPERATORS)
OPERATORS.update({ast.Gt: _null_safe(operator.gt), ast.Lt: _null_safe(operator.lt),
                  ast.GtE: _null_safe(operator.ge), ast.LtE: _null_safe(operator.le)})


def make_evaluator() -> BoundedEvaluator:
    return BoundedEvaluator(operators=OPERATORS, functions=FUNCTIONS)


def _attribute_path(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id] + list(reversed(parts))
    return None


def _check_names(tree: ast.AST, scope: str) -> list[str]:
    """Every name and attribute path of the expression, checked against the fact model."""
    problems = []
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            for target in ast.walk(node.target):
                if isinstance(target, ast.Name):
                    bound.add(target.id)
    seen_inner = set()
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in seen_inner:
            path = _attribute_path(node)
            inner = node.value
            while isinstance(inner, ast.Attribute):
                seen_inner.add(id(inner))
                inner = inner.value
            if isinstance(inner, ast.Name):
                seen_inner.add(id(inner))
            if path is None or path[0] in bound:
                continue
            problem = check_path(scope, path)
            if problem:
                problems.append(problem)
        elif isinstance(node, ast.Name) and id(node) not in seen_inner and id(node) not in called:
            if node.id in bound or node.id in FUNCTIONS or node.id in ("True", "False", "None"):
                continue
            problem = check_path(scope, [node.id])
            if problem:
                problems.append(problem)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in FUNCTIONS:
            problems.append(f"function {node.func.id!r} is not available (functions: {', '.join(sorted(FUNCTIONS))})")
    return problems


@dataclass(frozen=True)
class Expression:
    """A checked, parsed expression."""

    text: str
    tree: ast.AST
    nodes: int = 0   # syntax nodes: what it costs to keep (a rule set is limited in all)

    def evaluate(self, evaluator: BoundedEvaluator, names: dict, seconds: float | None = None):
        """The value over ``names``; BudgetExceeded past the budget or after ``seconds``."""
        return evaluator.evaluate(self.text, self.tree, names, seconds)


def compile_expression(text: str, scope: str) -> Expression:
    """Parse once and check; ExpressionError says what is wrong."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression is {len(text)} characters; the limit is {MAX_EXPRESSION_CHARS}")
    try:
        tree = simpleeval.SimpleEval.parse(text)
    except SyntaxError as exc:
        raise ExpressionError(f"expression does not parse: {exc.msg} at column {exc.offset}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("expression is nested too deeply") from None
    nodes = sum(1 for _node in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExpressionError(f"expression has {nodes} syntax nodes; the limit is {MAX_NODES}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError(f"access to {node.attr!r} is not allowed (private and dunder attributes)")
        if isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.Starred)):
            raise ExpressionError(f"{type(node).__name__} is not allowed in rule expressions")
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            raise ExpressionError("method calls are not allowed (only the listed functions can be called): "
                                  f"{ast.unparse(node.func)[:60]}(...)")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            _check_constant_spec(node.format_spec)
    problems = _check_names(tree, scope)
    if problems:
        raise ExpressionError("; ".join(dict.fromkeys(problems)))
    _check_constants(text, tree)
    return Expression(text, tree, nodes)


def _check_constant_spec(spec: ast.AST) -> None:
    if not (isinstance(spec, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in spec.values)):
        raise ExpressionError("an f-string format spec must be a constant")
    try:
        check_format_spec("".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant)))
    except BudgetExceeded as exc:
        raise ExpressionError(str(exc)) from None


def _is_constant(node: ast.AST) -> bool:
    """True when the sub-tree reads no fact: constants, operators and calls of the listed functions."""
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name) and not (inner.id in FUNCTIONS or inner.id in ("True", "False", "None")):
            return False
        if isinstance(inner, (ast.comprehension, ast.Attribute, ast.Subscript)):
            return False
    return True


def _check_constants(text: str, tree: ast.AST) -> None:
    """Evaluate each largest constant sub-expression once, under the budget: refused at load, not at 3 a.m."""
    evaluator = make_evaluator()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.BinOp, ast.Call, ast.UnaryOp)) and _is_constant(node):
            try:
                evaluator.evaluate(text, node, {}, seconds=CONSTANT_CHECK_SECONDS)
            except BudgetExceeded as exc:
                raise ExpressionError(f"constant {ast.unparse(node)[:80]!r} is over the evaluation budget: {exc}") from None
            except Exception as exc:  # 1/0, int('x'): it would fail on every target
                raise ExpressionError(f"constant {ast.unparse(node)[:80]!r} fails: {type(exc).__name__}: {exc}") from None
            continue
        stack.extend(ast.iter_child_nodes(node))


class _FactFormatter(string.Formatter):
    def get_field(self, field_name, args, kwargs):
        value = kwargs
        for part in field_name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return ("unknown" if value is None else value), field_name

    def format_field(self, value, format_spec):
        check_format_spec(format_spec)   # constant and checked at load; checked again, cheaply
        if isinstance(value, (dict, list, tuple)):
            value = _short_repr(value)
        return super().format_field(value, format_spec)


def _short_repr(value) -> str:
    """A container fact in a summary: its repr when that is short (sized before it is built, so a
    whole cluster is never printed to be cut), else how many items it has."""
    if len(value) > 200 or nested_size(value, MAX_RENDERED_CHARS) > MAX_RENDERED_CHARS:
        return f"<{type(value).__name__} of {len(value)} items>"
    return repr(value)[:MAX_RENDERED_CHARS]


_FORMATTER = _FactFormatter()


@dataclass(frozen=True)
class Template:
    """A summary/remediation template: ``{channel.name}`` is replaced by the fact."""

    text: str

    def render(self, names: dict) -> str:
        try:
            rendered = _FORMATTER.vformat(self.text, (), names)
        except (ValueError, TypeError, BudgetExceeded) as exc:
            rendered = f"{self.text} (template error: {exc})"
        if len(rendered) > MAX_RENDERED_CHARS:
            rendered = rendered[:MAX_RENDERED_CHARS - 1] + "\u2026"
        try:
            rendered.encode("utf-8")
        except UnicodeEncodeError:  # a fact with a lone surrogate: keep the alert, lose the bad character
            rendered = rendered.encode("utf-8", "replace").decode("utf-8")
        return rendered


def compile_template(text: str, scope: str) -> Template:
    try:
        fields_conv = [(f, spec, conv) for _literal, f, spec, conv in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ExpressionError(f"template does not parse: {exc}") from None
    parsed = [(f, spec) for f, spec, _conv in fields_conv]
    fields = [f for f, _spec in parsed]
    # !r, !s and !a would build a container's whole repr before the size cut: not offered.
    problems = [f"template field {{{f}!{conv}}}: conversions (!r, !s, !a) are not supported; write {{{f}}}"
                for f, _spec, conv in fields_conv if conv]
    for field, spec in parsed:
        if spec and ("{" in spec or "}" in spec):
            problems.append(f"template field {{{field}:{spec[:40]}}}: a format spec must be a constant")
            continue
        try:
            check_format_spec(spec or "")
        except BudgetExceeded as exc:
            problems.append(f"template field {{{field}}}: {exc}")
    for field in fields:
        if not field or any(c in field for c in "[]()"):
            problems.append(f"template field {{{field}}} must be a dotted name like {{channel.name}}")
            continue
        problem = check_path(scope, field.split("."))
        if problem:
            problems.append(f"template field {{{field}}}: {problem}")
    if problems:
        raise ExpressionError("; ".join(problems))
    return Template(text)
