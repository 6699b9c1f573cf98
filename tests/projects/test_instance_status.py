"""A running process instance shows each step: who has it, until when, and who is late by how many working days."""

from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.models.projects import ProcessInstance
from app.services.base import unit_of_work
from app.services.projects import processes as proc
from tests.projects.test_processes import _confirm_event, _template


def test_instance_page_names_who_is_late(app, login_as):
    template = _template()
    proc.publish(db.session, template.id)
    proc.dispatch(db.session)
    assert proc.dispatch(db.session) == 0  # nothing twice
    _confirm_event("250000", custom=1)
    assert proc.dispatch(db.session) == 1
    instance = db.session.query(ProcessInstance).one()
    steps = proc.instance_status(db.session, instance)
    assert [(s.key, s.state) for s in steps] == [("design", "todo"), ("cost", "waiting")]

    monday = date.today() - timedelta(days=date.today().weekday())
    design = steps[0].task
    with unit_of_work(db.session):  # due a week ago Friday: today's weekday + 3 working days late
        design.start_date = design.due_date = monday - timedelta(days=3)
    late = proc.late_steps(db.session, instance)
    assert [(s.key, s.days_late) for s in late] == [("design", min(date.today().weekday(), 4) + 1)]

    manager = login_as("Manager")
    manager.get("/lang/es")
    page = manager.get(f"/processinstanceview/show/{instance.id}").get_data(as_text=True)
    row = page[page.index('data-step="design"'):page.index('data-step="cost"')]
    assert 'class="danger step-late" data-step="design"' in page and "Ingeniero" in row and "Retrasada" in row
    assert "Aún no alcanzado" in page[page.index('data-step="cost"'):]
