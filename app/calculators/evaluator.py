"""Evaluation of checked formulas in Decimal, with simpleeval walking the tree under our allow-list.

simpleeval (1.0.8: its advisories, e.g. CVE-2026-32640 / GHSA-44vg-5wv2-h2hg fixed in 1.0.5, do not
apply) does the tree walk; we narrow it further: only the node kinds app.calculators.language
allows have a handler, every operator is a Decimal function that checks the magnitude of its
result, names are plain values (no objects with attributes ever reach a formula), the functions
are ours, and the clock is checked at every node. Any failure becomes a Fail with a msgid; the
caller adds the line and name.
"""

from __future__ import annotations

import ast
import operator as op
import time
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any, Protocol

from simpleeval import SimpleEval

from app.calculators import limits
from app.calculators.errors import Fail

Value = Decimal | str | bool
# prec 34 keeps 19 fractional digits below MAX_ABS; traps turn 1/0, 0**-1, sqrt(-1) into errors
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP, Emax=999_999, Emin=-999_999)


class Environment(Protocol):
    """What a formula may read from outside: lookup tables and catalog items (nothing else)."""

    def lookup(self, table: str, key: str, column: str | None) -> Value: ...

    def item_cost(self, code: str, source: str | None) -> Decimal: ...

    def item_price(self, code: str) -> Decimal: ...


def _num(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, Decimal):
        return value
    raise Fail("a number was expected, got text '%(value)s'", value=str(value)[:40])


def check_number(value: Decimal) -> Decimal:
    if not value.is_finite() or abs(value) >= limits.MAX_ABS:
        raise Fail("number too large (at most %(max)s)", max=limits.MAX_ABS)
    return value


def _text(value: str) -> str:
    if len(value) > limits.MAX_STRING:
        raise Fail("text too long (at most %(max)s characters)", max=limits.MAX_STRING)
    return value


def _add(a: Any, b: Any) -> Value:
    if isinstance(a, str) and isinstance(b, str):
        return _text(a + b)
    if isinstance(a, str) or isinstance(b, str):
        raise Fail("text and numbers cannot be added; put numbers into the description template")
    return check_number(_num(a) + _num(b))


def _sub(a: Any, b: Any) -> Decimal:
    return check_number(_num(a) - _num(b))


def _mul(a: Any, b: Any) -> Value:
    if isinstance(a, str) or isinstance(b, str):
        text, times = (a, b) if isinstance(a, str) else (b, a)
        count = _num(times)
        if count != count.to_integral_value() or count < 0:
            raise Fail("text can only be repeated a whole number of times")
        if len(text) * count > limits.MAX_STRING:
            raise Fail("text too long (at most %(max)s characters)", max=limits.MAX_STRING)
        return text * int(count)
    return check_number(_num(a) * _num(b))


def _divisor(b: Any) -> Decimal:
    value = _num(b)
    if not value:
        raise Fail("division by zero")
    return value


def _div(a: Any, b: Any) -> Decimal:
    return check_number(_num(a) / _divisor(b))


def _floordiv(a: Any, b: Any) -> Decimal:
    return check_number((_num(a) / _divisor(b)).to_integral_value(rounding=ROUND_FLOOR))


def _mod(a: Any, b: Any) -> Decimal:
    left, right = _num(a), _divisor(b)
    return check_number(left - right * (left / right).to_integral_value(rounding=ROUND_FLOOR))


def _pow(a: Any, b: Any) -> Decimal:
    base, exponent = _num(a), _num(b)
    if abs(exponent) > limits.MAX_EXPONENT:
        raise Fail("exponent too large (at most %(max)s)", max=limits.MAX_EXPONENT)
    if not base and exponent <= 0:
        raise Fail("division by zero")
    if base < 0 and exponent != exponent.to_integral_value():
        raise Fail("a negative number cannot be raised to a fractional power")
    return check_number(base**exponent)


