"""Scores stored by the KPI job: the dashboard adds the job's parts, and gets what live scoring gives."""

from __future__ import annotations

from decimal import Decimal

from app.permissions import RESOURCE_INVOICE
from app.services.kpi import scorecard
from app.services.kpi.compute import compute_kpis
from app.services.kpi.scorecard import ALL, Reader
from tests.kpi import factories_kpi as fk

DIRECTOR = Reader(ALL, lambda resource: True)


def _history_with_scores(session) -> int:
    data = fk.sales_history(session)
    fk.other_history(session, data["client"], data["wh"], data["robot"])
    sales = fk.user_id("sales")
    fk.define(session, "revenue", target=Decimal(1000), weight=Decimal(2))
    fk.define(session, "gross_margin_pct", target=Decimal(40))
    fk.define(session, "stock_value", target=Decimal(200), weight=Decimal("0.5"))
    fk.define(session, "revenue", code="rev-sales", employee_id=sales, target=Decimal(500), weight=Decimal(3))
    fk.define(session, "on_time_pct", code="ot-sales", employee_id=sales, target=Decimal(90))
    compute_kpis(session, today=fk.TODAY)
    return sales


def test_stored_scores_equal_live_scores_for_every_reader(app, session):
    sales = _history_with_scores(session)
    no_invoices = Reader(ALL, lambda resource: resource != RESOURCE_INVOICE)
    own = Reader(frozenset({"sales"}), lambda resource: True, user_id=sales, everyone=False)
    for reader in (DIRECTOR, no_invoices, own):
        stored = scorecard._stored_scores(session, reader, fk.TODAY)
        assert stored is not None
        assert stored == scorecard._live_scores(session, reader, fk.TODAY)
    director = {s.label: s for s in scorecard.scores(session, DIRECTOR, fk.TODAY)}
    assert director["sales"].count == 2 and director["sales"].score is not None
    divisions = {s.label for s in scorecard.scores(session, no_invoices, fk.TODAY) if not s.is_employee}
    assert divisions == {"warehouse"}  # revenue and margin % read invoices: the sales division is not scored


def test_an_edited_definition_is_scored_live_until_the_next_run(app, session):
    _history_with_scores(session)
    before = scorecard.scores(session, DIRECTOR, fk.TODAY)
    defn = session.query(scorecard.KpiDefinition).filter_by(code="revenue").one()
    defn.weight = Decimal(10)
    session.commit()
    assert scorecard._stored_scores(session, DIRECTOR, fk.TODAY) is None  # the job's parts are older
    live = scorecard.scores(session, DIRECTOR, fk.TODAY)
    assert live != before and live == scorecard._live_scores(session, DIRECTOR, fk.TODAY)
    compute_kpis(session, today=fk.TODAY)
    assert scorecard._stored_scores(session, DIRECTOR, fk.TODAY) == live
