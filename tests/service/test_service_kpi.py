"""Service KPIs in the metric catalogue: resolved within SLA, first response in working hours, repeats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app.extensions import db
from app.services.kpi.metrics import BY_CODE
from app.services.service_desk.requests import change_state
from tests.sales import factories_sales as fs
from tests.service.factories_service import request, shipped_robot

DEC = (date(2026, 12, 1), date(2026, 12, 31))


def _value(code: str) -> Decimal:
    metric = BY_CODE[code]
    parts = metric.flow(db.session, *DEC)
    num, den = sum(p.num for p in parts), sum(p.den for p in parts)
    return (num / den * metric.scale).quantize(Decimal("0.01"))


def test_service_metrics(app, session):
    client, robot, _ship = shipped_robot()
    on_time = request(client, robot)  # Friday 4 Dec 17:00, high: respond by Mon 10:00, resolve by Tue 15:00
    change_state(session, on_time.id, "start", at=datetime(2026, 12, 7, 10, 0))  # 2 working hours
    change_state(session, on_time.id, "resolve", at=datetime(2026, 12, 8, 15, 0))
    late = request(client, robot, opened=datetime(2026, 12, 8, 9, 0))  # a repeat: same client and product
    change_state(session, late.id, "start", at=datetime(2026, 12, 8, 10, 0))  # 1 working hour
    change_state(session, late.id, "resolve", at=datetime(2026, 12, 15, 9, 0))
    request(fs.client("Another school", email=""), opened=datetime(2026, 12, 9, 9, 0))
    assert _value("service_sla_pct") == Decimal("50.00")
    assert _value("service_first_response") == Decimal("1.50")
    assert _value("service_repeat_pct") == Decimal("33.33")
    assert {BY_CODE[c].division for c in ("service_sla_pct", "service_first_response", "service_repeat_pct")} == {
        "service"}
