"""Two orders can't reserve the same last units; two payments can't overpay one invoice.

Threads on a real database (file SQLite by default, PostgreSQL with TEST_DATABASE_URL), released
together at a barrier, each with its own session (tests/services/test_stock_concurrency.py's helper).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.sales import Payment
from app.models.stock import StockBalance
from app.services.sales import PaymentInput, confirm_order, create_invoice, register_payment
from app.services.sales.shipments import ShipmentInput, ship_order
from app.services.stock.reservations import reserved_for
from app.services.stock.verify import verify_stock
from tests import factories as f
from tests.sales import factories_sales as fs
from tests.services.test_stock_concurrency import run_together

D = Decimal


def test_two_orders_racing_for_the_last_units(app, session):
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "100")
    fs.stock(wh, robot, 3)
    c = fs.client()
    orders = [fs.order(c, [(robot, 3)]).id for _ in range(4)]

    run_together(app, 4, lambda k: confirm_order(db.session, orders[k]).number)

    held = [reserved_for(db.session, "sales_order", oid).get((robot.id, wh.id), D(0)) for oid in orders]
    assert sorted(held) == [D(0), D(0), D(0), D(3)]  # whoever came first holds all three; the others none
    bal = db.session.scalar(select(StockBalance).where(StockBalance.item_id == robot.id))
    assert (bal.qty, bal.reserved) == (D(3), D(3))


def test_two_shipments_racing_for_one_reservation(app, session):
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "100")
    fs.stock(wh, robot, 2)
    o = fs.order(fs.client(), [(robot, 2)])
    confirm_order(session, o.id)
    oid = o.id

    results = run_together(app, 3, lambda k: ship_order(db.session, ShipmentInput(oid)).number)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 2}
    assert f.balance(robot, wh)[0] == 0 and verify_stock(db.session) == []


def test_two_payments_racing_to_overpay(app, session):
    f.warehouse()
    o = fs.order(fs.client(), [(fs.priced_item("ROBOT", "100"), 1)], tax_rate=D(0))
    iid = create_invoice(session, o.id).id

    results = run_together(app, 2, lambda k: register_payment(db.session, PaymentInput(iid, "60")).number)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}
    db.session.expire_all()
    assert sum(p.amount for p in db.session.scalars(select(Payment))) == D("60")
