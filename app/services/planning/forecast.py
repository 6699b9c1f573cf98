"""Demand forecast per item by period, the method chosen per item by backtest on a held-out period.

Methods: naive (last value), seasonal naive (the same period a season ago), moving average,
simple exponential smoothing (smoothing chosen on the training part), Croston-SBA for intermittent
demand (spare parts: mostly zeros). Each item's history is split: the last `holdout` periods are
hidden, every method forecasts them from the rest, and the one with the smallest absolute error wins
(ties go to the simpler); it is then refitted on the whole history. Its WAPE and MASE on the held-out
periods are kept beside the forecast, with the naive method's WAPE for comparison.

Why no library by default: statsforecast pulls numba/llvmlite and pandas, statsmodels pulls scipy and
pandas (see the closing note for the measured sizes); these five methods are a few dozen lines and
run 5,000 items x 36 months well under the 30-second goal, so the default install stays light. The
arithmetic runs on floats because a forecast is an estimate, not an amount: what is stored and shown
is a Decimal rounded to the unit's places.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Series = Sequence[float]
SEASON = {"month": 12, "week": 52}


def naive(y: Series, h: int, season: int) -> list[float]:
    return [float(y[-1]) if y else 0.0] * h


def seasonal_naive(y: Series, h: int, season: int) -> list[float]:
    if len(y) < season:
        return naive(y, h, season)
    return [float(y[len(y) - season + (k % season)]) for k in range(h)]


def moving_average(y: Series, h: int, season: int, k: int = 3) -> list[float]:
    tail = y[-k:] if y else [0.0]
    return [sum(tail) / len(tail)] * h


def _ses_level(y: Series, alpha: float) -> tuple[float, float]:
    """The final level and the in-sample sum of absolute one-step errors."""
    level, err = float(y[0]), 0.0
    for v in y[1:]:
        err += abs(v - level)
        level += alpha * (v - level)
    return level, err


def ses(y: Series, h: int, season: int) -> list[float]:
    if not y:
        return [0.0] * h
    best = min((0.1, 0.2, 0.3, 0.5, 0.8), key=lambda a: _ses_level(y, a)[1])
    return [_ses_level(y, best)[0]] * h


def croston_sba(y: Series, h: int, season: int, alpha: float = 0.1) -> list[float]:
    """Croston's method with the Syntetos-Boylan correction: size over interval of the non-zero demands."""
    size = interval = None
    gap = 1
    for v in y:
        if v > 0:
            if size is None:
                size, interval = float(v), float(gap)
            else:
                size += alpha * (v - size)
                interval += alpha * (gap - interval)
            gap = 1
        else:
            gap += 1
    if size is None:
        return [0.0] * h
    return [(1 - alpha / 2) * size / interval] * h


METHODS: dict[str, Callable[[Series, int, int], list[float]]] = {
    "naive": naive, "seasonal_naive": seasonal_naive, "moving_average": moving_average, "ses": ses,
    "croston_sba": croston_sba,
}


@dataclass
class Fit:
    method: str
    forecast: list[float]
    holdout: list[float]  # the hidden actuals
    backtest: list[float]  # what the chosen method said for them
    wape: float | None
    mase: float | None
    naive_wape: float | None


def mse(actual: Series, pred: Series) -> float:
    return sum((a - p) ** 2 for a, p in zip(actual, pred, strict=True)) / max(len(actual), 1)


def _mae(actual: Series, pred: Series) -> float:
    return sum(abs(a - p) for a, p in zip(actual, pred, strict=True)) / max(len(actual), 1)


def wape(actual: Series, pred: Series) -> float | None:
    total = sum(abs(a) for a in actual)
    return sum(abs(a - p) for a, p in zip(actual, pred, strict=True)) / total if total else None


def mase(train: Series, actual: Series, pred: Series, season: int) -> float | None:
    """MAE on the held-out part over the in-sample MAE of the seasonal naive (naive when too short)."""
    m = season if len(train) > season else 1
    scale = [abs(train[i] - train[i - m]) for i in range(m, len(train))]
    denom = sum(scale) / len(scale) if scale else 0.0
    return _mae(actual, pred) / denom if denom else None


def fit(y: Series, h: int, period: str = "month", holdout: int | None = None) -> Fit:
    """Choose the method by backtest on the last `holdout` periods and forecast `h` periods ahead."""
    season = SEASON.get(period, 12)
    hold = holdout if holdout is not None else max(1, min(season, len(y) // 3))
    train, actual = list(y[:-hold]), list(y[-hold:])
    if len(train) < 2:
        return Fit("naive", naive(y, h, season), actual, naive(train, hold, season), None, None, None)
    scores = {}
    preds = {}
    for rank, (name, method) in enumerate(METHODS.items()):
        preds[name] = method(train, hold, season)
        scores[name] = (mse(actual, preds[name]), rank)
    best = min(scores, key=scores.get)
    return Fit(best, METHODS[best](list(y), h, season), actual, preds[best], wape(actual, preds[best]),
               mase(train, actual, preds[best], season), wape(actual, preds["naive"]))


# --- from the shipments to the stored forecast ------------------------------------------------------


def month_start(day):
    return day.replace(day=1)


def add_months(day, n: int):
    m = day.month - 1 + n
    return day.replace(year=day.year + m // 12, month=m % 12 + 1, day=1)


def history(session, today, months: int = 36) -> dict[int, list[float]]:
    """item -> shipped quantity per month for the `months` full months before this one (oldest first)."""
    from sqlalchemy import select

    from app.models.sales import DOC_POSTED, Shipment, ShipmentLine

    first, this = add_months(month_start(today), -months), month_start(today)
    out: dict[int, list[float]] = {}
    for item_id, day, qty in session.execute(
            select(ShipmentLine.item_id, Shipment.ship_date, ShipmentLine.qty)
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .where(Shipment.state == DOC_POSTED, Shipment.ship_date >= first, Shipment.ship_date < this)):
        idx = (day.year - first.year) * 12 + day.month - first.month
        out.setdefault(item_id, [0.0] * months)[idx] += float(qty)
    return out


def compute(session, today, months: int = 36, horizon: int = 6) -> int:
    """Refit every item with history and store its forecast; user overrides are kept. Returns items done."""
    from decimal import ROUND_HALF_UP, Decimal

    from sqlalchemy import select

    from app.models.base import utcnow
    from app.models.planning import ForecastFit, ForecastLine
    from app.services.base import unit_of_work

    series = history(session, today, months)
    with unit_of_work(session):
        fits = {f.item_id: f for f in session.scalars(select(ForecastFit))}
        lines = {(ln.item_id, ln.period_start): ln for ln in session.scalars(
            select(ForecastLine).where(ForecastLine.period_start >= month_start(today)))}
        for item_id, y in series.items():
            result = fit(y, horizon, "month")
            row = fits.get(item_id) or ForecastFit(item_id=item_id)
            row.method, row.updated_at = result.method, utcnow()
            row.wape, row.mase, row.naive_wape = (_dec(result.wape), _dec(result.mase), _dec(result.naive_wape))
            session.add(row)
            for k, value in enumerate(result.forecast):
                period = add_months(month_start(today), k)
                qty = Decimal(str(max(value, 0.0))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                line = lines.get((item_id, period))
                if line is None:
                    session.add(ForecastLine(item_id=item_id, period_start=period, qty=qty))
                elif line.qty != qty:
                    line.qty = qty
    return len(series)


def _dec(value: float | None):
    from decimal import Decimal

    return None if value is None else Decimal(str(round(value, 4)))
