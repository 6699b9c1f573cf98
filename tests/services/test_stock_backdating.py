"""A backdated receipt whose goods later documents already took is not posted silently: the service
names those documents and wants a confirmation; the page asks, the API answers 422 naming them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.extensions import db
from app.models.stock import StockDocument
from app.services.stock import post_document
from app.services.stock.backdating import MSG_BACKDATED, later_consumers
from tests import factories as f
from tests.api.test_stock_api import token

D = Decimal
TODAY = date.today()
THREE_WEEKS_AGO = TODAY - timedelta(days=21)


@pytest.fixture
def late_receipt(app):
    """CPUs received a month ago, two issues since (10 and 3 days ago); a receipt dated 3 weeks back is drafted."""
    wh = f.warehouse()
    cpu, case = f.item("CPU"), f.item("CASE")
    f.receipt(wh, [(cpu, 10, "100"), (case, 5, "50")], on=TODAY - timedelta(days=30))
    first = f.issue(wh, [(cpu, 2)], on=TODAY - timedelta(days=10))
    second = f.issue(wh, [(cpu, 1), (case, 1)], on=TODAY - timedelta(days=3))
    draft = f.receipt(wh, [(cpu, 4, "120")], on=THREE_WEEKS_AGO, post=False)
    return wh, cpu, draft, [first.number, second.number]


def test_the_later_documents_are_named_and_posting_waits_for_a_confirmation(late_receipt):
    wh, cpu, draft, later = late_receipt
    assert [d.number for d in later_consumers(db.session, draft, {cpu.id})] == later
    with pytest.raises(DomainError) as err:
        post_document(db.session, draft.id)
    [problem] = err.value.problems
    assert problem.msgid == MSG_BACKDATED and problem.field == "confirm_backdated"
    assert problem.params["documents"] == ", ".join(later)
    assert db.session.get(StockDocument, draft.id).state == "draft"
    assert f.balance(cpu, wh)[0] == D(7)
    posted = post_document(db.session, draft.id, confirm_backdated=True)
    assert posted.state == "posted" and f.balance(cpu, wh)[0] == D(11)


def test_today_or_no_later_consumer_posts_without_asking(late_receipt):
    wh, cpu, _, _ = late_receipt
    other = f.item("BOLT")
    assert f.receipt(wh, [(other, 100, "1")], on=THREE_WEEKS_AGO).state == "posted"  # nobody took bolts since
    assert f.receipt(wh, [(cpu, 1, "100")], on=TODAY).state == "posted"  # not backdated


def test_the_page_asks_before_posting(late_receipt, login_as):
    wh, cpu, draft, later = late_receipt
    c = login_as("Warehouse")
    page = c.post(f"/receiptview/post/{draft.id}").data.decode()
    assert 'name="confirm_backdated" value="1"' in page and all(n in page for n in later)
    assert db.session.get(StockDocument, draft.id).state == "draft"
    resp = c.post(f"/receiptview/post/{draft.id}", data={"confirm_backdated": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(StockDocument, draft.id).state == "posted"


def test_the_api_refuses_with_422_naming_the_later_documents(late_receipt, client):
    wh, cpu, draft, later = late_receipt
    h = token(client, "Warehouse")
    resp = client.post(f"/api/v1/stock_document/{draft.id}/post", headers=h)
    assert resp.status_code == 422
    assert all(n in str(resp.json) for n in later) and "confirm_backdated" in str(resp.json)
    resp = client.post(f"/api/v1/stock_document/{draft.id}/post", headers=h, json={"confirm_backdated": True})
    assert resp.status_code == 200 and resp.json["state"] == "posted"


def test_a_backdated_purchase_receipt_asks_too(late_receipt, login_as, client):
    """Goods received against a purchase order three weeks back: the receive page brings back the form with a
    confirm box, the API wants confirm_backdated; confirmed, the receipt is posted."""
    from app.models.purchasing import PurchaseOrder
    from tests.purchasing import factories_purchasing as pf

    wh, cpu, _, later = late_receipt
    pf.company()
    order = pf.purchase_order(pf.supplier("ChipSnab"), wh, [(cpu, "4", "120")], state="confirmed")
    line_id = order.lines[0].id
    c = login_as("Warehouse")
    form = {"date": THREE_WEEKS_AGO.isoformat(), f"qty_{line_id}": "4", f"price_{line_id}": "120"}
    page = c.post(f"/purchaseorderview/receive/{order.id}", data=form).data.decode()
    assert 'name="confirm_backdated"' in page and all(n in page for n in later)
    assert db.session.get(PurchaseOrder, order.id).state == "confirmed"
    h = token(client, "Warehouse")
    body = {"date": THREE_WEEKS_AGO.isoformat(), "lines": [{"order_line_id": line_id, "qty": "2"}]}
    assert client.post(f"/api/v1/purchase_order/{order.id}/receive", headers=h, json=body).status_code == 422
    resp = client.post(f"/api/v1/purchase_order/{order.id}/receive", headers=h, json=body | {"confirm_backdated": True})
    assert resp.status_code == 200, resp.json
    confirmed = form | {f"qty_{line_id}": "2", "confirm_backdated": "1"}
    resp = c.post(f"/purchaseorderview/receive/{order.id}", data=confirmed)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, order.id).state == "received"
