"""Stock turnover nets a cancelled shipment's reversal out of consumption (the ledger pass looks for
reversals only where its grouped read saw one)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models.kpi import KpiValue
from app.models.sales import Shipment
from app.services.kpi.compute import compute_kpis
from app.services.sales.shipments import cancel_shipment
from tests.kpi import factories_kpi as fk


def test_turnover_gives_back_a_reversed_sale(app, session):
    fk.sales_history(session)  # 660 received in November, 590 shipped (310 + 140 + 140)
    late = session.scalar(select(Shipment).where(Shipment.ship_date == date(2026, 11, 25)))
    cancel_shipment(session, late.id, on_date=date(2026, 11, 28))  # 140 back on the shelf
    defn = fk.define(session, "stock_turnover")
    compute_kpis(session, today=fk.TODAY)
    value = session.scalar(select(KpiValue.value).where(KpiValue.definition_id == defn.id,
                                                        KpiValue.period_start == fk.NOV))
    assert value == Decimal("4.2857")  # 450 consumed / ((0 + 210) / 2), not 590 / 105
