"""The KPI job reads again only what changed: per-source watermarks (app/services/kpi/sources.py).

An unchanged run sends no query for documents (watermarks and stored values only) and writes nothing;
a backdated cancellation recomputes the metrics of that register for that period and no other; a
backdated stock move recomputes the stock figures from its day on.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models.kpi import KpiRestatement, KpiValue
from app.services.kpi.compute import compute_kpis
from app.services.kpi.metrics import METRICS
from app.services.sales import cancel_invoice
from tests.kpi import factories_kpi as fk

NOV = date(2026, 11, 1)


@pytest.fixture
def computed(app, session):
    data = fk.sales_history(session)
    fk.other_history(session, data["client"], data["wh"], data["robot"])
    defs = {m.code: fk.define(session, m.code) for m in METRICS}
    defs["rev-sales"] = fk.define(session, "revenue", code="rev-sales", employee_id=fk.user_id("sales"))
    first = compute_kpis(session, today=fk.TODAY)
    assert first.periods_read > 0 and first.periods_skipped == 0
    return data, defs


def _statements(session, fn):
    log: list[str] = []

    def on_execute(conn, cursor, statement, params, context, executemany) -> None:
        log.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        return fn(), log
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


def test_an_unchanged_run_reads_watermarks_only_and_writes_nothing(computed, session):
    stats, log = _statements(session, lambda: compute_kpis(session, today=fk.TODAY))
    assert (stats.periods_read, stats.facts_written, stats.values_written) == (0, 0, 0)
    assert stats.periods_skipped > 0 and stats.recomputed == {}
    writes = [s for s in log if s.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")]
    # the only writes are the two statements that freeze periods that are over (nothing to freeze here)
    assert all(s.startswith(("UPDATE kpi_fact SET closed", "UPDATE kpi_value SET closed")) for s in writes), writes
    # no per-document read: no lineage, no lines, no ledger scan; grouped watermarks only
    assert not [s for s in log if any(t in s for t in ("kpi_lineage_doc", "shipment_line", "purchase_receipt_line",
                                                       "GROUP BY stock_move.item_id"))]
    reads_of_registers = [s for s in log if "kpi_" not in s and s.startswith("SELECT")]
    assert all("GROUP BY" in s or "max(stock_move.id)" in s for s in reads_of_registers), reads_of_registers
    # a grouped query or two per register (proposals: sent and decided; debts: due dates and payments)
    registers = {m.source.name for m in METRICS}
    assert len(registers) <= len(reads_of_registers) <= 2 * len(registers), [s[:90] for s in reads_of_registers]
    assert len(log) <= len(reads_of_registers) + 10, len(log)


def test_a_backdated_cancellation_recomputes_its_register_for_its_month_only(computed, session):
    data, defs = computed
    cancel_invoice(session, data["inv_a"].id)  # dated 26 Nov, due 6 Dec, cancelled after November closed
    stats = compute_kpis(session, today=fk.TODAY)
    # revenue (company and the sales manager's) for November; the overdue debts from its due date on
    # (December so far); nothing of shipments, payments, stock, proposals, production or purchasing
    assert stats.recomputed == {"revenue": 1, "overdue_receivables": 1}
    assert stats.restatements == 2  # the company's and the manager's November revenue
    restated = {r.definition_id for r in session.scalars(select(KpiRestatement))}
    assert restated == {defs["revenue"].id, defs["rev-sales"].id}
    value = session.scalar(select(KpiValue.value).where(KpiValue.definition_id == defs["revenue"].id,
                                                       KpiValue.period_start == NOV))
    assert value == Decimal("200.20")
    again = compute_kpis(session, today=fk.TODAY)
    assert (again.periods_read, again.restatements) == (0, 0)


def test_a_backdated_stock_receipt_recomputes_stock_figures_from_its_day(computed, session):
    from tests.sales import factories_sales as fs

    data, defs = computed
    fs.stock(data["wh"], data["robot"], 1, cost="30", on=date(2026, 11, 20))  # into closed November
    stats = compute_kpis(session, today=fk.TODAY)
    # November and December of the three stock figures; no document register was read again
    assert stats.recomputed == {"stock_value": 2, "stock_turnover": 2, "dead_stock_value": 2}
    restated = session.scalars(select(KpiRestatement)).all()
    assert {(r.definition_id, r.period_start) for r in restated} >= {(defs["stock_value"].id, NOV)}


def test_the_next_day_recomputes_running_stock_and_freezes_nothing_early(computed, session):
    _, defs = computed
    stats = compute_kpis(session, today=date(2026, 12, 8))
    # a point figure of the running period is "as of today": read again; flow figures are not
    assert stats.recomputed == {"stock_value": 1, "stock_turnover": 1, "dead_stock_value": 1,
                                "overdue_receivables": 1}
    assert stats.restatements == 0
    # read from the last 90 days of moves and the balances: OLD (received 1 August) comes from its balance
    december = {code: session.scalar(select(KpiValue.value).where(KpiValue.definition_id == defs[code].id,
                                                                  KpiValue.period_start == date(2026, 12, 1)))
                for code in ("stock_value", "dead_stock_value")}
    assert december == {"stock_value": Decimal("213.0000"), "dead_stock_value": Decimal("50.0000")}
