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


# --- from the history to the stored forecast ------------------------------------------------------
#
# History per item and period: posted shipments, plus posted invoices not tied to a customer order
# (sold straight from an invoice: an order's invoice would count its shipment twice); for an item
# with no sales at all (a component, a material) what production consumed of it instead. The level is
# the user's: per item, or per item group (the group's summed series is fitted and its forecast shared
# over its items by their share of the group's history). The period is a month or a week.

from datetime import date, timedelta  # noqa: E402
from decimal import ROUND_HALF_UP, Decimal  # noqa: E402

LEVEL_ITEM, LEVEL_GROUP = "item", "group"
LEVELS = (LEVEL_ITEM, LEVEL_GROUP)
PERIODS = ("month", "week")
DEFAULT_PERIODS = {"month": 36, "week": 104}


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, n: int) -> date:
    m = day.month - 1 + n
    return day.replace(year=day.year + m // 12, month=m % 12 + 1, day=1)


def period_start(day: date, period: str) -> date:
    return day - timedelta(days=day.weekday()) if period == "week" else month_start(day)


def add_periods(day: date, n: int, period: str) -> date:
    return day + timedelta(weeks=n) if period == "week" else add_months(day, n)


def _index(first: date, day: date, period: str) -> int:
    if period == "week":
        return (day - first).days // 7
    return (day.year - first.year) * 12 + day.month - first.month


def history(session, today: date, periods: int = 36, period: str = "month") -> dict[int, list[float]]:
    """item -> quantity per period for the `periods` full periods before the current one (oldest first)."""
    from sqlalchemy import select

    from app.models.production import DOC_PRODUCTION
    from app.models.sales import DOC_POSTED, SalesInvoice, SalesInvoiceLine, Shipment, ShipmentLine
    from app.models.stock import StockMove

    this = period_start(today, period)
    first = add_periods(this, -periods, period)
    sold: dict[int, list[float]] = {}
    consumed: dict[int, list[float]] = {}

    def add(out: dict[int, list[float]], item_id: int, day: date, qty) -> None:
        out.setdefault(item_id, [0.0] * periods)[_index(first, day, period)] += float(qty)

    for item_id, day, qty in session.execute(
            select(ShipmentLine.item_id, Shipment.ship_date, ShipmentLine.qty)
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .where(Shipment.state == DOC_POSTED, Shipment.ship_date >= first, Shipment.ship_date < this)):
        add(sold, item_id, day, qty)
    for item_id, day, qty in session.execute(
            select(SalesInvoiceLine.item_id, SalesInvoice.invoice_date, SalesInvoiceLine.qty)
            .join(SalesInvoice, SalesInvoice.id == SalesInvoiceLine.invoice_id)
            .where(SalesInvoice.state == DOC_POSTED, SalesInvoice.order_id.is_(None),
                   SalesInvoiceLine.item_id.is_not(None),
                   SalesInvoice.invoice_date >= first, SalesInvoice.invoice_date < this)):
        add(sold, item_id, day, qty)
    for item_id, day, qty in session.execute(
            select(StockMove.item_id, StockMove.move_date, StockMove.qty)
            .where(StockMove.doc_type == DOC_PRODUCTION, StockMove.qty < 0, StockMove.reversal_of_id.is_(None),
                   StockMove.move_date >= first, StockMove.move_date < this)):
        if item_id not in sold:
            add(consumed, item_id, day, -qty)
    return {**consumed, **sold}


def group_history(series: dict[int, list[float]], groups: dict[int, int | None]) -> dict[int, list[float]]:
    """Sum the items' series per group (items without a group stay on their own, keyed by -item id)."""
    out: dict[int, list[float]] = {}
    for item_id, y in series.items():
        key = groups.get(item_id) or -item_id
        acc = out.setdefault(key, [0.0] * len(y))
        for k, v in enumerate(y):
            acc[k] += v
    return out


def disaggregate(group_fit: Fit, members: dict[int, list[float]]) -> dict[int, list[float]]:
    """A group's forecast shared over its items by their share of the group's history (equal if none)."""
    totals = {i: sum(y) for i, y in members.items()}
    whole = sum(totals.values())
    return {i: [v * (totals[i] / whole if whole else 1 / len(members)) for v in group_fit.forecast]
            for i in members}


def fits_for(session, today: date, periods: int, horizon: int, level: str,
             period: str) -> tuple[dict[int, Fit], dict[int, list[float]], dict[int, int | None]]:
    """item -> the fit whose method and errors it shows; item -> its own forecast; item -> its group."""
    from sqlalchemy import select

    from app.models.catalog import Item

    series = history(session, today, periods, period)
    groups = {i: g for i, g in session.execute(select(Item.id, Item.group_id)) if i in series}
    if level != LEVEL_GROUP:
        fits = {i: fit(y, horizon, period) for i, y in series.items()}
        return fits, {i: f.forecast for i, f in fits.items()}, groups
    fits, forecast = {}, {}
    for key, y in group_history(series, groups).items():
        result = fit(y, horizon, period)
        members = {i: s for i, s in series.items() if (groups.get(i) or -i) == key}
        forecast.update(disaggregate(result, members))
        fits.update({i: result for i in members})
    return fits, forecast, groups


def current_settings(session) -> tuple[str, str]:
    """(level, period) the planner chose last (per item by month until they choose)."""
    from sqlalchemy import select

    from app.models.planning import PlanningSettings

    row = session.scalar(select(PlanningSettings).order_by(PlanningSettings.id).limit(1))
    return (row.forecast_level, row.forecast_period) if row else (LEVEL_ITEM, "month")


def _keep_settings(session, level: str, period: str) -> None:
    from sqlalchemy import select

    from app.models.planning import PlanningSettings

    row = session.scalar(select(PlanningSettings).order_by(PlanningSettings.id).limit(1)) or PlanningSettings()
    if (row.forecast_level, row.forecast_period) != (level, period):
        row.forecast_level, row.forecast_period = level, period
        session.add(row)


def compute(session, today: date, months: int | None = None, horizon: int = 6, level: str | None = None,
            period: str | None = None) -> int:
    """Refit every item with history and store its forecast; user overrides are kept (a change of period
    drops the other period's future lines, overrides included). Returns the items done."""
    from sqlalchemy import delete, select

    from app.models.base import utcnow
    from app.models.planning import ForecastFit, ForecastLine
    from app.services.base import unit_of_work
    from app.services.planning import dirty

    stored = current_settings(session)
    level, period = level or stored[0], period or stored[1]
    periods = months or DEFAULT_PERIODS[period]
    fits, forecast, groups = fits_for(session, today, periods, horizon, level, period)
    first = period_start(today, period)
    with unit_of_work(session):
        _keep_settings(session, level, period)
        dropped = session.execute(delete(ForecastLine).where(ForecastLine.period_start >= month_start(today),
                                                             ForecastLine.period != period)).rowcount
        moved = set(fits) if dropped else set()  # items whose forecast changed: the next plan's net change
        rows = {f.item_id: f for f in session.scalars(select(ForecastFit))}
        lines = {(ln.item_id, ln.period_start): ln for ln in session.scalars(
            select(ForecastLine).where(ForecastLine.period_start >= first))}
        for item_id, result in fits.items():
            row = rows.get(item_id) or ForecastFit(item_id=item_id)
            row.method, row.updated_at, row.period, row.level = result.method, utcnow(), period, level
            row.item_group_id = groups.get(item_id) if level == LEVEL_GROUP else None
            row.wape, row.mase, row.naive_wape = (_dec(result.wape), _dec(result.mase), _dec(result.naive_wape))
            session.add(row)
            for k, value in enumerate(forecast[item_id]):
                start = add_periods(first, k, period)
                qty = Decimal(str(max(value, 0.0))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                line = lines.get((item_id, start))
                if line is None:
                    session.add(ForecastLine(item_id=item_id, period_start=start, qty=qty, period=period))
                    moved.add(item_id)
                elif line.qty != qty:
                    line.qty = qty
                    moved.add(item_id)
        dirty.mark(session, moved, "forecast")
    return len(fits)


def override_line(session, line_id: int, value: Decimal | None, username: str):
    """A user's own figure for one forecast line (None gives the fitted one back); kept by later refits,
    and the item marked for the next plan's net change. Pages and any API call this one rule."""
    from app.domain.errors import DomainError
    from app.models.planning import ForecastLine
    from app.services.base import unit_of_work
    from app.services.planning import dirty

    if value is not None and value < 0:
        raise DomainError("Override: write a quantity, zero or more", field="qty")
    with unit_of_work(session):
        line = session.get(ForecastLine, line_id)
        if line is None:
            raise DomainError("No such forecast line")
        line.override_qty, line.overridden_by = value, username if value is not None else ""
        dirty.mark(session, [line.item_id], "forecast")
    return line


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 4)))