def _compare(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if isinstance(a, str) != isinstance(b, str):
            raise Fail("text and numbers cannot be compared")
        return fn(a, b)

    return compare


OPERATORS: dict[type, Callable] = {
    ast.Add: _add, ast.Sub: _sub, ast.Mult: _mul, ast.Div: _div, ast.FloorDiv: _floordiv, ast.Mod: _mod,
    ast.Pow: _pow, ast.USub: lambda a: check_number(-_num(a)), ast.UAdd: lambda a: _num(a), ast.Not: op.not_,
    ast.Eq: op.eq, ast.NotEq: op.ne, ast.Lt: _compare(op.lt), ast.LtE: _compare(op.le), ast.Gt: _compare(op.gt),
    ast.GtE: _compare(op.ge),
}


def _round(value: Any, places: Any = Decimal(0)) -> Decimal:
    n = _num(places)
    if n != n.to_integral_value() or not 0 <= n <= limits.MAX_ROUND_PLACES:
        raise Fail("round() takes 0 to %(max)s decimal places", max=limits.MAX_ROUND_PLACES)
    return _num(value).quantize(Decimal(1).scaleb(-int(n)), rounding=ROUND_HALF_UP)


def _extreme(fn: Callable) -> Callable[..., Value]:
    def pick(*args: Any) -> Value:
        if any(isinstance(a, str) for a in args):
            raise Fail("min() and max() take numbers")
        return fn(_num(a) for a in args)

    return pick


def _name_arg(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Fail("%(what)s must be text", what=what)
    return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def functions(env: Environment) -> dict[str, Callable]:
    """The allow-listed functions, bound to what this evaluation may read."""
    return {
        "min": _extreme(min),
        "max": _extreme(max),
        "round": _round,
        "ceil": lambda x: _num(x).to_integral_value(rounding=ROUND_CEILING),
        "floor": lambda x: _num(x).to_integral_value(rounding=ROUND_FLOOR),
        "abs": lambda x: abs(_num(x)),
        "if_": lambda c, a, b: a if c else b,
        "lookup": lambda table, key, column=None: env.lookup(
            _name_arg(table, "table"), _key(key), None if column is None else _name_arg(column, "column")),
        "item_cost": lambda code, source=None: env.item_cost(
            _name_arg(code, "item code"), None if source is None else _name_arg(source, "cost source")),
        "item_price": lambda code: env.item_price(_name_arg(code, "item code")),
    }


class Evaluator(SimpleEval):
    """simpleeval with only our node kinds, our operators and functions, and a deadline."""

    def __init__(self, names: dict[str, Value], env: Environment, deadline: float) -> None:
        super().__init__(operators=OPERATORS, functions=functions(env), names=names)
        self.deadline = deadline
        self.nodes = {
            ast.Name: self._eval_name, ast.Constant: self._eval_constant, ast.UnaryOp: self._eval_unaryop,
            ast.BinOp: self._eval_binop, ast.BoolOp: self._eval_boolop, ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp, ast.Call: self._eval_call,
        }

    def _eval(self, node: ast.AST) -> Any:
        if time.perf_counter() > self.deadline:
            raise Fail("the calculation took too long (more than %(max)s s)", max=limits.DEADLINE_SECONDS)
        handler = self.nodes.get(type(node))
        if handler is None:
            raise Fail("this construct is not allowed: %(what)s", what=type(node).__name__)
        return handler(node)

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise Fail("unknown name '%(name)s'", name=node.id) from None

    def _eval_call(self, node: ast.Call) -> Any:
        func = self.functions.get(getattr(node.func, "id", ""))
        if func is None or node.keywords:
            raise Fail("only the allowed functions can be called")
        return func(*(self._eval(a) for a in node.args))

    def value(self, node: ast.AST) -> Value:
        """Evaluate one checked expression; anything but a Fail is turned into one."""
        try:
            with localcontext(CONTEXT):
                result = self._eval(node)
        except Fail:
            raise
        except ArithmeticError:
            raise Fail("the arithmetic is undefined here (for example 0 / 0)") from None
        except RecursionError:
            raise Fail("the expression is nested too deeply (at most %(max)s levels)", max=limits.MAX_DEPTH) from None
        except (TypeError, ValueError):
            raise Fail("the values do not fit this operation") from None
        if not isinstance(result, (Decimal, str, bool)):
            raise Fail("the values do not fit this operation")
        return result


def deadline_after(seconds: float = limits.DEADLINE_SECONDS) -> float:
    return time.perf_counter() + seconds
