"""The Robokids order (MISSION.md), end to end through the services.

The school orders 10 standard robots, 5 kits and 4 custom robots (priced by the robot calculator)
plus the custom software setup. The warehouse (FIFO) has 5 standard robots and the kits; the
logistics analysis finds that making the other 5 standard and the 4 custom robots needs 9 control
nodes, and the shelf lacks motherboards and two processors (two went to warranty repair). Purchase
requests go to the best offer; production orders (with child orders for the nodes) appear; the
invoice is paid in two payments; the robots leave in two shipments; the ledger stays consistent.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.models.production import ProductionOrder
from app.models.purchasing import PurchaseRequest, PurchaseRequestLine
from app.models.sales import SalesOrderDemand
from app.services.production import BomInput, BomLineInput, complete_order, create_bom
from app.services.sales import (
    OrderLineInput,
    PaymentInput,
    cancel_order,
    confirm_order,
    create_act,
    create_invoice,
    register_payment,
)
from app.services.sales.analysis import analyse, run_analysis
from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, TransportInput, ship_order
from app.services.stock.reservations import reserved_for
from app.services.stock.verify import verify_stock
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal
TODAY = date.today()

PARTS = {"CPU": "1800", "MB": "2400", "SB": "650", "SEN": "180", "CASE": "900", "WHEEL": "75", "MOT": "420"}
BOMS = {
    "N-BRAIN": [("CPU", "1"), ("MB", "1"), ("SB", "1"), ("SEN", "2")],
    "N-CHASSIS": [("CASE", "1"), ("WHEEL", "4")],
    "N-DRIVE": [("MOT", "2")],
    "ROBOT-STD": [("N-CHASSIS", "1"), ("N-BRAIN", "1"), ("N-DRIVE", "2")],
    "ROBOT-XL": [("N-CHASSIS", "1"), ("N-BRAIN", "1"), ("N-DRIVE", "3"), ("SEN", "2")],
}


@pytest.fixture
def factory(app, session):
    """The robot factory of MISSION.md: parts, nodes, robots with BOMs, a stocked FIFO warehouse, offers."""
    pf.company()
    wh = f.warehouse("MAIN", "fifo")
    items = {code: f.item(code, standard_cost=cost) for code, cost in PARTS.items()}
    for code in ("N-BRAIN", "N-CHASSIS", "N-DRIVE"):
        items[code] = f.item(code, kind="node")
    items["ROBOT-STD"] = fs.priced_item("ROBOT-STD", "24900")
    items["ROBOT-XL"] = fs.priced_item("ROBOT-XL", None)
    items["KIT"] = fs.priced_item("KIT", "7900", kind="kit")
    items["FW-SETUP"] = fs.priced_item("FW-SETUP", "5000", kind="service")
    for parent, lines in BOMS.items():
        create_bom(session, BomInput(items[parent].id, "1", valid_from=date(2026, 1, 1),
                                     lines=[BomLineInput(items[c].id, q) for c, q in lines]))
    on = date(2026, 11, 1)
    f.receipt(wh, [(items["CPU"], 9, "1800"), (items["MB"], 6, "2400"), (items["SB"], 20, "650"),
                   (items["SEN"], 40, "180"), (items["CASE"], 15, "900"), (items["WHEEL"], 80, "75"),
                   (items["MOT"], 60, "420"), (items["ROBOT-STD"], 5, "9800"), (items["KIT"], 8, "3050")], on=on)
    f.issue(wh, [(items["CPU"], 2)], reason="Warranty repair (Robokids)", on=on)
    chip = pf.supplier("ChipSnab")
    cheap = pf.supplier("ChipOpt")
    pf.offer(chip, items["CPU"], "1800", lead=7)
    pf.offer(cheap, items["CPU"], "1750", lead=10)
    pf.offer(chip, items["MB"], "2350", lead=5)
    return wh, items


def _order(session, items):
    c = fs.client("Robokids")
    return fs.order(c, [
        (items["ROBOT-STD"], 10),
        (items["KIT"], 5, None, "5"),
        OrderLineInput(items["ROBOT-XL"].id, D(4), unit_price=D("38900"), calculator_version_id=3,
                       calculator_inputs={"height": "420", "width": "300", "cpu": "A1", "boards": "2"},
                       unit_cost_estimate=D("15100")),
        (items["FW-SETUP"], 4),
    ], order_date=TODAY, delivery_address="Moscow, Lesnaya 5, Robokids school")


def _counts(session):
    return (session.scalar(select(func.count()).select_from(ProductionOrder)),
            session.scalar(select(func.count()).select_from(PurchaseRequestLine)),
            session.scalar(select(func.count()).select_from(SalesOrderDemand)))


def test_robokids_from_order_to_paid_and_shipped(factory, session):
    wh, items = factory
    order = _order(session, items)
    # 10 x 24900 + 5 x 7900 less 5% + 4 x 38900 + 4 x 5000 = 249000 + 37525 + 155600 + 20000 = 462125, VAT 20%
    assert (order.amount_net, order.amount_tax, order.amount_total) == (D("462125.00"), D("92425.00"),
                                                                        D("554550.00"))

    confirm_order(session, order.id)
    assert reserved_for(session, "sales_order", order.id) == {(items["ROBOT-STD"].id, wh.id): D(5),
                                                              (items["KIT"].id, wh.id): D(5)}

    # the analysis: 5 standard robots on the shelf, 5 more and the 4 custom ones to make; CPUs and boards short
    result = analyse(session, order.id)
    std, kit, xl, service = result.lines
    assert (std.reserved, std.available, std.in_production, std.to_produce, std.to_buy) == (D(5), 0, 0, D(5), 0)
    assert (kit.reserved, kit.to_produce, kit.to_buy, kit.promise_date) == (D(5), 0, 0, TODAY)
    assert (xl.reserved, xl.to_produce) == (0, D(4))
    assert service.notes[0].msgid == "A service: nothing to reserve, make or buy"
    short = {(c.code, c.to_buy) for ln in (std, xl) for c in ln.components if c.to_buy}
    assert short == {("MB", D(3)), ("CPU", D(2))}  # 9 control nodes: 7 CPUs and 6 boards free
    assert result.to_buy() == {items["CPU"].id: D(2), items["MB"].id: D(3)}
    assert any("ChipOpt" in n.render() for c in xl.components if c.code == "CPU" for n in c.notes)
    assert std.promise_date > TODAY

    # acting on it: production orders (children for the nodes) and purchase requests to the best offers
    done = run_analysis(session, order.id)
    robots = session.scalars(select(ProductionOrder).where(ProductionOrder.parent_id.is_(None))).all()
    assert sorted((p.item.code, p.qty, p.state) for p in robots) == [
        ("ROBOT-STD", D(5), "released"), ("ROBOT-XL", D(4), "released")]
    children = Counter(p.item.code for p in session.scalars(
        select(ProductionOrder).where(ProductionOrder.parent_id.is_not(None))))
    assert children["N-BRAIN"] == 2
    requests = {(ln.item.code, ln.qty, r.supplier.name) for ln, r in session.execute(
        select(PurchaseRequestLine, PurchaseRequest).join(PurchaseRequest))}
    assert requests == {("CPU", D(2), "ChipOpt"), ("MB", D(3), "ChipSnab")}
    assert all(ln.to_produce == 0 and ln.to_buy == 0 for ln in done.lines)
    assert all(c.to_produce == 0 and c.to_buy == 0 for ln in done.lines for c in ln.components)
    assert {c.code: c.requested for ln in done.lines for c in ln.components if c.requested} == {"CPU": D(2),
                                                                                               "MB": D(3)}

    # re-running creates nothing new
    before = _counts(session)
    run_analysis(session, order.id)
    assert _counts(session) == before

    # the invoice for the whole order, paid in two payments; paying more than due is refused
    invoice = create_invoice(session, order.id)
    assert invoice.amount_total == D("554550.00") and invoice.payment_status == "unpaid"
    register_payment(session, PaymentInput(invoice.id, "300000.00"))
    with pytest.raises(DomainError) as err:
        register_payment(session, PaymentInput(invoice.id, "254550.01"))
    assert err.value.messages() == [
        f"The payment of 254550.01 is more than the 254550 due on invoice {invoice.number}"]
    register_payment(session, PaymentInput(invoice.id, "254550.00"))
    assert (invoice.amount_paid, invoice.payment_status) == (D("554550.00"), "paid")
    act = create_act(session, order.id)
    assert [(ln.item.code, ln.qty, ln.amount_total) for ln in act.lines] == [("FW-SETUP", D(4), D("24000.00"))]

    # first shipment: what is reserved (5 standard robots and the kits)
    carrier = fs.carrier()
    first = ship_order(session, ShipmentInput(order.id, transport=TransportInput(
        carrier_id=carrier.id, vehicle="A123BC 77", driver="I. Petrov", delivery_date=TODAY,
        window_from="10:00", window_to="14:00", transport_cost="3500")))
    assert sorted((sl.item.code, sl.qty) for sl in first.lines) == [("KIT", D(5)), ("ROBOT-STD", D(5))]
    assert order.state == "in_fulfilment"
    assert f.balance(items["ROBOT-STD"], wh)[0] == 0

    # the parts arrive, production makes the nodes and then the robots
    f.receipt(wh, [(items["CPU"], 2, "1750"), (items["MB"], 3, "2350")], on=TODAY)
    for p in sorted(session.scalars(select(ProductionOrder)), key=lambda p: -(p.parent_id or 0)):
        if p.parent_id is not None:
            complete_order(session, p.id, p.qty - p.qty_done)
    for p in robots:
        complete_order(session, p.id, p.qty)
    run_analysis(session, order.id)  # reserves the robots made for the order
    assert reserved_for(session, "sales_order", order.id) == {(items["ROBOT-STD"].id, wh.id): D(5),
                                                              (items["ROBOT-XL"].id, wh.id): D(4)}
    # the parts came and were used: the draft requests nobody sent ask for nothing any more
    assert session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 0

    second = ship_order(session, ShipmentInput(order.id, lines=[
        ShipmentLineInput(order.lines[0].id, "5"), ShipmentLineInput(order.lines[2].id, "4")]))
    assert second.state == "posted" and order.state == "shipped"
    assert reserved_for(session, "sales_order", order.id) == {}
    assert verify_stock(session) == []


def _order_lines(session) -> dict[str, tuple]:
    """item code -> (qty, request state, excess) of the purchase request lines made for orders."""
    rows = session.execute(select(PurchaseRequestLine, PurchaseRequest).join(PurchaseRequest)
                           .where(PurchaseRequestLine.source == "sales_order")).all()
    return {ln.item.code: (ln.qty, r.state, ln.excess) for ln, r in rows}


def test_robokids_requests_follow_the_need_as_stock_arrives(factory, session):
    """The analysis asked for 2 CPUs (a draft to ChipOpt) and 3 boards (sent to ChipSnab). Then goods arrive
    from elsewhere: a CPU back from warranty repair and 2 boards. The draft shrinks to what is still
    short, the sent request tells the buyer it asks 2 boards too many; when the second CPU comes back
    the CPU line is withdrawn and its emptied draft request goes. No line asks for what is not needed."""
    from app.services.purchasing.requests import mark_sent

    wh, items = factory
    order = _order(session, items)
    confirm_order(session, order.id)
    run_analysis(session, order.id)
    mark_sent(session, session.scalar(select(PurchaseRequestLine.request_id).join(PurchaseRequestLine.item)
                                      .where(PurchaseRequestLine.item_id == items["MB"].id)))
    assert _order_lines(session) == {"CPU": (D(2), "draft", None), "MB": (D(3), "sent", None)}

    f.receipt(wh, [(items["CPU"], 1, "1800"), (items["MB"], 2, "2350")], on=TODAY)
    done = run_analysis(session, order.id)
    assert done.to_buy() == {}
    assert _order_lines(session) == {"CPU": (D(1), "draft", None), "MB": (D(3), "sent", D(2))}
    mb = session.scalar(select(PurchaseRequestLine).where(PurchaseRequestLine.item_id == items["MB"].id))
    assert (mb.reason["needed_now"], mb.reason["excess"]) == ("1", "2")
    assert any(p.msgid.startswith("Purchase request %(number)s asks") for p in done.created)

    f.receipt(wh, [(items["CPU"], 1, "1800")], on=TODAY)
    done = run_analysis(session, order.id)
    assert _order_lines(session) == {"MB": (D(3), "sent", D(2))}
    assert session.scalar(select(func.count()).select_from(PurchaseRequest)) == 1  # the CPU draft went
    assert [p.msgid for p in done.created if "withdrawn" in p.msgid] == [
        "Purchase request line for %(item)s withdrawn: no longer needed"]
    assert verify_stock(session) == []


def test_a_cancelled_order_withdraws_its_draft_purchase_lines_and_names_open_production(factory, session):
    """Robokids cancel after the analysis: the draft request lines (suggestions nobody acted on) go
    with the order; a line of a request already sent to the supplier stays; the production orders
    are named for the production manager to decide, not cancelled behind their back."""
    from app.services.purchasing.requests import mark_sent
    from app.services.sales.orders import open_production_orders

    wh, items = factory
    order = _order(session, items)
    confirm_order(session, order.id)
    run_analysis(session, order.id)
    lines = {ln.item.code: ln for ln in session.scalars(select(PurchaseRequestLine))}
    mark_sent(session, lines["MB"].request_id)  # the board request went to ChipSnab already
    made = sorted(session.scalars(select(ProductionOrder.number).join(
        SalesOrderDemand, SalesOrderDemand.production_order_id == ProductionOrder.id).distinct()))
    assert len(made) >= 2  # the standard and the custom robots, at least

    cancel_order(session, order.id)

    left = {(ln.item.code, ln.qty) for ln in session.scalars(select(PurchaseRequestLine))}
    assert left == {("MB", D(3))}
    assert session.scalar(select(func.count()).select_from(PurchaseRequest)) == 1  # the emptied draft is gone
    assert sorted(open_production_orders(session, order.id)) == made
    assert reserved_for(session, "sales_order", order.id) == {}
    assert verify_stock(session) == []
