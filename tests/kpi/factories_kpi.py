"""A hand-built November 2026 for the KPI tests: two customer orders shipped from FIFO lots, invoices
and a part payment, proposals, deals, production and purchasing, with every figure worked out by hand.

Sales (RUB, VAT 20 %): ROBOT at 100.10; lots 4 @ 60 (1 Nov) and 6 @ 70 (2 Nov).
  Order A (manager "sales"): 7 robots ordered 10 Nov, wanted by 20 Nov; shipped 5 on 12 Nov
  (cost 4 x 60 + 1 x 70 = 310) and 2 on 25 Nov (140): late, lead time 15 days; invoiced 26 Nov 700.70.
  Order B: 2 robots ordered 3 Nov, wanted by 30 Nov; shipped 14 Nov (140): on time, 11 days;
  invoiced 15 Nov 200.20 (240.24 with VAT, due 25 Nov), 200.00 paid on 20 Nov.
Stock: CPU received against two purchase orders (3 @ 11 ordered at 10 on 9 Nov, 3 @ 20 on 13 Nov,
  both expected 10 Nov); OLD: 5 @ 10 received 1 Aug and never moved (dead stock).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import force_locale

from app.models.kpi import KpiDefinition
from app.models.production import ProductionCompletion, ProductionOrder
from app.models.proposals import Proposal
from app.models.purchasing import PurchaseOrder, PurchaseOrderLine, PurchaseReceipt, PurchaseReceiptLine
from app.services.kpi.metrics import BY_CODE
from app.services.sales import PaymentInput, confirm_order, create_invoice, register_payment
from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order
from tests import factories as f
from tests import factories_partners as fp
from tests.sales import factories_sales as fs

D = Decimal
TODAY = date(2026, 12, 7)  # November is closed, December runs
NOV = date(2026, 11, 1)


def user_id(username: str) -> int:
    from flask import current_app

    return current_app.appbuilder.sm.find_user(username=username).id


def sales_history(session) -> dict:
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "100.10")
    fs.stock(wh, robot, 4, cost="60", on=date(2026, 11, 1))
    fs.stock(wh, robot, 6, cost="70", on=date(2026, 11, 2))
    client = fs.client()
    a = fs.order(client, [(robot, 7)], order_date=date(2026, 11, 10), delivery_date=date(2026, 11, 20))
    b = fs.order(client, [(robot, 2)], order_date=date(2026, 11, 3), delivery_date=date(2026, 11, 30))
    a.manager_id = user_id("sales")
    session.commit()
    confirm_order(session, a.id)
    confirm_order(session, b.id)
    ship_order(session, ShipmentInput(a.id, [ShipmentLineInput(a.lines[0].id, "5")], ship_date=date(2026, 11, 12)))
    ship_order(session, ShipmentInput(b.id, ship_date=date(2026, 11, 14)))
    ship_order(session, ShipmentInput(a.id, ship_date=date(2026, 11, 25)))
    inv_b = create_invoice(session, b.id, invoice_date=date(2026, 11, 15))
    inv_a = create_invoice(session, a.id, invoice_date=date(2026, 11, 26))
    register_payment(session, PaymentInput(inv_b.id, "200.00", pay_date=date(2026, 11, 20)))
    return {"a": a, "b": b, "inv_a": inv_a, "inv_b": inv_b, "robot": robot, "wh": wh, "client": client}


def other_history(session, client, wh, robot) -> None:
    """Proposals, deals, production and purchasing rows written as their services leave them."""
    rub = f.currency("RUB")

    def proposal(n: int, state: str, sent: int | None, decided: int | None) -> None:
        session.add(Proposal(number=f"TCP-{n}", state=state, partner_id=client.id, currency_id=rub.id,
                             proposal_date=date(2026, 11, 1),
                             sent_at=datetime(2026, 11, sent, 10) if sent else None,
                             decided_at=datetime(2026, 11, decided, 10) if decided else None))

    proposal(1, "sent", 5, None)
    proposal(2, "approved", 6, 9)
    proposal(3, "rejected", 7, 12)
    proposal(4, "converted", 8, 20)
    proposal(5, "draft", None, None)
    p = fp.partner("Robokids CRM")
    won = fp.deal_with_history("D1", p, ["Lead", "Won"], manager_id=user_id("sales"))
    lost = fp.deal_with_history("D2", p, ["Lead", "Lost"])
    fp.deal_with_history("D3", p, ["Lead", "Won"])
    won.closed_at, lost.closed_at = datetime(2026, 11, 10, 9), datetime(2026, 11, 11, 9)
    third = session.query(type(won)).filter_by(title="D3").one()
    third.closed_at = datetime(2026, 11, 12, 9)
    mo = ProductionOrder(number="MO-1", state="done", item_id=robot.id, qty=D(2), qty_done=D(2),
                         component_warehouse_id=wh.id, output_warehouse_id=wh.id,
                         planned_material=D("100"), planned_labour=D("50"), planned_overhead=D("50"),
                         actual_material=D("110"), actual_labour=D("60"), actual_overhead=D("50"),
                         done_at=datetime(2026, 11, 18, 16))
    session.add(mo)
    session.flush()
    session.add(ProductionCompletion(number="MR-1", order_id=mo.id, doc_date=date(2026, 11, 18), state="posted",
                                     qty=D(2), output_value=D("220.0000")))
    session.add(ProductionCompletion(number="MR-2", order_id=mo.id, doc_date=date(2026, 11, 19), state="cancelled",
                                     qty=D(1), output_value=D("99.0000")))
    cpu = f.item("CPU")
    fs.stock(wh, f.item("OLD"), 5, cost="10", on=date(2026, 8, 1))  # never moves again: dead stock
    sup = fs.client("ElectroComp")
    po1 = PurchaseOrder(number="PO-1", state="received", supplier_id=sup.id, warehouse_id=wh.id, currency_id=rub.id,
                        expected_date=date(2026, 11, 10))
    po2 = PurchaseOrder(number="PO-2", state="received", supplier_id=sup.id, warehouse_id=wh.id, currency_id=rub.id,
                        expected_date=date(2026, 11, 10))
    session.add_all([po1, po2])
    session.flush()
    for po, day, price, ordered in ((po1, 9, "11", "10"), (po2, 13, "20", "20")):
        line = PurchaseOrderLine(order_id=po.id, line_no=1, item_id=cpu.id, qty=D(3), price=D(ordered))
        session.add(line)
        session.flush()
        doc = f.receipt(wh, [(cpu, 3, price)], on=date(2026, 11, day))
        rec = PurchaseReceipt(order_id=po.id, document_id=doc.id, doc_number=doc.number,
                              receipt_date=date(2026, 11, day))
        rec.lines = [PurchaseReceiptLine(order_line_id=line.id, qty=D(3), price=D(price), ordered_price=D(ordered))]
        session.add(rec)
    session.commit()


def define(session, metric: str, **kw) -> KpiDefinition:
    kw.setdefault("period", "month")
    kw.setdefault("division", BY_CODE[metric].division)
    label = BY_CODE[metric].label
    with force_locale("ru"):
        kw.setdefault("name_ru", str(label))
    with force_locale("es"):
        kw.setdefault("name_es", str(label))
    defn = KpiDefinition(code=kw.pop("code", metric), name=kw.pop("name", str(label)), metric=metric, **kw)
    session.add(defn)
    session.commit()
    return defn
