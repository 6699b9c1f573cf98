"""The interface other contexts use: best_offer, add_demand, on_order_qty."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models.purchasing import PurchaseRequest, PurchaseRequestLine
from app.services.purchasing import add_demand, best_offer, on_order_qty
from tests import factories as f
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


def test_best_offer_is_cheapest_in_base_currency_ties_by_lead_time(base):
    cpu = f.item("CPU")
    a, b, c = pf.supplier("Alpha"), pf.supplier("Beta"), pf.supplier("Gamma")
    pf.offer(a, cpu, "1900", "RUB", lead=3)
    pf.offer(b, cpu, "18", "EUR", lead=10)  # 1800 RUB
    pf.offer(c, cpu, "20", "USD", lead=4)  # 1800 RUB, shorter lead time: wins the tie
    choice = best_offer(db.session, cpu.id, TODAY, D(1))
    assert (choice.supplier_name, choice.price, choice.currency_code, choice.price_base) == ("Gamma", D(20), "USD",
                                                                                            D(1800))
    assert [(x.supplier_name, x.price_base) for x in choice.alternatives] == [("Beta", D(1800)), ("Alpha", D(1900))]


def test_offer_expired_yesterday_is_not_chosen(base):
    cpu = f.item("CPU")
    cheap, dear = pf.supplier("Cheap"), pf.supplier("Dear")
    pf.offer(cheap, cpu, "100", valid_to=TODAY - timedelta(days=1))
    pf.offer(dear, cpu, "150")
    pf.offer(cheap, cpu, "90", valid_from=TODAY + timedelta(days=1))  # not yet valid
    choice = best_offer(db.session, cpu.id, TODAY, D(1))
    assert choice.supplier_name == "Dear" and choice.alternatives == []
    assert best_offer(db.session, cpu.id, TODAY - timedelta(days=1), D(1)).price == D(100)


def test_add_demand_rounds_and_never_duplicates(base):
    cpu = f.item("CPU")
    wh = f.warehouse()
    pf.offer(pf.supplier("Alpha"), cpu, "10", min_qty="10", pack="4")
    line = add_demand(db.session, item_id=cpu.id, qty=D(7), warehouse_id=wh.id, reason={"method": "sales_order"},
                      source="sales_order", source_ref="SO-1")
    db.session.commit()
    assert line.qty == D(12) and line.amount_base == D(120) and line.reason["method"] == "sales_order"
    assert line.reason["rounding"] == "7 → 12"
    again = add_demand(db.session, item_id=cpu.id, qty=D(13), warehouse_id=wh.id, reason={"method": "sales_order"},
                       source="sales_order", source_ref="SO-1")
    db.session.commit()
    assert again.id == line.id and again.qty == D(16)
    add_demand(db.session, item_id=cpu.id, qty=D(1), warehouse_id=wh.id, reason={}, source="sales_order",
               source_ref="SO-2")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequest)) == 1
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 2
    req = db.session.scalar(select(PurchaseRequest))
    assert req.total_base == D(160) + D(120)


def test_add_demand_without_offer_goes_to_unassigned_request(base):
    bolt = f.item("BOLT")
    line = add_demand(db.session, item_id=bolt.id, qty=D("2.5"), warehouse_id=None, reason={}, source="x",
                      source_ref="1")
    db.session.commit()
    assert line.request.supplier_id is None and line.qty == D(3) and line.price is None  # 2.5 pieces: 3


def test_on_order_counts_sent_orders_minus_received(base):
    from app.models.purchasing import PurchaseOrder, PurchaseOrderLine

    cpu = f.item("CPU")
    wh = f.warehouse()
    sup = pf.supplier("Alpha")
    rub = f.currency("RUB")
    for n, (state, qty, received) in enumerate([("sent", "10", "4"), ("draft", "5", "0"), ("partial", "3", "1"),
                                                 ("received", "2", "2")]):
        po = PurchaseOrder(number=f"PO-{n}", state=state, supplier_id=sup.id, warehouse_id=wh.id, currency_id=rub.id,
                           lines=[PurchaseOrderLine(line_no=1, item_id=cpu.id, qty=D(qty), price=D(1),
                                                    received_qty=D(received))])
        db.session.add(po)
    db.session.commit()
    assert on_order_qty(db.session, [cpu.id]) == {cpu.id: D(8)}
    assert on_order_qty(db.session, [cpu.id], warehouse_id=wh.id + 1) == {}


def test_card_sections_of_a_supplier(base):
    from app.services.purchasing.card import card_sections

    cpu = f.item("CPU")
    wh = f.warehouse()
    alpha, other = pf.supplier("Alpha"), pf.supplier("Other")
    for n in range(3):
        pf.offer(alpha, cpu, str(10 + n))
    add_demand(db.session, item_id=cpu.id, qty=D(2), warehouse_id=wh.id, reason={}, source="t", source_ref="1")
    db.session.commit()
    sections = card_sections(db.session, alpha.id, limit=2)
    assert [s.key for s in sections] == ["supplier_offers", "purchase_requests"]
    offers = sections[0]
    assert offers.total == 3 and len(offers.rows) == 2 and offers.rows[0]["currency"] == "RUB"
    assert sections[1].rows[0]["total"] == D(20)
    assert card_sections(db.session, other.id) == []
