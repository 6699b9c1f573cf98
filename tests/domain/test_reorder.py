"""Reorder arithmetic: each method's need and formula on exact tables; rounding invariants by hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.reorder import (
    Stock,
    cover_need,
    daily_rate,
    demand_need,
    minimum_need,
    minmax_need,
    round_order_qty,
    rounding_note,
    sales_need,
)

D = Decimal


@pytest.mark.parametrize("need, min_qty, pack, expected", [
    ("0", "10", "4", "0"), ("-3", None, None, "0"), ("7", None, None, "7"), ("7", "10", None, "10"),
    ("7", "10", "4", "12"), ("7", None, "4", "8"), ("8", None, "4", "8"), ("12.5", "0", "0.5", "12.5"),
    ("0.1", "0", "25", "25"), ("2.5", None, None, "2.5"),
])
def test_round_order_qty(need, min_qty, pack, expected):
    assert round_order_qty(D(need), D(min_qty) if min_qty else None, D(pack) if pack else None) == D(expected)


@pytest.mark.parametrize("consumed, days, lead, safety, stock, qty, formula", [
    ("30", 30, 7, 5, Stock(D(5), D(0), D(2)), "5", "30 ÷ 30 = 1; 1 × (7 + 5) = 12; 12 − 5 − 2 = 5"),
    ("30", 30, 7, 5, Stock(D(50)), "0", "30 ÷ 30 = 1; 1 × (7 + 5) = 12; 12 − 50 − 0 = -38"),
    ("10", 3, 2, 0, Stock(D(1), D(2)), "7.6666",
     "10 ÷ 3 = 3.3333; 3.3333 × (2 + 0) = 6.6666; 6.6666 − (-1) − 0 = 7.6666"),
    ("9", 90, 10, 20, Stock(D(0), D(0), D(0), D(1)), "2", "9 ÷ 90 = 0.1; 0.1 × (10 + 20) = 3; 3 − 0 − 0 − 1 = 2"),
])
def test_sales_need(consumed, days, lead, safety, stock, qty, formula):
    need = sales_need(D(consumed), days, lead, safety, stock)
    assert need.formula == formula
    assert need.qty == D(qty) == max(D(formula.rsplit("= ", 1)[1]), D(0))


def test_daily_rate_refuses_empty_period():
    with pytest.raises(ValueError):
        daily_rate(D(1), 0)


@pytest.mark.parametrize("minimum, maximum, stock, qty, formula", [
    ("200", "1000", Stock(D(120)), "880", "120 < 200; 1000 − 120 − 0 = 880"),
    ("40", "80", Stock(D(40)), "0", "40 ≥ 40"),
    ("5", "10", Stock(D(6), D(3), D(1)), "6", "4 < 5; 10 − 3 − 1 = 6"),
    ("5", "10", Stock(D(0), D(0), D(0), D(6)), "0", "6 ≥ 5"),
])
def test_minmax_need(minimum, maximum, stock, qty, formula):
    need = minmax_need(D(minimum), D(maximum), stock)
    assert (need.qty, need.formula) == (D(qty), formula)


def test_minimum_cover_and_demand():
    assert minimum_need(D(5), Stock(D(2))).qty == D(3)
    assert minimum_need(D(5), Stock(D(5))).qty == D(0)
    n = cover_need(D("1.5"), 30, Stock(D(10), D(0), D(5)))
    assert (n.qty, n.formula) == (D(30), "1.5 × 30 = 45; 45 − 10 − 5 = 30")
    d = demand_need(D(11), Stock(D(4)))
    assert (d.qty, d.formula) == (D(7), "11 − 4 − 0 = 7")
    assert rounding_note(D(7), D(12)) == "7 → 12" and rounding_note(D(7), D(7)) == ""


qty = st.decimals(min_value=D("0.000001"), max_value=D(10**6), places=6)


@given(qty, st.one_of(st.none(), qty), st.one_of(st.none(), qty))
def test_rounding_never_orders_less(need, min_qty, pack):
    got = round_order_qty(need, min_qty, pack)
    assert got >= need
    if min_qty:
        assert got >= min_qty
    if pack:
        assert (got / pack) == (got / pack).to_integral_value()
        assert got - pack < max(need, min_qty or D(0))  # one pack fewer would not be enough
