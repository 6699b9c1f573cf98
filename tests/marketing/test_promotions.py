"""Promotions on order lines: the best one applies, never stacked with another or a manual discount, floor kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models.catalog import ItemGroup
from app.models.marketing import Promotion
from app.services.marketing.promotions import capped_discount
from app.services.marketing.segments import save_segment
from tests.sales import factories_sales as sf

D = Decimal
ON = date(2026, 11, 10)


def _promo(name: str, pct: str, **kw) -> Promotion:
    kw.setdefault("date_from", date(2026, 11, 1))
    kw.setdefault("date_to", date(2026, 11, 30))
    p = Promotion(name=name, discount_pct=D(pct), **kw)
    db.session.add(p)
    db.session.commit()
    return p


def test_best_promotion_wins_and_is_named_on_the_line(app):
    kits = ItemGroup(code="KITS", name="Kits")
    db.session.add(kits)
    kit = sf.priced_item("KIT", "1000", cost="500")
    kit.group = kits
    db.session.commit()
    robokids = sf.client("Robokids")
    _promo("Kits week", "5", group_id=kits.id)
    best = _promo("Loyal client", "8", partner_id=robokids.id)
    _promo("Expired", "30", item_id=kit.id, active=False)
    _promo("Next month", "40", item_id=kit.id, date_from=date(2026, 12, 1), date_to=date(2026, 12, 31))
    order = sf.order(robokids, [(kit, 2)], order_date=ON)
    line = order.lines[0]
    assert (line.discount_pct, line.promotion_id, line.promotion.name) == (D(8), best.id, "Loyal client")
    assert line.amount_net == D("1840.00")  # 2 x 1000 less 8 %, never 8 % + 5 %
    # a larger manual discount is used instead of the promotion, not added to it
    manual = sf.order(robokids, [(kit, 1, None, 10)], order_date=ON).lines[0]
    assert (manual.discount_pct, manual.promotion_id) == (D(10), None)
    # a manual price is a negotiated one: no promotion on top
    priced = sf.order(robokids, [(kit, 1, "900")], order_date=ON).lines[0]
    assert (priced.discount_pct, priced.promotion_id) == (D(0), None)


def test_floor_margin_cuts_the_discount(app):
    robot = sf.priced_item("ROBOT", "1000", cost="800")
    client = sf.client("Robokids")
    promo = _promo("Robot sale", "25", item_id=robot.id, floor_margin_pct=D(10))
    line = sf.order(client, [(robot, 1)], order_date=ON).lines[0]
    # net >= 800 / 0.9 = 888.89: the discount is cut to 11.11 %, the margin stays >= 10 %
    assert (line.discount_pct, line.promotion_id) == (D("11.11"), promo.id)
    net = line.amount_net
    assert (net - D(800)) / net >= D("0.10")
    assert capped_discount(D(1000), None, D(25), D(10)) == 0  # no cost known: not applied under a floor
    assert capped_discount(D(1000), D(950), D(25), D(10)) == 0


def test_segment_promotion_and_priority(app):
    robot = sf.priced_item("ROBOT", "1000")
    member, other = sf.client("Robokids"), sf.client("Other", email="o@example.com")
    segment = save_segment(db.session, None, "Robokids only", [{"kind": "language", "language": "es"}])
    member.language = "es"
    db.session.commit()
    save_segment(db.session, segment, segment.name, segment.rules)
    db.session.commit()
    low = _promo("Low priority", "7", segment_id=segment.id, priority=1)
    high = _promo("High priority", "7", segment_id=segment.id, priority=5)
    assert sf.order(member, [(robot, 1)], order_date=ON).lines[0].promotion_id == high.id
    assert sf.order(other, [(robot, 1)], order_date=ON).lines[0].promotion_id is None
    assert low.id != high.id
