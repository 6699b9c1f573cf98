"""Dashboards per role as the home page: what each role sees (a storekeeper no margins), figures that open
their documents, tile choice, the scorecard PDF, and the KPI registers' permissions."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.models.kpi import KpiDefinition, KpiValue
from app.services.kpi.compute import compute_kpis
from app.services.kpi.metrics import METRICS
from tests.kpi import factories_kpi as fk


@pytest.fixture
def computed(app, session):
    data = fk.sales_history(session)
    fk.other_history(session, data["client"], data["wh"], data["robot"])
    defs = {m.code: fk.define(session, m.code, target=100, red_threshold=50, green_threshold=90) for m in METRICS}
    compute_kpis(session, today=fk.TODAY)
    return data, defs


def _tiles(html: str) -> set[str]:
    return set(re.findall(r'data-tile="kpi:([a-z_]+)"', html))


def _november(session, defn: KpiDefinition) -> KpiValue:
    return session.scalar(select(KpiValue).where(KpiValue.definition_id == defn.id,
                                                 KpiValue.period_start == fk.NOV))


def test_director_sees_every_division_storekeeper_no_margins(computed, login_as, session):
    _, defs = computed
    manager = login_as("Manager").get("/").get_data(as_text=True)
    assert _tiles(manager) == {m.code for m in METRICS}
    assert 'id="kpi-dashboard-data"' in manager and "kpi_dashboard.js" in manager
    assert "<script>" not in manager  # no inline script: data in a JSON block, code in a static file
    storekeeper = login_as("Warehouse")
    html = storekeeper.get("/").get_data(as_text=True)
    assert _tiles(html) == {"stock_value", "stock_turnover", "dead_stock_value"}
    assert "panel:overdue" not in html and "panel:revenue" not in html
    margin = _november(session, defs["gross_margin"])
    assert storekeeper.get(f"/kpi/value/{margin.id}").status_code == 404
    sales = login_as("Sales").get("/").get_data(as_text=True)
    assert "gross_margin" in _tiles(sales) and "stock_value" not in _tiles(sales)


def test_a_figure_opens_the_documents_behind_it(computed, login_as, session):
    data, defs = computed
    client = login_as("Manager")
    revenue = _november(session, defs["revenue"])
    home = client.get("/").get_data(as_text=True)
    assert f"/kpi/value/{revenue.id}" in home
    page = client.get(f"/kpi/value/{revenue.id}").get_data(as_text=True)
    assert data["inv_a"].number in page and data["inv_b"].number in page
    assert f"/salesinvoiceview/show/{data['inv_a'].id}" in page
    assert "900.90" in page or "900,90" in page
    # the list behind the figure, filtered to posted invoices of November
    assert "_flt_0_state=posted" in home and "_flt_1_invoice_date=2026-10-31" in home


def test_numbers_in_the_readers_language(computed, login_as, session):
    client = login_as("Manager")
    client.get("/lang/ru")
    html = client.get("/").get_data(as_text=True)
    assert "900,90" in html and "Выручка" in html
    client.get("/lang/es")
    html = client.get("/").get_data(as_text=True)
    assert "900,90" in html and "Ingresos" in html


def test_a_user_chooses_the_tiles(computed, login_as):
    client = login_as("Warehouse")
    resp = client.post("/kpi/tiles", data={"available": ["kpi:stock_value", "kpi:stock_turnover", "panel:stock"],
                                           "show": ["kpi:stock_turnover"]})
    assert resp.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert _tiles(html) == {"stock_turnover", "dead_stock_value"}
    assert 'data-tile="panel:stock"' not in html
    assert _tiles(login_as("Manager").get("/").get_data(as_text=True)) >= {"stock_value"}  # per user


def test_scorecard_pdf_in_russian_and_spanish(computed, login_as):
    from pypdf import PdfReader

    client = login_as("Manager")
    for lang, words in (("ru", "Выручка"), ("es", "Ingresos")):
        resp = client.get(f"/kpi/scorecard.pdf?lang={lang}")
        assert resp.status_code == 200 and resp.data[:4] == b"%PDF"
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(resp.data)).pages)
        assert words in text and "900,90" in text


def test_kpi_registers_by_role(computed, login_as):
    assert login_as("Manager").get("/kpidefinitionview/list/").status_code == 200
    assert login_as("Economist").get("/scheduledreportview/list/").status_code == 200
    warehouse = login_as("Warehouse")
    assert warehouse.get("/kpidefinitionview/add").status_code in (302, 403)
    assert warehouse.post("/kpi/run").status_code in (302, 403)
    assert b"Recompute KPIs now" not in warehouse.get("/").data


def test_a_bad_definition_is_refused_on_the_form(app, login_as, session):
    client = login_as("Manager")
    resp = client.post("/kpidefinitionview/add", data={"code": "bad", "name": "Bad", "metric": "stock_value",
                                                        "division": "warehouse", "period": "month",
                                                        "direction": "higher", "weight": "1",
                                                        "employee": str(fk.user_id("sales"))},
                       follow_redirects=True)
    assert b"not kept per employee" in resp.data
    assert session.scalar(select(KpiDefinition).where(KpiDefinition.code == "bad")) is None


def test_employees_see_their_own_kpis_the_director_everyones_scores(computed, login_as, session):
    fk.define(session, "revenue", code="rev-sales", name="Revenue of Sales", employee_id=fk.user_id("sales"),
              target=500, red_threshold=100, green_threshold=400)
    fk.define(session, "revenue", code="rev-purchasing", name="Revenue of Purchasing",
              employee_id=fk.user_id("purchasing"), target=500)
    compute_kpis(session, today=fk.TODAY)
    own = login_as("Sales").get("/").get_data(as_text=True)
    assert 'data-tile="kpi:rev-sales"' in own and "rev-purchasing" not in own
    director = login_as("Manager").get("/").get_data(as_text=True)
    assert 'id="kpi-employee-scores"' in director
    scores = director.split('id="kpi-employee-scores"')[1].split("</details>")[0]
    assert "140.1\u00a0%" in scores and "0.0\u00a0%" in scores  # sales: 700.70 of 500; purchasing: nothing
