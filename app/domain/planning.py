"""Project planning in working days: finish-to-start links with lag, cycle refusal, forward rescheduling.

A task occupies whole working days from its start to its due day (both included). A link "B after A,
lag 2" means B may start on the third working day after A's due day. When A slips, every task that
depends on it (directly or through others) is pushed forward just enough to respect its links, keeping
its own length in working days; a task never moves earlier by itself (a planner may have placed it later
on purpose). The working days come from the same WorkCalendar the SLA clocks use (app/domain/sla.py).
Pure Python: the service loads rows into PlanTask and writes the moved dates back.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.domain.sla import MAX_DAYS, WorkCalendar


@dataclass
class PlanTask:
    """The dates of one task as planning sees them."""

    id: int
    start: date
    due: date


@dataclass(frozen=True)
class Link:
    """Finish-to-start: `successor` starts `lag` working days after the working day following `predecessor`'s due."""

    predecessor: int
    successor: int
    lag: int = 0


@dataclass(frozen=True)
class Move:
    """A task the rescheduling moved, with its dates before and after."""

    task_id: int
    old_start: date
    old_due: date
    new_start: date
    new_due: date

    @property
    def days(self) -> int:
        return (self.new_start - self.old_start).days


class WorkDays:
    """Working-day arithmetic over a calendar's weekdays and holidays (hours do not matter here)."""

    def __init__(self, calendar: WorkCalendar | None = None) -> None:
        self.calendar = calendar or WorkCalendar()
        self._cache: dict[date, bool] = {}

    def is_working(self, day: date) -> bool:
        known = self._cache.get(day)
        if known is None:
            known = self._cache[day] = self.calendar.is_working_day(day)
        return known

    def first_on_or_after(self, day: date) -> date:
        for _ in range(MAX_DAYS):
            if self.is_working(day):
                return day
            day += timedelta(days=1)
        raise ValueError("the working calendar has no working day")

    def add(self, day: date, n: int) -> date:
        """The working day `n` working days after `day` (n = 0: `day` itself if working, else the next one)."""
        day = self.first_on_or_after(day)
        for _ in range(n):
            day = self.first_on_or_after(day + timedelta(days=1))
        return day

    def count(self, start: date, end: date) -> int:
        """Working days from `start` to `end`, both included (0 when end is before start)."""
        n, day = 0, start
        while day <= end:
            n += self.is_working(day)
            day += timedelta(days=1)
        return n

    def span(self, start: date, length: int) -> date:
        """The due day of a task of `length` working days starting on `start` (length 0 or 1: the start)."""
        return self.add(start, max(length, 1) - 1)


def find_cycle(links: Iterable[Link]) -> list[int] | None:
    """A dependency cycle as the list of task ids along it (first repeated last), or None (Kahn + a walk)."""
    succ: dict[int, list[int]] = defaultdict(list)
    indeg: dict[int, int] = defaultdict(int)
    nodes: set[int] = set()
    for ln in links:
        succ[ln.predecessor].append(ln.successor)
        indeg[ln.successor] += 1
        nodes.update((ln.predecessor, ln.successor))
    queue = deque(n for n in nodes if indeg[n] == 0)
    while queue:
        n = queue.popleft()
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    left = {n for n in nodes if indeg[n] > 0}
    if not left:
        return None
    start = min(left)
    path, seen, node = [start], {start}, start
    while True:
        node = next(m for m in succ[node] if m in left)
        if node in seen:
            return path[path.index(node):] + [node]
        path.append(node)
        seen.add(node)


def reschedule(tasks: dict[int, PlanTask], links: list[Link], days: WorkDays) -> list[Move]:
    """Push every task whose start breaks a link forward, in dependency order; the moves made.

    The caller has refused cycles (find_cycle); a cycle that slipped in raises ValueError.
    """
    succ: dict[int, list[Link]] = defaultdict(list)
    indeg: dict[int, int] = defaultdict(int)
    for ln in links:
        if ln.predecessor in tasks and ln.successor in tasks:
            succ[ln.predecessor].append(ln)
            indeg[ln.successor] += 1
    queue = deque(t for t in tasks if indeg[t] == 0)
    original = {t.id: (t.start, t.due) for t in tasks.values()}
    done = 0
    while queue:
        pid = queue.popleft()
        done += 1
        pred = tasks[pid]
        for ln in succ[pid]:
            task = tasks[ln.successor]
            earliest = days.add(pred.due + timedelta(days=1), ln.lag)
            if task.start < earliest:
                length = days.count(task.start, task.due)
                task.start, task.due = earliest, days.span(earliest, length)
            indeg[ln.successor] -= 1
            if indeg[ln.successor] == 0:
                queue.append(ln.successor)
    if done < len(tasks):
        raise ValueError("dependency cycle")
    return [Move(t.id, *original[t.id], t.start, t.due) for t in tasks.values()
            if (t.start, t.due) != original[t.id]]


def weekly_load(rows: Iterable[tuple[str, date, date, Decimal]], days: WorkDays) -> dict[str, dict[date, Decimal]]:
    """Hours per person (or role) and week (its Monday): each task's estimate spread evenly over its working days."""
    load: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for who, start, due, hours in rows:
        n = days.count(start, due)
        if n <= 0 or not hours:
            continue
        share = Decimal(hours) / n
        day = start
        while day <= due:
            if days.is_working(day):
                load[who][day - timedelta(days=day.weekday())] += share
            day += timedelta(days=1)
    return {k: dict(v) for k, v in load.items()}


# --- the task's workflow (the board's columns) ---------------------------------------------------

def _task_workflow():
    from app.domain.workflow import Transition, _l, workflow
    from app.permissions import ACTION_WRITE

    def t(action: str, label: str, sources: tuple[str, ...], target: str, stamp: str | None = None) -> Transition:
        return Transition(action, label, sources, target, ACTION_WRITE, stamp)

    return workflow(
        "project_task", _l("Task"), "Projects",
        {"todo": _l("To do"), "in_progress": _l("In progress"), "review": _l("On review"), "done": _l("Done"),
         "cancelled": _l("Cancelled")},
        t("start", _l("Taking into work"), ("todo", "review"), "in_progress"),
        t("review", _l("Sending for review"), ("todo", "in_progress"), "review"),
        t("complete", _l("Completion"), ("todo", "in_progress", "review"), "done", stamp="done"),
        t("reopen", _l("Reopening"), ("done", "cancelled", "in_progress", "review"), "todo"),
        t("cancel", _l("Cancelling"), ("todo", "in_progress", "review"), "cancelled"),
        initial="todo",
    )


PROJECT_TASK = _task_workflow()
#: the board's columns in order, and the action that moves a card into each
BOARD_COLUMNS = ("todo", "in_progress", "review", "done")
ACTION_INTO = {"todo": "reopen", "in_progress": "start", "review": "review", "done": "complete",
               "cancelled": "cancel"}
