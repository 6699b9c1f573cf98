"""Demo data of the calculators context (the Robokids story): the door and robot calculators.

Adds the few catalog items the calculators' BOMs name that the warehouse demo does not have
(door blanks and kits, two more processors and boards), their lookup tables, both calculators
through the service (checked and trial-run like any user's), and one stored run of each.
"""

from __future__ import annotations

from decimal import Decimal

from app.calculators.builtin import CALCULATORS, DOOR_ITEMS, ROBOT_ITEMS, TABLES, dumps
from app.extensions import db
from app.models.catalog import Item, ItemGroup
from app.models.core import Unit
from app.services.calculators import (
    CalculatorInput,
    TableInput,
    VersionInput,
    create_calculator,
    run_and_record,
    save_table,
)


def _ensure_items() -> None:
    units = {u.code: u for u in db.session.query(Unit)}
    groups = {g.code: g for g in db.session.query(ItemGroup)}
    if "DOORS" not in groups:
        groups["DOORS"] = ItemGroup(code="DOORS", name="Doors", name_ru="Двери", name_es="Puertas")
        db.session.add(groups["DOORS"])
    existing = {code for (code,) in db.session.query(Item.code)}
    for rows, group in ((DOOR_ITEMS, "DOORS"), (ROBOT_ITEMS, "ELEC")):
        for code, en, ru, es, unit, cost in rows:
            if code in existing:
                continue
            db.session.add(Item(code=code, name=en, name_ru=ru, name_es=es, kind="material" if unit == "m2"
                                else "component", group=groups.get(group), unit=units[unit],
                                standard_cost=Decimal(cost), tracking="lots"))
    db.session.flush()


def load_definitions() -> dict[str, int]:
    """Tables and calculators (also used by tests and the benchmark); returns code -> calculator id."""
    for name, ((en, ru, es), text) in TABLES.items():
        save_table(db.session, TableInput(name, en, ru, es, text))
    ids = {}
    for code, (en, ru, es), (text, text_ru, text_es), params, formulas, outputs in CALCULATORS:
        calc = create_calculator(
            db.session, CalculatorInput(code, en, ru, es, text, description_ru=text_ru, description_es=text_es),
            VersionInput(dumps(params), formulas, dumps(outputs), "Built-in example"))
        ids[code] = calc.id
    return ids


def load() -> None:
    """Load this context's demo data."""
    _ensure_items()
    ids = load_definitions()
    run_and_record(db.session, ids["DOOR"], {"height": "2100", "width": "900", "material": "oak",
                                             "opening": "sliding", "hardware": True})
    run_and_record(db.session, ids["ROBOT"], {"case_height": "420", "case_width": "300", "case_depth": "260",
                                              "processor": "B2", "boards": "3", "board_kind": "motor",
                                              "nodes": "3", "paint": "0.35"})
