"""Every metric on a hand-built November, to the kopek; lineage that adds up; idempotent recomputation;
a restatement when an invoice dated in a closed month is cancelled afterwards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.models.kpi import KpiDefinition, KpiFact, KpiLineage, KpiLineageDoc, KpiRestatement, KpiValue
from app.services.kpi.compute import compute_kpis, fact_documents, validate_definition
from app.services.kpi.metrics import METRICS
from app.services.sales import cancel_invoice
from tests.kpi import factories_kpi as fk

D = Decimal
NOV, OCT, DEC = date(2026, 11, 1), date(2026, 10, 1), date(2026, 12, 1)

EXPECTED_NOVEMBER = {
    "revenue": D("900.90"),  # 700.70 + 200.20
    "gross_margin": D("310.90"),  # (500.50 - 310) + (200.20 - 140) + (200.20 - 140)
    "gross_margin_pct": D("34.5099"),  # 310.90 / 900.90
    "on_time_pct": D("50.0000"),  # B on time, A late
    "order_lead_time": D("13.0000"),  # (15 + 11) / 2 days
    "proposals_sent": D(4),
    "proposals_won": D(2),
    "proposal_win_rate": D("66.6667"),  # 2 won of 3 decided
    "deal_win_rate": D("66.6667"),  # D1, D3 won, D2 lost
    "production_output": D("220.0000"),  # MR-2 is cancelled
    "production_cost_pct": D("110.0000"),  # 220 actual / 200 planned
    "stock_value": D("213.0000"),  # ROBOT 70 + CPU 93 + OLD 50
    "stock_turnover": D("4.4867"),  # 590 consumed / ((50 + 213) / 2)
    "dead_stock_value": D("50.0000"),  # OLD, not moved since 1 Aug
    "po_on_time_pct": D("50.0000"),  # PO-1 on 9 Nov, PO-2 on 13 Nov, both expected 10 Nov
    "price_variance_pct": D("3.3333"),  # 3 paid above 90 ordered
    "overdue_receivables": D("40.24"),  # B: 240.24 due 25 Nov, 200.00 paid
    "cash_collected": D("200.00"),
    # no service requests in this history (tests/service/test_service_kpi.py counts them)
    "service_sla_pct": None, "service_first_response": None, "service_repeat_pct": None,
}


@pytest.fixture
def history(app, session):
    data = fk.sales_history(session)
    fk.other_history(session, data["client"], data["wh"], data["robot"])
    return data


def _define_all(session) -> dict[str, KpiDefinition]:
    return {m.code: fk.define(session, m.code) for m in METRICS}


def _value(session, defn: KpiDefinition, start: date) -> Decimal | None:
    return session.scalar(select(KpiValue.value).where(KpiValue.definition_id == defn.id,
                                                       KpiValue.period_start == start))


def test_every_metric_on_the_hand_built_november(history, session):
    defs = _define_all(session)
    compute_kpis(session, today=fk.TODAY)
    got = {code: _value(session, defn, NOV) for code, defn in defs.items()}
    assert got == EXPECTED_NOVEMBER
    assert set(EXPECTED_NOVEMBER) == {m.code for m in METRICS}
    # October: only the dead stock was on the shelf; December so far: A fell due on 6 Dec
    assert _value(session, defs["stock_value"], OCT) == D("50.0000")
    assert _value(session, defs["on_time_pct"], OCT) is None  # nothing shipped: no value, not 0 %
    assert _value(session, defs["revenue"], OCT) == D(0)
    assert _value(session, defs["overdue_receivables"], DEC) == D("881.08")  # 840.84 + 40.24


def test_per_employee_figures_come_from_the_same_grouped_read(history, session):
    sales = fk.user_id("sales")
    revenue = fk.define(session, "revenue", code="rev-sales", employee_id=sales)
    margin = fk.define(session, "gross_margin", code="gm-sales", employee_id=sales)
    deals = fk.define(session, "deal_win_rate", code="deals-sales", employee_id=sales)
    compute_kpis(session, today=fk.TODAY)
    assert _value(session, revenue, NOV) == D("700.70")
    assert _value(session, margin, NOV) == D("250.70")  # order A's two shipments
    assert _value(session, deals, NOV) == D("100.0000")


def _fact_docs(fact: KpiFact) -> list:
    """A figure's documents: its period's lineage, those of its employee for an employee's figure."""
    where = [KpiLineageDoc.lineage_id == fact.lineage_id]
    return where + ([KpiLineageDoc.employee_key == fact.employee_key] if fact.employee_key else [])


def test_lineage_adds_up_to_every_stored_figure(history, session):
    _define_all(session)
    fk.define(session, "gross_margin", code="gm-sales", employee_id=fk.user_id("sales"))
    compute_kpis(session, today=fk.TODAY)
    facts = session.scalars(select(KpiFact)).all()
    assert facts and any(f.employee_key for f in facts)
    documents = fact_documents(session, facts)  # what the lineage page and the API show
    for fact in facts:
        docs = documents[fact.id]
        num, den = sum((d.num for d in docs), D(0)), sum((d.den for d in docs), D(0))
        assert (num, den, len(docs)) == (fact.num, fact.den, fact.docs), fact.metric
    revenue = session.scalar(select(KpiFact).where(KpiFact.metric == "revenue", KpiFact.period_start == NOV,
                                                   KpiFact.employee_key == 0))
    docs = session.execute(select(KpiLineageDoc.label, KpiLineageDoc.num).where(*_fact_docs(revenue))
                           .order_by(KpiLineageDoc.num)).all()
    assert [n for _, n in docs] == [D("200.20"), D("700.70")] and sum(n for _, n in docs) == revenue.value


