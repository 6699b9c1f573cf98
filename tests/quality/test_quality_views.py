"""Quality and knowledge-base pages per role, in Russian and Spanish: complaints, actions, analysis, recall, search.

Sales logs complaints and works actions but can't close an action as effective (post on Quality);
Production can. The service desk sees the recall list without money; Sales sees the margin.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.quality import Complaint, CorrectiveAction, DefectCause, KbArticle
from app.services.quality.complaints import prepare_complaint
from tests.quality.test_trace import story  # noqa: F401 - the traced plant fixture

D = Decimal


@pytest.fixture
def quality(session):
    causes = [DefectCause(code="SUP", name="Supplier part", name_ru="Деталь поставщика", name_es="Pieza del proveedor",
                          cause_group="supplier"),
              DefectCause(code="ASM", name="Assembly error", name_ru="Ошибка сборки", name_es="Error de montaje",
                          cause_group="production")]
    session.add_all(causes)
    complaint = Complaint(title="Robot does not start", cause=causes[0], qty=D(2), cost_rework=D("1500"))
    prepare_complaint(session, complaint)
    session.add(complaint)
    session.flush()
    act = CorrectiveAction(complaint=complaint, kind="corrective", description="Change the supplier",
                           due_date=date(2026, 12, 20), state="done")
    session.add(act)
    session.add(KbArticle(title="Robot does not start", title_ru="Робот не включается", title_es="El robot no arranca",
                          body_ru="Проверьте **аккумулятор**.", body_es="Revise la **batería**."))
    session.commit()
    return complaint, act


PAGES = ["/complaintview/list/", "/correctiveactionview/list/", "/quality/analysis/", "/defectcauseview/list/",
         "/quality/recall/", "/kb/", "/kbarticleview/list/"]


@pytest.mark.parametrize("lang,word", [("ru", "Рекламации"), ("es", "Reclamaciones")])
@pytest.mark.parametrize("role", ["Manager", "Sales", "Service", "Production"])
def test_pages_open_per_role_in_russian_and_spanish(quality, login_as, role, lang, word):
    c = login_as(role)
    c.get(f"/lang/{lang}")
    for page in PAGES:
        resp = c.get(page)
        assert resp.status_code == 200, (page, resp.status_code)
    complaint, act = quality
    assert c.get(f"/complaintview/show/{complaint.id}").status_code == 200
    assert word in c.get("/complaintview/list/").get_data(as_text=True)


def test_the_knowledge_base_is_read_by_every_role_and_written_by_few(quality, login_as):
    for role in ("Warehouse", "Purchasing", "Economist"):
        c = login_as(role)
        assert c.get("/kb/?q=робот").status_code == 200
        assert c.get("/kbarticleview/add").status_code == 403
    assert login_as("Service").get("/kbarticleview/add").status_code == 200


def test_search_page_and_suggestions_in_the_readers_language(quality, login_as):
    c = login_as("Service")
    c.get("/lang/ru")
    page = c.get("/kb/?q=роботы+не+включаются").get_data(as_text=True)
    assert "Робот не включается" in page
    c.get("/lang/es")
    rows = c.get("/kb/suggest?q=mi+robot+no+arranca").json["results"]
    assert rows and rows[0]["title"] == "El robot no arranca"
    art = rows[0]["id"]
    body = c.get(f"/kbarticleview/show/{art}").get_data(as_text=True)
    assert "<strong>batería</strong>" in body


def test_sales_cannot_close_an_action_production_can(quality, login_as, session):
    _, act = quality
    resp = login_as("Sales").post(f"/correctiveactionview/move/close/{act.id}", data={"reason": "ok"})
    assert resp.status_code == 403
    session.expire_all()
    assert session.get(CorrectiveAction, act.id).state == "done"
    assert login_as("Sales").get(f"/correctiveactionview/show/{act.id}").get_data(as_text=True).count(
        'data-action="move_close"') == 0
    login_as("Production").post(f"/correctiveactionview/move/close/{act.id}", data={"reason": "verified"})
    session.expire_all()
    row = session.get(CorrectiveAction, act.id)
    assert (row.state, row.closed_by, row.result) == ("closed", "production", "verified")


def test_the_api_refuses_sales_closing_an_action_in_words(quality, app, client, session):
    from tests.api.test_stock_api import token

    _, act = quality
    from flask_babel import refresh

    headers = token(client, "Sales") | {"Accept-Language": "es"}  # a client with no cookie: no language kept
    refresh()  # the test's app context outlives requests: forget the language the fixture's work computed
    resp = app.test_client().post(f"/api/v1/corrective_action/{act.id}/transition", json={"action": "close"},
                                  headers=headers)
    assert resp.status_code == 422
    assert "Calidad" in resp.json["message"][0]
    session.expire_all()
    assert session.get(CorrectiveAction, act.id).state == "done"


def test_a_complaint_is_numbered_and_refuses_negative_costs(login_as, session):
    c = login_as("Sales")
    c.get("/lang/es")
    resp = c.post("/complaintview/add", data={"title": "Caja rota", "qty": "1", "cost_scrap": "-5"},
                  follow_redirects=True)
    assert session.scalar(select(Complaint)) is None
    assert "cost_scrap" in resp.get_data(as_text=True)
    c.post("/complaintview/add", data={"title": "Caja rota", "qty": "1", "cost_scrap": "5"})
    row = session.scalar(select(Complaint))
    assert row.number.startswith("CMP") and row.state == "open"


def test_service_sees_the_recall_list_without_margins(story, login_as):  # noqa: F811
    plant, lots, _, _ = story
    url = f"/quality/recall/?lot={lots['CPU'][1].id}"
    service = login_as("Service").get(url).get_data(as_text=True)
    assert "Robokids" in service and "Techno school" in service
    assert "Margin" not in service
    sales = login_as("Sales").get(url).get_data(as_text=True)
    assert "Margin" in sales
    xlsx = login_as("Service").get(f"/quality/recall/{lots['CPU'][1].id}/xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    pdf = login_as("Service").get(f"/quality/recall/{lots['CPU'][1].id}/pdf?lang=ru")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"


def test_a_service_request_gets_articles_suggested_and_linked(quality, login_as, session):
    from app.models.partners import Partner
    from app.services.service_desk.requests import RequestInput, create_request

    client = Partner(name="Robokids", is_customer=True)
    session.add(client)
    session.flush()
    req = create_request(session, RequestInput(partner_id=client.id, subject="Роботы не включаются"))
    session.commit()
    c = login_as("Service")
    assert "data-kb-suggest" in c.get("/servicerequestview/add").get_data(as_text=True)
    assert 'id="kb-request-panel"' in c.get(f"/servicerequestview/show/{req.id}").get_data(as_text=True)
    data = c.get(f"/kb/request/{req.id}").json
    article = session.scalar(select(KbArticle))
    assert [r["id"] for r in data["suggested"]] == [article.id] and data["linked"] == []
    assert data["suggested"][0]["link_url"].endswith(f"/{article.id}/{req.id}")
    assert c.post(data["suggested"][0]["link_url"]).status_code == 302
    data = c.get(f"/kb/request/{req.id}").json
    assert [r["id"] for r in data["linked"]] == [article.id] and data["suggested"] == []
    assert "link_url" not in login_as("Warehouse").get(f"/kb/request/{req.id}").get_data(as_text=True)


def test_an_article_takes_an_attachment_served_as_a_download(quality, login_as, session):
    import io

    from app.models.quality import KbAttachment

    article = session.scalar(select(KbArticle))
    c = login_as("Service")
    resp = c.post(f"/kbarticleview/attach/{article.id}", content_type="multipart/form-data",
                  data={"file": (io.BytesIO(b"<script>alert(1)</script>"), "manual.html")})
    assert resp.status_code == 302
    att = session.scalar(select(KbAttachment))
    assert (att.filename, att.size) == ("manual.html", 25)
    got = login_as("Warehouse").get(f"/kbarticleview/attachment/{att.id}")
    assert got.status_code == 200 and got.data == b"<script>alert(1)</script>"
    assert got.mimetype == "application/octet-stream" and "attachment" in got.headers["Content-Disposition"]
    assert login_as("Warehouse").post(f"/kbarticleview/attach/{article.id}", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(b"x"), "x.txt")}).status_code == 403
