"""BOMs in the database: cycles refused with their path, versions by date, explosion, where-used, cost roll-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.models.catalog import UnitConversion
from app.models.production import Bom, BomLine
from app.services.production import BomInput, BomLineInput, add_bom_line, cost_rollup, explode_bom, where_used
from app.services.production.engineering import active_bom
from tests import factories as f
from tests.services.test_production_example import BOMS, build_plant, make_bom, make_items

D = Decimal


@pytest.fixture
def items(session):
    items = make_items()
    for parent, lines in BOMS.items():
        make_bom(items, parent, lines)
    return items


def line(items, code, qty="1", **kw) -> BomLineInput:
    return BomLineInput(items[code].id, qty, **kw)


def bom_of(session, items, code) -> Bom:
    return session.scalar(select(Bom).where(Bom.item_id == items[code].id))


@pytest.mark.parametrize("parent, component, path", [
    ("CPU", "CPU", "CPU → CPU"),  # A -> A
    ("N-BRAIN", "N-BRAIN", "N-BRAIN → N-BRAIN"),
    ("CPU", "N-BRAIN", "CPU → N-BRAIN → CPU"),  # A -> B -> A
    ("MOT", "ROBOT", "MOT → ROBOT → N-DRIVE → MOT"),  # deeper
])
def test_a_line_that_closes_a_cycle_is_refused_with_its_path(session, items, parent, component, path):
    from app.services.production import create_bom

    before = session.scalar(select(func.count()).select_from(BomLine))
    existing = bom_of(session, items, parent)
    with pytest.raises(DomainError) as exc:
        if existing is None:
            create_bom(session, BomInput(items[parent].id, lines=[line(items, component)]))
        else:
            add_bom_line(session, existing.id, line(items, component))
    assert exc.value.messages() == [
        f"{'Line 1: ' if existing is None else 'Line ' + str(len(existing.lines) + 1) + ': '}"
        f"This line would create a cycle: {path}"]
    assert session.scalar(select(func.count()).select_from(BomLine)) == before


def test_a_second_path_down_is_not_a_cycle_and_byproducts_never_are(session, items):
    add_bom_line(session, bom_of(session, items, "ROBOT").id, line(items, "CPU"))
    bp = add_bom_line(session, bom_of(session, items, "N-BRAIN").id, line(items, "ROBOT", "-1"))
    assert bp.is_byproduct and bp.qty == D(1)


def test_every_bad_line_is_reported_at_once(session, items):
    from app.services.production import create_bom

    with pytest.raises(DomainError) as exc:
        create_bom(session, BomInput(items["CASE"].id, output_qty="0", lines=[
            line(items, "BOLT", "0"), line(items, "CASE"), line(items, "PAINT", "1", scrap_pct="100"),
            line(items, "WHEEL", "abc")]))
    text = " | ".join(exc.value.messages())
    assert "output quantity" in text
    assert "Line 1: The quantity of a component must be a non-zero number" in text
    assert "Line 2: This line would create a cycle: CASE → CASE" in text
    assert "Line 3: Scrap must be between 0 and 100%" in text
    assert "Line 4: Quantity must be a number, not “abc”" in text


def test_one_active_version_per_day(session, items):
    from app.services.production import create_bom

    cpu = items["CPU"]
    v1 = create_bom(session, BomInput(cpu.id, "1", valid_from=date(2026, 1, 1), valid_to=date(2026, 6, 30),
                                      lines=[line(items, "BOLT", "2")]))
    v2 = create_bom(session, BomInput(cpu.id, "2", valid_from=date(2026, 7, 1), lines=[line(items, "BOLT", "3")]))
    with pytest.raises(DomainError, match="Version 2 of this item is valid on some of the same days"):
        create_bom(session, BomInput(cpu.id, "3", valid_from=date(2026, 12, 1), lines=[line(items, "BOLT", "4")]))
    create_bom(session, BomInput(cpu.id, "3", valid_from=date(2026, 12, 1), active=False,
                                 lines=[line(items, "BOLT", "4")]))
    assert active_bom(session, cpu.id, date(2026, 3, 1)).id == v1.id
    assert active_bom(session, cpu.id, date(2026, 7, 1)).id == v2.id
    assert active_bom(session, cpu.id, date(2025, 12, 31)) is None
    with pytest.raises(DomainError, match="end of validity is before its start"):
        create_bom(session, BomInput(items["MB"].id, valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 1),
                                     lines=[line(items, "BOLT")]))


def test_explosion_from_the_database_with_units_and_scrap(session, items):
    box = f.unit("box")
    session.add(UnitConversion(item_id=items["BOLT"].id, unit_id=box.id, factor=D(100)))
    session.commit()
    from app.services.production import create_bom

    create_bom(session, BomInput(items["CASE"].id, lines=[
        BomLineInput(items["BOLT"].id, "0.5", unit_code="box", scrap_pct="2")]))
    ex = explode_bom(session, items["ROBOT"].id, D(2))
    leaves = ex.leaves()
    # CASE is now made of half a box of bolts (50 bolts) + 2% scrap = 51 per case
    assert leaves[items["BOLT"].id] == D(2 * 12) + D(2 * 16) + D("2") * 2 * 8 * D("1.05") + D(2 * 51)
    assert leaves[items["MOT"].id] == D(8)
    assert items["N-DRIVE"].id not in leaves and ex.gross()[items["N-DRIVE"].id] == D(4)
    assert ex.depth == 3
    with pytest.raises(DomainError, match="No active bill of materials for CPU"):
        explode_bom(session, items["CPU"].id, D(1))
    with pytest.raises(DomainError, match="positive"):
        explode_bom(session, items["ROBOT"].id, D(0))


def test_where_used(session, items):
    rows = where_used(session, items["BOLT"].id)
    got = {(r.level, r.item) for r in rows}
    ids = {code: it.id for code, it in items.items()}
    assert got == {(1, ids["N-DRIVE"]), (1, ids["N-CHASSIS"]), (1, ids["ROBOT"]), (2, ids["ROBOT"])}
    via_drive = next(r for r in rows if r.level == 2 and ids["N-DRIVE"] in r.path)
    assert via_drive.qty_per_unit == D("16.8") and via_drive.top
    assert where_used(session, items["ROBOT"].id) == []


def test_cost_rollup_by_each_method(session):
    plant = build_plant(lots=[("CPU", 2, "1800"), ("CPU", 2, "1900"), ("MB", 1, "2350"), ("SBIO", 1, "640"),
                              ("SEN", 4, "175"), ("CPU", 1, "2000")])
    brain, cpu = plant["N-BRAIN"].id, plant["CPU"].id
    cpu_cost, total = {}, {}
    for method in ("standard", "last_purchase", "fifo", "average"):
        tree = cost_rollup(session, brain, method, with_labour=False)
        cpu_cost[method] = next(n.unit_cost for n in tree.walk() if n.item == cpu)
        total[method] = tree.total
    assert cpu_cost == {"standard": D(1850), "last_purchase": D(2000),  # the newest receipt lot
                        "fifo": D(1880),  # (2 x 1800 + 2 x 1900 + 2000) / 5 over the open lots
                        "average": D(1880)}
    assert total["standard"] == D(5260)  # 1850 + 2400 + 650 + 2 x 180
    assert total["last_purchase"] == D(5340)  # 2000 + 2350 + 640 + 2 x 175
    f.issue(plant.main, [(plant["CPU"], 3)])  # the two 1800 lots and one 1900 are gone
    tree = cost_rollup(session, brain, "fifo", with_labour=False)
    assert next(n.unit_cost for n in tree.walk() if n.item == cpu) == D(1950)
    tree = cost_rollup(session, brain, "standard")
    assert tree.labour == D(270) + D(120)  # soldering 30 min at (540 + 240) per hour
    with pytest.raises(DomainError, match="Unknown costing method"):
        cost_rollup(session, brain, "guess")
