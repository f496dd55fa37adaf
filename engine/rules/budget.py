"""The evaluation budget: every rule expression is bounded in size and time by construction.

simpleeval alone checks only some things (the exponent of a power, not its base; a string
repetition, not a ``%`` format width; not the time a comprehension takes), so
``4000000**4000000``, ``'%0999999999d' % 1`` or ``len(str([[0]*99999]*99999))`` pass it and
stall or exhaust the engine.  Here every operation that can grow a value estimates the size
of its result *before* computing it and refuses above fixed limits; every evaluation has a
cap on the values it may create and a wall-clock deadline checked as it walks the syntax
tree; attribute access reads dict keys only (no method of a string or list is reachable).

The limits are far above what a rule on the facts needs: facts are small documents.
"""
from __future__ import annotations

import ast
import math
import re
import time

import simpleeval

__all__ = ["BudgetExceeded", "BoundedEvaluator", "LIMITS", "bounded_functions", "bounded_operators"]


class _Limits:
    int_bits = 4096             # an int of up to 4096 bits (about 1233 digits)
    string_chars = 100_000      # a string of up to 100 kB
    container_items = 10_000    # a list, tuple, dict or set of up to 10k items
    format_width = 1000         # a width or precision in a %-format or a format spec
    units_per_evaluation = 1_000_000  # characters + items created by one evaluation, all operations together
    ndigits = 1000              # round(x, n)
    deadline_check_every = 64   # syntax nodes between two looks at the clock


LIMITS = _Limits()


class BudgetExceeded(simpleeval.InvalidExpression):
    """An evaluation that would go over the budget; the message says which limit."""


def _items(value) -> int | None:
    """Size units of a value that grows: characters of a string, items of a container."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return len(value)
    return None


def _limit_for(value) -> int:
    return LIMITS.string_chars if isinstance(value, (str, bytes, bytearray)) else LIMITS.container_items


def _int_bits(value) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _refuse_bits(bits: int, what: str) -> None:
    if bits > LIMITS.int_bits:
        raise BudgetExceeded(f"{what} would be an integer of about {bits} bits; the limit is {LIMITS.int_bits}")


def _refuse_size(size: int, sample, what: str) -> None:
    limit = _limit_for(sample)
    unit = "characters" if isinstance(sample, (str, bytes, bytearray)) else "items"
    if size > limit:
        raise BudgetExceeded(f"{what} would make {size} {unit}; the limit is {limit}")


# A %-format conversion: flags, width, precision, length modifier, type.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
# A format spec ({x:>10.3f}): fill/align, sign, #, 0, width, grouping, precision, type.
_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?$")


def check_format_spec(spec: str) -> None:
    """Refuse a format spec whose width or precision is over the limit (or that cannot be read)."""
    if not spec:
        return
    match = _FORMAT_SPEC.match(spec)
    if match is None:
        raise BudgetExceeded(f"format spec {spec[:40]!r} is not a plain spec (fill, align, width, precision, type)")
    for number in match.groups():
        if number and int(number) > LIMITS.format_width:
            raise BudgetExceeded(f"format spec {spec[:40]!r}: {number} is over the width limit of {LIMITS.format_width}")


def _check_percent_format(template, args) -> int:
    """Refuse a %-format with a large or variable width; return a bound on the result's length."""
    text = template.decode("latin-1") if isinstance(template, (bytes, bytearray)) else template
    conversions = 0
    widest = 0
    for match in _PERCENT_SPEC.finditer(text):
        width, precision, _kind = match.groups()
        for number in (width, precision):
            if number == "*":
                raise BudgetExceeded("a %-format with a * width or precision is not allowed in rules")
            if number and int(number) > LIMITS.format_width:
                raise BudgetExceeded(f"%-format width {number} is over the limit of {LIMITS.format_width}")
            if number:
                widest = max(widest, int(number))
        conversions += 1
    values = args if isinstance(args, tuple) else (args,)
    argument_chars = sum(min(_items(v) or 0, LIMITS.string_chars) for v in values) + 40 * len(values)
    return len(text) + conversions * widest + argument_chars


class Budget:
    """What one evaluation may still create, and until when it may run."""

    def __init__(self):
        self.units = 0
        self.deadline = math.inf
        self.nodes = 0

    def reset(self, seconds: float | None) -> None:
        self.units = 0
        self.nodes = 0
        self.deadline = math.inf if seconds is None else time.monotonic() + seconds

    def spend(self, units: int, what: str) -> None:
        self.units += units
        if self.units > LIMITS.units_per_evaluation:
            raise BudgetExceeded(f"{what}: the evaluation created more than {LIMITS.units_per_evaluation} "
                                 "characters and items in all")

    def tick(self) -> None:
        self.nodes += 1
        if self.nodes % LIMITS.deadline_check_every == 0 and time.monotonic() > self.deadline:
            raise BudgetExceeded("the evaluation ran over its time cap")

    # ---- operators -------------------------------------------------------
    def power(self, a, b):
        if isinstance(a, int) and isinstance(b, int) and b > 1 and abs(a) > 1:
            _refuse_bits(_int_bits(a) * b, f"{a if _int_bits(a) < 64 else 'a large number'} ** {b}")
        return a ** b

    def mult(self, a, b):
        if isinstance(a, int) and isinstance(b, int):
            _refuse_bits(_int_bits(a) + _int_bits(b), "this multiplication")
            return a * b
        for sequence, count in ((a, b), (b, a)):
            size = _items(sequence)
            if size is not None and isinstance(count, int):
                total = size * max(count, 0)
                _refuse_size(total, sequence, "this repetition")
                self.spend(total, "this repetition")
        return a * b

    def add(self, a, b):
        size_a, size_b = _items(a), _items(b)
        if size_a is not None and size_b is not None:
            _refuse_size(size_a + size_b, a, "this concatenation")
            self.spend(size_a + size_b, "this concatenation")
        return a + b

    def lshift(self, a, b):
        if isinstance(a, int) and isinstance(b, int) and b > 0:
            _refuse_bits(_int_bits(a) + b, f"{a} << {b}")
        return a << b

    def mod(self, a, b):
        if isinstance(a, (str, bytes, bytearray)):
            bound = _check_percent_format(a, b)
            _refuse_size(bound, a, "this %-format")
            self.spend(bound, "this %-format")
        return a % b


