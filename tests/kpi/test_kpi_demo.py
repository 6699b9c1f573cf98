"""The KPI demo: definitions in three languages, a history with a shape, a weekly scorecard, figures on
every role's home page right after loading."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models.kpi import KpiDefinition, KpiValue, ScheduledReport
from app.services.demo import load_demo


def test_demo_dashboards_have_figures(app, session, login_as):
    load_demo()
    assert session.scalar(select(func.count()).select_from(KpiDefinition)) >= 15
    assert all(d.name_ru and d.name_es for d in session.scalars(select(KpiDefinition)))
    assert session.scalar(select(func.count()).select_from(KpiValue).where(KpiValue.value.is_not(None))) > 20
    report = session.scalars(select(ScheduledReport)).one()
    assert report.next_run_at is not None
    html = login_as("Manager").get("/").get_data(as_text=True)
    assert html.count('class="kpi-card ') >= 15 and "kpi-border-green" in html
    assert 'data-tile="kpi:stock-value"' in login_as("Warehouse").get("/").get_data(as_text=True)
