"""KPI arithmetic: periods, relative report dates, ratio values, traffic lights, attainment, weighted scores."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.kpi import (
    AMBER,
    GREEN,
    GREY,
    HIGHER,
    LOWER,
    RED,
    Scored,
    attainment,
    metric_value,
    period_of,
    periods_between,
    relative_period,
    traffic_light,
    weighted_score,
)

D = Decimal


@pytest.mark.parametrize("kind, day, start, end", [
    ("week", date(2026, 12, 7), date(2026, 12, 7), date(2026, 12, 13)),
    ("week", date(2026, 1, 1), date(2025, 12, 29), date(2026, 1, 4)),
    ("month", date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),
    ("quarter", date(2026, 11, 30), date(2026, 10, 1), date(2026, 12, 31)),
    ("year", date(2026, 6, 1), date(2026, 1, 1), date(2026, 12, 31)),
])
def test_periods(kind, day, start, end):
    p = period_of(kind, day)
    assert (p.start, p.end) == (start, end)


def test_periods_between_end_with_the_running_one_and_close_after_their_last_day():
    months = periods_between("month", date(2026, 1, 15), date(2026, 12, 7))
    assert [p.start.month for p in months] == list(range(1, 13))
    assert months[-2].closed_on(date(2026, 12, 7)) and not months[-1].closed_on(date(2026, 12, 7))
    assert not period_of("month", date(2026, 11, 30)).closed_on(date(2026, 11, 30))


@pytest.mark.parametrize("name, start, end", [
    ("yesterday", date(2026, 12, 6), date(2026, 12, 6)),
    ("last_week", date(2026, 11, 30), date(2026, 12, 6)),
    ("this_month", date(2026, 12, 1), date(2026, 12, 7)),
    ("last_month", date(2026, 11, 1), date(2026, 11, 30)),
    ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("last_year", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_relative_periods_of_scheduled_reports(name, start, end):
    assert relative_period(name, date(2026, 12, 7)) == (start, end)


def test_values_sum_or_ratio_and_no_value_without_a_denominator():
    assert metric_value(D("900.90"), D(0), None) == D("900.90")
    assert metric_value(D(2), D(3), D(100)) == D("66.6667")
    assert metric_value(D(0), D(0), D(100)) is None


@pytest.mark.parametrize("value, direction, light", [
    (D(96), HIGHER, GREEN), (D(95), HIGHER, GREEN), (D(90), HIGHER, AMBER), (D(79.99), HIGHER, RED),
    (D(5), LOWER, GREEN), (D(7), LOWER, AMBER), (D(11), LOWER, RED), (None, HIGHER, GREY),
])
def test_traffic_lights(value, direction, light):
    red, green = (D(80), D(95)) if direction == HIGHER else (D(10), D(5))
    assert traffic_light(value, red, green, direction) == light


def test_attainment_and_weighted_score():
    assert attainment(D(90), D(100), HIGHER) == D("0.9000")
    assert attainment(D(500), D(100), HIGHER) == D("1.5000")  # capped
    assert attainment(D(20), D(10), LOWER) == D("0.5000")
    assert attainment(D(10), D(0), HIGHER) is None
    # revenue at 90 % (weight 3), on time at 100 % (weight 1), a KPI with no value left out
    assert weighted_score([Scored(D(3), D("0.9")), Scored(D(1), D(1)), Scored(D(5), None)]) == D("92.50")
    assert weighted_score([Scored(D(1), None)]) is None


def test_no_thresholds_no_light():
    assert traffic_light(D(50), None, None, HIGHER) == GREY
    assert traffic_light(D(50), None, D(40), HIGHER) == GREEN
