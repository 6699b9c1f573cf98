"""Every REST API write carries the bearer token's user and client address (issue 12, item 4).

A request authenticated by a JWT has no session user: FAB's loader puts the token's user on
`g.user`, so an actor read from the session alone records every API write as "anonymous". This walk
signs in through the API only (no cookie), then calls every write route the API registers (each
ModelRestApi's POST / PUT / DELETE and every command endpoint), on the demo data, from one client
address. After each call the audit rows it wrote must name the token's user and that address, and
every *_by field it set must name the user; a write route with no step here fails the walk, so a
new endpoint can't slip by untested.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask_appbuilder import Model
from sqlalchemy import String, func, select

from app.extensions import db
from app.models.audit import AuditLog
from app.models.calculators import CalculationRun, Calculator, CalculatorVersion
from app.models.catalog import Item
from app.models.core import Currency
from app.models.crm import Activity, DealStage
from app.models.partners import Partner
from app.models.production import ProductionOrder
from app.models.proposals import ProductModel
from app.models.purchasing import PurchaseOrder, PurchaseRequest
from app.models.sales import SalesOrder
from app.models.stock import StockDocument, Warehouse
from app.services.demo import load_demo
from tests import factories as f
from tests.conftest import ROLE_PASSWORD

IP = "203.0.113.7"
USER = "admin"
# Not writes of the app's data: the token endpoints themselves.
NOT_DATA_WRITES = {"SecurityApi.login", "SecurityApi.refresh"}


def api_write_endpoints(app) -> set[str]:
    """Every endpoint under /api/ that accepts POST, PUT, PATCH or DELETE."""
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}} - NOT_DATA_WRITES


class Walk:
    """A bearer-token client that checks the actor of what each write recorded."""

    def __init__(self, app, client) -> None:
        self.client = client
        self.adapter = app.url_map.bind("localhost")
        login = client.post("/api/v1/security/login", environ_base={"REMOTE_ADDR": IP},
                            json={"username": USER, "password": ROLE_PASSWORD, "provider": "db"})
        assert login.status_code == 200, login.json
        self.headers = {"Authorization": f"Bearer {login.json['access_token']}"}
        self.user_id = db.session.scalar(select(app.appbuilder.sm.user_model.id).where(
            app.appbuilder.sm.user_model.username == USER))
        self.seen: set[str] = set()
        self.problems: list[str] = []

    def __call__(self, method: str, path: str, body: dict | None = None, audited: bool = True) -> dict:
        """Send one write; note its endpoint; check every audit row it wrote."""
        before = db.session.scalar(select(func.coalesce(func.max(AuditLog.id), 0)))
        db.session.commit()  # end the test's read transaction (SQLite: let the request write)
        resp = self.client.open(path, method=method, json=body if body is not None else {}, headers=self.headers,
                                environ_base={"REMOTE_ADDR": IP})
        endpoint = self.adapter.match(path.split("?")[0], method=method)[0]
        self.seen.add(endpoint)
        assert resp.status_code in (200, 201), f"{method} {path}: {resp.status_code} {resp.json}"
        db.session.expire_all()
        rows = db.session.scalars(select(AuditLog).where(AuditLog.id > before).order_by(AuditLog.id)).all()
        if audited and not rows:
            self.problems.append(f"{endpoint}: wrote no audit row")
        for row in rows:
            self._check(endpoint, row)
        db.session.commit()
        return resp.json

    def expect(self, holds: bool, problem: str) -> None:
        """Note a problem and walk on: the report lists every endpoint that records the wrong actor."""
        if not holds:
            self.problems.append(problem)

    def _check(self, endpoint: str, row: AuditLog) -> None:
        who = (row.username, row.user_id, row.ip)
        if who != (USER, self.user_id, IP):
            self.problems.append(f"{endpoint}: {row.action} {row.entity} recorded as {who}")
        for field, (_before, after) in json.loads(row.changes or "{}").items():
            if field.endswith("_by") and field != "need_by" and after and after != USER:  # need_by: a date
                self.problems.append(f"{endpoint}: {row.entity}.{field} = {after!r}")


def _id(model: type, **where: Any) -> int:
    return db.session.scalar(select(model.id).filter_by(**where).order_by(model.id))


def _crud(walk: Walk, resource: str, body: dict, change: dict) -> None:
    """POST a row, PUT a change, DELETE it: the generic ModelRestApi writes."""
    pk = walk("POST", f"/api/v1/{resource}/", body)["id"]
    walk("PUT", f"/api/v1/{resource}/{pk}", change)
    walk("DELETE", f"/api/v1/{resource}/{pk}")


def _references(walk: Walk) -> None:
    rub = _id(Currency, code="RUB")
    _crud(walk, "currency", {"code": "XTS", "name": "Test money"}, {"name": "Test money 2"})
    _crud(walk, "currency_rate", {"currency": rub, "on_date": "2026-01-05", "rate": "1"}, {"rate": "1.5"})
    _crud(walk, "unit", {"code": "pair", "name": "pair"}, {"name": "pairs"})
    _crud(walk, "item_group", {"code": "TST", "name": "Test group"}, {"name": "Test group 2"})
    unit = walk("POST", "/api/v1/unit/", {"code": "roll", "name": "roll"})["id"]
    _crud(walk, "item", {"code": "TST-1", "name": "Test item", "unit": unit, "kind": "component"},
          {"name": "Test item 2"})
    _crud(walk, "warehouse", {"code": "TST", "name": "Test store", "valuation": "fifo"}, {"name": "Test store 2"})


def _partners(walk: Walk) -> None:
    first = walk("POST", "/api/v1/partner/", {"name": "Actor Test One", "is_customer": True})["id"]
    walk("PUT", f"/api/v1/partner/{first}", {"note": "changed"})
    second = walk("POST", "/api/v1/partner/", {"name": "Walker Two Ltd", "is_customer": True})["id"]
    walk("POST", f"/api/v1/partner/{first}/merge", {"merge_id": second})
    gone = walk("POST", "/api/v1/partner/", {"name": "Deleted Three Inc"})["id"]
    walk("DELETE", f"/api/v1/partner/{gone}")
    _crud(walk, "contact", {"name": "Ivan Walker", "company_id": first}, {"position": "buyer"})
    _crud(walk, "partner_address", {"partner": first, "address": "1 Test Street"}, {"city": "Testville"})
    _crud(walk, "partner_bank_account", {"partner": first, "bank_name": "Test bank", "account": "40702810"},
          {"bic": "044525225"})
    _crud(walk, "tag", {"name": "walked"}, {"name": "walked twice"})


def _crm(walk: Walk) -> None:
    partner = _id(Partner, name="Actor Test One") or _id(Partner)
    _crud(walk, "deal_stage", {"name": "Walk stage", "probability": 10, "sort_order": 99}, {"probability": 20})
    deal = walk("POST", "/api/v1/deal/", {"title": "Walk deal", "partner_id": partner, "amount": "100"})["id"]
    other_stage = db.session.scalars(select(DealStage.id).where(DealStage.is_won.is_(False),
                                                                DealStage.is_lost.is_(False))
                                     .order_by(DealStage.sort_order)).all()[1]
    walk("POST", f"/api/v1/deal/{deal}/move", {"stage_id": other_stage})
    walk("PUT", f"/api/v1/deal/{deal}", {"title": "Walk deal 2"})
    act = walk("POST", "/api/v1/activity/", {"kind": "call", "subject": "Walk call", "due_at": "2026-12-01 10:00:00",
                                             "partner": partner, "deal": deal})["id"]
    walk.expect(db.session.get(Activity, act).assignee_id == walk.user_id, "activity: not assigned to its author")
    walk("PUT", f"/api/v1/activity/{act}", {"subject": "Walk call 2"})
    walk("POST", f"/api/v1/activity/{act}/complete", {"result": "done"})
    walk("DELETE", f"/api/v1/activity/{act}")
    walk("DELETE", f"/api/v1/deal/{deal}")


def _stock(walk: Walk) -> None:
    main, item = _id(Warehouse, code="MAIN"), _id(Item, code="CPU-A1")
    doc = walk("POST", "/api/v1/stock_document/draft", {
        "doc_type": "receipt", "warehouse_id": main, "lines": [{"item_id": item, "qty": "2", "unit_cost": "10"}]})["id"]
    walk("PUT", f"/api/v1/stock_document/{doc}/lines", {"lines": [{"item_id": item, "qty": "3", "unit_cost": "10"}]})
    walk("POST", f"/api/v1/stock_document/{doc}/post")
    walk("POST", f"/api/v1/stock_document/{doc}/cancel")
    posted = walk("POST", "/api/v1/stock_document/draft", {  # create and post in one call
        "doc_type": "receipt", "warehouse_id": main, "lines": [{"item_id": item, "qty": "1", "unit_cost": "10"}],
        "post": True})["id"]
    walk.expect(db.session.get(StockDocument, posted).state == "posted", "stock document: not posted by post: true")


def _sales(walk: Walk) -> None:
    client, main = _id(Partner, name="Actor Test One") or _id(Partner), _id(Warehouse, code="MAIN")
    robot, software = _id(Item, code="KIT-START"), _id(Item, code="SW-BASIC")
    f.receipt(db.session.get(Warehouse, main), [(db.session.get(Item, robot), 5, "3000")])  # setup, as "system"
    order = walk("POST", "/api/v1/sales_order/draft", {
        "partner_id": client, "warehouse_id": main,
        "lines": [{"item_id": robot, "qty": "1"}, {"item_id": software, "qty": "1", "unit_price": "100"}]})["id"]
    walk.expect(db.session.get(SalesOrder, order).manager_id == walk.user_id, "sales order: no manager")
    walk("POST", f"/api/v1/sales_order/{order}/confirm")
    walk("POST", f"/api/v1/sales_order/{order}/analyse", audited=False)
    robot_line = next(ln.id for ln in db.session.get(SalesOrder, order).lines if ln.item_id == robot)
    shipment = walk("POST", "/api/v1/shipment/ship", {"order_id": order, "lines": [
        {"order_line_id": robot_line, "qty": "1"}]})["id"]
    walk("POST", f"/api/v1/shipment/{shipment}/cancel")
    walk("POST", "/api/v1/shipment/ship", {"order_id": order, "lines": [{"order_line_id": robot_line, "qty": "1"}]})
    invoice = walk("POST", "/api/v1/sales_invoice/invoice", {"order_id": order})["id"]
    walk("POST", f"/api/v1/sales_invoice/{invoice}/cancel")
    invoice = walk("POST", "/api/v1/sales_invoice/invoice", {"order_id": order})["id"]
    walk("POST", f"/api/v1/sales_invoice/{invoice}/pay", {"amount": "10"})
    walk("POST", "/api/v1/sales_invoice/act", {"order_id": order})
    draft = walk("POST", "/api/v1/sales_order/draft", {"partner_id": client, "lines": [
        {"item_id": robot, "qty": "1"}]})["id"]
    walk("POST", f"/api/v1/sales_order/{draft}/cancel")


def _marketing(walk: Walk) -> None:
    robot = _id(Item, code="KIT-START")
    rules = [{"kind": "bought_item", "item_id": robot}]
    _crud(walk, "segment", {"name": "Walk segment", "rules": rules}, {"name": "Walk segment 2"})
    segment = walk("POST", "/api/v1/segment/", {"name": "Walk buyers", "rules": rules})["id"]
    walk("POST", "/api/v1/segment/count", {"rules": rules}, audited=False)
    walk("POST", f"/api/v1/segment/{segment}/evaluate")
    _crud(walk, "promotion", {"name": "Walk promo", "date_from": "2026-01-01", "date_to": "2026-12-31",
                              "discount_pct": "5", "item": robot}, {"discount_pct": "6"})
    _crud(walk, "campaign", {"name": "Walk draft", "segment": segment, "subject": "Hi", "body": "Hello"},
          {"subject": "Hi again"})
    campaign = walk("POST", "/api/v1/campaign/", {"name": "Walk campaign", "segment": segment, "holdout_pct": "10",
                                                  "subject": "Hi {contact}", "body": "Hello"})["id"]
    walk("POST", f"/api/v1/campaign/{campaign}/start")
    walk("POST", f"/api/v1/campaign/{campaign}/send", audited=False)
    _crud(walk, "opt_out", {"partner": _id(Partner, name="Actor Test One") or _id(Partner), "note": "walk"},
          {"note": "walk 2"})


def _production(walk: Walk) -> None:
    main, robot = _id(Warehouse, code="MAIN"), _id(Item, code="N-DRIVE")
    order = walk("POST", "/api/v1/production_order/draft", {
        "item_id": robot, "qty": "1", "component_warehouse_id": main, "output_warehouse_id": main})["id"]
    walk("POST", f"/api/v1/production_order/{order}/release")
    walk("POST", f"/api/v1/production_order/{order}/complete", {"qty": "1"})
    walk("POST", f"/api/v1/production_order/{order}/cancel")
    walk.expect(db.session.get(ProductionOrder, order).released_by == USER, "production order: released_by")


def _purchasing(walk: Walk) -> None:
    supplier = _id(Partner, name="ООО «ЧипСнаб»") or _id(Partner)
    item, main, rub = _id(Item, code="WHEEL"), _id(Warehouse, code="MAIN"), _id(Currency, code="RUB")
    _crud(walk, "supplier_offer", {"supplier": supplier, "item": item, "price": "70", "currency": rub,
                                   "min_qty": "1", "lead_time_days": 3}, {"price": "71"})
    _crud(walk, "reorder_point", {"item": _id(Item, code="PAINT-B"), "warehouse": main, "min_qty": "1",
                                  "max_qty": "5"}, {"max_qty": "6"})
    drafts = db.session.scalars(select(PurchaseRequest.id).where(PurchaseRequest.state == "draft")
                                .order_by(PurchaseRequest.id)).all()
    walk("POST", "/api/v1/purchase_request/generate", {"methods": {"minmax": {"warehouse_id": main}}})
    walk("POST", f"/api/v1/purchase_request/{drafts[0]}/send")
    walk("POST", f"/api/v1/purchase_request/{drafts[0]}/confirm")
    walk("POST", f"/api/v1/purchase_request/{drafts[1]}/cancel")
    po = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.state.in_(("confirmed", "partial", "sent")))
                           .order_by(PurchaseOrder.id.desc()))
    line = po.lines[0]
    walk("POST", f"/api/v1/purchase_order/{po.id}/receive", {"lines": [
        {"order_line_id": line.id, "qty": "1"}]})


def _proposals(walk: Walk) -> None:
    _crud(walk, "product_model", {"code": "WALK", "name": "Walk model"}, {"name": "Walk model 2"})
    _crud(walk, "pricing_rule", {"name": "Walk rule", "scope": "all", "margin_pct": "10"}, {"margin_pct": "11"})
    # The configurator's calculation writes nothing (its transaction is rolled back).
    walk("POST", "/api/v1/proposal/calc", {"partner_id": _id(Partner), "model_id": _id(ProductModel), "qty": "1"},
         audited=False)


def _calculators(walk: Walk) -> None:
    calc = db.session.get(Calculator, _id(Calculator))
    version = calc.current_version
    walk("PUT", f"/api/v1/calculator/{calc.id}", {"description": "walked"})
    version_id = walk("POST", f"/api/v1/calculator/{calc.id}/version", {
        "parameters": version.parameters, "formulas": version.formulas + "\n", "outputs": version.outputs,
        "note": "walked"})["id"]
    # Versions and runs are append-only records that carry their author themselves (not audited).
    walk.expect(db.session.get(CalculatorVersion, version_id).created_by == USER, "calculator version: created_by")
    walk("POST", f"/api/v1/calculator/{calc.id}/run", {"inputs": {}, "record": True}, audited=False)
    run_by = db.session.scalar(select(CalculationRun.created_by).order_by(CalculationRun.id.desc()).limit(1))
    walk.expect(run_by == USER, "calculation run: created_by")
    walk("PUT", "/api/v1/calculator_table/walk_table/rows", {"title": "Walk", "text": "key;label;k\na;A;1"})


def _engineering(walk: Walk) -> None:
    """Work centres, BOMs and their lines, routings and their operations (the engineering pages' registers)."""
    paint, bolt = _id(Item, code="PAINT-B"), _id(Item, code="BOLT-M3")
    centre = walk("POST", "/api/v1/work_center/", {"code": "WALK-WC", "name": "Walk", "labour_rate": "100",
                                                   "overhead_rate": "10"})["id"]
    walk("PUT", f"/api/v1/work_center/{centre}", {"name": "Walk centre"})
    bom = walk("POST", "/api/v1/bom/", {"item": paint, "version": "WALK", "name": "Walk", "output_qty": 1,
                                        "valid_from": "2040-01-01"})["id"]
    walk("PUT", f"/api/v1/bom/{bom}", {"name": "Walk BOM"})
    _crud(walk, "bom_line", {"bom": bom, "item": bolt, "qty": 2}, {"qty": "3"})
    walk("DELETE", f"/api/v1/bom/{bom}")
    routing = walk("POST", "/api/v1/routing/", {"item": paint, "version": "WALK", "name": "Walk",
                                                "valid_from": "2040-01-01"})["id"]
    walk("PUT", f"/api/v1/routing/{routing}", {"name": "Walk routing"})
    _crud(walk, "routing_operation", {"routing": routing, "seq": 10, "name": "Mix", "work_center": centre,
                                      "setup_minutes": "5", "run_minutes": "1"}, {"run_minutes": "2"})
    walk("DELETE", f"/api/v1/routing/{routing}")
    walk("DELETE", f"/api/v1/work_center/{centre}")


def _settings(walk: Walk) -> None:
    _crud(walk, "company", {"name": "Walk Ltd", "base_currency": _id(Currency, code="RUB")}, {"phone": "+7 1"})
    walk("POST", "/api/v1/calculator/", {"code": "WALK", "name": "Walk calculator"})
    walk("POST", "/api/v1/abc_analysis/run", {"criterion": "quantity"}, audited=False)  # reads only


def _kpi(walk: Walk) -> None:
    """KPI definitions, the recomputation run, scheduled reports (sent now into the outbox)."""
    _crud(walk, "kpi_definition", {"code": "walk_revenue", "name": "Walk revenue", "metric": "revenue"},
          {"target": "1000"})
    walk("POST", "/api/v1/kpi_value/compute", audited=False)  # recorded as a job run by the user
    report = walk("POST", "/api/v1/scheduled_report/", {"name": "Walk report", "report": "stock_on_hand",
                                                        "recipients": "boss@example.com"})["id"]
    walk("PUT", f"/api/v1/scheduled_report/{report}", {"name": "Walk report 2"})
    walk("POST", f"/api/v1/scheduled_report/{report}/send")
    walk("DELETE", f"/api/v1/scheduled_report/{report}")


def _quality(walk: Walk) -> None:
    """Complaints, actions and causes through their CRUD and transitions; articles, sections, a request link."""
    from app.services.service_desk.requests import RequestInput, create_request

    cause = walk("POST", "/api/v1/defect_cause/", {"code": "WALK", "name": "Walk cause",
                                                   "cause_group": "supplier"})["id"]
    walk("PUT", f"/api/v1/defect_cause/{cause}", {"name_ru": "Причина обхода"})
    complaint = walk("POST", "/api/v1/complaint/", {"title": "Walk complaint", "qty": "1", "cause": cause})["id"]
    walk("PUT", f"/api/v1/complaint/{complaint}", {"cost_rework": "150"})
    act = walk("POST", "/api/v1/corrective_action/", {"complaint": complaint, "kind": "corrective",
                                                       "description": "Walk action"})["id"]
    walk("PUT", f"/api/v1/corrective_action/{act}", {"due_date": "2026-12-31"})
    walk("POST", f"/api/v1/corrective_action/{act}/transition", {"action": "complete", "comment": "done"})
    walk("POST", f"/api/v1/corrective_action/{act}/transition", {"action": "close"})
    gone = walk("POST", "/api/v1/corrective_action/", {"complaint": complaint, "kind": "preventive",
                                                        "description": "Walk preventive"})["id"]
    walk("DELETE", f"/api/v1/corrective_action/{gone}")
    walk("POST", f"/api/v1/complaint/{complaint}/transition", {"action": "resolve", "comment": "fixed"})
    walk("POST", f"/api/v1/complaint/{complaint}/transition", {"action": "close"})
    spare = walk("POST", "/api/v1/complaint/", {"title": "Walk duplicate"})["id"]
    walk("DELETE", f"/api/v1/complaint/{spare}")
    spare_cause = walk("POST", "/api/v1/defect_cause/", {"code": "WALK2", "name": "Walk cause 2"})["id"]
    walk("DELETE", f"/api/v1/defect_cause/{spare_cause}")
    section = walk("POST", "/api/v1/kb_category/", {"code": "WALK", "name": "Walk section"})["id"]
    walk("PUT", f"/api/v1/kb_category/{section}", {"name_es": "Sección"})
    article = walk("POST", "/api/v1/kb_article/", {"title": "Walk article", "body_ru": "Детали", "category": section})
    walk("PUT", f"/api/v1/kb_article/{article['id']}", {"title_es": "Artículo"})
    request_id = create_request(db.session, RequestInput(partner_id=_id(Partner), subject="Walk request")).id
    db.session.commit()
    walk("POST", f"/api/v1/kb_article/{article['id']}/link", {"request_id": request_id})
    walk("DELETE", f"/api/v1/kb_article/{article['id']}")
    walk("DELETE", f"/api/v1/kb_category/{section}")


def _service(walk: Walk) -> None:
    """Service requests registered, moved, commented and repaired; the SLA set-up registers."""
    from app.models.service import SlaPolicy
    from app.services.service_desk.requests import ensure_sla_setup

    ensure_sla_setup(db.session)  # setup, as "system"
    db.session.commit()
    partner, main, cpu = _id(Partner, name="Actor Test One") or _id(Partner), _id(Warehouse, code="MAIN"), \
        _id(Item, code="CPU-A1")
    f.receipt(db.session.get(Warehouse, main), [(db.session.get(Item, cpu), 1, "1890")])
    req = walk("POST", "/api/v1/service_request/", {"partner_id": partner, "subject": "Walk request",
                                                     "priority": "high", "channel": "email"})["id"]
    walk("PUT", f"/api/v1/service_request/{req}", {"serial_no": "WALK-1"})
    walk("POST", f"/api/v1/service_request/{req}/comment", {"body": "Walk comment"})
    walk("POST", f"/api/v1/service_request/{req}/transition", {"action": "start"})
    walk("POST", f"/api/v1/service_request/{req}/complaint", {})
    walk("POST", f"/api/v1/service_request/{req}/repair", {"warehouse_id": main, "parts": [
        {"item_id": cpu, "qty": "1"}], "labour": "100"})
    walk("POST", f"/api/v1/service_request/{req}/transition", {"action": "resolve", "comment": "done"})
    cal = walk("POST", "/api/v1/working_calendar/", {"name": "Walk calendar", "weekdays": "123456"})["id"]
    walk("PUT", f"/api/v1/working_calendar/{cal}", {"work_end_minute": 1020})
    _crud(walk, "working_calendar_holiday", {"calendar": cal, "day": "2026-12-31", "name": "Walk eve"},
          {"name": "Walk eve 2"})
    walk("DELETE", f"/api/v1/working_calendar/{cal}")
    low = _id(SlaPolicy, priority="low")
    calendar = db.session.get(SlaPolicy, low).calendar_id
    walk("DELETE", f"/api/v1/sla_policy/{low}")
    low = walk("POST", "/api/v1/sla_policy/", {"priority": "low", "response_minutes": 480,
                                               "resolution_minutes": 4800, "calendar": calendar})["id"]
    walk("PUT", f"/api/v1/sla_policy/{low}", {"resolution_minutes": 4860})


def _planning(walk: Walk) -> None:
    from app.models.planning import PlannedOrder

    walk("POST", "/api/v1/planning/run", {"weeks": 12}, audited=False)  # the plan itself is not audited
    ids = [db.session.scalar(select(PlannedOrder.id).where(PlannedOrder.kind == kind).order_by(PlannedOrder.id))
           for kind in ("make", "buy")]
    walk("POST", "/api/v1/planning/firm", {"ids": [i for i in ids if i]})  # a draft MO, a request line
    walk("POST", "/api/v1/planning/promise", {"lines": [{"item_id": _id(Item, code="ROBOT-STD"), "qty": "3"}]},
         audited=False)  # reads only


def _imports(walk: Walk) -> None:
    import base64

    content = base64.b64encode(b"code;name;unit\nIMP-API-1;From the API;pcs\n").decode()
    answer = walk("POST", "/api/v1/import/items", {"file_name": "items.csv", "content": content, "file_locale": "en"})
    walk.expect(answer["state"] == "done" and answer["counts"]["new"] == 1, f"import: {answer}")


def _costing(walk: Walk) -> None:
    from app.models.stock import StockDocument

    receipt = db.session.scalar(select(StockDocument.id).where(
        StockDocument.doc_type == "receipt", StockDocument.state == "posted").order_by(StockDocument.id))
    corr = walk("POST", "/api/v1/cost_correction/draft", {"receipt_ids": [receipt], "amount": "120.50",
                                                           "basis": "qty", "description": "Walk freight"})["id"]
    walk("POST", f"/api/v1/cost_correction/{corr}/post")
    walk("POST", f"/api/v1/cost_correction/{corr}/cancel")
    late = walk("POST", "/api/v1/stock_document/draft", {
        "doc_type": "receipt", "warehouse_id": _id(Warehouse, code="MAIN"), "doc_date": "2026-01-05",
        "lines": [{"item_id": _id(Item, code="CPU-A1"), "qty": "1", "unit_cost": "10"}]})["id"]
    walk("POST", f"/api/v1/backdated_receipt/{late}/post")
    walk("POST", "/api/v1/accounting_period/close", {"date": "2020-01-15"})
    walk("POST", "/api/v1/accounting_period/reopen", {"date": "2020-01-15"})


def _projects(walk: Walk) -> None:
    """Projects, tasks (transition, slip, comment, checklist, time), a link, a process template published."""
    from flask_appbuilder.security.sqla.models import Role

    engineer = db.session.scalar(select(Role.id).where(Role.name == "Engineer"))
    project = walk("POST", "/api/v1/project/", {"code": "WALK", "name": "Walk project"})["id"]
    walk("PUT", f"/api/v1/project/{project}", {"name_ru": "Проект обхода"})
    first = walk("POST", "/api/v1/project_task/", {"project": project, "title": "Walk design",
                                                   "start_date": "2026-03-02", "due_date": "2026-03-03",
                                                   "assignee_role": engineer})["id"]
    second = walk("POST", "/api/v1/project_task/", {"project": project, "title": "Walk build",
                                                    "start_date": "2026-03-04", "due_date": "2026-03-05"})["id"]
    walk("PUT", f"/api/v1/project_task/{second}", {"estimate_hours": "6"})
    link = walk("POST", "/api/v1/project_task_link/", {"predecessor": first, "successor": second, "lag_days": 1})["id"]
    walk("PUT", f"/api/v1/project_task_link/{link}", {"lag_days": 0})
    walk("POST", f"/api/v1/project_task/{first}/slip", {"due_date": "2026-03-06"})
    walk("POST", f"/api/v1/project_task/{first}/comment", {"body": "Walk comment"})
    walk("POST", f"/api/v1/project_task/{first}/checklist", {"text": "Walk check"})
    walk("POST", f"/api/v1/project_task/{first}/time", {"minutes": 30})
    walk("POST", f"/api/v1/project_task/{first}/transition", {"action": "complete"})
    walk("DELETE", f"/api/v1/project_task_link/{link}")
    walk("DELETE", f"/api/v1/project_task/{second}")
    template = walk("POST", "/api/v1/process_template/", {
        "code": "WALK", "name": "Walk process", "event": "order_confirmed", "condition": "order.total > 1",
        "steps": '[{"title": "Walk step", "role": "Engineer", "days": 1}]'})["id"]
    walk("PUT", f"/api/v1/process_template/{template}", {"name_es": "Proceso"})
    walk("POST", f"/api/v1/process_template/{template}/publish")
    spare = walk("POST", "/api/v1/process_template/", {"code": "WALK2", "name": "Walk spare",
                                                       "event": "payment_overdue"})
    walk("DELETE", f"/api/v1/process_template/{spare['id']}")
    spare = walk("POST", "/api/v1/project/", {"code": "WALK2", "name": "Walk spare"})["id"]
    walk("DELETE", f"/api/v1/project/{spare}")


STEPS: list[Callable[[Walk], None]] = [_projects, _references, _partners, _crm, _stock, _sales, _marketing, _production,
                                       _purchasing, _proposals, _calculators, _engineering, _settings, _kpi, _quality,
                                       _service, _imports, _costing, _planning]


@pytest.fixture
def walk(app, client) -> Walk:
    load_demo()
    db.session.commit()
    return Walk(app, client)


def test_every_api_write_records_the_token_user_and_address(app, walk):
    for step in STEPS:
        step(walk)
    assert walk.problems == []
    assert api_write_endpoints(app) - walk.seen == set(), "write endpoints this walk does not call"
    assert _anonymous_authors() == []


def _anonymous_authors() -> list[str]:
    """Every audit row and every *_by column of any register that names "anonymous"."""
    found = []
    for mapper in Model.registry.mappers:
        table = mapper.local_table
        for column in table.columns:
            named = column.name.endswith("_by") and isinstance(column.type, String)  # not need_by (a date)
            if named or (table.name == "audit_log" and column.name == "username"):
                count = db.session.scalar(select(func.count()).select_from(table).where(column == "anonymous"))
                if count:
                    found.append(f"{table.name}.{column.name}: {count}")
    return found
