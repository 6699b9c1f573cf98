"""The Robokids story: confirming the order starts "Order confirmed" through the scheduler's job, tasks for the
engineers and economists with deadlines in working days, notices in each person's language, then production."""

from __future__ import annotations

import json
from datetime import date

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import select

from app.extensions import db
from app.jobs.runner import run_job
from app.models.audit import UserPreference
from app.models.mail import OutboxMessage
from app.models.projects import ProcessEvent, ProcessTemplate, ProjectTask, TaskNotice
from app.services.base import unit_of_work
from app.services.demo_projects import STEPS
from app.services.projects import processes as proc
from app.services.projects.tasks import move_task, work_days
from app.services.sales import confirm_order
from tests import factories as f
from tests.sales import factories_sales as fs


def test_confirmed_order_routes_work_to_roles_once(app):
    users = {u.username: u for u in db.session.scalars(select(User))}
    with unit_of_work(db.session):
        db.session.add(UserPreference(user_id=users["engineer"].id, locale="ru"))
        db.session.add(UserPreference(user_id=users["economist"].id, locale="es"))
        steps = [dict(STEPS[0], when="order.lines >= 3"), *STEPS[1:]]
        template = ProcessTemplate(code="ORDER-CONFIRMED", name="Order confirmed", event="order_confirmed",
                                   condition="order.total > 100000", steps=json.dumps(steps))
        db.session.add(template)
    proc.publish(db.session, template.id)
    robokids = fs.client("Robokids")
    robot, kit, xl = (fs.priced_item(c, p) for c, p in (("ROBOT-STD", "24900"), ("KIT-START", "8900"),
                                                          ("ROBOT-XL", "38900")))
    order = fs.order(robokids, [(robot, 10), (kit, 5), (xl, 4)], warehouse_id=f.warehouse().id)
    confirm_order(db.session, order.id, override=True)
    db.session.commit()
    assert db.session.scalar(select(ProcessEvent.kind).where(ProcessEvent.entity_id == order.id)) == "order_confirmed"

    assert run_job("project-events").status == "success"
    run_job("project-events")  # a second fire finds nothing new: never twice
    tasks = db.session.scalars(select(ProjectTask).order_by(ProjectTask.id)).all()
    roles = {r.id: r.name for r in db.session.scalars(select(Role))}
    assert [(t.step_key, roles[t.assignee_role_id]) for t in tasks] == [("design", "Engineer"),
                                                                         ("price", "Economist")]
    days = work_days(db.session)
    start = days.first_on_or_after(date.today())
    assert [t.due_date for t in tasks] == [days.add(start, 2), days.add(start, 1)]
    assert tasks[0].title == "Проверить конструкцию заказных роботов"  # the engineers read Russian
    notices = dict(db.session.execute(select(TaskNotice.user_id, TaskNotice.text)).all())
    assert notices[users["engineer"].id].startswith("Новая задача «Проверить конструкцию")
    assert notices[users["economist"].id].startswith("Nueva tarea «Revisar el coste")
    assert db.session.scalar(select(OutboxMessage.subject).where(OutboxMessage.user_id == users["economist"].id)) \
        .startswith("Tarea:")

    move_task(db.session, tasks[1].id, "complete")  # the economists are done: production plans next
    last = db.session.scalar(select(ProjectTask).where(ProjectTask.step_key == "plan"))
    assert roles[last.assignee_role_id] == "Production"
