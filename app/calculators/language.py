"""The calculator language: `name = expression` lines checked against an allow-list before anything runs.

A formula is parsed with `ast` and every node is checked: literals (numbers become Decimal, short
texts, True / False), names of parameters and earlier results, arithmetic + - * / // % **,
comparisons, and / or / not, `a if c else b`, and calls of the allow-listed functions by name.
Anything else (attributes, subscripts, imports, dunder names, lambdas, comprehensions, f-strings,
walrus, starred arguments, keywords) is refused with a message saying what and where, so that
nothing of Python is reachable from a formula. The checked tree is then evaluated by
app.calculators.evaluator (simpleeval under the same allow-list).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from decimal import Decimal

from app.calculators import limits
from app.calculators.errors import CalcError, CalcProblem, problem

# function -> (min args, max args); the first argument of lookup may be a bare table name
FUNCTIONS: dict[str, tuple[int, int]] = {
    "min": (2, limits.MAX_ARGS), "max": (2, limits.MAX_ARGS), "round": (1, 2), "ceil": (1, 1), "floor": (1, 1),
    "abs": (1, 1), "lookup": (2, 3), "item_cost": (1, 2), "item_price": (1, 1), "if_": (3, 3),
}
BIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
UNARY_OPS = (ast.USub, ast.UAdd, ast.Not)
CMP_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)

# What a refused construct is called in the message (the msgid says what is wrong, not the node name)
_REFUSED: list[tuple[tuple[type, ...], str]] = [
    ((ast.Attribute,), "attribute access is not allowed"),
    ((ast.Subscript, ast.Slice), "indexing is not allowed"),
    ((ast.Import, ast.ImportFrom), "imports are not allowed"),
    ((ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef), "defining functions is not allowed"),
    ((ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.For, ast.AsyncFor, ast.While),
     "loops and comprehensions are not allowed"),
    ((ast.JoinedStr, ast.FormattedValue), "f-strings are not allowed"),
    ((ast.NamedExpr,), "assignment inside an expression is not allowed"),
    ((ast.List, ast.Tuple, ast.Set, ast.Dict), "lists, tuples and dictionaries are not allowed"),
    ((ast.Starred,), "starred arguments are not allowed"),
    ((ast.Await, ast.Yield, ast.YieldFrom), "this construct is not allowed"),
]


@dataclass(frozen=True)
class Line:
    """One `name = expression` line of a formula, already checked."""

    name: str
    expr: ast.expr
    lineno: int


@dataclass
class _Scan:
    """What a check found: problems, and the item codes / tables named literally (prefetched at run time)."""

    problems: list[CalcProblem] = field(default_factory=list)
    item_codes: set[str] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)
    nodes: int = 0


@dataclass(frozen=True)
class Program:
    lines: tuple[Line, ...]
    item_codes: frozenset[str]
    tables: frozenset[str]


def _safe_parse(text: str, mode: str) -> ast.AST | str:
    """ast.parse, or the msgid of why it could not be parsed (syntax, nesting, a huge literal)."""
    try:
        return ast.parse(text, mode=mode)
    except SyntaxError:
        raise
    except (RecursionError, MemoryError):
        return "the expression is nested too deeply"
    except ValueError:
        return "the expression contains an invalid character or a number that is too long"


def _syntax_problem(exc: SyntaxError, line: int | None, target: str | None) -> CalcProblem:
    return problem("syntax error: %(detail)s", line=line or exc.lineno, target=target, detail=exc.msg)


class _Checker:
    """Walks one expression; the first refused node of an expression is reported (one message per line)."""

    def __init__(self, known: set[str], scan: _Scan, line: int | None, target: str | None) -> None:
        self.known, self.scan, self.line, self.target = known, scan, line, target

    def check(self, node: ast.AST) -> bool:
        try:
            self._visit(node, 0)
        except _Refused as exc:
            self.scan.problems.append(problem(exc.msgid, line=self.line, target=self.target, **exc.params))
            return False
        return True

    def _visit(self, node: ast.AST, depth: int) -> None:
        self.scan.nodes += 1
        if depth > limits.MAX_DEPTH:
            raise _Refused("the expression is nested too deeply (at most %(max)s levels)", max=limits.MAX_DEPTH)
        if self.scan.nodes > limits.MAX_NODES:
            raise _Refused("the formulas are too complex (at most %(max)s elements)", max=limits.MAX_NODES)
        for kinds, msgid in _REFUSED:
            if isinstance(node, kinds):
                raise _Refused(msgid)
        method = getattr(self, f"_v_{type(node).__name__}", None)
        if method is None:
            raise _Refused("this construct is not allowed: %(what)s", what=type(node).__name__)
        method(node, depth + 1)

    def _v_Constant(self, node: ast.Constant, depth: int) -> None:
        value = node.value
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if not number.is_finite() or abs(number) >= limits.MAX_ABS:
                raise _Refused("number too large (at most %(max)s)", max=limits.MAX_ABS)
            node.value = number  # the evaluator sees Decimal only, never float
            return
        if isinstance(value, str):
            if len(value) > limits.MAX_STRING:
                raise _Refused("text too long (at most %(max)s characters)", max=limits.MAX_STRING)
            return
        raise _Refused("this kind of literal is not allowed")

    def _v_Name(self, node: ast.Name, depth: int) -> None:
        name = node.id
        if name.startswith("_"):
            raise _Refused("names starting with an underscore are not allowed: '%(name)s'", name=name)
        if name in FUNCTIONS:
            raise _Refused("'%(name)s' is a function: call it with arguments", name=name)
        if name not in self.known:
            raise _Refused("unknown name '%(name)s'", name=name)

    def _v_BinOp(self, node: ast.BinOp, depth: int) -> None:
        if not isinstance(node.op, BIN_OPS):
            raise _Refused("operator not allowed: %(what)s", what=type(node.op).__name__)
        self._visit(node.left, depth)
        self._visit(node.right, depth)

    def _v_UnaryOp(self, node: ast.UnaryOp, depth: int) -> None:
        if not isinstance(node.op, UNARY_OPS):
            raise _Refused("operator not allowed: %(what)s", what=type(node.op).__name__)
        self._visit(node.operand, depth)

    def _v_BoolOp(self, node: ast.BoolOp, depth: int) -> None:
        for value in node.values:
            self._visit(value, depth)

    def _v_Compare(self, node: ast.Compare, depth: int) -> None:
        for op in node.ops:
            if not isinstance(op, CMP_OPS):
                raise _Refused("operator not allowed: %(what)s", what=type(op).__name__)
        self._visit(node.left, depth)
        for comp in node.comparators:
            self._visit(comp, depth)

    def _v_IfExp(self, node: ast.IfExp, depth: int) -> None:
        for part in (node.test, node.body, node.orelse):
            self._visit(part, depth)

    def _v_Call(self, node: ast.Call, depth: int) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            self._visit(func, depth)  # an attribute, a lambda...: refused for what it is
            raise _Refused("only the allowed functions can be called")
        if func.id.startswith("_"):
            raise _Refused("names starting with an underscore are not allowed: '%(name)s'", name=func.id)
        if func.id not in FUNCTIONS:
            raise _Refused("unknown function '%(name)s'", name=func.id)
        if node.keywords:
            raise _Refused("named arguments are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise _Refused("starred arguments are not allowed")
        low, high = FUNCTIONS[func.id]
        if not low <= len(node.args) <= high:
            raise _Refused("%(name)s takes %(low)s to %(high)s arguments", name=func.id, low=low, high=high)
        args = list(node.args)
        if func.id == "lookup" and isinstance(args[0], ast.Name) and args[0].id not in self.known:
            if args[0].id.startswith("_"):
                raise _Refused("names starting with an underscore are not allowed: '%(name)s'", name=args[0].id)
            args[0] = node.args[0] = ast.Constant(value=args[0].id)  # a bare table name is the table's name
        if func.id == "lookup" and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            self.scan.tables.add(args[0].value)
        if func.id in ("item_cost", "item_price") and isinstance(args[0], ast.Constant):
            if isinstance(args[0].value, str):
                self.scan.item_codes.add(args[0].value)
        for arg in args:
            self._visit(arg, depth)


class _Refused(Exception):
    def __init__(self, msgid: str, **params) -> None:
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


def parse_program(source: str, parameters: set[str]) -> Program:
    """Check a formula text (`name = expression` per line, # comments); raise CalcError with every problem."""
    program, problems, _ = check_program(source, parameters)
    if problems:
        raise CalcError(problems)
    return program


def check_program(source: str, parameters: set[str]) -> tuple[Program, list[CalcProblem], set[str] | None]:
    """The checked program, its problems, and every name it assigns (None when the text as a whole is refused)."""
    source = source or ""
    empty = Program((), frozenset(), frozenset())
    if len(source) > limits.MAX_SOURCE_CHARS:
        return empty, [problem("The formulas are too long: %(size)s characters (at most %(max)s)",
                               size=len(source), max=limits.MAX_SOURCE_CHARS)], None
    try:
        tree = _safe_parse(source, "exec")
    except SyntaxError as exc:
        return empty, [_syntax_problem(exc, None, None)], None
    if isinstance(tree, str):
        return empty, [problem(tree)], None
    scan = _Scan()
    known = set(parameters)
    lines: list[Line] = []
    if len(tree.body) > limits.MAX_LINES:
        return empty, [problem("Too many formula lines: %(n)s (at most %(max)s)", n=len(tree.body),
                               max=limits.MAX_LINES)], None
    for stmt in tree.body:
        target = _assignment_target(stmt, known, parameters, scan)
        if target is None:
            continue
        if _Checker(known, scan, stmt.lineno, target).check(stmt.value):
            lines.append(Line(target, stmt.value, stmt.lineno))
        known.add(target)  # a later line using it gets its own message only if it is wrong itself
    program = Program(tuple(lines), frozenset(scan.item_codes), frozenset(scan.tables))
    return program, scan.problems, known - set(parameters)


def _assignment_target(stmt: ast.stmt, known: set[str], parameters: set[str], scan: _Scan) -> str | None:
    """The name a line assigns, or None after recording why the line is not a plain assignment."""
    line = stmt.lineno
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        scan.problems.append(problem("imports are not allowed", line=line))
        return None
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        scan.problems.append(problem("each line must be 'name = expression'", line=line))
        return None
    name = stmt.targets[0].id
    if name.startswith("_"):
        scan.problems.append(problem("names starting with an underscore are not allowed: '%(name)s'", line=line,
                                     name=name))
        return None
    if name in FUNCTIONS:
        scan.problems.append(problem("'%(name)s' is a function name and cannot be assigned", line=line, name=name))
        return None
    if name in parameters:
        scan.problems.append(problem("'%(name)s' is a parameter and cannot be assigned", line=line, name=name))
        return None
    if name in known:
        scan.problems.append(problem("'%(name)s' is assigned twice", line=line, name=name))
        return None
    return name


def parse_expression(text: str, known: set[str], target: str) -> tuple[ast.expr, Program]:
    """Check one expression (an output, a BOM quantity); problems name `target`."""
    text = (text or "").strip()
    if not text:
        raise CalcError([problem("an expression is required", target=target)])
    if len(text) > limits.MAX_EXPRESSION_CHARS:
        raise CalcError([problem("the expression is too long: %(size)s characters (at most %(max)s)", target=target,
                                 size=len(text), max=limits.MAX_EXPRESSION_CHARS)])
    try:
        tree = _safe_parse(text, "eval")
    except SyntaxError as exc:
        raise CalcError([problem("syntax error: %(detail)s", target=target, detail=exc.msg)]) from None
    if isinstance(tree, str):
        raise CalcError([problem(tree, target=target)])
    scan = _Scan()
    _Checker(known, scan, None, target).check(tree.body)
    if scan.problems:
        raise CalcError(scan.problems)
    return tree.body, Program((), frozenset(scan.item_codes), frozenset(scan.tables))
