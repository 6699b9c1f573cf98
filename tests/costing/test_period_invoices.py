"""A closed month covers invoices and payments too, not only the stock ledger.

September 2026 holds invoice A (paid in part on 20 Sep) and invoice B (unpaid); then September is
closed. Issuing an invoice, registering a payment, cancelling invoice B or the payment with a
September date are all refused naming the date field (invoice_date / pay_date), on the service,
the page (a Spanish flash) and the API (a Spanish 422); the same in October passes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.models.sales import Payment, SalesInvoice
from app.services.costing import periods
from app.services.sales import invoices as inv_svc
from tests.api.test_stock_api import token
from tests.sales import factories_sales as fs

SEPT, OCT = date(2026, 9, 10), date(2026, 10, 5)
CLOSED_ES = "está en el periodo cerrado 2026-09"


def _september(session):
    robot = fs.priced_item("ROBOT", "1000")
    client = fs.client()
    a = inv_svc.create_invoice(session, fs.order(client, [(robot, 1)], order_date=SEPT).id, invoice_date=SEPT)
    pay = inv_svc.register_payment(session, inv_svc.PaymentInput(a.id, "100", date(2026, 9, 20)))
    b = inv_svc.create_invoice(session, fs.order(client, [(robot, 2)], order_date=SEPT).id, invoice_date=SEPT)
    later = fs.order(client, [(robot, 3)], order_date=SEPT)
    periods.close_period(session, SEPT)
    session.commit()
    return a, b, pay, later


def _field(call) -> str:
    with pytest.raises(DomainError) as err:
        call()
    return err.value.problems[0].field


def test_services_refuse_invoices_and_payments_dated_in_a_closed_month(app, session):
    a, b, pay, later = _september(session)
    assert _field(lambda: inv_svc.create_invoice(session, later.id, invoice_date=date(2026, 9, 30))) == "invoice_date"
    session.rollback()
    assert _field(lambda: inv_svc.register_payment(
        session, inv_svc.PaymentInput(a.id, "50", date(2026, 9, 30)))) == "pay_date"
    session.rollback()
    assert _field(lambda: inv_svc.cancel_invoice(session, b.id)) == "invoice_date"
    session.rollback()
    assert _field(lambda: inv_svc.cancel_payment(session, pay.id)) == "pay_date"
    session.rollback()
    assert session.get(SalesInvoice, b.id).state == "posted" and session.get(Payment, pay.id).state == "posted"
    # October is open: a payment on the September invoice and a new invoice pass
    inv_svc.register_payment(session, inv_svc.PaymentInput(a.id, "50", OCT))
    assert inv_svc.create_invoice(session, later.id, invoice_date=OCT).invoice_date == OCT
    assert session.scalar(select(func.count()).select_from(Payment)) == 2


def test_page_and_api_refuse_in_the_users_language(app, client, session, login_as):
    a, b, _pay, _later = _september(session)
    page = login_as("Manager")
    page.get("/lang/es")
    resp = page.post(f"/salesinvoiceview/pay/{a.id}", data={"amount": "10", "pay_date": "2026-09-28",
                                                            "method": "bank"})
    flash = page.get(resp.location).get_data(as_text=True)  # the flash on the invoice's page
    assert CLOSED_ES in flash and "28/09/2026" in flash and "2026-09-28" not in flash  # the date as es writes it
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    h = {**token(client, "Manager"), "Accept-Language": "es"}
    resp = client.post(f"/api/v1/sales_invoice/{b.id}/cancel", headers=h)
    assert resp.status_code == 422, resp.json
    err = resp.json["errors"][0]
    assert err["field"] == "invoice_date" and CLOSED_ES in err["message"] and "10/09/2026" in err["message"]
    session.expire_all()
    assert session.get(SalesInvoice, b.id).state == "posted"
    assert Decimal(session.get(SalesInvoice, a.id).amount_paid) == Decimal("100")