def bounded_operators(budget: Budget, base: dict) -> dict:
    """``base`` with the growing operators replaced by the budget's checked ones."""
    operators = dict(base)
    operators.update({ast.Pow: budget.power, ast.Mult: budget.mult, ast.Add: budget.add,
                      ast.LShift: budget.lshift, ast.Mod: budget.mod})
    return operators


def nested_size(value, budget_left: int) -> int:
    """Characters ``str(value)`` would print, counted until it passes ``budget_left``."""
    stack = [value]
    total = 0
    while stack and total <= budget_left:
        item = stack.pop()
        if isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            if total <= budget_left:  # a million items are not copied to be refused
                stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            if total <= budget_left:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, (str, bytes)):
            total += len(item) + 2
        else:
            total += 24
    return total


def bounded_functions(budget: Budget, base: dict) -> dict:
    """``base`` with the functions whose result can grow past the budget checked first."""

    def bounded_str(value=""):
        size = nested_size(value, LIMITS.string_chars)
        if size > LIMITS.string_chars:
            raise BudgetExceeded(f"str() would print more than {LIMITS.string_chars} characters")
        budget.spend(size, "str()")
        return str(value)

    def bounded_sum(values, start=0):
        total = start
        for value in values:
            total = budget.add(total, value)
        return total

    def bounded_round(number, ndigits=None):
        if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > LIMITS.ndigits):
            raise BudgetExceeded(f"round() to {ndigits} digits is over the limit of {LIMITS.ndigits}")
        return round(number) if ndigits is None else round(number, ndigits)

    def bounded_sorted(values, key=None, reverse=False):
        size = _items(values)
        if size is None:
            raise BudgetExceeded("sorted() takes a list, tuple, set, dict or string")
        _refuse_size(size, [], "sorted()")
        budget.spend(size, "sorted()")
        return sorted(values, key=key, reverse=reverse)

    functions = dict(base)
    functions.update({"str": bounded_str, "sum": bounded_sum, "round": bounded_round, "sorted": bounded_sorted})
    return functions


class BoundedEvaluator(simpleeval.EvalWithCompoundTypes):
    """simpleeval with the budget: checked operators and functions, dict-key attributes, a deadline."""

    def __init__(self, operators: dict, functions: dict):
        self.budget = Budget()
        super().__init__(operators=bounded_operators(self.budget, operators),
                         functions=bounded_functions(self.budget, functions), names={})
        self.nodes[ast.FormattedValue] = self._eval_bounded_formattedvalue

    def evaluate(self, expression_text: str, tree: ast.AST, names: dict, seconds: float | None = None):
        """Evaluate a parsed expression over ``names`` within ``seconds`` (None: no time cap)."""
        self.names = names
        self.budget.reset(seconds)
        return self.eval(expression_text, previously_parsed=tree)

    def _eval(self, node):
        self.budget.tick()
        return super()._eval(node)

    def _check_disallowed_items(self, item):
        # simpleeval walks every result recursively (the whole cluster dict each time a rule names
        # ``cluster``: quadratic in the members).  Names here hold JSON facts and our functions only,
        # and attributes are dict keys, so a value can only be a forbidden callable at the top.
        if callable(item) and item in simpleeval.DISALLOW_FUNCTIONS:
            raise simpleeval.FeatureNotAvailable("This function is forbidden")

    def _eval_attribute(self, node):
        # ``a.b`` is key ``b`` of the fact ``a``; no attribute or method of a Python object is reachable.
        if node.attr.startswith("_"):
            raise simpleeval.FeatureNotAvailable(f"access to {node.attr!r} is not allowed")
        value = self._eval(node.value)
        if isinstance(value, dict):
            if node.attr in value:
                return value[node.attr]
            raise simpleeval.AttributeDoesNotExist(node.attr, self.expr)
        raise simpleeval.FeatureNotAvailable(
            f"{type(value).__name__} has no field {node.attr!r} (only facts, which are mappings, have fields)")

    def _eval_bounded_formattedvalue(self, node):
        if node.format_spec:
            spec = self._eval(node.format_spec)
            check_format_spec(str(spec))
            return format(self._eval(node.value), str(spec))
        return self._eval(node.value)
