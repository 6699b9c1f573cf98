"""Pareto of defect causes and the breakdowns, worked out by hand (exact Decimals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.domain.quality import pareto
from app.models.quality import Complaint, DefectCause
from app.services.quality.analysis import Period, pareto_by, trend_by_month
from app.services.quality.complaints import prepare_complaint

D = Decimal


def test_pareto_orders_causes_and_accumulates_to_exactly_100():
    rows = pareto([("a", "A", 1, D(1), D("10")), ("b", "B", 5, D(7), D("20")), ("c", "C", 3, D(2), D("0"))])
    assert [(r.key, r.share, r.cumulative) for r in rows] == [
        ("b", D("55.56"), D("55.56")), ("c", D("33.33"), D("88.89")), ("a", D("11.11"), D("100.00"))]
    by_cost = pareto([("a", "A", 1, D(1), D("10")), ("b", "B", 5, D(7), D("20"))], "cost")
    assert [(r.key, r.cumulative) for r in by_cost] == [("b", D("66.67")), ("a", D("100.00"))]
    assert pareto([], "qty") == []


def test_pareto_by_cause_month_and_period_from_the_complaints(session):
    asm = DefectCause(code="ASM", name="Assembly", name_ru="Сборка", name_es="Montaje")
    sup = DefectCause(code="SUP", name="Supplier", name_ru="Поставщик", name_es="Proveedor")
    session.add_all([asm, sup])
    data = [(asm, "2026-10-05", "2", "100.50", "0"), (asm, "2026-11-02", "1", "0", "49.50"),
            (sup, "2026-11-20", "5", "300", "0"), (None, "2026-11-21", "1", "0", "0")]
    for cause, day, qty, scrap, rework in data:
        c = Complaint(title="x", cause=cause, qty=D(qty), cost_scrap=D(scrap), cost_rework=D(rework),
                      complaint_date=date.fromisoformat(day))
        prepare_complaint(session, c)
        session.add(c)
    rejected = Complaint(title="not a defect", cause=sup, qty=D(9), complaint_date=date(2026, 11, 3), state="rejected")
    prepare_complaint(session, rejected)
    session.add(rejected)
    session.commit()
    rows = pareto_by(session, Period(), "cost")
    # cost: SUP 300, ASM 100.50 + 49.50 = 150, none 0; total 450
    assert [(r.label, r.count, r.qty, r.cost, r.share, r.cumulative) for r in rows] == [
        ("Supplier", 1, D(5), D(300), D("66.67"), D("66.67")), ("Assembly", 2, D(3), D(150), D("33.33"), D("100.00")),
        ("Not given", 1, D(1), D(0), D("0.00"), D("100.00"))]
    assert [(r.label, r.count) for r in pareto_by(session, Period(), "count")][0] == ("Assembly", 2)
    november = pareto_by(session, Period(date(2026, 11, 1), date(2026, 11, 30)), "qty")
    assert [(r.label, r.qty) for r in november] == [("Supplier", D(5)), ("Assembly", D(1)), ("Not given", D(1))]
    assert [(m["month"], m["count"], m["qty"], m["cost"]) for m in trend_by_month(session, Period())] == [
        ("2026-10", 1, D(2), D("100.50")), ("2026-11", 3, D(7), D("349.50"))]
