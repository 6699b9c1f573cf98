"""The recall list leaves the system as e-mails to the clients (through the outbox, no prices) and as
service requests, one per client and item, for the service desk to work."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as email_policy

from sqlalchemy import select

from app.models.mail import OutboxMessage
from app.models.service import ServiceRequest
from app.services.quality.recall import mail_recall, open_service_requests
from tests.purchasing import factories_purchasing as pf
from tests.quality.test_trace import story  # noqa: F401 - the traced plant fixture


def test_each_client_gets_one_e_mail_naming_its_goods_without_prices(story, session, smtp_server):  # noqa: F811
    controller, handler = smtp_server
    pf.company(smtp_host="127.0.0.1", smtp_port=controller.port, mail_from="quality@robofabrika.example")
    _, lots, first, second = story
    result = mail_recall(session, lots["CPU"][1].id, note="Call us: +7 495 123-45-67")
    assert (result.sent, result.skipped) == (2, [])
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.recipients, m.state, m.entity) for m in rows] == [
        ("office@robokids.example", "sent", "recall"), ("info@techno.example", "sent", "recall")]
    bodies = {m.recipients: m.body for m in rows}
    assert ": 4 (" in bodies["office@robokids.example"] and first.number in bodies["office@robokids.example"]
    assert second.number in bodies["info@techno.example"] and "25000" not in "".join(bodies.values())
    assert "Уважаемый клиент Robokids" in bodies["office@robokids.example"]  # the client's language (ru)
    assert {m.subject for m in rows} == {"Отзыв продукции: проверьте перечисленные изделия"}
    received = [message_from_bytes(e.content, policy=email_policy) for e in handler.messages]
    assert sorted(m["To"] for m in received) == ["info@techno.example", "office@robokids.example"]


def test_the_service_desk_gets_a_request_per_client_and_item(story, session):  # noqa: F811
    plant, lots, _, _ = story
    ids = open_service_requests(session, lots["CPU"][1].id)
    reqs = session.scalars(select(ServiceRequest).where(ServiceRequest.id.in_(ids)).order_by(ServiceRequest.id)).all()
    assert [(r.partner.name, r.item_id, r.priority) for r in reqs] == [
        ("Robokids", plant["ROBOT"].id, "high"), ("Techno school", plant["ROBOT"].id, "high")]
    assert all(r.number and "CPU" in r.description for r in reqs)