@dataclass
class Chart:
    """One item's forecast explained: its (or its group's) history, the held-out actuals beside what the
    chosen method said for them in the backtest, and the forecast ahead, with the periods' first days."""

    starts: list[date]
    history: list[float]
    hold: int
    fit: Fit | None
    share: float = 1.0  # the item's share of its group's history (1 at item level)


def explain(session, today: date, item_id: int, level: str, period: str, horizon: int = 6) -> Chart:
    from sqlalchemy import select

    from app.models.catalog import Item

    periods = DEFAULT_PERIODS.get(period, 36)
    series = history(session, today, periods, period)
    first = add_periods(period_start(today, period), -periods, period)
    starts = [add_periods(first, k, period) for k in range(periods)]
    own = series.get(item_id)
    if own is None:
        return Chart(starts, [0.0] * periods, 0, None)
    y, share = own, 1.0
    if level == LEVEL_GROUP:
        group = session.scalar(select(Item.group_id).where(Item.id == item_id))
        members = [i for i, g in session.execute(select(Item.id, Item.group_id)) if g == group and i in series]
        if group is not None and len(members) > 1:
            y = [sum(series[i][k] for i in members) for k in range(periods)]
            share = sum(own) / sum(y) if sum(y) else 1 / len(members)
    result = fit(y, horizon, period)
    return Chart(starts, own, len(result.holdout), result, share)
