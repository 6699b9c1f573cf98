"""Phase 'projects': rescheduling a 200-task project after one slip, a dry run over 5,000 events, and one
dispatch of 200 pending events into process tasks.

    python -m bench.projects                 # SQLite
    python -m bench.projects --pg URL        # the same on a throwaway PostgreSQL database
    python -m bench.projects --n 200         # tasks in the project

W-P1 slip: a project of n tasks in 10 parallel chains of n/10 finish-to-start links (lag 0-2 days); the
first task of every chain slips by 3 working days (one use case, all dependants move); goal < 100 ms.
W-P2 dry run: 5,000 'order confirmed' events over 90 days, a template of 3 steps with conditions; goal < 5 s.
W-P3 dispatch: 200 recorded events become process instances and tasks in one scheduler run (the job's
work; the scheduler fires it every minute, so event-to-task latency is at most 60 s plus this time).
W-P4 KPI scan: the dispatch's search for KPI values turned red, over 5,000 KPIs with this month's values
computed today and last month's a month ago: 500 turned red (one run records them), the rest stay red or
are not red; then a run with nothing new (what every minute costs).
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.extensions import db
from bench.harness import MS, SECONDS, PhaseOutput, Result, backend_name, fresh_app, load_average

STEPS = [{"key": "design", "title": "Check the design", "role": "Engineer", "days": 2, "hours": 6,
          "when": "order.custom_lines > 0"},
         {"key": "cost", "title": "Price the order", "role": "Economist", "days": 1, "hours": 3},
         {"key": "plan", "title": "Plan production", "role": "Production", "days": 2, "hours": 4,
          "when": "order.total > 100000"}]


def _project(n: int) -> tuple[list[int], int]:
    from app.models.projects import Project, ProjectTask, TaskLink
    from app.services.base import unit_of_work

    rnd = random.Random(7)
    chains = 10
    with unit_of_work(db.session):
        p = Project(code="BENCH", name="Bench project")
        db.session.add(p)
        db.session.flush()
        start = date(2026, 3, 2)
        firsts, tasks = [], []
        for c in range(chains):
            prev = None
            for i in range(n // chains):
                t = ProjectTask(project_id=p.id, title=f"T{c}-{i}", start_date=start + timedelta(days=i * 7),
                                due_date=start + timedelta(days=i * 7 + 1), estimate_hours=Decimal(8))
                db.session.add(t)
                db.session.flush()
                tasks.append(t)
                if prev is None:
                    firsts.append(t.id)
                else:
                    db.session.add(TaskLink(predecessor_id=prev.id, successor_id=t.id, lag_days=rnd.randint(0, 2)))
                prev = t
    return firsts, p.id


def _slip(out: PhaseOutput, n: int) -> None:
    from app.services.base import unit_of_work
    from app.services.projects.tasks import reschedule_from, work_days

    firsts, _pid = _project(n)
    from app.models.projects import ProjectTask

    days = work_days(db.session)
    db.session.commit()
    t0 = time.perf_counter()
    moved = 0
    with unit_of_work(db.session):
        for tid in firsts[:1]:
            task = db.session.get(ProjectTask, tid)
            task.due_date = days.add(task.due_date, 100)
            moved += len(reschedule_from(db.session, task, notify_people=False))
    elapsed = time.perf_counter() - t0
    out.add(Result("W-P1 reschedule after one slip (one use case)", f"{n} tasks, {moved} moved", elapsed * 1000, MS,
                   goal="< 100 ms", goal_ok=elapsed < 0.1))


def _events(n: int) -> None:
    from app.services.base import unit_of_work
    from app.services.projects.processes import record_event

    rnd = random.Random(11)
    now = datetime.now()
    with unit_of_work(db.session):
        for _ in range(n):
            record_event(db.session, "order_confirmed", None, {
                "order.total": rnd.choice(["50000", "150000", "620000"]), "order.custom_lines": rnd.randint(0, 2)},
                when=now - timedelta(minutes=rnd.randint(0, 89 * 24 * 60)))


def _dry_run(out: PhaseOutput, n: int) -> None:
    from app.models.projects import ProcessEvent, ProcessTemplate
    from app.services.base import unit_of_work
    from app.services.projects.processes import dry_run

    _events(n)
    with unit_of_work(db.session):
        t = ProcessTemplate(code="BENCH", name="Bench", event="order_confirmed", condition="order.total > 60000",
                            steps=json.dumps(STEPS))
        db.session.add(t)
    t0 = time.perf_counter()
    res = dry_run(db.session, t)
    elapsed = time.perf_counter() - t0
    out.add(Result("W-P2 dry run of a 3-step template", f"{res.events:,} events, {res.tasks:,} tasks", elapsed,
                   SECONDS, goal="< 5 s", goal_ok=elapsed < 5))
    with unit_of_work(db.session):  # the dry run's events must not be dispatched below
        db.session.query(ProcessEvent).update({"dispatched_at": datetime.now()})
    db.session.commit()


def _dispatch(out: PhaseOutput, n: int) -> None:
    from app.models.projects import ProcessTemplate
    from app.services.projects.processes import dispatch, publish

    template = db.session.query(ProcessTemplate).filter_by(code="BENCH").one()
    publish(db.session, template.id)
    _events(n)
    t0 = time.perf_counter()
    started = dispatch(db.session)
    elapsed = time.perf_counter() - t0
    out.add(Result("W-P3 one dispatch run: events to process tasks", f"{n} events, {started} instances",
                   elapsed * 1000, MS, goal="< 60 s with the 1-minute job", goal_ok=elapsed < 60))


def _kpi_scan(out: PhaseOutput, n: int = 5000) -> None:
    from app.models.kpi import KpiDefinition, KpiValue
    from app.services.projects.processes import record_red_kpis

    first = date.today().replace(day=1)
    before = (first - timedelta(days=1)).replace(day=1)
    month_ago = datetime.now() - timedelta(days=31)  # last month's values were computed then
    db.session.bulk_insert_mappings(KpiDefinition, [{"id": 900000 + i, "code": f"B{i}", "name": f"KPI {i}",
                                                     "metric": "revenue", "target": Decimal(100)} for i in range(n)])
    rows = []
    for i in range(n):  # every 10th turned red; the others were red already or are amber
        old, new = ("amber", "red") if i % 10 == 0 else ("red", "red") if i % 2 else ("green", "amber")
        rows += [{"definition_id": 900000 + i, "period_kind": "month", "period_start": start, "period_end": start
                  + timedelta(days=27), "value": Decimal(80), "status": status, "computed_at": at}
                 for start, status, at in ((before, old, month_ago), (first, new, datetime.now()))]
    db.session.bulk_insert_mappings(KpiValue, rows)
    db.session.commit()
    for label in ("500 turned red", "nothing new"):
        t0 = time.perf_counter()
        found = record_red_kpis(db.session)
        db.session.commit()
        elapsed = time.perf_counter() - t0
        out.add(Result(f"W-P4 KPI scan of the dispatch: {label}", f"{n} KPIs, {found} events", elapsed * 1000, MS))


def run_phase(pg_url: str | None, n: int = 200) -> dict:
    out = PhaseOutput(backend_name(pg_url))
    t0 = time.perf_counter()
    with fresh_app(pg_url):
        out.notes.append(f"projects phase starts at load average {load_average()}")
        _slip(out, n)
        _dry_run(out, 5000)
        _dispatch(out, 200)
        _kpi_scan(out)
    out.add(Result("projects phase (build and measure)", f"{n} tasks", time.perf_counter() - t0, SECONDS))
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("projects", __doc__, run_phase, 200, "tasks in the project (default 200)", argv)


if __name__ == "__main__":
    sys.exit(main())
