"""Client base and funnel pages through the test client, per role: who reads, who writes, what shows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.crm import Activity, Deal, DealStageChange
from app.models.partners import Partner
from app.services.crm import ActivityInput, create_activity
from bench.sqlcount import statements
from tests.conftest import ROLE_PASSWORD
from tests.factories_partners import deal, deal_with_history, partner, stages

PAGES = ["/partnerview/list/", "/contactview/list/", "/partneraddressview/list/", "/partnerbankaccountview/list/",
         "/tagview/list/"]
CRM_PAGES = ["/crm/kanban/", "/crm/funnel/", "/crm/my-day/", "/dealview/list/", "/activityview/list/",
             "/dealstageview/list/"]
FORM = {"name": "Робокидс", "kind": "company", "language": "ru", "is_customer": "y", "active": "y"}


@pytest.fixture
def robokids(app):
    return partner("Робокидс", legal_name="АНО «Робокидс»", tax_id="7725000111", phone="+7 495 111-22-33",
                   email="info@robokids.example", is_customer=True)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role, partners_ok, crm_ok", [
    ("Admin", True, True), ("Sales", True, True), ("Service", True, True), ("Warehouse", True, False),
    ("Production", False, False),
])
def test_pages_per_role(app, login_as, robokids, role, partners_ok, crm_ok):
    stages()
    client = login_as(role)
    for url in PAGES + [f"/partnerview/card/{robokids.id}"]:
        assert client.get(url).status_code == (200 if partners_ok else 403), url
    for url in CRM_PAGES:
        assert client.get(url).status_code == (200 if crm_ok else 403), url


@pytest.mark.parametrize("role, status", [("Sales", 302), ("Purchasing", 302), ("Service", 403), ("Warehouse", 403)])
def test_who_may_add_a_partner(app, login_as, role, status):
    resp = login_as(role).post("/partnerview/add", data=FORM)
    assert resp.status_code == status
    assert _count(Partner) == (1 if status == 302 else 0)


def test_duplicate_on_the_form_is_refused_then_saved_when_confirmed(app, login_as, robokids):
    client = login_as("Sales")
    resp = client.post("/partnerview/add", data=FORM | {"name": "Школа №1", "tax_id": "7725 000 111"})
    assert resp.status_code == 200  # the form again, with what was typed
    assert f"A partner with the same tax id already exists: Робокидс (#{robokids.id})" in resp.text
    assert f'href="/partnerview/card/{robokids.id}"' in resp.text  # the look-alike one click away
    assert 'value="Школа №1"' in resp.text and _count(Partner) == 1
    resp = client.post("/partnerview/add", data=FORM | {"name": "Школа №1", "tax_id": "7725 000 111",
                                                        "confirm_duplicate": "y"})
    new = db.session.scalar(select(Partner).where(Partner.name == "Школа №1"))
    assert resp.status_code == 302 and resp.location.endswith(f"/partnerview/card/{new.id}")
    assert new.tax_id == "7725000111"


def test_edit_through_the_service_normalises(app, login_as, robokids):
    resp = login_as("Sales").post(f"/partnerview/edit/{robokids.id}",
                                  data=FORM | {"phone": "8 (495) 111 22 33", "email": "INFO@robokids.example"})
    assert resp.status_code == 302
    db.session.expire_all()
    p = db.session.get(Partner, robokids.id)
    assert (p.phone_norm, p.email) == ("74951112233", "info@robokids.example")


def test_normalised_filters_find_other_formats(app, login_as, robokids):
    partner("Умники", phone="+7 383 210-20-30", email="school@umniki.example", tax_id="5406777888")
    client = login_as("Service")
    for flt in ("_flt_0_phone=8+(495)+111", "_flt_0_email=INFO%40ROBO", "_flt_0_tax_id=7725-000-111",
                "_flt_0_name=ООО+Робокидс", "_flt_1_name=КИДС"):
        text = client.get(f"/partnerview/list/?{flt}").text
        assert "Робокидс" in text and "Умники" not in text, flt


def test_export_csv_and_xlsx(app, login_as, robokids):
    client = login_as("Sales")
    csv = client.get("/partnerview/export/csv?_flt_0_phone=7495")
    assert csv.status_code == 200 and "Робокидс" in csv.data.decode("utf-8-sig")
    xlsx = client.get("/partnerview/export/xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_list_page_sends_the_same_statements_for_5_or_30_rows(app, login_as):
    client = login_as("Sales")

    def page_statements() -> int:
        client.get("/partnerview/list/")
        db.session.remove()  # the test's own objects must not spare the page its loads
        with statements() as log:
            assert client.get("/partnerview/list/").status_code == 200
        return len(log)

    def add(start: int, end: int) -> None:  # each contact of its own company: no identity-map luck
        for i in range(start, end):
            partner(f"Контакт {i}", kind="person", company_id=partner(f"Школа {i}").id, manager_id=1 + i % 3)

    add(0, 3)
    few = page_statements()
    add(3, 30)
    assert page_statements() == few


def test_card_shows_everything_in_a_fixed_number_of_statements(app, login_as, robokids):
    client = login_as("Sales")
    partner("Анна Ковалёва", kind="person", company_id=robokids.id, position="Директор")
    d = deal("Robokids: 10 robots, 5 kits, 4 custom robots", robokids, "444100")
    create_activity(db.session, ActivityInput(subject="Send the TCP", due_at=datetime(2026, 11, 27, 11), deal_id=d.id))
    url = f"/partnerview/card/{robokids.id}"
    text = client.get(url).text
    for expected in ("АНО «Робокидс»", "Анна Ковалёва", "Robokids: 10 robots", "Send the TCP", "444", "Created",
                     "Legal name: АНО «Робокидс»", "Partner #"):  # audit in words
        assert expected in text, expected
    assert "legal_name:" not in text  # field names of the audit trail are labelled
    with statements() as log:
        client.get(url)
    for i in range(40):
        deal(f"More {i}", robokids)
    client.get(url)
    with statements() as log2:
        more = client.get(url).text
    assert len(log2) == len(log) and "20 of 41" in more


def test_merge_from_the_card(app, login_as, robokids):
    twin = partner("ООО Робокидс", phone="+7 495 111-22-33")
    d = deal("D", twin)
    assert login_as("Service").post(f"/partnerview/merge/{robokids.id}", data={"merge_id": twin.id}).status_code == 403
    card = login_as("Sales").get(f"/partnerview/card/{robokids.id}").text
    assert f'name="merge_id" value="{twin.id}"' in card  # offered as a look-alike
    resp = login_as("Sales").post(f"/partnerview/merge/{robokids.id}", data={"merge_id": twin.id})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Deal, d.id).partner_id == robokids.id
    assert db.session.get(Partner, twin.id).merged_into_id == robokids.id
    assert "ООО Робокидс" not in login_as("Sales").get("/partnerview/list/").text  # merged ones leave the list
    card = login_as("Sales").get(f"/partnerview/card/{robokids.id}").text
    assert "Merged in" in card and "Merged into another" in card  # both partners' history on the kept card


def _move(client, deal_id: int, stage_id: int, **kw):
    return client.post("/crm/kanban/move", json={"deal_id": deal_id, "stage_id": stage_id, **kw})


def test_kanban_move_endpoint(app, login_as, robokids):
    st = stages()
    d = deal("D", robokids, "1000")
    won = deal("Won one", robokids, stage="Won")
    assert _move(login_as("Service"), d.id, st["Proposal"].id).status_code == 403
    assert _move(login_as("Warehouse"), d.id, st["Proposal"].id).status_code == 403
    sales = login_as("Sales")
    resp = _move(sales, d.id, st["Proposal"].id)
    assert resp.status_code == 200 and resp.json["ok"]
    assert resp.json["columns"][str(st["Proposal"].id)]["count"] == 1
    assert db.session.scalar(select(func.count()).where(DealStageChange.deal_id == d.id)) == 2
    refused = _move(sales, won.id, st["Lead"].id)
    assert refused.status_code == 422 and refused.json["messages"] == [
        "The deal Won one is closed (Won): reopen it to move it"]
    assert _move(sales, d.id, st["Lost"].id).json["messages"] == ["Say why the deal was lost"]
    assert _move(sales, "x", None).status_code == 400
    board = sales.get("/crm/kanban/").text
    assert f'data-deal="{d.id}"' in board and "Sortable.min.js" in board


def test_funnel_page_shows_the_conversion(app, login_as, robokids):
    for path in (["Lead"], ["Lead", "Qualified"], ["Lead", "Qualified", "Proposal"]):
        deal_with_history("D", robokids, path)
    text = login_as("Sales").get("/crm/funnel/?date_from=2026-01-01&date_to=2026-12-31").text
    rows = dict(re.findall(r'<tr data-stage="(\w+)">.*?class="conversion">(?:<span class="num">)?([\d.]*)', text,
                           re.S))
    assert rows == {"Lead": "66.7", "Qualified": "50.0", "Proposal": "0.0", "Negotiation": "", "Won": "",
                    "Lost": ""}
    assert "chart.umd.min.js" in text


def test_my_day_one_click_done(app, login_as, robokids):
    sales = app.appbuilder.sm.find_user(username="sales")
    now = datetime.now()
    act = create_activity(db.session, ActivityInput(subject="Позвонить", due_at=now - timedelta(days=1),
                                                    partner_id=robokids.id, assignee_id=sales.id))
    create_activity(db.session, ActivityInput(subject="Чужое", due_at=now, partner_id=robokids.id, assignee_id=None))
    client = login_as("Sales")
    text = client.get("/crm/my-day/").text
    assert "Позвонить" in text and "Чужое" not in text
    assert login_as("Service").post(f"/crm/my-day/done/{act.id}").status_code == 403
    assert client.post(f"/crm/my-day/done/{act.id}", data={"result": "ok"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Activity, act.id).done
    assert f'data-activity="{act.id}"' not in client.get("/crm/my-day/").text


def _token(client, role: str) -> dict:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                         "provider": "db", "refresh": True})
    return {"Authorization": f"Bearer {resp.json['access_token']}"}


def test_api_partner_duplicates_and_deal_moves(app, client, robokids):
    st = stages()
    h = _token(client, "Sales")
    resp = client.post("/api/v1/partner/", headers=h, json={"name": "Школа", "email": "INFO@robokids.example"})
    assert resp.status_code == 409 and resp.json["duplicates"] == [{"id": robokids.id, "name": "Робокидс",
                                                                    "reason": "email"}]
    resp = client.post("/api/v1/partner/", headers=h, json={"name": "Школа", "email": "INFO@robokids.example",
                                                            "confirm_duplicate": True})
    assert resp.status_code == 201 and resp.json["result"]["email"] == "info@robokids.example"
    resp = client.post("/api/v1/deal/", headers=h, json={"title": "API deal", "partner_id": robokids.id,
                                                         "amount": "10.50"})
    assert resp.status_code == 201
    deal_id = resp.json["id"]
    assert client.post(f"/api/v1/deal/{deal_id}/move", headers=h, json={"stage_id": st["Won"].id}).status_code == 200
    again = client.post(f"/api/v1/deal/{deal_id}/move", headers=h, json={"stage_id": st["Lead"].id})
    assert again.status_code == 422
    assert db.session.get(Deal, deal_id).amount == Decimal("10.50")
    assert client.get("/api/v1/deal/", headers=_token(client, "Warehouse")).status_code == 403


# --- CSRF on the kanban's JSON endpoint, as deployed ----------------------------------------------

@pytest.fixture(scope="module")
def csrf_app(tmp_path_factory):
    from tests.views.isolated_app import isolated_app

    with isolated_app(str(tmp_path_factory.mktemp("crm") / "crm.db"), WTF_CSRF_ENABLED=True) as flask_app:
        yield flask_app


def test_kanban_move_needs_the_csrf_token(app, csrf_app):
    with csrf_app.app_context():
        st = stages()
        d = deal("CSRF deal", partner("Школа CSRF"))
        ids = (d.id, st["Proposal"].id, st["Qualified"].id)
        db.session.remove()
    web = csrf_app.test_client()
    login = web.get("/login/").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    assert web.post("/login/", data={"username": "admin", "password": ROLE_PASSWORD,
                                     "csrf_token": token}).status_code == 302
    page = web.get("/crm/kanban/").text
    board_token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    body = {"deal_id": ids[0], "stage_id": ids[1]}
    assert web.post("/crm/kanban/move", json=body).status_code == 400
    assert web.post("/crm/kanban/move", json=body, headers={"X-CSRFToken": "forged"}).status_code == 400
    resp = web.post("/crm/kanban/move", json=body, headers={"X-CSRFToken": board_token})
    assert resp.status_code == 200 and resp.json["ok"]


def test_contact_added_from_the_card_belongs_to_the_company(app, login_as, robokids):
    client = login_as("Sales")
    form = client.get(f"/contactview/add?_flt_0_company={robokids.id}").text
    assert 'name="company"' not in form  # fixed by the card's link
    resp = client.post(f"/contactview/add?_flt_0_company={robokids.id}",
                       data={"name": "Анна Ковалёва", "position": "Директор", "language": "ru", "active": "y"})
    assert resp.status_code == 302
    contact = db.session.scalar(select(Partner).where(Partner.name == "Анна Ковалёва"))
    assert (contact.kind, contact.company_id) == ("person", robokids.id)


def test_deal_and_activity_added_through_forms(app, login_as, robokids):
    st = stages()
    client = login_as("Sales")
    resp = client.post("/dealview/add", data={"title": "Без клиента", "amount": "1", "stage": st["Lead"].id})
    assert resp.status_code == 200 and _count(Deal) == 0  # refused: no partner; the form again, as typed
    assert "Choose the deal&#39;s partner" in resp.text and 'value="Без клиента"' in resp.text
    resp = client.post("/dealview/add", data={"title": "Форма", "partner": robokids.id, "amount": "1500.25",
                                              "stage": st["Qualified"].id, "probability": "0"})
    assert resp.status_code == 302
    d = db.session.scalar(select(Deal))
    assert (d.amount, d.probability, d.stage.name) == (Decimal("1500.25"), 25, "Qualified")
    assert db.session.scalar(select(func.count()).where(DealStageChange.deal_id == d.id)) == 1
    resp = client.post("/activityview/add", data={"kind": "call", "subject": "Позвонить",
                                                  "due_at": "2026-11-27 10:00:00", "deal": d.id})
    assert resp.status_code == 302
    act = db.session.scalar(select(Activity))
    sales = app.appbuilder.sm.find_user(username="sales")
    assert (act.partner_id, act.deal_id, act.assignee_id) == (robokids.id, d.id, sales.id)
    assert client.get("/partnerview/lookup/?q=робок").json == {"results": [{"id": robokids.id,
                                                                           "text": "Робокидс (7725000111)"}]}
    assert client.get("/dealview/lookup/?q=Фор").json == {"results": [{"id": d.id, "text": "Форма"}]}


def test_deal_page_offers_the_next_stage_and_moves(app, login_as, robokids):
    st = stages()
    d = deal("D", robokids, stage="Qualified")
    client = login_as("Sales")
    page = client.get(f"/dealview/show/{d.id}").text
    assert f'<option value="{st["Proposal"].id}" selected>' in page
    assert client.post(f"/dealview/move/{d.id}", data={"stage_id": st["Proposal"].id}).status_code == 302
    assert db.session.get(Deal, d.id).stage_id == st["Proposal"].id
    assert client.get("/partnerview/list/?_oc_PartnerView=roles&_od_PartnerView=asc").status_code == 200


def test_card_offers_the_documents_the_role_may_start(app, login_as, robokids):
    """Customer: order, proposal, e-mail; supplier: purchase order, only for a role that may write it."""
    supplier = partner("ЭлектроКомп", is_supplier=True, email="zakaz@elektrokomp.example")
    sales = login_as("Sales")
    card = sales.get(f"/partnerview/card/{robokids.id}").text
    assert f"/add?partner_id={robokids.id}" in card and f"partner={robokids.id}" in card
    assert 'href="mailto:info@robokids.example"' in card
    assert "_flt_0_supplier" not in card  # a customer gets no purchase order
    assert "_flt_0_supplier" not in sales.get(f"/partnerview/card/{supplier.id}").text  # Sales only reads purchasing
    card = login_as("Purchasing").get(f"/partnerview/card/{supplier.id}").text
    assert f"_flt_0_supplier={supplier.id}" in card and "partner_id=" not in card


def test_audit_changes_read_in_words(app, login_as):
    """Field names become labels, codes labels, flags yes/no, references #id, even after FAB filled label dicts."""
    from app.views.partners import fmt_changes

    login_as("Sales").get("/partneraddressview/list/")  # the views are built: FAB has added its own labels
    changes = ('{"partner_id": [null, 7], "kind": [null, "delivery"], "is_default": [null, true], '
               '"tax_id": [null, "77"]}')
    with app.test_request_context():
        assert fmt_changes(changes) == "Partner: #7; Kind: Delivery address; Default: yes; Tax id: 77"
