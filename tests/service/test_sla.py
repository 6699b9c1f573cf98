"""SLA clocks in working minutes: across a weekend, a holiday and a pause, to the minute."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.sla import AT_RISK, BREACHED, ON_TIME, WorkCalendar, sla_state

CAL = WorkCalendar()  # Monday to Friday, 9:00-18:00


def test_friday_afternoon_plus_eight_hours_is_monday_afternoon():
    # Friday 4 December 2026 17:00: one hour left that day, seven on Monday 7 December from 9:00
    assert CAL.add_working_minutes(datetime(2026, 12, 4, 17, 0), 8 * 60) == datetime(2026, 12, 7, 16, 0)
    assert CAL.working_minutes(datetime(2026, 12, 4, 17, 0), datetime(2026, 12, 7, 16, 0)) == 8 * 60


def test_a_start_outside_hours_counts_from_the_next_opening():
    assert CAL.add_working_minutes(datetime(2026, 12, 5, 11, 30), 90) == datetime(2026, 12, 7, 10, 30)  # Saturday
    assert CAL.add_working_minutes(datetime(2026, 12, 7, 7, 5), 1) == datetime(2026, 12, 7, 9, 1)
    assert CAL.add_working_minutes(datetime(2026, 12, 7, 18, 0), 1) == datetime(2026, 12, 8, 9, 1)
    assert CAL.working_minutes(datetime(2026, 12, 5, 8, 0), datetime(2026, 12, 6, 20, 0)) == 0


def test_a_holiday_is_skipped_like_a_weekend():
    cal = WorkCalendar(holidays=frozenset({date(2026, 12, 7)}))
    assert cal.add_working_minutes(datetime(2026, 12, 4, 17, 0), 8 * 60) == datetime(2026, 12, 8, 16, 0)


def test_seconds_are_dropped_and_the_count_is_exact_to_the_minute():
    assert CAL.working_minutes(datetime(2026, 12, 7, 9, 0, 59), datetime(2026, 12, 7, 9, 1, 1)) == 1
    assert CAL.add_working_minutes(datetime(2026, 12, 7, 17, 59, 30), 1) == datetime(2026, 12, 7, 18, 0)


def test_a_calendar_without_working_days_is_refused_instead_of_looping():
    with pytest.raises(ValueError):
        WorkCalendar(weekdays=frozenset()).add_working_minutes(datetime(2026, 12, 7, 9, 0), 1)


def test_states_on_time_at_risk_breached():
    due, risk = datetime(2026, 12, 7, 16, 0), datetime(2026, 12, 7, 14, 0)
    assert sla_state(due, risk, datetime(2026, 12, 7, 13, 59)) == ON_TIME
    assert sla_state(due, risk, datetime(2026, 12, 7, 14, 0)) == AT_RISK
    assert sla_state(due, risk, datetime(2026, 12, 7, 16, 0)) == AT_RISK
    assert sla_state(due, risk, datetime(2026, 12, 7, 16, 1)) == BREACHED
