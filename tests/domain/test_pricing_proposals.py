"""Proposal pricing: FIFO net of reservations, rule resolution, prices and margins, the payment schedule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import pricing as p


def layers(*pairs):
    return [p.Layer.at(D(q), D(c), (n,)) for n, (q, c) in enumerate(pairs)]


def test_reserved_quantity_takes_the_oldest_layers_first():
    lots = layers(("10", "5"), ("10", "7"), ("10", "9"))
    # 12 reserved: all of lot 1 and 2 of lot 2; a demand of 10 takes 8 at 7 and 2 at 9
    res = p.fifo_cost([(lots, D(12))], D(10))
    assert (res.value, res.covered, res.shortfall) == (D(74), D(10), D(0))


def test_demand_beyond_free_stock_is_a_shortfall_with_the_newest_cost():
    # 1 reserved: free are 2 at 5 and 2 at 8
    res = p.fifo_cost([(layers(("3", "5"), ("2", "8")), D(1))], D(10))
    assert (res.value, res.covered, res.shortfall, res.last_unit_cost) == (D(26), D(4), D(6), D(8))


def test_layers_of_several_warehouses_merge_oldest_first():
    a = [p.Layer.at(D(2), D(10), (date(2026, 1, 1), 1)), p.Layer.at(D(2), D(30), (date(2026, 3, 1), 3))]
    b = [p.Layer.at(D(2), D(20), (date(2026, 2, 1), 2))]
    res = p.fifo_cost([(a, D(0)), (b, D(1))], D(4))
    assert res.value == D(2 * 10 + 1 * 20 + 1 * 30)


@given(st.lists(st.tuples(st.integers(1, 50), st.integers(1, 500)), min_size=1, max_size=8),
       st.integers(0, 100), st.integers(1, 200))
def test_fifo_never_takes_more_than_is_free(pairs, reserved, demand):
    lots = layers(*pairs)
    res = p.fifo_cost([(lots, D(reserved))], D(demand))
    free = max(sum(q for q, _ in pairs) - reserved, 0)
    assert res.covered == min(D(demand), D(free))
    assert res.value <= res.covered * max(c for _, c in pairs)


def test_rules_resolve_field_by_field_most_specific_first():
    rules = [p.Rule("all", D(20), D(0), D(10)), p.Rule("group", D(30), None, D(15), group_id=7),
             p.Rule("group", D(40), None, None, group_id=3), p.Rule("partner", None, D(5), None, partner_id=1)]
    assert p.resolve(rules, 1, [7, 3]) == p.Terms(D(30), D(5), D(15))
    assert p.resolve(rules, 2, [3]) == p.Terms(D(40), D(0), D(10))
    assert p.resolve(rules, None, []) == p.Terms(D(20), D(0), D(10))
    assert p.resolve(rules, 1, [7], margin=D(12)).margin_pct == D(12)


def test_prices_margins_tax_and_currency_exactly():
    terms = p.Terms(D(20), D(10), D(15))
    priced = p.price_lines([p.LineIn("a", D(4), D(400), terms), p.LineIn("b", D(2), D("33.33"), p.Terms(D(50)))],
                           rate=D(1), tax_pct=D(20), floor_pct=D(15))
    a, b = priced.lines
    # unit cost 100, margin 20% -> 125; less 10% -> 112.50; 4 x 112.50 = 450; margin (450-400)/450 = 11.11%
    assert (a.list_unit_price, a.unit_price, a.price, a.margin_pct) == (D("125.0000"), D("112.5000"), D("450.0000"),
                                                                        D("11.11"))
    assert a.below_floor and not b.below_floor
    assert (b.unit_cost, b.unit_price, b.price) == (D("16.6650"), D("33.3300"), D("66.6600"))
    # VAT per line, each to the kopek (app.domain.money): 90.00 + 13.332 -> 13.33 = 103.33
    assert (priced.cost, priced.price, priced.tax, priced.total) == (D("433.3300"), D("516.66"), D("103.33"),
                                                                     D("619.99"))
    assert [s.amounts.tax for s in priced.sold] == [D("90.00"), D("13.33")]
    assert priced.margin_pct == D("16.13") and not priced.total_below_floor
    in_eur = p.price_lines([p.LineIn("a", D(1), D(1000), p.Terms(D(20)))], rate=D(100))
    assert in_eur.lines[0].unit_price == D("12.5000") and in_eur.margin_pct == D("20.00")


def test_margin_of_100_or_more_is_refused():
    assert [x.msgid for x in p.term_problems(D(100), D(101))] == [p.MSG_MARGIN_RANGE, p.MSG_DISCOUNT_RANGE]


def test_payment_schedule_must_add_up_to_100_and_amounts_add_up_to_the_total():
    ok = [p.Instalment(1, D(50), "order"), p.Instalment(2, D(50), "delivery", days=10)]
    assert p.schedule_problems(ok) == []
    assert p.schedule_amounts(D("1000.01"), ok) == [D("500.00"), D("500.0100")]
    assert p.due_on(ok[1], {"delivery": date(2026, 12, 1)}) == date(2026, 12, 11)
    assert p.due_on(ok[1], {}) is None
    bad = [p.Instalment(1, D(30), "date"), p.Instalment(2, D(0), "order")]
    assert [x.render() for x in p.schedule_problems(bad)] == [
        "Instalment 1: give the due date", "Instalment 2: the share must be more than 0%",
        "The payment schedule must add up to 100% (now 30%)"]


@pytest.mark.parametrize("cost,margin,price", [(D(80), D(20), D(100)), (D(0), D(30), D(0)), (D(50), D(0), D(50))])
def test_price_for_margin(cost, margin, price):
    assert p.price_for_margin(cost, margin) == price
