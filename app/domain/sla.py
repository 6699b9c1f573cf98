"""Service-level time counted in working minutes of a working calendar.

An SLA of "8 hours to resolve" means eight *working* hours: a request opened on Friday at 17:00 in a
9-18 Monday-to-Friday calendar is due on Monday at 16:00, and a holiday is skipped like a weekend.
While a request waits for the client its clock stops: the pause's working minutes are added to the
deadline when work resumes. Pure Python, minute precision (seconds are dropped), naive UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

ON_TIME, AT_RISK, BREACHED = "on_time", "at_risk", "breached"
AT_RISK_SHARE = 4  # the last quarter of the budget is "at risk"
MAX_DAYS = 3660  # a calendar without any working day would loop for ever: give up after ten years


@dataclass(frozen=True)
class WorkCalendar:
    """Working days (ISO weekday numbers, Monday = 1), one working interval per day, holidays."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return datetime.combine(day, self.start), datetime.combine(day, self.end)

    def working_minutes(self, begin: datetime, finish: datetime) -> int:
        """Working minutes between two moments (0 when `finish` is not after `begin`)."""
        begin, finish = _minute(begin), _minute(finish)
        if finish <= begin:
            return 0
        total = 0
        day = begin.date()
        while day <= finish.date():
            if self.is_working_day(day):
                w_start, w_end = self._window(day)
                lo, hi = max(w_start, begin), min(w_end, finish)
                if hi > lo:
                    total += int((hi - lo).total_seconds() // 60)
            day += timedelta(days=1)
        return total

    def add_working_minutes(self, begin: datetime, minutes: int) -> datetime:
        """The moment `minutes` working minutes after `begin` (a start outside hours counts from the next
        opening); with 0 minutes, `begin` itself."""
        moment = _minute(begin)
        if minutes <= 0:
            return moment
        left = minutes
        day = moment.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                w_start, w_end = self._window(day)
                lo = max(w_start, moment)
                if lo < w_end:
                    available = int((w_end - lo).total_seconds() // 60)
                    if left <= available:
                        return lo + timedelta(minutes=left)
                    left -= available
            day += timedelta(days=1)
            moment = datetime.combine(day, time(0, 0))
        raise ValueError("the working calendar has no working time")


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def sla_state(due: datetime | None, risk_from: datetime | None, at: datetime) -> str:
    """on time / at risk / breached of one deadline, judged at `at` (the resolution, the pause or now)."""
    if due is None:
        return ON_TIME
    if at > due:
        return BREACHED
    if risk_from is not None and at >= risk_from:
        return AT_RISK
    return ON_TIME


def worst_state(*clocks: tuple[datetime | None, datetime | None, datetime]) -> str:
    """The worst state of several (due, risk from, judged at) clocks: a request's response and resolution."""
    order = (ON_TIME, AT_RISK, BREACHED)
    return max((sla_state(*clock) for clock in clocks), key=order.index, default=ON_TIME)
