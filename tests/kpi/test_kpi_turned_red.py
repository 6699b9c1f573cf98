"""The KPI job records "KPI turned red" for the last closed and the running period only: a first run
stores every month of history, whose lights are not news."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models.projects import ProcessEvent
from app.services.kpi.compute import compute_kpis
from app.services.projects import processes as proc
from tests.kpi import factories_kpi as fk


def test_first_run_records_only_recent_red_lights(app, session):
    fk.sales_history(session)  # revenue only in November 2026 (900.90)
    fk.define(session, "revenue", code="REV", target=Decimal(500), red_threshold=Decimal(100),
              green_threshold=Decimal(500))
    stats = compute_kpis(session, today=fk.TODAY)  # January 2025 (red, nothing before) ... December 2026
    events = [proc.event_fields(e) for e in session.scalars(select(ProcessEvent).where(ProcessEvent.kind == "kpi_red"))]
    assert [(e["kpi.code"], e["kpi.period_start"], e["kpi.previous_status"]) for e in events] == [
        ("REV", date(2026, 12, 1).isoformat(), "green")]  # December so far, after a green November
    assert stats.turned_red == 1
    compute_kpis(session, today=fk.TODAY)
    assert session.scalar(select(ProcessEvent.id).where(ProcessEvent.kind == "kpi_red").offset(1)) is None
