"""The demo's production story: engineering data, two finished node orders, a robot order with children."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.models.catalog import Item
from app.models.production import Bom, ProductionCompletion, ProductionOrder, Routing
from app.services.demo import load_demo
from app.services.production import order_tree
from app.services.stock.verify import verify_stock

D = Decimal


def test_demo_production_story(app, session, monkeypatch):
    """The production chapter of the demo on its own: later chapters (orders, proposals) add BOMs
    and production orders of their own, and are tested with their contexts."""
    from app.services import demo

    wanted = ("partners", "stock", "production")
    chapter = [p for p in demo.DEMO_LOADERS if p.split(":")[0].rsplit("_", 1)[-1] in wanted]
    monkeypatch.setattr(demo, "DEMO_LOADERS", chapter)
    load_demo()
    assert session.query(Bom).count() == 5 and session.query(Routing).count() == 5
    robot = session.scalar(select(ProductionOrder).join(Item).where(Item.code == "ROBOT-STD"))
    assert robot.state == "released" and robot.qty == D(5)
    tree = order_tree(session, robot.id)
    kids = {n.order.item.code: n.order for n in tree.walk() if n.depth == 1}
    # 3 chassis and 4 drives were made; 5 robots need 5 chassis, 5 brains and 10 drives
    assert {code: o.qty for code, o in kids.items()} == {"N-CHASSIS": D(2), "N-BRAIN": D(5), "N-DRIVE": D(6)}
    receipts = session.scalars(select(ProductionCompletion)).all()
    assert len(receipts) == 2
    for rec in receipts:
        assert rec.output_value == rec.material_cost + rec.labour_cost + rec.overhead_cost
    drive = next(r for r in receipts if r.order.item.code == "N-DRIVE")
    # 8 motors from the 410 lot, 33.6 bolts at 2.40; 18 + 80 reported minutes at 650 + 280 per hour
    assert drive.material_cost == D("3280") + D("80.64")
    assert (drive.labour_cost, drive.overhead_cost) == (D("1061.6667"), D("457.3333"))
    software = session.scalar(select(Routing).join(Item).where(Item.code == "ROBOT-STD")).operations[-1]
    assert software.is_software and software.software_version
    assert verify_stock(session) == []
