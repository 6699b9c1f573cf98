"""The demo's service story: the Robokids warranty repair took the two processors the order misses."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.models.catalog import Item
from app.models.service import ServiceRepair, ServiceRequest
from app.models.stock import StockBalance, Warehouse
from app.services.demo import load_demo


def test_the_robokids_processors_went_to_a_warranty_repair(app, session):
    load_demo()
    cpu = session.scalars(select(Item).where(Item.code == "CPU-A1")).one()
    main, defect = (session.scalars(select(Warehouse).where(Warehouse.code == code)).one() for code in
                    ("MAIN", "DEFECT"))
    [rep] = session.scalars(select(ServiceRepair)).all()
    req = session.get(ServiceRequest, rep.request_id)
    assert req.partner.name == "Робокидс" and req.warranty and req.state == "resolved"
    assert rep.warranty and rep.chargeable == 0 and rep.cost == Decimal(2 * 1800)  # the oldest FIFO lot
    back = session.scalars(select(StockBalance).where(StockBalance.item_id == cpu.id,
                                                      StockBalance.warehouse_id == defect.id)).one()
    assert (back.qty, back.value) == (Decimal(2), Decimal(0))
    assert rep.issue.reason == f"Ремонт по заявке {req.number}"  # written in the client's language
    states = set(session.scalars(select(ServiceRequest.state)))
    assert {"resolved", "waiting", "new"} <= states
    assert main.id != defect.id
