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
