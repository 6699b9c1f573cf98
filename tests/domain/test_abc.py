"""ABC classification: Pareto cuts on hand-made tables, and invariants checked by hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.abc import check_thresholds, classify, summary

D = Decimal


@pytest.mark.parametrize("values, a, b, expected", [
    # 50 / 30 / 10 / 6 / 4 of 100: cumulative before each: 0, 50, 80, 90, 96
    ({"p": "50", "q": "30", "r": "10", "s": "6", "t": "4"}, 80, 95, {"p": "A", "q": "A", "r": "B", "s": "B", "t": "C"}),
    # the item crossing the A threshold is still A
    ({"x": "90", "y": "10"}, 80, 95, {"x": "A", "y": "B"}),
    ({"only": "7"}, 80, 95, {"only": "A"}),
    # zero and negative values (a loss-making item by margin) are C
    ({"a": "10", "b": "0", "c": "-5"}, 80, 95, {"a": "A", "b": "C", "c": "C"}),
    # ties ranked by key, so the result never depends on dict order
    ({"k2": "5", "k1": "5", "k3": "5", "k4": "5"}, 50, 75, {"k1": "A", "k2": "A", "k3": "B", "k4": "C"}),
    ({}, 80, 95, {}),
])
def test_classes(values, a, b, expected):
    rows = classify({k: D(v) for k, v in values.items()}, D(a), D(b))
    assert {r.key: r.klass for r in rows} == expected


def test_shares_and_summary_exact():
    rows = classify({"p": D(50), "q": D(30), "r": D(20)}, D(70), D(90))
    assert [(r.key, r.share, r.cumulative, r.rank) for r in rows] == [
        ("p", D("50.00"), D("50.00"), 1), ("q", D("30.00"), D("80.00"), 2), ("r", D("20.00"), D("100.00"), 3)]
    s = summary(rows)
    assert (s["A"]["count"], s["A"]["value"], s["A"]["share"]) == (2, D(80), D("80.00"))
    assert (s["B"]["count"], s["C"]["count"]) == (1, 0)


@pytest.mark.parametrize("a, b, problems", [
    (80, 95, []), (80, 100, []),
    (95, 80, ["Thresholds must increase: A below B"]),
    (80, 80, ["Thresholds must increase: A below B"]),
    (0, 95, ["Thresholds are percentages between 0 and 100"]),
    (80, 120, ["Thresholds are percentages between 0 and 100"]),
])
def test_threshold_checks(a, b, problems):
    assert check_thresholds(D(a), D(b)) == problems


def test_bad_thresholds_raise():
    with pytest.raises(ValueError):
        classify({"x": D(1)}, D(90), D(50))


values = st.dictionaries(st.integers(0, 500), st.decimals(min_value=0, max_value=10**6, places=2), max_size=40)


@given(values, st.integers(1, 98))
def test_invariants(data, a):
    b = D(a + 1)
    rows = classify(data, D(a), b)
    assert len(rows) == len(data)
    order = {"A": 0, "B": 1, "C": 2}
    # classes never go back up along the ranking, and values never increase
    assert all(order[x.klass] <= order[y.klass] for x, y in zip(rows, rows[1:], strict=False))
    assert all(x.value >= y.value for x, y in zip(rows, rows[1:], strict=False))
    if any(v > 0 for v in data.values()):
        assert rows[0].klass == "A" and rows[-1].cumulative == D("100.00")
    # everything before the A cut is A
    total = sum(data.values(), D(0))
    running = D(0)
    for r in rows:
        if r.value > 0 and total and running * 100 / total < a:
            assert r.klass == "A"
        running += r.value
