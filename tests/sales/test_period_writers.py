"""Every writer of invoices and payments checks the accounting period.

The closed-period rule for sales documents is explicit in each sales service (no global flush hook, which
cost every flush a scan): so a new function that creates an invoice or a payment and forgets
``periods.assert_open`` would book money into a closed month without any behaviour test noticing. This
walks the application's code and fails on such a function.
"""
from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
GUARDED = {"SalesInvoice", "Payment"}


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names


def _writers_without_check() -> list[str]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                called = _called_names(fn)
                if called & GUARDED and "assert_open" not in called:
                    found.append(f"{path.relative_to(APP.parent)}:{fn.lineno} {fn.name}")
    return found


def test_every_invoice_or_payment_writer_checks_the_period() -> None:
    assert _writers_without_check() == []


def test_the_walk_sees_the_known_writers() -> None:
    """The walk is not vacuous: the known writers construct the guarded documents."""
    constructing = []
    for path in sorted((APP / "services" / "sales").rglob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef) and _called_names(fn) & GUARDED:
                constructing.append(fn.name)
    assert "_make" in constructing and len(constructing) >= 2
