"""Project planning: cycles refused, slips move dependants by working days, time and labour cost, visibility."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.domain.errors import DomainError
from app.domain.planning import Link, PlanTask, WorkDays, find_cycle, reschedule
from app.extensions import db
from app.models.projects import Project, ProjectTask, TaskNotice
from app.services.base import unit_of_work
from app.services.projects import access
from app.services.projects import tasks as svc
from app.services.projects.calendar import tasks_ics

MON = date(2026, 3, 2)  # a Monday


def test_working_days_skip_weekends():
    days = WorkDays()
    assert days.add(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday + 1 -> Monday
    assert days.count(MON, date(2026, 3, 13)) == 10
    assert find_cycle([Link(1, 2), Link(2, 3)]) is None
    assert find_cycle([Link(1, 2), Link(2, 3), Link(3, 1)]) == [1, 2, 3, 1]


def test_slip_pushes_dependants_by_working_days_with_lag():
    days = WorkDays()
    tasks = {1: PlanTask(1, MON, MON + timedelta(days=1)),  # Mon-Tue
             2: PlanTask(2, MON + timedelta(days=2), MON + timedelta(days=3)),  # Wed-Thu
             3: PlanTask(3, MON + timedelta(days=14), MON + timedelta(days=14))}  # far away: not moved
    links = [Link(1, 2, 0), Link(2, 3, 0)]
    tasks[1].due = MON + timedelta(days=4)  # slips to Friday
    moves = reschedule(tasks, links, days)
    assert [(m.task_id, m.new_start, m.new_due) for m in moves] == [(2, date(2026, 3, 9), date(2026, 3, 10))]
    tasks[1].due = date(2026, 3, 9)  # Monday, and a lag of 2 working days: Thursday
    moves = reschedule(tasks, [Link(1, 2, 2), Link(2, 3, 0)], days)
    assert (tasks[2].start, tasks[2].due) == (date(2026, 3, 12), date(2026, 3, 13))  # keeps 2 working days


def _project(**kw) -> Project:
    project = Project(code=kw.pop("code", "P1"), name=kw.pop("name", "Robots"), **kw)
    db.session.add(project)
    db.session.flush()
    return project


def _task(project: Project | None, title: str, start: date, due: date, **kw) -> ProjectTask:
    task = ProjectTask(project=project, title=title, start_date=start, due_date=due, **kw)
    db.session.add(task)
    db.session.flush()
    return task


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def test_cycle_refused_with_the_field_named(app):
    with unit_of_work(db.session):
        p = _project()
        a, b, c = (_task(p, t, MON, MON) for t in "ABC")
    svc.add_link(db.session, a.id, b.id)
    svc.add_link(db.session, b.id, c.id)
    with pytest.raises(DomainError) as exc:
        svc.add_link(db.session, c.id, a.id)
    problem = exc.value.problems[0]
    assert problem.field == "predecessor" and "A → B → C → A" in problem.render()
    with pytest.raises(DomainError):
        svc.add_link(db.session, a.id, a.id)


def test_slip_moves_dependants_and_tells_their_people(app):
    engineer = _user("engineer")
    with unit_of_work(db.session):
        p = _project()
        design = _task(p, "Design", MON, MON + timedelta(days=1))
        build = _task(p, "Build", MON + timedelta(days=2), MON + timedelta(days=3), assignee_id=engineer.id)
    svc.add_link(db.session, design.id, build.id, lag_days=1)  # Build may start Thursday: pushed one day
    assert (build.start_date, build.due_date) == (date(2026, 3, 5), date(2026, 3, 6))
    slip = svc.slip_task(db.session, design.id, date(2026, 3, 6))  # Design slips to Friday
    assert [m.task_id for m in slip.moves] == [build.id]
    assert (build.start_date, build.due_date) == (date(2026, 3, 10), date(2026, 3, 11))  # Tue-Wed after the lag
    notices = db.session.scalars(select(TaskNotice.text).where(TaskNotice.user_id == engineer.id)).all()
    assert any("Build" in n and "Design" in n for n in notices)


def test_states_through_the_workflow_and_time_costs_the_order(app):
    from app.models.production import ProductionOrder

    with unit_of_work(db.session):
        task = _task(None, "Assemble", MON, MON)
    svc.move_task(db.session, task.id, "complete")
    assert task.state == "done" and task.done_by
    with pytest.raises(DomainError):
        svc.move_task(db.session, task.id, "start")  # done -> in progress is not a transition
    from app.models.production import WorkCenter
    from tests import factories as f

    with unit_of_work(db.session):
        wh = f.warehouse()
        order = ProductionOrder(number="PO-T1", item=f.item("ROBOT-T", kind="product"), qty=Decimal(1),
                                component_warehouse_id=wh.id, output_warehouse_id=wh.id)
        centre = WorkCenter(code="ASM", name="Assembly", labour_rate=Decimal("1200"))
        db.session.add_all([order, centre])
        db.session.flush()
        paid = _task(None, "Wire the boards", MON, MON, production_order_id=order.id, work_center_id=centre.id)
    entry = svc.log_time(db.session, paid.id, 90)
    assert entry.labour_cost == Decimal("1800.00") and order.actual_labour == Decimal("1800.00")
    with pytest.raises(DomainError) as exc:
        svc.log_time(db.session, paid.id, 0)
    assert exc.value.problems[0].field == "minutes"


def test_my_tasks_ics_and_visibility(app):
    engineer, sales = _user("engineer"), _user("sales")
    with unit_of_work(db.session):
        mine = _project(code="MINE", name="Mine", owner_id=engineer.id)
        other = _project(code="OTHER", name="Other")
        _task(mine, "Draw, the case; v2", MON, MON + timedelta(days=2), assignee_id=engineer.id)
        role_task = _task(other, "Check BOM", MON, MON, assignee_role_id=engineer.roles[0].id)
    seen = set(db.session.scalars(select(Project.code).where(access.visible_projects(engineer))))
    assert seen == {"MINE", "OTHER"}  # OTHER through a task given to the engineer's role
    assert set(db.session.scalars(select(Project.code).where(access.visible_projects(sales)))) == set()
    assert {t.title for t in svc.my_tasks(db.session, engineer)} >= {"Draw, the case; v2", role_task.title}
    ics = tasks_ics(svc.my_tasks(db.session, engineer))
    assert "SUMMARY:Draw\\, the case\\; v2 · Mine" in ics and "DTEND;VALUE=DATE:20260305" in ics
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")


def test_validation_names_fields(app):
    with pytest.raises(DomainError) as exc:
        svc.prepare_task(db.session, ProjectTask(title=" ", start_date=MON, due_date=MON - timedelta(days=1),
                                                 estimate_hours=Decimal(-1)))
    assert {p.field for p in exc.value.problems} == {"title", "due_date", "estimate_hours"}
