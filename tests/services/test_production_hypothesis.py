"""Property: the cost of output equals the ledger cost consumed plus labour and overhead, to the kopek.

Random lots (quantities and prices with 4 decimals), random BOM quantities with scrap, random
routing times and rates, reported or not, and an order completed in random partial steps. After
every completion the value that came in equals the value that left plus labour and overhead, and
the ledger's caches still equal its facts.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.production import ProductionOrder, WorkCenter
from app.models.stock import StockMove, Warehouse
from app.services.production import (
    BomInput,
    BomLineInput,
    OperationInput,
    OrderInput,
    RoutingInput,
    complete_order,
    create_bom,
    create_order,
    create_routing,
    release_order,
    report_operation,
)
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
DAY = date(2026, 11, 2)
_counter = itertools.count()


def dec(max_units: int, places: int, minimum: int = 1) -> st.SearchStrategy[Decimal]:
    return st.integers(minimum, max_units * 10**places).map(lambda n: Decimal(n).scaleb(-places))


PART = st.tuples(dec(5, 3), st.sampled_from([D(0), D(3), D("12.5")]),  # qty per unit, scrap %
                 st.lists(st.tuples(st.integers(1, 40), dec(5000, 4, 0)), min_size=1, max_size=3))  # lots
OPERATION = st.tuples(dec(60, 2, 0), dec(30, 3, 0), dec(2000, 4, 0), dec(900, 4, 0),  # set-up, run, rates
                      st.one_of(st.none(), st.tuples(dec(90, 2, 0), dec(200, 3, 0))))  # reported set-up, run


def _items(n: int) -> list[Item]:
    tag = next(_counter)
    out = [Item(code=f"H{tag}-{i}", name=f"H{tag}-{i}", kind="component", unit=f.unit()) for i in range(n)]
    db.session.add_all(out)
    db.session.commit()
    return out


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(PART, min_size=1, max_size=3), ops=st.lists(OPERATION, max_size=3),
       steps=st.lists(dec(3, 2), min_size=1, max_size=3))
def test_output_cost_is_consumed_cost_plus_labour(session, parts, ops, steps):
    wh = session.scalar(select(Warehouse).where(Warehouse.code == "HYP")) or f.warehouse("HYP")
    qty = sum(steps)
    node, *components = _items(len(parts) + 1)
    for it, (per_unit, scrap, lots) in zip(components, parts, strict=True):
        need = per_unit * qty * (100 + scrap) / 100
        total = sum(q for q, _ in lots)
        lots = lots + [(int(need) + 1, D("7.7777"))] if total < need else lots  # enough on the shelf
        f.receipt(wh, [(it, q, c) for q, c in lots], on=date(2026, 10, 1))
    create_bom(session, BomInput(node.id, lines=[BomLineInput(it.id, str(p[0]), scrap_pct=str(p[1]))
                                                 for it, p in zip(components, parts, strict=True)]))
    if ops:
        centres = [WorkCenter(code=f"{node.code}-{n}", name="wc", labour_rate=lab, overhead_rate=ovh)
                   for n, (_, _, lab, ovh, _) in enumerate(ops)]
        session.add_all(centres)
        session.commit()
        create_routing(session, RoutingInput(node.id, operations=[
            OperationInput(10 * (n + 1), "op", wc.id, str(o[0]), str(o[1])) for n, (o, wc) in
            enumerate(zip(ops, centres, strict=True))]))
    order = create_order(session, OrderInput(node.id, str(qty), wh.id, order_date=DAY))
    release_order(session, order.id)
    for op, spec in zip(session.get(ProductionOrder, order.id).operations, ops, strict=True):
        if spec[4] is not None:
            report_operation(session, op.id, str(steps[0]), str(spec[4][0]), str(spec[4][1]))
    for step in steps:
        rec = complete_order(session, order.id, str(step), DAY)
        moves = session.scalars(select(StockMove).where(StockMove.doc_type == "production",
                                                        StockMove.doc_id == rec.id)).all()
        consumed = -sum((m.value for m in moves if m.qty < 0), D(0))
        produced = sum((m.value for m in moves if m.qty > 0), D(0))
        assert consumed == rec.material_cost
        assert produced == rec.output_value == consumed + rec.labour_cost + rec.overhead_cost
        assert produced == produced.quantize(D("0.0001"))
    session.expire_all()
    done = session.get(ProductionOrder, order.id)
    assert done.state == "done" and done.qty_done == qty
    assert f.balance(node, wh)[1] == done.actual_total
    assert verify_stock(session) == []
