"""Requests to orders, receiving in parts with price differences, exports, PDF and e-mail to a local SMTP server."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.mail import OutboxMessage
from app.models.purchasing import PurchaseOrder, PurchaseReceipt, PurchaseRequest
from app.models.stock import StockDocument
from app.services.purchasing import add_demand, mark_sent
from app.services.purchasing.orders import (
    ReceiveLine,
    cancel_order,
    close_short,
    orders_from_request,
    receive_order,
)
from app.services.purchasing.sending import email, export, pdf
from tests import factories as f
from tests.mail_server import free_port
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


@pytest.fixture
def request_eur(base):
    """A draft request to Elektro (EUR) for 10 CPU at 18 and 4 boards at 30, warehouse MAIN."""
    wh = f.warehouse()
    cpu, mb = f.item("CPU", "Processor A1"), f.item("MB", "Motherboard R2")
    sup = pf.supplier("Elektro", email="orders@elektro.example", language="es")
    pf.offer(sup, cpu, "18", "EUR", lead=10, code="=HYPERLINK(\"x\")")
    pf.offer(sup, mb, "30", "EUR", lead=10, code="MB-77")
    add_demand(db.session, item_id=cpu.id, qty=D(10), warehouse_id=wh.id, reason={}, source="t", source_ref="1")
    add_demand(db.session, item_id=mb.id, qty=D(4), warehouse_id=wh.id, reason={}, source="t", source_ref="1")
    db.session.commit()
    req = db.session.scalar(select(PurchaseRequest))
    return req, wh, cpu, mb, sup


def test_request_to_order_and_partial_receipt_with_price_difference(request_eur):
    req, wh, cpu, mb, _ = request_eur
    assert req.total_base == D(10 * 1800 + 4 * 3000)
    [order] = orders_from_request(db.session, req.id)
    assert (order.state, order.total, order.currency.code) == ("confirmed", D(300), "EUR")
    assert db.session.get(PurchaseRequest, req.id).state == "confirmed"
    cpu_line, mb_line = order.lines
    assert cpu_line.supplier_item_code.startswith("=HYPERLINK")
    receipt = receive_order(db.session, order.id, [ReceiveLine(cpu_line.id, "6"), ReceiveLine(mb_line.id, "4", "31")])
    assert receipt.price_difference is True
    assert [(ln.qty, ln.price, ln.ordered_price, ln.price_difference) for ln in receipt.lines] == [
        (D(6), D(18), D(18), False), (D(4), D(31), D(30), True)]
    assert db.session.get(PurchaseOrder, order.id).state == "partial"
    doc = db.session.get(StockDocument, receipt.document_id)
    assert (doc.state, doc.source_ref, doc.rate) == ("posted", order.number, D(100))
    assert f.balance(cpu, wh) == (D(6), D(10800)) and f.balance(mb, wh) == (D(4), D(12400))
    from app.services.purchasing import on_order_qty

    assert on_order_qty(db.session, [cpu.id, mb.id]) == {cpu.id: D(4)}
    receive_order(db.session, order.id, [ReceiveLine(cpu_line.id, "4")], on_date=TODAY)
    assert db.session.get(PurchaseOrder, order.id).state == "received"
    assert db.session.get(PurchaseRequest, req.id).state == "received"


def test_receiving_more_than_ordered_is_refused_and_nothing_posted(request_eur):
    req, wh, cpu, *_ = request_eur
    [order] = orders_from_request(db.session, req.id)
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        receive_order(db.session, order.id, [ReceiveLine(order.lines[0].id, "11"),
                                             ReceiveLine(order.lines[1].id, "abc")])
    assert exc.value.messages() == ["Line 1: Received 11 is more than the 10 still expected",
                                    "Line 2: Quantity must be a number, not “abc”"]
    assert f.row_counts() == before
    assert db.session.scalar(select(func.count()).select_from(PurchaseReceipt)) == 0
    assert db.session.get(PurchaseOrder, order.id).lines[0].received_qty == 0


def test_cancel_and_close(request_eur):
    req, *_ = request_eur
    [order] = orders_from_request(db.session, req.id)
    receive_order(db.session, order.id, [ReceiveLine(order.lines[0].id, "1")])
    with pytest.raises(DomainError):
        cancel_order(db.session, order.id)
    assert close_short(db.session, order.id).state == "received"


def test_request_without_supplier_cannot_become_an_order(base):
    bolt = f.item("BOLT")
    line = add_demand(db.session, item_id=bolt.id, qty=D(5), warehouse_id=None, reason={}, source="t",
                      source_ref="1")
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        orders_from_request(db.session, line.request_id)
    assert set(exc.value.messages()) == {"Choose the supplier of the request first",
                                         "Choose the warehouse the goods go to",
                                         "Line 1: No price for this item from the supplier: add an offer to the "
                                         "product matrix"}
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrder)) == 0


def test_exports_are_formula_safe(request_eur):
    from io import BytesIO

    from openpyxl import load_workbook

    req, *_ = request_eur
    data, name, _mime = export(db.session, "request", req.id, "xlsx")
    sheet = load_workbook(BytesIO(data)).active
    rows = list(sheet.values)
    assert name == f"{req.number}.xlsx" and rows[1][2] == "'=HYPERLINK(\"x\")" and rows[1][5] == 10
    text = export(db.session, "request", req.id, "csv")[0].decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";10;18;EUR;180" in text


@pytest.mark.parametrize("lang, words", [("ru", "Заявка поставщику"), ("es", "Solicitud de compra")])
def test_pdf_in_russian_and_spanish(app, request_eur, lang, words):
    import subprocess

    req, *_ = request_eur
    data, name = pdf(db.session, "request", req.id, lang)
    assert data.startswith(b"%PDF") and name == f"{req.number}.pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "CPU" in text and "MB-77" in text
    assert TODAY.strftime("%d.%m.%Y" if lang == "ru" else "%d/%m/%Y") in text  # the reader's date format
    if _translated(app, lang):
        assert words in text


def _translated(app, lang: str) -> bool:
    """Catalogs are compiled from translations/pending by the integrator; before that, English."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        return gettext("Purchase request") != "Purchase request"