def test_lineage_is_stored_once_per_read_and_period(history, session):
    """Margin and margin % share one lineage per period; an employee's figure stores no documents of its own."""
    _define_all(session)
    fk.define(session, "gross_margin", code="gm-sales", employee_id=fk.user_id("sales"))
    compute_kpis(session, today=fk.TODAY)

    def fact(metric, key=0):
        return session.scalar(select(KpiFact).where(KpiFact.metric == metric, KpiFact.period_kind == "month",
                                                    KpiFact.period_start == NOV, KpiFact.employee_key == key))
    margin, pct, own = fact("gross_margin"), fact("gross_margin_pct"), fact("gross_margin", fk.user_id("sales"))
    assert margin.lineage_id == pct.lineage_id == own.lineage_id is not None
    lineage = session.get(KpiLineage, margin.lineage_id)
    stored = session.scalar(select(func.count()).select_from(KpiLineageDoc)
                            .where(KpiLineageDoc.lineage_id == lineage.id))
    assert stored == lineage.docs == margin.docs == pct.docs and own.docs <= stored


def test_recomputing_changes_nothing(history, session):
    _define_all(session)
    first = compute_kpis(session, today=fk.TODAY)
    assert first.facts_written > 0 and first.values_written > 0
    before = session.execute(select(KpiValue.id, KpiValue.value, KpiValue.computed_at)).all()
    again = compute_kpis(session, today=fk.TODAY)
    assert (again.facts_written, again.values_written, again.restatements) == (0, 0, 0)
    assert session.execute(select(KpiValue.id, KpiValue.value, KpiValue.computed_at)).all() == before


def test_backdated_cancellation_is_a_restatement_not_a_silent_change(history, session):
    revenue = fk.define(session, "revenue")
    compute_kpis(session, today=fk.TODAY)
    assert _value(session, revenue, NOV) == D("900.90")
    cancel_invoice(session, history["inv_a"].id)  # dated 26 Nov, cancelled on 7 Dec
    stats = compute_kpis(session, today=fk.TODAY)
    assert stats.restatements == 1
    assert _value(session, revenue, NOV) == D("200.20")
    restated = session.scalars(select(KpiRestatement)).one()
    assert (restated.definition_id, restated.period_start, restated.old_value, restated.new_value) == (
        revenue.id, NOV, D("900.90"), D("200.20"))
    assert restated.documents == [{"type": "invoice", "id": history["inv_a"].id, "label": history["inv_a"].number,
                                   "old": "700.7000", "new": None, "metric": "revenue"}]
    assert compute_kpis(session, today=fk.TODAY).restatements == 0  # recorded once


def test_the_running_period_changes_without_a_restatement(history, session):
    revenue = fk.define(session, "revenue", period="year")
    compute_kpis(session, today=fk.TODAY)
    cancel_invoice(session, history["inv_a"].id)
    assert compute_kpis(session, today=fk.TODAY).restatements == 0
    assert _value(session, revenue, date(2026, 1, 1)) == D("200.20")


def test_definitions_that_cannot_be_computed_are_refused(app, session):
    sales = fk.user_id("sales")
    cases = [
        (KpiDefinition(code="x", name="x", metric="nope"), ["Unknown metric: nope"]),
        (KpiDefinition(code="x", name="x"), ["Give either a metric or a formula"]),
        (KpiDefinition(code="x", name="x", metric="stock_value", employee_id=sales),
         ["These metrics are not kept per employee: stock_value"]),
    ]
    for defn, messages in cases:
        with pytest.raises(DomainError) as err:
            validate_definition(defn)
        assert err.value.messages() == messages
    with pytest.raises(DomainError):
        validate_definition(KpiDefinition(code="x", name="x", formula="revenue +* 2"))
    validate_definition(KpiDefinition(code="x", name="x", formula="gross_margin / revenue * 100"))


def test_a_formula_over_metrics(history, session):
    defn = KpiDefinition(code="cash-ratio", name="Cash over revenue", formula="cash_collected / revenue * 100",
                         period="month")
    session.add(defn)
    session.commit()
    compute_kpis(session, today=fk.TODAY)
    assert _value(session, defn, NOV) == D("22.2000")  # 200.00 / 900.90 = 0.2220002...


def test_an_edited_target_relights_only_that_kpi(history, session):
    revenue = fk.define(session, "revenue", target=D(1000), red_threshold=D(500), green_threshold=D(900))
    fk.define(session, "cash_collected")
    compute_kpis(session, today=fk.TODAY)
    row = session.scalar(select(KpiValue).where(KpiValue.definition_id == revenue.id, KpiValue.period_start == NOV))
    assert (row.status, row.attainment) == ("green", D("0.9009"))
    revenue.green_threshold = D(950)
    session.commit()
    stats = compute_kpis(session, today=fk.TODAY)
    assert stats.values_written == 1 and stats.restatements == 0  # November's light; nothing else changed
    session.refresh(row)
    assert row.status == "amber"
    assert compute_kpis(session, today=fk.TODAY).values_written == 0
