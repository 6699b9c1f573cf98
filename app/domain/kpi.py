"""KPI arithmetic with no database: periods, metric values from their parts, traffic lights, scores.

A metric is always computed as parts: a numerator and a denominator per document (its lineage).
A sum metric's value is the numerator total; a ratio metric's value is numerator / denominator
times a scale (100 for a percentage, 1 for an average, 2 for turnover over (opening + closing)).
Keeping the parts, not just the value, is what lets a stored figure open the documents behind it
and add up exactly: the parts are summed in Decimal, and only the final division is rounded.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

ZERO = Decimal(0)
KOPEK = Decimal("0.01")
VALUE_Q = Decimal("0.0001")  # stored values: money to the kopek, ratios to 4 places

WEEK, MONTH, QUARTER, YEAR = "week", "month", "quarter", "year"
PERIOD_KINDS = (WEEK, MONTH, QUARTER, YEAR)

HIGHER, LOWER = "higher", "lower"
RED, AMBER, GREEN, GREY = "red", "amber", "green", "grey"

# attainment above this adds nothing to a score: one great KPI can't hide three red ones
MAX_ATTAINMENT = Decimal("1.5")


def kopeks(value: Decimal) -> Decimal:
    """Round an amount in base currency to the kopek (cent), half up, as printed documents do."""
    return value.quantize(KOPEK, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period [start, end], both days included."""

    kind: str
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def closed_on(self, today: date) -> bool:
        """A period is closed once its last day is over; only then is its value frozen."""
        return self.end < today

    def previous(self) -> Period:
        return period_of(self.kind, self.start - timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The period of `kind` that contains `day` (weeks start on Monday)."""
    if kind == WEEK:
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last))
    if kind == QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        end_month = first_month + 2
        return Period(kind, start, date(day.year, end_month, calendar.monthrange(day.year, end_month)[1]))
    if kind == YEAR:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"unknown period kind {kind!r}")


def periods_between(kind: str, since: date, today: date) -> list[Period]:
    """Every period of `kind` from the one holding `since` up to the running one (holding `today`)."""
    out: list[Period] = []
    period = period_of(kind, since)
    while period.start <= today:
        out.append(period)
        period = period_of(kind, period.end + timedelta(days=1))
    return out


# --- relative dates of scheduled reports --------------------------------------------------------

RELATIVE_PERIODS = ("yesterday", "this_week", "last_week", "this_month", "last_month", "last_quarter",
                    "this_year", "last_year")


def relative_period(name: str, today: date) -> tuple[date, date]:
    """The dates a report parameter like "last month" means on `today` (both days included)."""
    if name == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    kind, which = {"this_week": (WEEK, 0), "last_week": (WEEK, 1), "this_month": (MONTH, 0),
                   "last_month": (MONTH, 1), "last_quarter": (QUARTER, 1), "this_year": (YEAR, 0),
                   "last_year": (YEAR, 1)}[name]
    period = period_of(kind, today)
    if which:
        period = period.previous()
    return period.start, min(period.end, today) if not which else period.end


# --- values, lights and scores ------------------------------------------------------------------


class Part(NamedTuple):
    """One document's share of a metric: its numerator and denominator (lineage row).

    A named tuple, not a dataclass: a metric over a year of invoices makes hundreds of thousands.
    `num2` / `den2` are a second metric's share of the same document when two metrics come from one
    read (lead time and on-time %: one row per completed order); None: not counted by that metric.
    """

    ref_type: str
    ref_id: int
    label: str
    day: date
    num: Decimal
    den: Decimal = ZERO
    employee_id: int | None = None
    num2: Decimal | None = None
    den2: Decimal | None = None


def metric_value(num: Decimal, den: Decimal, scale: Decimal | None) -> Decimal | None:
    """The value from summed parts: num for a sum metric (scale None), else num / den x scale.

    A ratio with nothing in its denominator has no value (None), not zero: "0 % on time" for a
    month with no shipments would paint a red tile for nothing.
    """
    if scale is None:
        return num
    if not den:
        return None
    return (num * scale / den).quantize(VALUE_Q, rounding=ROUND_HALF_UP)


def sum_parts(parts: Iterable[Part]) -> tuple[Decimal, Decimal, int]:
    num = den = ZERO
    count = 0
    for part in parts:
        num += part.num
        den += part.den
        count += 1
    return num, den, count


def traffic_light(value: Decimal | None, red: Decimal | None, green: Decimal | None, direction: str) -> str:
    """green at or beyond `green`, red beyond `red` on the bad side, amber between; grey with no value
    or no thresholds at all (nothing to judge against).

    Higher is better: green when value >= green, red when value < red. Lower is better: green when
    value <= green, red when value > red. A missing threshold never fires.
    """
    if value is None or (red is None and green is None):
        return GREY
    if direction == LOWER:
        if green is not None and value <= green:
            return GREEN
        if red is not None and value > red:
            return RED
        return AMBER
    if green is not None and value >= green:
        return GREEN
    if red is not None and value < red:
        return RED
    return AMBER


def attainment(value: Decimal | None, target: Decimal | None, direction: str) -> Decimal | None:
    """How far the value reached its target, 1 = on target, capped at MAX_ATTAINMENT, never negative."""
    if value is None or target is None or not target:
        return None
    if direction == LOWER:
        ratio = target / value if value > 0 else MAX_ATTAINMENT
    else:
        ratio = value / target
    return max(ZERO, min(ratio, MAX_ATTAINMENT)).quantize(VALUE_Q, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Scored:
    weight: Decimal
    attainment: Decimal | None


def weighted_score(items: Sequence[Scored]) -> Decimal | None:
    """Weighted attainment in percent over the KPIs that have one (a KPI with no value is left out)."""
    counted = [s for s in items if s.attainment is not None and s.weight > 0]
    return score_of(sum((s.weight for s in counted), ZERO), sum((s.weight * s.attainment for s in counted), ZERO))


def score_of(total_weight: Decimal, total: Decimal) -> Decimal | None:
    """The score from its sums: the weight of the KPIs with an attainment and their weight x attainment
    (what the KPI job stores per division and employee, so a dashboard only adds them up)."""
    if not total_weight:
        return None
    return (total * 100 / total_weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
