"""The KPI REST API: scorecard and lineage as the dashboard shows them, per role; definitions refused as on
the form; recompute and "send now" commands."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.kpi import KpiValue
from app.services.kpi.compute import compute_kpis
from app.services.kpi.metrics import METRICS
from tests.api.test_stock_api import token
from tests.kpi import factories_kpi as fk

D = Decimal


@pytest.fixture
def computed(app, session):
    data = fk.sales_history(session)
    defs = {m.code: fk.define(session, m.code) for m in METRICS}
    compute_kpis(session, today=fk.TODAY)
    return data, defs


def test_lineage_adds_up_and_a_storekeeper_gets_no_margins(computed, client, session):
    data, defs = computed
    revenue = session.scalar(select(KpiValue).where(KpiValue.definition_id == defs["revenue"].id,
                                                    KpiValue.period_start == fk.NOV))
    h = token(client, "Manager")
    body = client.get(f"/api/v1/kpi_value/{revenue.id}/lineage", headers=h).json
    (metric,) = body["metrics"]
    assert D(body["value"]) == D("900.90")
    assert sum(D(d["num"]) for d in metric["documents"]) == D(body["value"])
    assert {d["label"] for d in metric["documents"]} == {data["inv_a"].number, data["inv_b"].number}
    w = token(client, "Warehouse")
    assert client.get(f"/api/v1/kpi_value/{revenue.id}/lineage", headers=w).status_code == 404
    assert client.get(f"/api/v1/kpi_value/{revenue.id}", headers=w).status_code == 404
    listed = client.get("/api/v1/kpi_value/?q=(page_size:100)", headers=w).json["result"]
    assert listed and {r["definition"]["code"] for r in listed} == {"stock_value", "stock_turnover",
                                                                   "dead_stock_value"}
    codes = {t["code"] for t in client.get("/api/v1/kpi_value/scorecard", headers=w).json["tiles"]}
    assert codes == {"stock_value", "stock_turnover", "dead_stock_value"}


def test_definitions_refused_like_the_form_and_recompute(computed, client):
    h = token(client, "Manager")
    bad = client.post("/api/v1/kpi_definition/", headers=h, json={
        "code": "x", "name": "X", "metric": "nope", "division": "sales", "period": "month", "direction": "higher"})
    assert bad.status_code == 422 and "Unknown metric: nope" in bad.json["message"]
    ok = client.post("/api/v1/kpi_definition/", headers=h, json={
        "code": "margin-ratio", "name": "Margin ratio", "formula": "gross_margin / revenue * 100",
        "division": "sales", "period": "month", "direction": "higher"})
    assert ok.status_code == 201, ok.json
    run = client.post("/api/v1/kpi_value/compute", headers=h)
    assert run.status_code == 200 and run.json["status"] == "success"
    assert client.post("/api/v1/kpi_value/compute", headers=token(client, "Sales")).status_code == 403
