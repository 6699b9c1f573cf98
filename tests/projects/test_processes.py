"""Business processes: hostile conditions refused, versions kept by running instances, dispatch once, dry run."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.projects import ProcessEvent, ProcessInstance, ProcessTemplate, ProjectTask, TaskNotice
from app.services.base import unit_of_work
from app.services.projects import processes as proc
from app.services.projects.tasks import move_task

STEPS = [
    {"key": "design", "title": "Check the design", "title_ru": "Проверить конструкцию", "role": "Engineer",
     "days": 2, "hours": 8, "when": "order.custom_lines > 0"},
    {"key": "cost", "title": "Price the order", "title_es": "Valorar el pedido", "role": "Economist", "days": 1,
     "hours": 4},
]


def _template(condition: str = "order.total > 100000", steps: list | None = None) -> ProcessTemplate:
    with unit_of_work(db.session):
        t = ProcessTemplate(code="ORDER", name="Order confirmed", event="order_confirmed", condition=condition,
                            steps=json.dumps(steps or STEPS))
        db.session.add(t)
        db.session.flush()
    return t


@pytest.mark.parametrize("hostile", [
    "__import__('os').system('id')", "order.__class__", "().__class__.__bases__[0]", "open('/etc/passwd')",
    "lambda: 1", "[x for x in range(10**9)]", "order.total if order.total else exec('1')",
])
def test_hostile_conditions_are_refused_naming_the_field(hostile):
    with pytest.raises(DomainError) as exc:
        proc.compile_condition(hostile, "order_confirmed", "condition")
    assert exc.value.problems[0].field == "condition"


def test_conditions_read_the_event_fields():
    cond = proc.compile_condition("order.total > 500000 and client.name == 'Робокидс'", "order_confirmed", "condition")
    assert cond.holds({"order.total": Decimal("612000"), "client.name": "Робокидс"})
    assert not cond.holds({"order.total": Decimal("1000"), "client.name": "Робокидс"})
    with pytest.raises(DomainError) as exc:
        proc.compile_condition("invoice.total > 1", "order_confirmed", "steps[2].when")
    assert exc.value.problems[0].field == "steps[2].when"
    bomb = proc.compile_condition("9 ** 9 ** 9 > 1", "order_confirmed", "condition")
    assert not bomb.holds({})  # refused while evaluating (the calculator's magnitude limit): never true


def test_bad_steps_name_the_step_and_field(app):
    with pytest.raises(DomainError) as exc:
        proc.parse_steps(json.dumps([{"title": "", "days": -1}, {"title": "x", "role": "Engineer",
                                                                 "when": "os.system"}]), "order_confirmed")
    assert {p.field for p in exc.value.problems} == {"steps[1].title", "steps[1].role", "steps[1].days",
                                                     "steps[2].when"}


def _confirm_event(total: str = "250000", custom: int = 1) -> ProcessEvent:
    with unit_of_work(db.session):
        event = proc.record_event(db.session, "order_confirmed", None, {
            "order.total": total, "order.custom_lines": custom, "order.number": "SO-1", "client.name": "Робокидс"})
    return event


def test_run_waits_for_each_task_and_keeps_its_version_once(app):
    from flask_appbuilder.security.sqla.models import User

    from app.models.audit import UserPreference

    engineer = db.session.scalar(select(User).where(User.username == "engineer"))
    with unit_of_work(db.session):
        db.session.add(UserPreference(user_id=engineer.id, locale="ru"))
    template = _template()
    v1 = proc.publish(db.session, template.id)
    _confirm_event()
    assert proc.dispatch(db.session) == 1
    assert proc.dispatch(db.session) == 0  # never twice
    instance = db.session.scalar(select(ProcessInstance))
    tasks = db.session.scalars(select(ProjectTask).where(ProjectTask.instance_id == instance.id)).all()
    assert [t.step_key for t in tasks] == ["design"]  # waits for the engineers before the economists
    engineer_role = db.session.scalar(select(Role).where(Role.name == "Engineer"))
    assert tasks[0].assignee_role_id == engineer_role.id
    notice = db.session.scalar(select(TaskNotice.text).where(TaskNotice.user_id == engineer.id))
    assert notice.startswith("Новая задача «Проверить конструкцию»")  # in the engineer's language
    # a new version while the instance runs: the instance finishes on v1 (two steps), not v2's one
    with unit_of_work(db.session):
        template.steps = json.dumps([STEPS[0]])
    v2 = proc.publish(db.session, template.id)
    assert (v1.number, v2.number) == (1, 2)
    move_task(db.session, tasks[0].id, "complete")
    keys = db.session.scalars(select(ProjectTask.step_key).where(ProjectTask.instance_id == instance.id)
                              .order_by(ProjectTask.id)).all()
    assert keys == ["design", "cost"] and instance.version_id == v1.id
    last = db.session.scalar(select(ProjectTask).where(ProjectTask.step_key == "cost"))
    move_task(db.session, last.id, "complete")
    assert instance.state == "done"


def test_condition_false_starts_nothing_and_branch_skips_a_step(app):
    template = _template()
    proc.publish(db.session, template.id)
    _confirm_event(total="5000")
    _confirm_event(custom=0)
    assert proc.dispatch(db.session) == 1
    keys = db.session.scalars(select(ProjectTask.step_key)).all()
    assert keys == ["cost"]  # no custom lines: the design step is skipped


def test_dry_run_totals_on_a_hand_built_history(app):
    template = _template()
    monday = datetime(2026, 3, 2, 10, 0)
    with unit_of_work(db.session):
        for i in range(6):  # six orders on Mondays of two weeks, 3 big with custom lines, 2 big plain, 1 small
            total, custom = [("250000", 1), ("250000", 1), ("250000", 1), ("300000", 0), ("300000", 0),
                             ("900", 1)][i]
            proc.record_event(db.session, "order_confirmed", None, {"order.total": total, "order.custom_lines": custom},
                              when=monday + timedelta(days=7 * (i % 2)))
    result = proc.dry_run(db.session, template, since=monday - timedelta(days=1), capacity_hours=Decimal(10))
    assert (result.events, result.matched, result.tasks) == (6, 5, 8)
    assert result.per_step == {"design": 3, "cost": 5}
    engineers = result.weekly_hours["Engineer"]
    assert sum(engineers.values()) == Decimal(24)  # 3 design tasks x 8 h
    assert db.session.scalar(select(func.count()).select_from(ProjectTask)) == 0  # a dry run creates nothing
    assert result.missed >= 0 and set(result.missed_by_role) <= {"Engineer", "Economist"}
