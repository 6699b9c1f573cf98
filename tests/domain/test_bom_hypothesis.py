"""Explosion invariants on random multi-level BOMs (DAGs with shared nodes, scrap, batch sizes).

The explosion's totals must equal the sum over its levels and an independent recursive
computation, and scale linearly with the quantity; an added edge that closes a cycle is always
found, and the path it reports is a real cycle of the graph.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import bom as b

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZERO = Decimal(0)


def dec(max_units: int, places: int, minimum: int = 1) -> st.SearchStrategy[Decimal]:
    return st.integers(minimum, max_units * 10**places).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def books(draw) -> tuple[dict[int, b.BomSpec], int]:
    """Items 0..n-1; item i may use only items j > i, so the graph is a DAG; item 0 is the top."""
    n = draw(st.integers(2, 9))
    book = {}
    for i in range(n - 1):
        if i and not draw(st.booleans()):
            continue  # a bought-in part
        comps = draw(st.lists(st.integers(i + 1, n - 1), min_size=1, max_size=4))
        lines = tuple(b.BomLineSpec(c, draw(dec(20, 3)), draw(st.sampled_from([ZERO, Decimal(5), Decimal("2.5")])),
                                    draw(st.booleans()) and c == n - 1) for c in comps)
        book[i] = b.BomSpec(i, lines, draw(st.sampled_from([Decimal(1), Decimal(2), Decimal(3), Decimal("0.5")])))
    if 0 not in book:
        book[0] = b.BomSpec(0, (b.BomLineSpec(n - 1, Decimal(1)),))
    return book, n


def reference(book, item, qty, acc: dict) -> None:
    """The textbook recursion, written independently of the module."""
    spec = book[item]
    for line in spec.lines:
        with localcontext() as ctx:
            ctx.prec = 60
            q = qty * line.qty / spec.output_qty * (100 + line.scrap_pct) / 100
        key = ("bp" if line.byproduct else "in", line.component)
        acc[key] = acc.get(key, ZERO) + q
        if not line.byproduct and line.component in book:
            reference(book, line.component, q, acc)


def close(a: Decimal, b_: Decimal) -> bool:
    """Equal to 24 significant digits (the module keeps 60; a test's own sums run in the 28-digit default)."""
    return abs(a - b_) <= Decimal("1e-24") * max(abs(a), abs(b_))


@SETTINGS
@given(books(), dec(100, 2))
def test_totals_equal_sum_over_levels_and_reference(case, qty):
    book, _ = case
    ex = b.explode(book, 0, qty)
    by_level = ex.by_level()
    summed: dict = {}
    for level in by_level.values():
        for item, q in level.items():
            summed[item] = summed.get(item, ZERO) + q
    assert summed.keys() == ex.gross().keys()
    assert all(close(summed[i], ex.gross()[i]) for i in summed)
    ref: dict = {}
    reference(book, 0, qty, ref)
    assert {i for k, i in ref if k == "in"} == set(ex.gross())
    assert all(close(ex.gross()[i], ref[("in", i)]) for i in ex.gross())
    assert all(close(ex.byproducts()[i], ref[("bp", i)]) for i in ex.byproducts())
    leaves = ex.leaves()
    assert set(leaves) == {i for i in ex.gross() if i not in book}


@SETTINGS
@given(books(), dec(50, 2), st.integers(2, 7))
def test_explosion_scales_linearly(case, qty, k):
    book, _ = case
    one = b.explode(book, 0, qty).gross()
    many = b.explode(book, 0, qty * k).gross()
    assert one.keys() == many.keys()
    assert all(close(many[i], one[i] * k) for i in one)


@SETTINGS
@given(books(), st.data())
def test_an_edge_back_up_is_a_cycle_with_its_path(case, data):
    book, n = case
    graph = b.edges_of(book)
    parent = data.draw(st.integers(0, n - 1))
    component = data.draw(st.integers(0, parent))  # j <= i: back up (or the item itself)
    path = b.cycle_if_added(graph, parent, component)
    reaches = component == parent or b.path_between(graph, component, parent) is not None
    assert (path is not None) == reaches
    if path is not None:
        assert path[0] == parent == path[-1] and path[1] == component
        for a, c in zip(path[1:], path[2:], strict=False):
            assert c in graph.get(a, ())
        graph[parent].add(component)
        assert b.find_cycle(graph) is not None
    assert b.find_cycle(b.edges_of(book)) is None
