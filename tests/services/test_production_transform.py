"""Disassembly and conversion: the issued cost shared out exactly (remainder on the last line), cancellable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.models.production import Transformation
from app.services.production import (
    OutputLine,
    TransformInput,
    cancel_transformation,
    convert,
    create_transformation,
    disassemble,
    post_transformation,
)
from app.services.stock.verify import verify_stock
from tests import factories as f
from tests.services.test_production_example import BOMS, make_bom, make_items

D = Decimal
DAY = date(2026, 11, 5)


@pytest.fixture
def plant(session):
    items = make_items()
    for parent, lines in BOMS.items():
        make_bom(items, parent, lines)
    main = f.warehouse("MAIN")
    # three brains at different costs: FIFO takes 5000 then 5200.01
    f.receipt(main, [(items["N-BRAIN"], 1, "5000"), (items["N-BRAIN"], 2, "5200.01")], on=date(2026, 10, 1))
    return items, main


def test_disassembly_into_bom_components_by_standard_cost(session, plant):
    items, main = plant
    doc = disassemble(session, main.id, items["N-BRAIN"].id, "2", on_date=DAY)
    assert doc.state == "posted" and doc.number.startswith("DA-")
    assert doc.consumed_value == D("10200.01")
    by_code = {ln.item.code: ln for ln in doc.lines}
    assert {c: ln.qty for c, ln in by_code.items()} == {"CPU": D(2), "MB": D(2), "SBIO": D(2), "SEN": D(4)}
    # weights: CPU 2 x 1850 = 3700, MB 4800, SBIO 1300, SEN 4 x 180 = 720; sum 10520
    assert by_code["CPU"].value == D("3587.4559")  # 10200.01 x 3700 / 10520 = 3587.45598..., cut down
    assert by_code["MB"].value == D("4653.9969")  # 4653.99695...
    assert by_code["SBIO"].value == D("1260.4575")  # 1260.45750...
    assert by_code["SEN"].value == D("698.0997")  # the remainder (exactly 698.09954...)
    assert sum(ln.value for ln in doc.lines) == doc.consumed_value
    assert f.balance(items["CPU"], main) == (D(2), D("3587.4559"))
    assert f.balance(items["N-BRAIN"], main) == (D(1), D("5200.01"))
    assert verify_stock(session) == []


def test_disassembly_by_weight_and_by_hand(session, plant):
    items, main = plant
    for code, w in (("CPU", "0.05"), ("MB", "0.2")):
        items[code].weight = D(w)
    session.commit()
    lines = [OutputLine(items["CPU"].id, "1"), OutputLine(items["MB"].id, "1")]
    doc = disassemble(session, main.id, items["N-BRAIN"].id, "1", "weight", lines, DAY)
    assert [ln.value for ln in doc.lines] == [D(1000), D(4000)]  # 5000 split 0.05 : 0.2
    manual = [OutputLine(items["CPU"].id, "1", "1"), OutputLine(items["SBIO"].id, "2", "2")]
    doc = disassemble(session, main.id, items["N-BRAIN"].id, "1", "manual", manual, DAY)
    assert [ln.value for ln in doc.lines] == [D("1733.3366"), D("3466.6734")]  # 5200.01 split 1 : 2
    assert verify_stock(session) == []


def test_missing_weights_and_standard_costs_are_listed(session, plant):
    items, main = plant
    items["SEN"].standard_cost = None
    session.commit()
    doc = create_transformation(session, TransformInput("disassembly", main.id, items["N-BRAIN"].id, "1"))
    before = f.row_counts()
    with pytest.raises(DomainError, match="SEN has no standard cost"):
        post_transformation(session, doc.id)
    weight_doc = create_transformation(session, TransformInput("disassembly", main.id, items["N-BRAIN"].id, "1",
                                                               "weight"))
    with pytest.raises(DomainError) as exc:
        post_transformation(session, weight_doc.id)
    assert len(exc.value.problems) == 4  # none of the four parts has a weight
    assert f.row_counts() == before


def test_conversion_carries_the_cost_over(session, plant):
    items, main = plant
    shop = f.warehouse("SHOP", "average")
    doc = convert(session, main.id, items["N-BRAIN"].id, "3", items["ROBOT"].id, "1", DAY, dest_warehouse_id=shop.id)
    assert doc.consumed_value == D("15400.02") and doc.lines[0].value == D("15400.02")
    assert f.balance(items["ROBOT"], shop) == (D(1), D("15400.02"))
    cancel_transformation(session, doc.id, DAY)
    assert f.balance(items["ROBOT"], shop) == (D(0), D(0))
    assert f.balance(items["N-BRAIN"], main) == (D(3), D("15400.02"))
    assert session.get(Transformation, doc.id).state == "cancelled"
    assert verify_stock(session) == []


def test_bad_transformations_refused(session, plant):
    items, main = plant
    with pytest.raises(DomainError, match="exactly one other item"):
        create_transformation(session, TransformInput("conversion", main.id, items["N-BRAIN"].id, "1", "manual", [
            OutputLine(items["CPU"].id, "1", "1"), OutputLine(items["MB"].id, "1", "1")]))
    with pytest.raises(DomainError, match="cannot be turned into itself"):
        convert(session, main.id, items["N-BRAIN"].id, "1", items["N-BRAIN"].id, "1", DAY)
    with pytest.raises(DomainError, match="Quantity must be positive"):
        convert(session, main.id, items["N-BRAIN"].id, "0", items["CPU"].id, "1", DAY)
    before = f.row_counts()
    with pytest.raises(DomainError, match="Insufficient stock"):
        convert(session, main.id, items["N-BRAIN"].id, "4", items["CPU"].id, "1", DAY)
    assert f.row_counts() == before
    with pytest.raises(DomainError, match="No active bill of materials"):
        disassemble(session, main.id, items["CPU"].id, "1", on_date=DAY)


def test_cancel_refused_when_outputs_were_used(session, plant):
    items, main = plant
    doc = convert(session, main.id, items["N-BRAIN"].id, "1", items["CPU"].id, "2", DAY)
    used = f.issue(main, [(items["CPU"], 1)], on=DAY)
    with pytest.raises(DomainError, match=used.number):
        cancel_transformation(session, doc.id, DAY)
    with pytest.raises(DomainError, match="is “Draft”: “Cancelling” is possible only in these states: Posted"):
        cancel_transformation(session, create_transformation(session, TransformInput(
            "disassembly", main.id, items["N-BRAIN"].id, "1")).id)