def test_email_really_sent_with_the_pdf(request_eur, smtp_server):
    controller, handler = smtp_server
    req, *_ = request_eur
    pf.company(smtp_host="127.0.0.1", smtp_port=controller.port, mail_from="buyer@robofabrika.example")
    message = email(db.session, "request", req.id)
    assert message.state == "sent"
    [envelope] = handler.messages
    assert envelope.rcpt_tos == ["orders@elektro.example"]
    mail = message_from_bytes(envelope.content)
    assert req.number in mail["Subject"]
    [attachment] = [p for p in mail.walk() if p.get_filename()]
    assert attachment.get_filename() == f"{req.number}.pdf"
    assert attachment.get_payload(decode=True).startswith(b"%PDF")
    assert db.session.get(PurchaseRequest, req.id).state == "sent"
    row = db.session.scalar(select(OutboxMessage))
    assert (row.entity, row.entity_id, row.partner_id, row.state) == ("purchase_request", req.id, req.supplier_id,
                                                                      "sent")


def test_email_refused_by_server_leaves_a_draft(request_eur):
    req, *_ = request_eur
    pf.company(smtp_host="127.0.0.1", smtp_port=free_port(), mail_from="buyer@robofabrika.example")
    with pytest.raises(DomainError):
        email(db.session, "request", req.id)
    assert db.session.get(PurchaseRequest, req.id).state == "draft"
    assert db.session.scalar(select(OutboxMessage.state)) == "failed"


def test_email_without_address_refused(request_eur):
    req, _, _, _, sup = request_eur
    sup.email = ""
    db.session.commit()
    pf.company(smtp_host="127.0.0.1", mail_from="buyer@robofabrika.example")
    with pytest.raises(DomainError) as exc:
        email(db.session, "request", req.id)
    assert exc.value.messages() == ["The supplier has no e-mail address"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_sent_request_cannot_be_sent_twice(request_eur):
    req, *_ = request_eur
    mark_sent(db.session, req.id)
    with pytest.raises(DomainError):
        mark_sent(db.session, req.id)


def test_request_need_by_follows_lead_time(request_eur):
    req, *_ = request_eur
    assert {ln.need_by for ln in req.lines} == {TODAY + timedelta(days=10)}
