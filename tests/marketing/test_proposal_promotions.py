"""Promotions on TCP lines: decided by the same function as orders (best wins, never stacked, floor kept),
named on the line and the printed form, carried unchanged onto the order the proposal converts into."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models.catalog import ItemGroup
from app.models.marketing import Promotion
from app.models.proposals import PricingRule
from app.models.sales import SalesOrder
from app.services import proposals as svc
from app.services.company import print_locale
from app.services.proposals import ExtraLine, ProposalInput
from app.services.proposals.printing import customer_context, internal_context
from tests import factories as f
from tests.sales import factories_sales as sf

D = Decimal
ON = date(2026, 11, 10)


def _promo(name: str, pct: str, **kw) -> Promotion:
    p = Promotion(name=name, name_es=f"{name} (es)", discount_pct=D(pct), date_from=date(2026, 11, 1),
                  date_to=date(2026, 11, 30), **kw)
    db.session.add(p)
    db.session.commit()
    return p


def _proposal(client, lines: list[ExtraLine]):
    return svc.save_proposal(db.session, ProposalInput(
        client.id, currency_id=f.currency("RUB").id, cost_source="standard", margin_pct="50", proposal_date=ON,
        extra_lines=lines))


def test_best_promotion_on_proposal_lines_not_stacked_named_and_kept_on_the_order(app):
    kits = ItemGroup(code="KITS", name="Kits")
    db.session.add(kits)
    kit = f.item("KIT", kind="product", standard_cost="500")  # 50 % margin: list price 1000
    box = f.item("BOX", kind="product", standard_cost="500")
    kit.group = box.group = kits
    client = sf.client("Robokids", language="es")
    _promo("Kits week", "5", group_id=kits.id)
    best = _promo("Loyal client", "8", partner_id=client.id)
    _promo("Expired", "30", item_id=kit.id, active=False)
    p = _proposal(client, [ExtraLine("Kit", "2", item_id=kit.id),
                           ExtraLine("Box", "1", item_id=box.id, discount_pct="10")])
    kit_line, box_line = p.lines
    # 8 % of 1000, never 8 % + 5 %; the larger manual 10 % on the box is used alone, without a promotion
    assert (kit_line.unit_price, kit_line.price, kit_line.promotion_id, kit_line.promotion_pct) == (
        D("920.0000"), D("1840.00"), best.id, D(8))
    assert (box_line.unit_price, box_line.promotion_id) == (D("900.0000"), None)
    # named on the printed forms, in the form's language
    printed = customer_context(db.session, p, "es", print_locale("es")[1].gettext)["lines"]
    assert printed[0]["promotion"] == "Promoción: Loyal client (es), −8%"
    assert printed[1]["promotion"] == ""
    assert internal_context(db.session, p, "en")["lines"][0]["promotion"].startswith("Promotion: Loyal client")
    # recalculating the stored proposal gives the same promotion (its own discount is not the promotion's)
    again = svc.save_proposal(db.session, svc.input_of(p), p.id)
    assert (again.lines[0].unit_price, again.lines[0].promotion_id) == (D("920.0000"), best.id)
    svc.send_proposal(db.session, p.id)
    svc.approve_proposal(db.session, p.id)
    done = svc.convert_proposal(db.session, p.id, invoice=False, production=False)
    order = db.session.get(SalesOrder, done.sales_order_id)
    by_item = {ln.item_id: ln for ln in order.lines}
    assert (by_item[kit.id].unit_price, by_item[kit.id].promotion_id) == (D("920.0000"), best.id)
    assert (by_item[box.id].unit_price, by_item[box.id].promotion_id) == (D("900.0000"), None)
    assert by_item[kit.id].promotion.name == "Loyal client"


def test_proposal_promotion_keeps_its_floor_and_the_proposals_floor(app):
    robot = f.item("ROBOT", kind="product", standard_cost="800")
    client = sf.client("Robokids")
    promo = _promo("Robot sale", "25", item_id=robot.id, floor_margin_pct=D(10))
    line = _proposal(client, [ExtraLine("Robot", "1", item_id=robot.id, margin_pct="20")]).lines[0]
    # list 1000; net >= 800 / 0.9 = 888.89: the discount is cut to 11.11 %, the margin stays >= 10 %
    assert (line.promotion_id, line.promotion_pct, line.unit_price) == (promo.id, D("11.11"), D("888.9000"))
    # the proposal's own floor (pricing rules, 15 %) is higher: it holds too (net >= 800 / 0.85 = 941.18)
    db.session.add(PricingRule(name="Floor", scope="all", floor_margin_pct=D(15)))
    db.session.commit()
    line = _proposal(client, [ExtraLine("Robot", "1", item_id=robot.id, margin_pct="20")]).lines[0]
    assert (line.promotion_pct, line.unit_price) == (D("5.88"), D("941.2000"))
    assert (line.price - line.cost) / line.price >= D("0.15")
