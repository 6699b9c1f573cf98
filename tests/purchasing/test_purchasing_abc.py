"""ABC analysis over a hand-built ledger: classes by each criterion, per-class policy (C skipped)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.services.purchasing.abc_report import abc_report, export_rows
from app.services.purchasing.params import parse_params
from tests import factories as f
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


@pytest.fixture
def shop(base):
    """Four parts, all shipped over the last 30 days; sale prices make revenue differ from quantity.

    revenue: P 50 x 100 = 5000, Q 30 x 100 = 3000, R 100 x 10 = 1000, S 100 x 10 = 1000 (10,000 in all)
    """
    wh = f.warehouse()
    items = {}
    for code, price in (("P", "100"), ("Q", "100"), ("R", "10"), ("S", "10")):
        it = f.item(code)
        it.sale_price = D(price)
        items[code] = it
    db.session.commit()
    f.receipt(wh, [(items["P"], 60, 50), (items["Q"], 40, 60), (items["R"], 110, 5), (items["S"], 130, 5)],
              on=TODAY - timedelta(days=40))
    doc = 0
    for code, qty, times in (("P", "25", 2), ("Q", "10", 3), ("R", "50", 2), ("S", "100", 1)):
        for k in range(times):
            doc += 1
            pf.consume(items[code], wh, qty, TODAY - timedelta(days=5 + k), doc_id=doc)
    sup = pf.supplier("Alpha")
    for it in items.values():
        pf.offer(sup, it, "1")
    return wh, items


def _classes(report):
    return {r.code: r.klass for r in report.rows}


def _params(wh, **raw):
    return parse_params("abc", {"warehouse_id": wh.id, "date_from": TODAY - timedelta(days=29), "date_to": TODAY,
                                **raw})


@pytest.mark.parametrize("criterion, expected, values", [
    ("revenue", {"P": "A", "Q": "A", "R": "B", "S": "C"}, {"P": "5000", "Q": "3000", "R": "1000", "S": "1000"}),
    # 280 in all; cumulative before each: R 0, S 35.7, P 71.4 (< 75: A), Q 89.3 (< 90: B)
    ("quantity", {"R": "A", "S": "A", "P": "A", "Q": "B"}, {"R": "100", "S": "100", "P": "50", "Q": "30"}),
    # 8 documents; before each: Q 0, P 37.5, R 62.5 (A), S 87.5 (B)
    ("orders", {"Q": "A", "P": "A", "R": "A", "S": "B"}, {"Q": "3", "P": "2", "R": "2", "S": "1"}),
    # margin: revenue - FIFO cost: P 5000 - 2500, Q 3000 - 1800, R 1000 - 500, S 1000 - 500 (4700 in all);
    # before each: P 0, Q 53.2, R 78.7 (B), S 89.4 (B)
    ("margin", {"P": "A", "Q": "A", "R": "B", "S": "B"}, {"P": "2500", "Q": "1200", "R": "500", "S": "500"}),
])
def test_classes_by_criterion(shop, criterion, expected, values):
    wh, _ = shop
    report = abc_report(db.session, _params(wh, criterion=criterion, threshold_a="75", threshold_b="90"))
    assert _classes(report) == expected
    assert {r.code: r.value for r in report.rows} == {k: D(v) for k, v in values.items()}


def test_report_summary_chart_and_export(shop):
    wh, _ = shop
    report = abc_report(db.session, _params(wh, threshold_a="75", threshold_b="90"))
    assert [(r.code, r.share, r.cumulative) for r in report.rows] == [
        ("P", D("50.00"), D("50.00")), ("Q", D("30.00"), D("80.00")), ("R", D("10.00"), D("90.00")),
        ("S", D("10.00"), D("100.00"))]
    assert report.summary["A"]["count"] == 2 and report.summary["A"]["value"] == D(8000)
    assert report.chart["labels"] == ["P", "Q", "R", "S"] and report.chart["cumulative"][1] == "80.00"
    assert export_rows(report)[0] == [1, "P", "P", D(50), D(5000), D("50.00"), D("50.00"), "A"]


def test_per_class_policy_skips_c(shop):
    """A: 30 days of cover, B: 10 days, C: skip. Daily use over 30 days: P 50/30, Q 1, R 100/30, S 100/30."""
    wh, items = shop
    pf.run("abc", warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY, threshold_a="75",
           threshold_b="90", cover_A="30", cover_B="10", policy_C="skip")
    got = {ln.item.code: (ln.qty, ln.reason["abc_class"]) for ln in pf.lines_of()}
    # P: 1.6667 x 30 = 50.001 - 10 on hand = 40.001; Q: 1 x 30 = 30 - 10 = 20; R: 3.3333 x 10 = 33.333 - 10;
    # pieces are whole: 41, 20, 24
    assert got == {"P": (D(41), "A"), "Q": (D(20), "A"), "R": (D(24), "B")}
    assert "S" not in got  # class C skipped although S (30 on hand) would need 70 for 30 days
    p_line = pf.lines_of(items["P"])[0]
    assert p_line.reason["formula"] == "1.6667 × 30 = 50.001; 50.001 − 10 − 0 = 40.001"
    assert p_line.reason["criterion"] == "revenue"


def test_abc_from_invoices(shop):
    from app.models.partners import Partner
    from app.models.sales import SalesInvoice, SalesInvoiceLine

    wh, items = shop
    client = Partner(name="Robokids", is_customer=True)
    db.session.add(client)
    db.session.flush()
    eur = f.currency("EUR")
    db.session.add(SalesInvoice(number="INV-1", state="posted", invoice_date=TODAY - timedelta(days=3),
                                partner_id=client.id, currency_id=eur.id, rate=D(100), lines=[
                                    SalesInvoiceLine(line_no=1, item_id=items["S"].id, qty=D(2), price=D(30),
                                                     amount=D(60)),
                                    SalesInvoiceLine(line_no=2, item_id=items["P"].id, qty=D(1), price=D(5),
                                                     amount=D(5))]))
    db.session.commit()
    report = abc_report(db.session, _params(wh, source="invoices"))
    assert [(r.code, r.value, r.klass) for r in report.rows] == [("S", D(6000), "A"), ("P", D(500), "B")]
