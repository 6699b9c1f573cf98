"""Invariants of sales amounts: a line invoiced in any parts adds up to the line to the kopek; every amount
is rounded to the kopek; the tax is the rounded net times the rate (one rounding rule)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.money import ZERO
from app.models.sales import SalesOrderLine
from app.services.sales import pricing
from app.services.sales.invoices import _invoice_line

KOPEK = Decimal("0.01")

qtys = st.integers(min_value=1, max_value=5000)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.9999"), places=4)
discounts = st.decimals(min_value=0, max_value=100, places=2)
rates = st.sampled_from([Decimal(0), Decimal(10), Decimal(20), Decimal(21), Decimal("12.5")])


@settings(max_examples=300, deadline=None)
@given(qty=qtys, price=prices, discount=discounts, rate=rates, cuts=st.lists(st.integers(1, 5000), max_size=6))
def test_parts_of_a_line_add_up_to_the_line(qty, price, discount, rate, cuts):
    amounts = pricing.line_amounts(Decimal(qty), price, discount, rate)
    line = SalesOrderLine(id=1, qty=Decimal(qty), unit_price=price, discount_pct=discount, amount_net=amounts.net,
                          amount_tax=amounts.tax, amount_total=amounts.total)
    points = sorted({c for c in cuts if c < qty})
    parts = [b - a for a, b in zip([0, *points], [*points, qty], strict=True)]
    done = (ZERO, ZERO, ZERO)
    net = tax = ZERO
    for n, part in enumerate(parts, start=1):
        inv = _invoice_line(n, line, Decimal(part), done, rate)
        assert inv.amount == inv.amount.quantize(KOPEK) and inv.amount_tax == inv.amount_tax.quantize(KOPEK)
        assert inv.amount_total == inv.amount + inv.amount_tax
        done = (done[0] + inv.qty, done[1] + inv.amount, done[2] + inv.amount_tax)
        net, tax = net + inv.amount, tax + inv.amount_tax
    assert (net, tax, net + tax) == (amounts.net, amounts.tax, amounts.total)


@settings(max_examples=300, deadline=None)
@given(qty=qtys, price=prices, discount=discounts, rate=rates)
def test_one_rounding_rule(qty, price, discount, rate):
    a = pricing.line_amounts(Decimal(qty), price, discount, rate)
    exact = Decimal(qty) * price * (100 - discount) / 100
    assert abs(a.net - exact) <= Decimal("0.005")
    assert a.tax == pricing.round_kopek(a.net * rate / 100)
