"""E-mail of sales documents to the client: invoices, acts and waybills as PDF, through the outbox.

The message is recorded in the outbox (app.services.mail.send_mail) with the order as its entity
and the client as its partner, so the client card and the outbox show what was sent and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import Collector, DomainError
from app.models.mail import OutboxMessage
from app.models.sales import SalesInvoice, SalesOrder, Shipment
from app.services.mail import Attachment, send_mail
from app.services.sales.printing import invoice_pdf, shipment_pdf


@dataclass
class MailInput:
    order_id: int
    to: str
    subject: str
    body: str = ""
    invoice_ids: list[int] = field(default_factory=list)
    shipment_ids: list[int] = field(default_factory=list)
    lang: str | None = None  # of the printed forms: the client's language by default


def email_documents(session: Session, data: MailInput) -> OutboxMessage:
    """Send the chosen documents of an order to the client; every problem at once, nothing sent on error."""
    order = session.get(SalesOrder, data.order_id)
    if order is None:
        raise DomainError("Order %(id)s not found", id=data.order_id)
    problems = Collector()
    if not (data.to or "").strip():
        problems.add("Give the recipient's e-mail address", field="to")
    if not (data.subject or "").strip():
        problems.add("Give the subject", field="subject")
    invoices = list(session.scalars(select(SalesInvoice).where(SalesInvoice.id.in_(data.invoice_ids or [-1]),
                                                               SalesInvoice.order_id == order.id)))
    ships = list(session.scalars(select(Shipment).where(Shipment.id.in_(data.shipment_ids or [-1]),
                                                        Shipment.order_id == order.id)))
    if len(invoices) != len(set(data.invoice_ids)) or len(ships) != len(set(data.shipment_ids)):
        problems.add("A chosen document does not belong to this order")
    if not invoices and not ships:
        problems.add("Choose at least one document to send")
    problems.raise_if_any()
    lang = data.lang or order.partner.language or None
    attachments = []
    for inv in invoices:
        pdf, name = invoice_pdf(session, inv.id, lang)
        attachments.append(Attachment(name, pdf))
    for ship in ships:
        pdf, name = shipment_pdf(session, ship.id, lang)
        attachments.append(Attachment(name, pdf))
    return send_mail(session, to=data.to, subject=data.subject.strip(), body=data.body or "", attachments=attachments,
                     entity="sales_order", entity_id=order.id, partner_id=order.partner_id)
