"""The client card's sales sections and e-mailing an order's documents through the outbox."""

from __future__ import annotations

from decimal import Decimal
from email import message_from_bytes

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.mail import OutboxMessage
from app.services.sales import PaymentInput, confirm_order, create_invoice, register_payment
from app.services.sales.card import card_sections
from app.services.sales.mailing import MailInput, email_documents
from app.services.sales.shipments import ShipmentInput, ship_order
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal


@pytest.fixture
def story(app, session):
    pf.company()
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "1000")
    fs.stock(wh, robot, 5)
    c = fs.client("Robokids", email="office@robokids.example")
    orders = [fs.order(c, [(robot, 1)]) for _ in range(3)]
    confirm_order(session, orders[0].id)
    ship = ship_order(session, ShipmentInput(orders[0].id))
    inv = create_invoice(session, orders[0].id)
    register_payment(session, PaymentInput(inv.id, "200"))
    return c, orders, ship, inv


def test_card_sections_with_counts_limits_and_balance(story, session):
    c, orders, ship, inv = story
    sections = {s.key: s for s in card_sections(session, c.id, limit=2)}
    assert set(sections) == {"sales_balance", "sales_orders", "sales_shipments", "sales_invoices", "sales_payments"}
    assert (sections["sales_orders"].total, len(sections["sales_orders"].rows)) == (3, 2)
    assert sections["sales_orders"].rows[0]["number"] == orders[-1].number
    [bal] = sections["sales_balance"].rows
    assert (bal["currency"], bal["invoiced"], bal["paid"], bal["due"]) == ("RUB", D("1200.00"), D("200"), D("1000.00"))
    assert sections["sales_invoices"].rows[0]["status"] == "Partly paid"
    assert sections["sales_shipments"].rows[0]["number"] == ship.number


def test_card_sections_through_the_partner_card_registry(story, session):
    from app.services.partner_card import card_sections as all_sections

    keys = [s.key for s in all_sections(session, story[0].id, providers=["app.services.sales.card:card_sections"])]
    assert keys[0] == "sales_balance"


def test_email_invoice_and_waybill_to_the_client(story, session, smtp_server):  # noqa: F811
    controller, handler = smtp_server
    c, orders, ship, inv = story
    pf.company(smtp_host="127.0.0.1", smtp_port=controller.port, mail_from="sales@robofabrika.example")
    msg = email_documents(session, MailInput(orders[0].id, to=c.email, subject="Robokids documents",
                                             invoice_ids=[inv.id], shipment_ids=[ship.id], lang="es"))
    assert msg.state == "sent"
    [envelope] = handler.messages
    mail = message_from_bytes(envelope.content)
    names = sorted(p.get_filename() for p in mail.walk() if p.get_filename())
    assert names == sorted([f"{inv.number}.pdf", f"{ship.number}.pdf"])
    row = session.scalar(select(OutboxMessage))
    assert (row.entity, row.entity_id, row.partner_id) == ("sales_order", orders[0].id, c.id)


def test_email_refused_without_documents_or_address(story, session):
    c, orders, ship, inv = story
    with pytest.raises(DomainError) as err:
        email_documents(session, MailInput(orders[1].id, to="", subject="", invoice_ids=[inv.id]))
    assert err.value.messages() == ["Give the recipient's e-mail address", "Give the subject",
                                    "A chosen document does not belong to this order",
                                    "Choose at least one document to send"]
    assert session.scalar(select(OutboxMessage)) is None
