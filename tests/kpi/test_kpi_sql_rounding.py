"""The database rounds each document's share as the Python flows do: half up to the kopek, in base
currency at any rate; the stored figure is the Decimal sum of its
lineage exactly (SQLite: scaled integers and the registered function; PostgreSQL: numeric)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.models.kpi import KpiFact
from app.models.sales import SalesInvoice
from app.services.kpi import metrics, sql_flows
from app.services.kpi.compute import compute_kpis, fact_documents
from tests import factories as f
from tests.kpi import factories_kpi as fk
from tests.sales import factories_sales as fs

D = Decimal
NOV = date(2026, 11, 1)
# (net, rate): half a kopek at rate 1, a foreign amount at an 8-place rate, half a kopek after the rate
AMOUNTS = [("10.0050", "1"), ("20.0049", "1"), ("33.3333", "92.12345678"), ("0.0034", "1.5")]


def test_sql_shares_equal_the_python_flow_and_the_lineage_sums_to_the_figure(app, session):
    client, rub = fs.client(), f.currency("RUB")
    for n, (net, rate) in enumerate(AMOUNTS):
        session.add(SalesInvoice(number=f"INV-R{n}", kind="invoice", state="posted", invoice_date=date(2026, 11, 5),
                                 due_date=date(2026, 11, 15), partner_id=client.id, currency_id=rub.id, rate=D(rate),
                                 tax_rate=0, amount_net=D(net), amount_tax=0, amount_total=D(net), amount_paid=0))
    session.commit()
    sql_flows.prepare(session)
    by_sql = {r.ref_id: r.num for r in session.execute(sql_flows.revenue(session, NOV, fk.TODAY))}
    by_python = {p.ref_id: p.num for p in metrics._revenue(session, NOV, fk.TODAY)}
    assert by_sql == by_python
    assert sorted(by_python.values()) == [D("0.01"), D("10.01"), D("20.00"), D("3070.78")]
    fk.define(session, "revenue")
    compute_kpis(session, today=fk.TODAY)
    fact = session.scalar(select(KpiFact).where(KpiFact.metric == "revenue", KpiFact.period_start == NOV,
                                                KpiFact.period_kind == "month", KpiFact.employee_key == 0))
    docs = fact_documents(session, [fact])[fact.id]
    assert fact.value == sum((d.num for d in docs), D(0)) == D("3100.80")
    assert compute_kpis(session, today=fk.TODAY).facts_written == 0  # the database's fingerprint is stable
