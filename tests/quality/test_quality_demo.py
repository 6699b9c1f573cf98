"""The demo's quality story: the motor lot of Robokids' complaint leads back to Robokids; Pareto totals add up."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.models.quality import Complaint, KbArticle
from app.services.demo import load_demo
from app.services.quality.analysis import Period, pareto_by, trend_by_month
from app.services.quality.kb_search import search
from app.services.quality.trace import trace_backward, trace_forward
from app.services.stock.verify import verify_stock


def test_the_demo_complaint_traces_to_robokids_and_the_analysis_adds_up(app, session):
    assert "loaded" in load_demo()
    main = session.scalar(select(Complaint).where(Complaint.component_lot_id.is_not(None)))
    assert main.supplier is not None and main.production_order is not None and main.partner is not None
    recall = trace_forward(session, main.component_lot_id)
    clients = recall.by_client()
    assert [(c["partner"], c["qty"]) for c in clients] == [(main.partner.name, Decimal(2))]
    assert recall.levels >= 3  # motor -> drive -> robot -> shipment
    back = trace_backward(session, lot_id=main.lot_id)
    assert main.component_lot_id in {n.lot_id for n in back.lots}

    complaints = session.scalar(select(func.count()).select_from(Complaint))
    for measure in ("count", "qty", "cost"):
        rows = pareto_by(session, Period(), measure)
        assert rows[-1].cumulative == Decimal("100.00")
        assert [r.count for r in rows] == sorted((r.count for r in rows), reverse=True) or measure != "count"
    rows = pareto_by(session, Period(), "count")
    assert sum(r.count for r in rows) == complaints
    cost = sum(c.cost_total for c in session.scalars(select(Complaint)))
    assert sum(r.cost for r in pareto_by(session, Period(), "cost")) == cost
    assert sum(m["count"] for m in trend_by_month(session, Period())) == complaints
    by_supplier = pareto_by(session, Period(), "count", "supplier")
    assert sum(r.count for r in by_supplier) == complaints
    assert verify_stock(session) == []

    assert session.scalar(select(func.count()).select_from(KbArticle)) >= 4
    hits = search(session, "роботы не включаются")
    assert hits and session.get(KbArticle, hits[0].article_id).title_ru == "Робот не включается"
    hits = search(session, "garantías")
    assert hits and session.get(KbArticle, hits[0].article_id).title_es == "Condiciones de la garantía"
