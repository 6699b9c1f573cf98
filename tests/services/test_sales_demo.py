"""The sales demo: the Robokids order confirmed and analysed, one partial shipment, an invoice half paid."""

from __future__ import annotations

from sqlalchemy import select

from app.models.production import ProductionOrder
from app.models.sales import Payment, SalesInvoice, SalesOrder, SalesOrderDemand, Shipment
from app.services.demo import load_demo
from app.services.stock.verify import verify_stock


def test_demo_has_the_robokids_order_in_fulfilment(app, session):
    assert "loaded" in load_demo()
    # the story's order (the KPI demo adds months of showroom sales beside it)
    robokids = session.scalars(select(SalesOrder).where(SalesOrder.note.like("Робокидс:%"))).one()
    assert [ln.item.code for ln in robokids.lines] == ["ROBOT-STD", "KIT-START", "ROBOT-XL", "FW-SETUP"]
    assert robokids.state == "in_fulfilment"
    assert robokids.analysed_at is not None and all(ln.promise_date for ln in robokids.lines)
    kinds = {d.kind for d in session.scalars(select(SalesOrderDemand).where(SalesOrderDemand.order_id == robokids.id))}
    assert "production" in kinds
    made = session.scalars(select(ProductionOrder).where(ProductionOrder.note.like(f"{robokids.number}%"))).all()
    assert {p.item.code for p in made} >= {"ROBOT-XL"}
    ships = session.scalars(select(Shipment).where(Shipment.order_id == robokids.id)).all()
    assert len(ships) == 1 and ships[0].state == "posted" and ships[0].carrier is not None
    inv = session.scalars(select(SalesInvoice).where(SalesInvoice.order_id == robokids.id)).one()
    assert inv.payment_status == "partial"
    assert len(session.scalars(select(Payment).where(Payment.invoice_id == inv.id)).all()) == 1
    assert verify_stock(session) == []
