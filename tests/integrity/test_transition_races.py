"""Two users acting on one document at the same moment: exactly one transition happens.

Threads on a real database (file SQLite by default, PostgreSQL with TEST_DATABASE_URL). The race
window is widened at the service's lock (tests/integrity/races.py), so a service that reads the
state it checks before locking fails every run rather than now and then.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.sales import DOC_CANCELLED, DOC_POSTED, Payment, SalesInvoice
from app.services.sales import PaymentInput, create_invoice, register_payment
from app.services.sales import invoices as invoices_module
from app.services.sales.invoices import cancel_payment
from tests.integrity.races import meet_before
from tests.sales import factories_sales as fs
from tests.services.test_stock_concurrency import run_together

D = Decimal


@pytest.fixture
def invoice_with_two_payments(app, session):
    """An invoice of 1,000 paid by two payments of 500 (the issue's example)."""
    o = fs.order(fs.client(), [(fs.priced_item("ROBOT", "1000"), 1)], tax_rate=D(0))
    inv = create_invoice(session, o.id)
    first = register_payment(session, PaymentInput(inv.id, "500"))
    second = register_payment(session, PaymentInput(inv.id, "500"))
    return inv.id, first.id, second.id


def test_one_payment_cancelled_twice_at_once(app, monkeypatch, invoice_with_two_payments):
    iid, pid, other = invoice_with_two_payments
    meet_before(monkeypatch, invoices_module, "_lock_invoice", 2)

    results = run_together(app, 2, lambda k: cancel_payment(db.session, pid).state)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}
    [(_, problems)] = [r for r in results if r[0] == "refused"]
    number = db.session.get(Payment, pid).number
    assert problems[0].render() == (f"Payment {number} is “Cancelled”: "
                                    "“Cancelling” is possible only in these states: Posted")
    db.session.expire_all()
    inv = db.session.get(SalesInvoice, iid)
    states = dict(db.session.execute(select(Payment.id, Payment.state)).all())
    assert states == {pid: DOC_CANCELLED, other: DOC_POSTED}
    assert inv.amount_paid == D("500")
    with pytest.raises(DomainError) as refused:
        register_payment(db.session, PaymentInput(iid, "1000"))
    assert "more than the 500" in refused.value.problems[0].render()
    register_payment(db.session, PaymentInput(iid, "500"))
    assert db.session.get(SalesInvoice, iid).amount_paid == D("1000")


def test_one_deal_closed_twice_at_once(app, monkeypatch):
    """One user marks the deal won, another lost, at the same moment: the second is told it is closed."""
    from app.models.crm import Deal, DealStageChange
    from app.services import crm
    from tests.factories_partners import deal, partner, stages

    st = stages()
    did = deal("10 robots", partner("Robokids"), stage="Negotiation").id
    targets = [(st["Won"].id, ""), (st["Lost"].id, "price")]
    meet_before(monkeypatch, crm, "_history", 2)

    results = run_together(app, 2, lambda k: crm.move_deal(db.session, did, *targets[k]).stage_id)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}
    [(_, won_by)] = [r for r in results if r[0] == "ok"]
    db.session.expire_all()
    assert db.session.get(Deal, did).stage_id == won_by
    closing = db.session.scalars(select(DealStageChange.to_stage_id).where(DealStageChange.deal_id == did)).all()
    assert closing[-1] == won_by and len(closing) == 2  # created, then the one closing move


def test_one_output_receipt_cancelled_twice_at_once(app, monkeypatch):
    """The production twin of the payment race: the receipt is re-read under its order's lock."""
    from app.models.production import ProductionCompletion, ProductionOrder
    from app.models.stock import StockMove
    from app.services.production import orders as orders_module
    from app.services.production.orders import cancel_completion, complete_order, release_order
    from app.services.stock.verify import verify_stock
    from tests.services.test_production_example import DAY, build_plant, order_for

    plant = build_plant()
    order = order_for(plant, "N-DRIVE", 5)
    release_order(db.session, order.id)
    first = complete_order(db.session, order.id, "2", DAY).id
    complete_order(db.session, order.id, "3", DAY)
    oid = order.id
    meet_before(monkeypatch, orders_module, "_lock", 2)

    results = run_together(app, 2, lambda k: cancel_completion(db.session, first, DAY).state)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}
    db.session.expire_all()
    assert db.session.get(ProductionOrder, oid).qty_done == D(3)
    assert db.session.get(ProductionCompletion, first).state == "cancelled"
    moves = db.session.scalars(select(StockMove).where(StockMove.doc_type == "production",
                                                       StockMove.doc_id == first)).all()
    net: dict[int, Decimal] = {}
    for m in moves:
        net[m.item_id] = net.get(m.item_id, D(0)) + m.qty
    assert moves and set(net.values()) == {D(0)}  # posted once, reversed once
    assert verify_stock(db.session) == []
