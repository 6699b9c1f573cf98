"""Test data for the calculators: the catalog items the built-in calculators name, at known costs,
their lookup tables and the two calculators, created through the services as the demo does."""

from __future__ import annotations

from app.calculators.builtin import DOOR_ITEMS, ROBOT_ITEMS
from app.services.demo_stock import ITEMS as STOCK_ITEMS
from tests import factories

ROBOT_STOCK_CODES = ("CASE-S", "CPU-A1", "MB-R2", "SB-IO", "N-DRIVE", "PAINT-B", "BOLT-M3")


def builtin_items() -> None:
    """The items of both calculators with the demo's standard costs (CASE-S 900, CPU-A1 1850...)."""
    costs = {code: cost for code, _en, _ru, _es, _k, _g, _u, cost, _p in STOCK_ITEMS if code in ROBOT_STOCK_CODES}
    costs |= {code: cost for code, *_rest, cost in DOOR_ITEMS + ROBOT_ITEMS}
    for code, cost in costs.items():
        factories.item(code, standard_cost=cost)


def builtin_calculators() -> dict[str, int]:
    """Items, tables and both calculators; code -> calculator id."""
    from app.services.demo_calculators import load_definitions

    builtin_items()
    return load_definitions()
