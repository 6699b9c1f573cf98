"""The forecast picks its method by backtest and beats the naive forecast on seasonal and intermittent demand."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.services.planning import forecast as fc


def _seasonal(months: int = 36) -> list[float]:
    rnd = random.Random(7)  # school robots: a peak before September, quiet in winter
    return [max(0.0, 100 + 60 * math.sin(2 * math.pi * (m % 12 - 5) / 12) + rnd.gauss(0, 5)) for m in range(months)]


def _intermittent(months: int = 36) -> list[float]:
    rnd = random.Random(3)  # a spare part: mostly nothing, now and then a few
    return [float(rnd.choice((2, 3, 4))) if rnd.random() < 0.3 else 0.0 for _ in range(months)]


def test_seasonal_series_beats_naive_on_the_held_out_year():
    result = fc.fit(_seasonal(), 6, "month", holdout=12)
    assert result.method == "seasonal_naive"
    assert result.wape < result.naive_wape / 2
    assert result.mase is not None and result.mase < 1.5
    assert len(result.forecast) == 6 and len(result.holdout) == 12


def test_intermittent_series_beats_naive():
    result = fc.fit(_intermittent(), 6, "month", holdout=12)
    assert result.method in ("croston_sba", "moving_average", "ses")
    train = _intermittent()[:-12]
    assert fc.mse(result.holdout, result.backtest) < fc.mse(result.holdout, fc.naive(train, 12, 12))
    assert all(v > 0 for v in result.forecast)  # a rate per month, not the last zero


def test_compute_keeps_the_user_override(session):
    from app.extensions import db
    from app.models.planning import ForecastFit, ForecastLine
    from app.models.sales import Shipment, ShipmentLine
    from tests import factories as f
    from tests.sales import factories_sales as fs

    it = f.item("ROBOT", kind="product")
    wh = f.warehouse()
    so = fs.order(fs.client(), [(it, 1, "10")], warehouse_id=wh.id)
    today = date(2026, 12, 7)
    for k, qty in enumerate(_seasonal(24)):
        day = fc.add_months(date(2024, 12, 1), k) + timedelta(days=3)
        sh = Shipment(number=f"SH-{k}", order_id=so.id, partner_id=so.partner_id, warehouse_id=wh.id,
                      ship_date=day, state="posted")
        sh.lines = [ShipmentLine(line_no=1, order_line_id=so.lines[0].id, item_id=it.id, qty=Decimal(round(qty)))]
        db.session.add(sh)
    db.session.commit()
    assert fc.compute(db.session, today, months=24, horizon=3) == 1
    line = db.session.scalar(select(ForecastLine).where(ForecastLine.period_start == date(2026, 12, 1)))
    line.override_qty, line.overridden_by = Decimal(500), "planner"
    db.session.commit()
    fc.compute(db.session, today, months=24, horizon=3)
    db.session.refresh(line)
    assert line.override_qty == Decimal(500) and line.effective == Decimal(500)
    fit = db.session.scalar(select(ForecastFit))
    assert fit.method and fit.wape is not None


def test_group_forecast_is_shared_over_its_items_by_their_history():
    fit = fc.fit([10.0] * 12, 2, "month", holdout=3)  # a flat group series: every method says 10
    shares = fc.disaggregate(fit, {1: [3.0] * 12, 2: [1.0] * 12})  # 36 of 48 and 12 of 48
    assert shares == {1: [7.5, 7.5], 2: [2.5, 2.5]}
    assert fc.group_history({1: [1.0, 2.0], 2: [3.0, 4.0], 3: [5.0, 5.0]}, {1: 7, 2: 7, 3: None}) == {
        7: [4.0, 6.0], -3: [5.0, 5.0]}


def test_weekly_history_from_shipments_invoices_and_production_consumption(session):
    from app.extensions import db
    from app.models.catalog import ItemGroup
    from app.models.core import Currency
    from app.models.planning import ForecastFit, ForecastLine
    from app.models.sales import SalesInvoice, SalesInvoiceLine, Shipment, ShipmentLine
    from app.models.stock import StockMove
    from tests import factories as f
    from tests.sales import factories_sales as fs

    today = date(2026, 12, 7)  # a Monday
    kit, part, screw = f.item("KIT", kind="product"), f.item("PART"), f.item("SCREW")
    group = ItemGroup(code="KITS", name="Kits")
    db.session.add(group)
    db.session.flush()
    kit.group_id = part.group_id = group.id
    wh = f.warehouse()
    so = fs.order(fs.client(), [(kit, 1, "10")], warehouse_id=wh.id)
    cur = db.session.scalar(select(Currency.id).limit(1))
    for k in range(1, 9):  # the 8 weeks before this one: 3 kits shipped, 1 part invoiced, 2 screws consumed
        monday = today - timedelta(weeks=k)
        db.session.add(Shipment(number=f"SH-{k}", order_id=so.id, partner_id=so.partner_id, warehouse_id=wh.id,
                                ship_date=monday + timedelta(days=1), state="posted",
                                lines=[ShipmentLine(line_no=1, order_line_id=so.lines[0].id, item_id=kit.id,
                                                    qty=Decimal(3))]))
        db.session.add(SalesInvoice(number=f"INV-{k}", partner_id=so.partner_id, currency_id=cur, state="posted",
                                    invoice_date=monday + timedelta(days=2),
                                    lines=[SalesInvoiceLine(line_no=1, item_id=part.id, qty=Decimal(1),
                                                            price=Decimal(1), amount=Decimal(1))]))
        for sign in (-1, 1):  # a consumption and the product it made (only the consumption counts)
            db.session.add(StockMove(move_date=monday, item_id=screw.id, warehouse_id=wh.id, qty=Decimal(2 * sign),
                                     value=Decimal(0), kind="production", doc_type="production", doc_id=k))
    db.session.commit()
    hist = fc.history(db.session, today, 10, "week")
    assert hist[kit.id] == [0.0, 0.0] + [3.0] * 8
    assert hist[part.id] == [0.0, 0.0] + [1.0] * 8
    assert hist[screw.id] == [0.0, 0.0] + [2.0] * 8  # no sales: what production consumed
    assert fc.compute(db.session, today, 10, horizon=2, level="group", period="week") == 3
    lines = {(ln.item_id, ln.period_start): ln for ln in db.session.scalars(select(ForecastLine))}
    # the group's 4 a week shared 3 : 1 over the kit and the part
    week = lines[(kit.id, today)]
    assert week.period == "week" and week.qty == 3 * lines[(part.id, today)].qty > 0
    assert lines[(kit.id, today + timedelta(weeks=1))].period_start.weekday() == 0
    fits = {r.item_id: r for r in db.session.scalars(select(ForecastFit))}
    assert fits[kit.id].level == "group" and fits[kit.id].item_group_id == group.id
    assert fits[screw.id].item_group_id is None
