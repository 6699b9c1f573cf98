"""A receipt dated before an issue that already took newer goods; closing, reopening a month.

Backdated: CPU lot N1 (1 Oct, 5 @ 100) and N2 (10 Oct, 5 @ 130); an issue on 15 Oct took 6
(5 of N1 at 500 and 1 of N2 at 130 = 630). A receipt dated 5 Oct of
3 @ 90 arrives late: FIFO would have given the issue N1's 5 then 1 of the late lot, so the late lot
takes over the 1 unit of N2: the issue's cost falls by 130 - 90 = 40 (to 590), N2 gets its unit back,
the late lot keeps 2 (180).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.costing import AccountingPeriod, CostImpact
from app.models.stock import StockLot
from app.services.costing import periods
from app.services.costing.backdated import post_backdated, preview_backdated
from app.services.costing.corrections import CorrectionInput, create_correction, post_correction
from app.services.stock.documents import DocumentInput, LineInput, cancel_document, create_document
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal


def _late_receipt(session, it, wh, on=date(2026, 10, 5)):
    return create_document(session, DocumentInput("receipt", wh.id, on, [LineInput(it.id, "3", unit_cost="90")]))


def test_backdated_receipt_recosts_the_later_issue_and_preview_agrees(session):
    wh, cpu = f.warehouse("MAIN"), f.item("CPU")
    f.receipt(wh, [(cpu, 5, "100")], on=date(2026, 10, 1))
    f.receipt(wh, [(cpu, 5, "130")], on=date(2026, 10, 10))
    issue = f.issue(wh, [(cpu, 6)], on=date(2026, 10, 15))
    assert issue.lines[0].value == D(630)
    draft = _late_receipt(session, cpu, wh)
    preview = preview_backdated(session, draft.id)
    assert preview.totals()["issue"] == D(-40)
    assert session.get(type(draft), draft.id).state == "draft"  # the preview wrote nothing
    doc, plan = post_backdated(session, draft.id)
    assert plan.totals() == preview.totals()
    lots = session.scalars(select(StockLot).where(StockLot.item_id == cpu.id).order_by(StockLot.received_on)).all()
    assert [(lot.qty_remaining, lot.value_remaining) for lot in lots] == [
        (D(0), D(0)), (D(2), D(180)), (D(5), D(650))]
    assert f.balance(cpu, wh) == (D(7), D(830))
    impacts = session.scalars(select(CostImpact).where(CostImpact.target == "issue")).all()
    assert [(i.doc_number, i.amount) for i in impacts] == [(issue.number, D(-40))]
    assert verify_stock(session) == []


def test_a_closed_month_refuses_posting_and_cancelling_and_freezes_the_stock_value(session):
    wh, cpu = f.warehouse("MAIN"), f.item("CPU")
    r = f.receipt(wh, [(cpu, 5, "100")], on=date(2026, 9, 20))
    period = periods.close_period(session, date(2026, 9, 1))
    session.commit()
    assert period.stock_value == D(500) and [v.value for v in period.values] == [D(500)]
    with pytest.raises(DomainError) as err:
        f.receipt(wh, [(cpu, 1, "100")], on=date(2026, 9, 30))
    assert err.value.problems[0].field == "doc_date" and "2026-09" in err.value.problems[0].render()
    session.rollback()
    with pytest.raises(DomainError) as err:
        cancel_document(session, r.id, date(2026, 9, 25))
    assert err.value.problems[0].field == "on_date"
    session.rollback()
    f.receipt(wh, [(cpu, 1, "120")], on=date(2026, 10, 1))  # the next month is open
    assert session.get(AccountingPeriod, period.id).stock_value == D(500)  # frozen


def test_a_correction_dated_in_a_closed_month_goes_to_the_first_open_day(session):
    wh, cpu = f.warehouse("MAIN"), f.item("CPU")
    r = f.receipt(wh, [(cpu, 5, "100")], on=date(2026, 9, 20))
    periods.close_period(session, date(2026, 9, 1))
    session.commit()
    corr = create_correction(session, CorrectionInput([r.id], "50", "value", "price", date(2026, 9, 25)))
    post_correction(session, corr.id)
    assert (corr.doc_date, corr.corrects_date) == (date(2026, 10, 1), date(2026, 9, 25))
    assert f.balance(cpu, wh) == (D(5), D(550))
    assert verify_stock(session) == []


def test_reopening_needs_its_own_permission_and_is_audited(session):
    from app.models.audit import AuditLog
    from app.services.base import Actor, acting_as

    periods.close_period(session, date(2026, 9, 1))
    session.commit()
    with acting_as(Actor(None, "nobody")), pytest.raises(DomainError, match="permission"):
        periods.reopen_period(session, date(2026, 9, 14))
    session.rollback()
    periods.reopen_period(session, date(2026, 9, 14))
    session.commit()
    actions = session.scalars(select(AuditLog.action).where(AuditLog.entity == "AccountingPeriod")).all()
    assert "close" in actions and "reopen" in actions
    wh, cpu = f.warehouse("MAIN"), f.item("CPU")
    f.receipt(wh, [(cpu, 1, "100")], on=date(2026, 9, 30))  # open again
