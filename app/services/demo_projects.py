"""Demo data of projects: the Robokids order as a project, and the "Order confirmed" business process.

Runs after the sales and quality loaders. The custom robots of the Robokids order become a project of the
production managers, engineers, buyers and economists: engineering (the XL case, the software for older
children), purchasing (the missing motherboards and processors), pricing, assembly and flashing, linked
finish-to-start with lags, and a milestone; the boards come two weeks late, so the project delays the order
(its page says so), and the case task carries its specification as a file.
The "Order confirmed" template (three languages) is published and dispatched once, as the scheduler would:
the Robokids order's confirmation, recorded as an event when the sales loader confirmed it, becomes the
process's first tasks in the project.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models.partners import Partner
from app.models.projects import ProcessTemplate, Project, ProjectTask, TaskLink
from app.models.sales import SalesOrder
from app.services.projects import files, processes, tasks

# (key, title, user, start offset in working days, length, estimate hours, milestone)
TASKS = [
    ("case", "Спроектировать корпус XL", "engineer", 0, 3, 16, False),
    ("soft", "Доработать ПО для старших школьников", "engineer", 0, 5, 32, False),
    ("buy", "Закупить материнские платы и процессоры", "purchasing", 0, 4, 6, False),
    ("price", "Рассчитать цену заказных роботов (ТКП)", "economist", 0, 2, 6, False),
    ("asm", "Собрать 4 заказных робота", "production", 5, 5, 40, False),
    ("flash", "Прошить ПО и проверить", "production", 10, 1, 8, False),
    ("ready", "Готово к отгрузке", "production", 11, 1, 0, True),
]
LINKS = [("case", "asm", 0), ("buy", "asm", 1), ("asm", "flash", 0), ("soft", "flash", 0), ("flash", "ready", 0)]
STEPS = [
    {"key": "design", "title": "Check the design of the custom robots",
     "title_ru": "Проверить конструкцию заказных роботов",
     "title_es": "Revisar el diseño de los robots a medida", "role": "Engineer", "days": 2, "hours": 6,
     "when": "order.custom_lines > 0", "wait": False},
    {"key": "price", "title": "Check the order's cost and margin", "title_ru": "Проверить себестоимость и маржу заказа",
     "title_es": "Revisar el coste y el margen del pedido", "role": "Economist", "days": 1, "hours": 3},
    {"key": "plan", "title": "Plan production and purchases", "title_ru": "Запланировать производство и закупки",
     "title_es": "Planificar la producción y las compras", "role": "Production", "days": 2, "hours": 4},
]


def _user(name: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == name))


def load() -> None:
    """Load the projects part of the Robokids story."""
    order = db.session.scalar(select(SalesOrder).join(Partner, Partner.id == SalesOrder.partner_id)
                              .where(SalesOrder.note.like("Робокидс%")).order_by(SalesOrder.id.desc()).limit(1))
    robokids = order.partner if order else None
    lead = _user("production")
    project = Project(code="ROBOKIDS-XL", name="Robokids: 4 custom robots", name_ru="Робокидс: 4 заказных робота",
                      name_es="Robokids: 4 robots a medida", partner_id=robokids.id if robokids else None,
                      sales_order_id=order.id if order else None, owner_id=lead.id if lead else None,
                      description="Заказ Робокидс: 10 стандартных роботов, 5 конструкторов, 4 заказных робота")
    project.members = [u for u in (_user(n) for n in ("engineer", "purchasing", "economist", "production")) if u]
    db.session.add(project)
    db.session.flush()
    days = tasks.work_days(db.session)
    start = days.first_on_or_after(date.today())
    by_key = {}
    for key, title, user, offset, length, hours, milestone in TASKS:
        who = _user(user)
        first = days.add(start, offset)
        task = ProjectTask(project_id=project.id, title=title, assignee_id=who.id if who else None, start_date=first,
                           due_date=days.span(first, length), estimate_hours=Decimal(hours), is_milestone=milestone)
        db.session.add(task)
        by_key[key] = task
    db.session.flush()
    for pred, succ, lag in LINKS:
        db.session.add(TaskLink(predecessor_id=by_key[pred].id, successor_id=by_key[succ].id, lag_days=lag))
    db.session.flush()
    tasks.move_task(db.session, by_key["price"].id, "complete")
    tasks.move_task(db.session, by_key["case"].id, "start")
    # the boards come two weeks late: assembly, flashing and shipping move past the order's delivery date, so
    # the order's page says the project delays it
    tasks.slip_task(db.session, by_key["buy"].id, days.add(by_key["buy"].due_date, 10))
    files.attach(db.session, by_key["case"].id, "ТЗ корпус XL.txt", "text/plain",
                 "Корпус XL: 4 шт., ABS, место под аккумулятор 18650, крепление датчиков спереди\n".encode())
    template = ProcessTemplate(code="ORDER-CONFIRMED", name="Order confirmed", name_ru="Заказ подтверждён",
                               name_es="Pedido confirmado", event="order_confirmed", condition="order.total > 100000",
                               steps=json.dumps(STEPS, ensure_ascii=False))
    db.session.add(template)
    db.session.flush()
    processes.publish(db.session, template.id)
    processes.dispatch(db.session)
