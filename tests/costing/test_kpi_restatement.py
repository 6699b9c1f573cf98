"""A cost correction that changes the cost of goods already shipped in a closed KPI period restates it.

The KPI tests' November (tests/kpi/factories_kpi.py): ROBOT lots 4 @ 60 (1 Nov) and 6 @ 70 (2 Nov);
order A shipped 5 on 12 Nov (4 x 60 + 1 x 70), order B 2 on 14 Nov, order A 2 more on 25 Nov, so
the first lot went out whole with the 12 Nov shipment. On 7 Dec (November is closed for the KPIs) a
freight of 10.00 is put on the 1 Nov receipt, dated 7 Dec: the shipment's cost grows by 10.00, so
November's gross margin falls by exactly 10.00 and the KPI job restates it (it watches the shipments'
change stamps, which the re-costing moves).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models.kpi import KpiRestatement, KpiValue
from app.models.sales import Shipment
from app.models.stock import StockDocument
from app.services.costing.corrections import CorrectionInput, create_correction, post_correction
from app.services.kpi.compute import compute_kpis
from tests.kpi import factories_kpi as fk


def test_a_correction_of_shipped_goods_restates_the_closed_months_margin(app, session):
    data = fk.sales_history(session)
    margin = fk.define(session, "gross_margin")
    compute_kpis(session, today=fk.TODAY)
    before = session.scalar(select(KpiValue.value).where(KpiValue.definition_id == margin.id,
                                                         KpiValue.period_start == fk.NOV))
    first = session.scalar(select(StockDocument).where(StockDocument.doc_date == date(2026, 11, 1)))
    corr = create_correction(session, CorrectionInput([first.id], "10", "qty", "landed", fk.TODAY))
    post_correction(session, corr.id)
    stats = compute_kpis(session, today=fk.TODAY)
    assert stats.recomputed.get("gross_margin") == 1
    after = session.scalar(select(KpiValue.value).where(KpiValue.definition_id == margin.id,
                                                        KpiValue.period_start == fk.NOV))
    assert before - after == Decimal("10.00"), (before, after)
    restated = session.scalars(select(KpiRestatement).where(KpiRestatement.definition_id == margin.id)).all()
    assert [r.period_start for r in restated] == [fk.NOV]
    ship = session.scalar(select(Shipment).where(Shipment.order_id == data["a"].id).order_by(Shipment.id))
    assert [(d["label"], Decimal(d["old"]) - Decimal(d["new"])) for d in restated[0].documents] == [
        (ship.number, Decimal(10))]  # the 12 Nov shipment, its margin 10.00 lower
