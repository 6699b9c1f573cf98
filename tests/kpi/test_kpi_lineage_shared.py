"""Lineage stored once per read: lead time and on-time % share the completed orders' rows; overdue
receivables keep each invoice's unpaid rest as one span of days, from which every period end's documents
are derived exactly; a backdated payment in a closed month is still a restatement naming the invoice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.models.kpi import KpiFact, KpiLineageDoc, KpiRestatement
from app.services.kpi.compute import compute_kpis, fact_documents
from app.services.sales import PaymentInput, register_payment
from tests.kpi import factories_kpi as fk
from tests.kpi.test_kpi_compute import history  # noqa: F401 - the hand-built November

D = Decimal
NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


def _fact(session, metric: str, start: date, key: int = 0) -> KpiFact:
    return session.scalar(select(KpiFact).where(KpiFact.metric == metric, KpiFact.period_kind == "month",
                                                KpiFact.period_start == start, KpiFact.employee_key == key))


def _docs(session, fact: KpiFact) -> list[tuple[str, Decimal, Decimal]]:
    return sorted((d.label, d.num, d.den) for d in fact_documents(session, [fact])[fact.id])


def test_lead_time_and_on_time_share_one_lineage(history, session):  # noqa: F811
    fk.define(session, "on_time_pct")
    fk.define(session, "order_lead_time", code="lead-sales", employee_id=fk.user_id("sales"))
    compute_kpis(session, today=fk.TODAY)
    on_time, lead, own = (_fact(session, "on_time_pct", NOV), _fact(session, "order_lead_time", NOV),
                          _fact(session, "order_lead_time", NOV, fk.user_id("sales")))
    assert on_time.lineage_id == lead.lineage_id == own.lineage_id is not None
    a, b = history["a"].number, history["b"].number
    assert _docs(session, on_time) == [(a, D(0), D(1)), (b, D(1), D(1))]  # A late, B on time
    assert _docs(session, lead) == [(a, D(15), D(1)), (b, D(11), D(1))]
    assert _docs(session, own) == [(a, D(15), D(1))]  # A is the sales employee's order
    stored = session.scalar(select(func.count()).select_from(KpiLineageDoc)
                            .where(KpiLineageDoc.lineage_id == lead.lineage_id))
    assert stored == 2 and (on_time.value, lead.value) == (D("50.0000"), D("13.0000"))


def test_overdue_spans_give_each_month_end_its_documents_and_restate(history, session):  # noqa: F811
    overdue = fk.define(session, "overdue_receivables")
    compute_kpis(session, today=fk.TODAY)
    inv_a, inv_b = history["inv_a"], history["inv_b"]
    nov, dec = _fact(session, "overdue_receivables", NOV), _fact(session, "overdue_receivables", DEC)
    assert _docs(session, nov) == [(inv_b.number, D("40.24"), D(0))]  # 240.24 due 25 Nov, 200 paid
    assert _docs(session, dec) == sorted([(inv_a.number, D("840.84"), D(0)), (inv_b.number, D("40.24"), D(0))])
    # B's rest is one stored span for both month ends, not a row per period end
    spans = session.scalars(select(KpiLineageDoc).where(KpiLineageDoc.ref_id == inv_b.id,
                                                        KpiLineageDoc.valid_from.is_not(None))).all()
    assert [(s.valid_from, s.valid_to, s.num) for s in spans] == [(date(2026, 11, 26), None, D("40.24"))]

    register_payment(session, PaymentInput(inv_b.id, "40.24", pay_date=date(2026, 11, 28)))  # backdated
    stats = compute_kpis(session, today=fk.TODAY)
    nov, dec = _fact(session, "overdue_receivables", NOV), _fact(session, "overdue_receivables", DEC)
    assert (nov.value, _docs(session, nov)) == (D(0), [])
    assert (dec.value, _docs(session, dec)) == (D("840.84"), [(inv_a.number, D("840.84"), D(0))])
    assert stats.restatements == 1
    restated = session.scalars(select(KpiRestatement)).one()
    assert (restated.definition_id, restated.period_start, restated.old_value, restated.new_value) == (
        overdue.id, NOV, D("40.24"), D(0))
    assert restated.documents == [{"type": "invoice", "id": inv_b.id, "label": inv_b.number, "old": "40.2400",
                                   "new": None, "metric": "overdue_receivables"}]
    assert compute_kpis(session, today=fk.TODAY).facts_written == 0  # idempotent
