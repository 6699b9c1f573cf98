"""A project late against its customer order: the order page's promise panel and the REST read say by how much."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.crm import Deal
from app.models.projects import Project, ProjectTask
from app.models.proposals import Proposal
from app.models.sales import SalesOrder
from app.services.base import unit_of_work
from app.services.projects.delays import order_delays
from app.services.projects.tasks import slip_task
from tests import factories as f
from tests import factories_partners as fp


def _monday_in(weeks: int) -> date:
    today = date.today()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def _order_with_project(through_deal: bool) -> tuple[SalesOrder, ProjectTask]:
    """An order promised on a Friday and a project whose assembly ends that Friday."""
    friday = _monday_in(3) + timedelta(days=4)
    with unit_of_work(db.session):
        client = fp.partner("Robokids")
        rub = f.currency("RUB")
        order = SalesOrder(number="SO-DELAY", state="confirmed", partner=client, currency=rub,
                           delivery_date=friday, amount_total=Decimal("100"))
        project = Project(code="ROBOKIDS-XL", name="Robots")
        if through_deal:  # the project hangs on the deal the order's TCP came from
            deal = Deal(title="XL robots", partner_id=client.id, amount=Decimal("100"),
                        stage_id=fp.stages()["Lead"].id)
            db.session.add(deal)
            db.session.flush()
            tcp = Proposal(number="TCP-1", partner_id=client.id, currency_id=rub.id, deal_id=deal.id)
            db.session.add(tcp)
            db.session.flush()
            order.proposal_id, project.deal_id = tcp.id, deal.id
        else:
            project.sales_order = order
        task = ProjectTask(project=project, title="Assembly", start_date=friday - timedelta(days=2), due_date=friday)
        done = ProjectTask(project=project, title="Old", start_date=friday, due_date=friday + timedelta(days=30),
                           state="done")
        db.session.add_all([order, project, task, done])
    return order, task


def test_slipped_task_delays_the_order_on_its_page_and_api(app, login_as):
    order, task = _order_with_project(through_deal=False)
    assert order_delays(db.session, order) == []  # on time (the done task does not count)
    slip_task(db.session, task.id, task.due_date + timedelta(days=3))  # Friday -> Monday: 1 working day
    delays = order_delays(db.session, order)
    assert [(d.project_code, d.task_title, d.days) for d in delays] == [("ROBOKIDS-XL", "Assembly", 1)]

    page = login_as("Manager").get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    monday = task.due_date
    assert "ROBOKIDS-XL" in page and monday.strftime("%d.%m.%Y") not in page  # English reader: no ru date
    ru = login_as("Manager")
    ru.get("/lang/ru")
    text = ru.get(f"/salesorderview/show/{order.id}").get_data(as_text=True)
    assert "Проект ROBOKIDS-XL задерживает этот заказ на 1 раб. дн." in text
    assert monday.strftime("%d.%m.%Y") in text

    api = login_as("Manager").get(f"/api/v1/project/order_delays/{order.id}").json
    assert api["promised"] == order.delivery_date.isoformat()
    assert api["delays"][0]["days"] == 1 and api["delays"][0]["task_due"] == monday.isoformat()


def test_delay_through_the_tcp_deal(app):
    order, task = _order_with_project(through_deal=True)
    slip_task(db.session, task.id, task.due_date + timedelta(days=7))  # a week later: 5 working days
    assert [d.days for d in order_delays(db.session, order)] == [5]
