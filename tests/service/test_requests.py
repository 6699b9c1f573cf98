"""Service requests: SLA deadlines across a weekend and a pause, the warranty from the shipment date,
the workflow's refusals, the client told in the client's language."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.domain.sla import AT_RISK, BREACHED, ON_TIME
from app.models.audit import AuditLog
from app.models.mail import OutboxMessage
from app.models.service import ServiceComment
from app.services.service_desk.requests import add_comment, change_state, sla_of
from tests.sales import factories_sales as fs
from tests.service.factories_service import request, shipped_robot


def test_deadlines_count_working_hours_across_the_weekend(app, session):
    req = request(fs.client())
    # high: 2 working hours to respond, 16 to resolve; Friday 17:00 -> Monday 10:00 and Tuesday 15:00
    assert req.number.startswith("SR")
    assert req.response_due_at == datetime(2026, 12, 7, 10, 0)
    assert req.resolution_due_at == datetime(2026, 12, 8, 15, 0)
    assert req.resolution_risk_at == datetime(2026, 12, 8, 11, 0)  # the last quarter (4 h) is at risk
    assert sla_of(req, datetime(2026, 12, 7, 9, 29)).overall == ON_TIME
    assert sla_of(req, datetime(2026, 12, 7, 9, 30)).response == AT_RISK
    assert sla_of(req, datetime(2026, 12, 7, 10, 1)).overall == BREACHED


def test_waiting_for_the_client_stops_the_clock_to_the_minute(app, session):
    req = request(fs.client())
    change_state(session, req.id, "start", at=datetime(2026, 12, 7, 9, 30))
    change_state(session, req.id, "wait", at=datetime(2026, 12, 7, 10, 0))
    # while waiting the state is judged at the pause, not now
    assert sla_of(req, datetime(2026, 12, 20, 12, 0)).resolution == ON_TIME
    change_state(session, req.id, "resume", at=datetime(2026, 12, 8, 12, 30))
    # paused Monday 10:00-18:00 (480) and Tuesday 9:00-12:30 (210): 690 working minutes
    assert req.paused_minutes == 690 and req.paused_at is None
    # 16 h + 690 min = 1650 working minutes from Friday 17:00: Wednesday 17:30
    assert req.resolution_due_at == datetime(2026, 12, 9, 17, 30)
    assert req.response_due_at == datetime(2026, 12, 7, 10, 0)  # answered at 9:30: that clock stopped
    assert sla_of(req, datetime(2026, 12, 9, 17, 30)).overall == AT_RISK
    change_state(session, req.id, "resolve", at=datetime(2026, 12, 9, 17, 31))
    assert sla_of(req).resolution == BREACHED  # resolved one minute late, judged at the resolution


def test_a_pause_after_the_deadline_does_not_unbreach_it(app, session):
    req = request(fs.client(), start=True)
    change_state(session, req.id, "wait", at=datetime(2026, 12, 9, 10, 0))  # due Tuesday 15:00
    change_state(session, req.id, "resume", at=datetime(2026, 12, 10, 10, 0))
    assert req.resolution_due_at == datetime(2026, 12, 8, 15, 0) and req.paused_minutes == 0


def test_warranty_runs_from_the_shipment_date(app, session):
    client, robot, ship = shipped_robot(months=12, on=date(2025, 12, 10))
    inside = request(client, robot, opened=datetime(2026, 12, 9, 10, 0))
    assert inside.shipment_id == ship.id  # found from the client's shipments of that product
    assert inside.warranty_until == date(2026, 12, 9) and inside.warranty
    late = request(client, robot, opened=datetime(2026, 12, 10, 10, 0))
    assert not late.warranty


def test_a_shipment_of_another_client_is_refused_by_name(app, session):
    client, robot, ship = shipped_robot()
    other = fs.client("Other school", email="")
    with pytest.raises(DomainError) as exc:
        request(other, robot, shipment_id=ship.id)
    [problem] = exc.value.problems
    assert problem.field == "shipment_id" and ship.number in problem.render()


def test_refusals_name_the_state_and_where_the_action_is_possible(app, session):
    req = request(fs.client())
    with pytest.raises(DomainError) as exc:
        change_state(session, req.id, "close")
    assert exc.value.problems[0].render() == (f"Service request {req.number} is “New”: “Closing” is possible only "
                                              "in these states: Resolved")
    with pytest.raises(DomainError):
        change_state(session, req.id, "resume")
    change_state(session, req.id, "resolve")
    change_state(session, req.id, "close")
    change_state(session, req.id, "reopen")
    assert (req.state, req.reopened, req.closed_at) == ("in_progress", 1, None)
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "ServiceRequest")).all()
    assert {"resolve", "close", "reopen"} <= set(actions)


def test_the_client_is_told_in_the_clients_language_even_without_a_mail_server(app, session):
    client = fs.client("Escuela Robótica", language="es", email="hola@escuela.example")
    req = request(client, start=True)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.entity == "ServiceRequest")).all()
    assert [m.state for m in mail] == ["queued"]  # registering is not mailed; taking into work is
    assert mail[-1].subject == f"Su solicitud de servicio {req.number}: En curso"
    assert mail[-1].recipients == "hola@escuela.example" and req.state == "in_progress"


def test_the_first_comment_is_the_first_response_and_a_file_can_come_with_it(app, session):
    req = request(fs.client())
    add_comment(session, req.id, "Please send a photo", filename="photo.jpg", content=b"\xff\xd8",
                mimetype="image/jpeg")
    assert req.first_response_at is not None
    [c] = session.scalars(select(ServiceComment)).all()
    assert (c.filename, c.content, c.author) == ("photo.jpg", b"\xff\xd8", "system")
    with pytest.raises(DomainError) as exc:
        add_comment(session, req.id, "  ")
    assert exc.value.problems[0].field == "body"
