"""The planning pages and REST endpoints, in Russian: run, grid, drill-down, firm, capacity, forecast, promise."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models.planning import PlannedOrder
from app.models.production import ProductionOrder
from tests.planning.factories_planning import customer_order, robot


def test_pages_run_show_and_firm_the_plan(login_as):
    r = robot()
    so = customer_order(r, 10, weeks=1)
    c = login_as("Production")  # the production planner runs and firms the plan
    c.get("/lang/ru")
    assert c.post("/planning/run").status_code == 302
    page = c.get("/planning/").get_data(as_text=True)
    assert "План материалов" in page and "ROBOT" in page
    mo = db.session.scalar(select(ProductionOrder))  # the boards in progress arrive before the robots need them
    assert 'id="plan-reschedule"' in page and (mo.number or f"#{mo.id}") in page.split('id="plan-reschedule"')[1]
    robot_row = db.session.scalar(select(PlannedOrder).where(PlannedOrder.item_id == r.robot.id))
    drill = c.get(f"/planning/order/{robot_row.id}").get_data(as_text=True)
    assert so.number in drill and "Обеспечивает" in drill
    assert "Загрузка мощностей" in c.get("/planning/capacity/").get_data(as_text=True)
    assert "Прогноз спроса" in c.get("/planning/forecast/").get_data(as_text=True)
    before = db.session.scalar(select(func.count(ProductionOrder.id)))
    assert c.post("/planning/firm", data={"ids": [str(robot_row.id)]}).status_code == 302
    assert db.session.scalar(select(func.count(ProductionOrder.id))) == before + 1
    order_page = login_as("Admin").get(f"/salesorderview/show/{so.id}").get_data(as_text=True)
    panel = order_page[order_page.find('id="order-promise"'):][:3000]
    assert 'id="order-promise"' in order_page and "CELL" in panel  # the robots' assembly, in the reasons


def test_api_promise_and_firm_refusal(login_as):
    r = robot()
    c = login_as("Admin")
    answer = c.post("/api/v1/planning/promise", json={"lines": [{"item_id": r.robot.id, "qty": "10"}]},
                    headers={"Accept-Language": "es"})
    assert answer.status_code == 200, answer.json
    assert answer.json["date"] and answer.json["reasons"]
    refused = c.post("/api/v1/planning/firm", json={"ids": []})
    assert refused.status_code == 422 and refused.json


def test_forecast_page_recomputes_per_group_and_week_and_shows_the_pipeline_in_spanish(login_as):
    from app.models.planning import ForecastFit

    robot()
    c = login_as("Production")
    c.get("/lang/es")
    refused = c.post("/planning/forecast/recompute", data={"level": "shop", "period": "week"}, follow_redirects=True)
    assert "Nivel de la previsión" in refused.get_data(as_text=True)
    assert c.post("/planning/forecast/recompute", data={"level": "group", "period": "week"}).status_code == 302
    page = c.get("/planning/forecast/").get_data(as_text=True)
    assert "Demanda del embudo" in page and "No hay PTC abiertas" in page
    assert '<option value="week" selected>' in page and '<option value="group" selected>' in page
    assert db.session.scalar(select(func.count(ForecastFit.id))) == 0  # no history yet: nothing fitted


def test_planning_registers_list_filter_and_export_in_words(login_as):
    r = robot()
    customer_order(r, 10, weeks=1)
    c = login_as("Production")
    c.get("/lang/ru")
    assert c.post("/planning/run").status_code == 302
    page = c.get("/plannedorderview/list/?_flt_0_kind=make").get_data(as_text=True)
    assert "Плановые заказы" in page and "Изготовить" in page and "ROBOT" in page and "Купить" not in page
    exported = c.get("/plannedorderview/export/csv").get_data(as_text=True)
    assert "Купить" in exported and "buy" not in exported.split("\n", 1)[1]
    assert "Выполнен" in c.get("/planrunview/list/").get_data(as_text=True)  # the run's state in words
    for register in ("capacityloadview", "forecastfitview", "forecastlineview"):
        assert c.get(f"/{register}/list/").status_code == 200
    assert c.get("/plannedorderview/add").status_code in (302, 404, 405)  # the plan is written by its runs only
