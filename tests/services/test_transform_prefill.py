"""Disassembly (issue 14, item 10): output lines pre-filled from the BOM, a sharing rule that cannot work explained
(which line, which item, what to enter where, a link to the item), and the demo data able to post one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.catalog import Item
from app.models.production import Transformation
from app.models.stock import Warehouse
from app.services.production import TransformInput, create_transformation, disassemble, post_transformation
from app.services.production.transform import prefill_from_bom, sharing_gaps
from tests import factories as f
from tests.services.test_production_example import BOMS, make_bom, make_items

D = Decimal


@pytest.fixture
def plant(session):
    items = make_items()
    for parent, lines in BOMS.items():
        make_bom(items, parent, lines)
    main = f.warehouse("MAIN")
    f.receipt(main, [(items["N-BRAIN"], 2, "5000")])
    return items, main


def test_prefill_takes_the_bom_for_the_quantity(session, plant):
    items, main = plant
    doc = Transformation(kind="disassembly", warehouse_id=main.id, item_id=items["N-BRAIN"].id, qty=D(2),
                         share_rule="standard", state="draft")
    prefill_from_bom(session, doc)
    assert [(ln.line_no, ln.item_id, ln.qty) for ln in doc.lines] == [
        (1, items["CPU"].id, D(2)), (2, items["MB"].id, D(2)), (3, items["SBIO"].id, D(2)), (4, items["SEN"].id, D(4))]
    no_bom = Transformation(kind="disassembly", warehouse_id=main.id, item_id=items["CPU"].id, qty=D(1),
                            share_rule="standard", state="draft")
    prefill_from_bom(session, no_bom)
    assert no_bom.lines == []  # nothing to offer: posting says there is no BOM


def test_missing_data_named_by_line_and_item_with_what_to_do(session, plant):
    items, main = plant
    items["SEN"].standard_cost = None
    session.commit()
    doc = create_transformation(session, TransformInput("disassembly", main.id, items["N-BRAIN"].id, "1"))
    assert [(g.line_no, g.code) for g in sharing_gaps(session, doc)] == [(4, "SEN")]
    with pytest.raises(DomainError) as err:
        post_transformation(session, doc.id)
    assert err.value.messages() == [
        "Line 4: SEN has no standard cost, so the standard-cost rule cannot share the cost out: enter its standard "
        "cost on the item's card, or choose the weight or manual rule"]
    assert err.value.problems[0].field == "share_rule"
    items["SEN"].standard_cost = D(180)
    session.commit()
    assert sharing_gaps(session, doc) == []
    assert post_transformation(session, doc.id).state == "posted"


def test_page_prefills_the_draft_and_links_the_item_to_fix(app, session, login_as, plant):
    items, main = plant
    for code in ("CPU", "MB"):
        items[code].weight = D("0.1")
    session.commit()
    c = login_as("Production")
    c.get("/lang/ru")
    resp = c.post("/disassemblyview/add", data={"doc_date": "2026-11-05", "warehouse": main.id,
                                                "item": items["N-BRAIN"].id, "qty": "1", "share_rule": "weight",
                                                "note": ""})
    doc = session.scalar(select(Transformation))
    assert resp.location.endswith(f"/disassemblyview/show/{doc.id}") and len(doc.lines) == 4
    page = c.get(resp.location).data.decode()
    assert 'id="sharing-gaps"' in page
    for line, code in ((3, "SBIO"), (4, "SEN")):
        assert f"Строка {line}" in page and f'/itemview/show/{items[code].id}"' in page
    assert f'/itemview/show/{items["CPU"].id}"' not in page


def test_demo_can_post_a_disassembly_by_standard_cost_and_by_weight(app, session, monkeypatch):
    from app.services import demo

    wanted = ("partners", "stock", "production", "proposals")
    monkeypatch.setattr(demo, "DEMO_LOADERS", [p for p in demo.DEMO_LOADERS
                                               if p.split(":")[0].rsplit("_", 1)[-1] in wanted])
    demo.load_demo()
    main = session.scalar(select(Warehouse).where(Warehouse.code == "MAIN"))
    drive = session.scalar(select(Item).where(Item.code == "N-DRIVE"))
    for rule in ("standard", "weight"):
        doc = disassemble(session, main.id, drive.id, "1", rule)
        assert doc.state == "posted" and sum(ln.value for ln in doc.lines) == doc.consumed_value > 0
    sensor = session.scalar(select(Item).where(Item.code == "N-SENSOR"))
    assert sensor.standard_cost is not None and sensor.weight is not None
