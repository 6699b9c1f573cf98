"""Two more events a process can start on: an item short for an order in the logistics analysis, a KPI turned red;
their fields read by conditions, each run end to end into a task, never twice."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models.kpi import KpiDefinition, KpiValue
from app.models.projects import ProcessEvent, ProjectTask
from app.services.base import unit_of_work
from app.services.projects import processes as proc
from app.services.sales import confirm_order
from app.services.sales.analysis import run_analysis
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs


def _publish(event: str, condition: str, title: str, role: str) -> None:
    from app.models.projects import ProcessTemplate

    with unit_of_work(db.session):
        t = ProcessTemplate(code=event.upper(), name=title, event=event, condition=condition,
                            steps=json.dumps([{"key": "act", "title": title, "role": role, "days": 1, "hours": 2}]))
        db.session.add(t)
    proc.publish(db.session, t.id)


def _tasks() -> list[tuple[str, str]]:
    return [(t.title, t.assignee_role.name) for t in db.session.scalars(select(ProjectTask).order_by(ProjectTask.id))]


def test_shortage_found_by_the_analysis_starts_a_process(app, session):
    pf.company()
    f.warehouse()
    cpu = fs.priced_item("CPU", "100", kind="component")
    big, small = fs.order(fs.client(), [(cpu, 12)]), fs.order(fs.client("Lab"), [(cpu, 5)])
    _publish("shortage_found", "shortage.qty > 10 and shortage.item == 'CPU'", "Expedite the CPUs", "Purchasing")
    for order in (big, small):
        confirm_order(session, order.id)
    run_analysis(session, big.id)
    run_analysis(session, small.id)  # 5 more CPUs short: an event, but the condition does not hold
    run_analysis(session, big.id)  # requested already: nothing newly short, no second event
    events = session.scalars(select(ProcessEvent).where(ProcessEvent.kind == "shortage_found")).all()
    assert sorted(proc.event_fields(e)["shortage.qty"] for e in events) == [Decimal(5), Decimal(12)]
    assert proc.dispatch(session) == 1
    assert _tasks() == [("Expedite the CPUs", "Purchasing")]
    assert proc.dispatch(session) == 0


def _kpi_values(code: str, statuses: list[str], value: str = "80") -> KpiDefinition:
    """A monthly KPI with a target of 100 and one value per month up to this one, lights as given (the earlier
    ones computed a month ago)."""
    with unit_of_work(db.session):
        defn = KpiDefinition(code=code, name=f"KPI {code}", metric="revenue", target=Decimal(100),
                             red_threshold=Decimal(90), green_threshold=Decimal(100))
        db.session.add(defn)
        db.session.flush()
        first = date.today().replace(day=1)
        for back, status in enumerate(reversed(statuses)):
            start = (first - timedelta(days=31 * back)).replace(day=1)
            db.session.add(KpiValue(definition_id=defn.id, period_kind="month", period_start=start,
                                    period_end=start + timedelta(days=27), value=Decimal(value), status=status,
                                    computed_at=datetime.now() - timedelta(days=31 * back)))
    return defn


def test_kpi_turned_red_starts_a_process_once(app, session):
    _publish("kpi_red", "kpi.value < kpi.target and kpi.previous_status == 'amber'", "Explain the drop", "Manager")
    _kpi_values("SALES", ["amber", "red"])  # turned red: the process starts
    _kpi_values("STILL", ["red", "red"])  # was red already: no event
    _kpi_values("MET", ["amber", "red"], value="120")  # turned red but above target: an event, no task
    proc.record_red_kpis(session)  # as the KPI job does after storing its values
    proc.record_red_kpis(session)  # once per value
    assert proc.dispatch(session) == 1
    codes = sorted(proc.event_fields(e)["kpi.code"] for e in session.scalars(
        select(ProcessEvent).where(ProcessEvent.kind == "kpi_red")))
    assert codes == ["MET", "SALES"]
    assert _tasks() == [("Explain the drop", "Manager")]
    assert proc.dispatch(session) == 0
    assert session.scalar(select(func.count()).select_from(ProcessEvent)) == 2
