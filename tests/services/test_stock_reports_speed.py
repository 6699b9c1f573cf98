"""What the read-path speed work must not change: item card pages, on-hand totals, permission checks.

The item card no longer runs its window over the whole period: it finds the page by walking the
index, sums the moves ahead of the page, and may take the opening from the balance cache. These
tests hold every page of every filter combination against an oracle computed in Python from the
ledger rows, on a ledger with same-day moves, a back-dated receipt, a transfer and a reversal, so
any page boundary, tie on the date or opening path that goes wrong shows up as a wrong figure.

The on-hand report computes its totals from the rows when it returns all of them; they must equal
the aggregate query a paged report runs.

The security manager caches a request's role permissions in flask.g (one query instead of one per
menu entry). Tests keep one app context across requests, as the bench does, so these check that a
role's changed rights and another user's roles are seen on the very next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models.catalog import Item
from app.models.stock import StockMove, Warehouse
from app.permissions import ACTION_READ, RESOURCE_STOCK_DOCUMENT, perm
from app.services.base import unit_of_work
from app.services.stock import cancel_document, reserve
from app.services.stock import reports as r
from tests import factories as f

D = Decimal
DAY0 = date(2026, 10, 1)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


@dataclass
class Ledger:
    main: Warehouse
    shop: Warehouse
    x: Item


@pytest.fixture
def ledger(session) -> Ledger:
    """Item X in MAIN (FIFO) and SHOP (average), plus Y in MAIN so the filters have something to drop."""
    main, shop = f.warehouse("MAIN"), f.warehouse("SHOP", "average")
    x, y = f.item("X-1"), f.item("Y-1")
    f.receipt(main, [(x, 10, "10.3333"), (x, 5, "11.1111"), (y, 3, "7")], on=day(0))
    f.issue(main, [(x, 4)], on=day(2))
    f.receipt(main, [(x, 7, "12.05")], on=day(2))
    f.doc("transfer", main, [(x, 3)], on=day(5), dest_warehouse_id=shop.id)
    f.receipt(shop, [(x, 2, "13.5")], on=day(9))
    f.issue(main, [(x, 2), (x, 1)], on=day(9))
    late = f.receipt(main, [(x, 6, "9.99")], on=day(12))
    f.receipt(main, [(x, 4, "10.01")], on=day(1))  # back-dated: a higher id on an earlier date
    f.issue(main, [(x, 5)], on=day(15))
    f.issue(shop, [(x, 1)], on=day(20))
    cancel_document(session, late.id, day(21))
    f.receipt(main, [(x, 8, "10.5")], on=day(25))
    f.issue(main, [(x, 3)], on=day(25))
    f.issue(main, [(x, 2)], on=day(30))
    return Ledger(main, shop, x)


def _incoming(m: StockMove) -> bool:
    return m.qty > 0 or (m.qty == 0 and m.value >= 0)


@dataclass
class Expected:
    opening: tuple[Decimal, Decimal]
    flows: tuple[Decimal, Decimal, Decimal, Decimal]
    closing: tuple[Decimal, Decimal]
    rows: list[tuple[int, Decimal, Decimal]]  # move id, balance qty and value after it


def oracle(session, item: Item, warehouse: Warehouse | None, date_from: date | None,
           date_to: date | None) -> Expected:
    """The item card worked out in Python from every ledger row of the item."""
    moves = sorted(session.scalars(select(StockMove).where(StockMove.item_id == item.id)),
                   key=lambda m: (m.move_date, m.id))
    if warehouse is not None:
        moves = [m for m in moves if m.warehouse_id == warehouse.id]
    before = [m for m in moves if date_from is not None and m.move_date < date_from]
    period = [m for m in moves if (date_from is None or m.move_date >= date_from)
              and (date_to is None or m.move_date <= date_to)]
    qty, value = sum((m.qty for m in before), D(0)), sum((m.value for m in before), D(0))
    opening = (qty, value)
    rows = []
    for m in period:
        qty, value = qty + m.qty, value + m.value
        rows.append((m.id, qty, value))
    ins = [m for m in period if _incoming(m)]
    outs = [m for m in period if not _incoming(m)]
    flows = (sum((m.qty for m in ins), D(0)), sum((m.value for m in ins), D(0)),
             -sum((m.qty for m in outs), D(0)), -sum((m.value for m in outs), D(0)))
    closing = (opening[0] + flows[0] - flows[2], opening[1] + flows[1] - flows[3])
    return Expected(opening, flows, closing, rows)


PERIODS = [
    (None, None),
    (2, None),  # opening from the balance cache less the period
    (None, 12),
    (2, 12),  # early period: opening as a SUM of the moves before it
    (15, 25),  # late period: opening from the balance cache
    (9, 9),
    (25, 5),  # an empty period: the opening still counts everything before date_from
    (-10, 40),  # wider than the ledger
]


def _check_every_page(session, ledger: Ledger, warehouse: Warehouse | None, date_from: date | None,
                      date_to: date | None) -> None:
    want = oracle(session, ledger.x, warehouse, date_from, date_to)
    wh_id = None if warehouse is None else warehouse.id
    for size in (None, 1, 3, 4):
        pages = 1 if size is None else -(-len(want.rows) // size)
        seen = []
        for page in range(1, pages + 2):  # one page past the end too
            card = r.item_card(session, ledger.x.id, wh_id, date_from, date_to, page=page, page_size=size)
            where = f"size {size} page {page}"
            assert card.count == len(want.rows), where
            assert (card.opening_qty, card.opening_value) == want.opening, where
            assert (card.in_qty, card.in_value, card.out_qty, card.out_value) == want.flows, where
            assert (card.closing_qty, card.closing_value) == want.closing, where
            seen += [(m.id, m.balance_qty, m.balance_value) for m in card.rows]
            if size is None:
                break
        assert seen == want.rows, f"size {size}"


@pytest.mark.parametrize("in_main", [True, False], ids=["MAIN", "all warehouses"])
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_every_page_matches_the_ledger(session, ledger, in_main, start, end):
    date_from = None if start is None else day(start)
    date_to = None if end is None else day(end)
    _check_every_page(session, ledger, ledger.main if in_main else None, date_from, date_to)


@pytest.mark.parametrize(("from_balance", "start", "end"), [
    (True, 2, 12), (False, 2, 12), (True, 15, 25), (False, 15, 25), (True, 25, 5), (False, 25, 5), (True, 2, None),
])
def test_both_ways_to_the_opening_agree(session, ledger, monkeypatch, from_balance, start, end):
    """Whichever side of the period the card reads for its opening, the figures are the same.

    (Without date_to the card always takes the balance, so that case has one way only.)
    """
    monkeypatch.setattr(r, "_opening_from_balance", lambda *args: from_balance)
    for warehouse in (ledger.main, ledger.shop, None):
        _check_every_page(session, ledger, warehouse, day(start), None if end is None else day(end))


def test_the_ledger_has_what_the_card_must_handle(session, ledger):
    """Guard for the fixture: same-day moves, a move whose id and date disagree, a reversal."""
    moves = list(session.scalars(select(StockMove).where(StockMove.item_id == ledger.x.id)
                                 .order_by(StockMove.id)))
    dates = [m.move_date for m in moves]
    assert len(dates) > len(set(dates))
    assert dates != sorted(dates)
    assert any(m.kind == "reversal" for m in moves)
    assert any(m.value != m.value.to_integral_value() for m in moves)


def test_the_last_row_of_the_last_page_is_the_balance_row(session, ledger):
    card = r.item_card(session, ledger.x.id, ledger.main.id, page_size=3)
    last = r.item_card(session, ledger.x.id, ledger.main.id, page=card.pages, page_size=3)
    assert (last.rows[-1].balance_qty, last.rows[-1].balance_value) == f.balance(ledger.x, ledger.main)
    assert (last.closing_qty, last.closing_value) == f.balance(ledger.x, ledger.main)


# --- on hand ----------------------------------------------------------------------------------


def test_on_hand_totals_of_all_rows_equal_the_paged_totals(session, ledger):
    with unit_of_work(session):
        reserve(session, "sales_order", 1, "SO-1", ledger.x.id, ledger.main.id, D(2))
    for kwargs in ({}, {"warehouse_id": ledger.main.id}, {"only_nonzero": False}):
        every = r.on_hand(session, page_size=None, **kwargs)
        paged = r.on_hand(session, page=1, page_size=1, **kwargs)
        assert (every.count, every.total_value, every.total_qty) == (paged.count, paged.total_value,
                                                                     paged.total_qty), kwargs
        assert every.total_value == sum((row.value for row in every.rows), D(0))
        assert every.total_qty is not None
    rows = r.on_hand(session, page_size=None).rows
    row = next(x for x in rows if (x.item_code, x.warehouse_code) == ("X-1", "MAIN"))
    assert (row.qty, row.reserved, row.available) == (row.qty, D(2), row.qty - D(2))


def test_on_hand_of_all_rows_in_mixed_units_has_no_quantity_total(session, ledger):
    wire = f.item("W-1")
    wire.unit = f.unit("kg")
    session.commit()
    f.receipt(ledger.main, [(wire, "2", "3.5")], on=day(30))
    every, paged = r.on_hand(session, page_size=None), r.on_hand(session, page_size=2)
    assert every.total_qty is None and paged.total_qty is None
    assert every.total_value == paged.total_value
    assert r.on_hand(session, page_size=None, only_nonzero=False, warehouse_id=ledger.shop.id).count == 1


# --- permission checks: one query per request, never reused by the next --------------------------


def _permission_queries(client, url: str) -> tuple[int, int]:
    """(status, statements that read FAB's permission tables) of GET url."""
    log: list[str] = []

    def on_execute(conn, cursor, statement, *args) -> None:
        log.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return status, sum("ab_permission_view" in s for s in log)


def test_a_page_reads_the_permissions_once_per_process_and_version(app, login_as):
    client = login_as("Warehouse")
    app.appbuilder.sm.__dict__.pop("_rights_cache", None)  # as a worker just started
    # the first request reads them, the next ones keep them while the security stamp stays (app/security.py)
    assert [_permission_queries(client, "/stock/on-hand/") for _ in range(2)] == [(200, 1), (200, 0)]


def test_a_role_change_applies_on_the_next_request(app, login_as):
    sm = app.appbuilder.sm
    sales = login_as("Sales")
    role = sm.find_role("Sales")
    pv = sm.find_permission_view_menu(perm(ACTION_READ), RESOURCE_STOCK_DOCUMENT)
    assert pv is not None and pv not in role.permissions
    pv_id = pv.id
    assert sales.get("/receiptview/list/").status_code == 403
    try:
        sm.add_permission_role(role, pv)
        db.session.remove()
        assert sales.get("/receiptview/list/").status_code == 200
    finally:  # PostgreSQL keeps the ab_ tables between tests: always take the grant back
        role = sm.find_role("Sales")
        sm.del_permission_role(role, sm.find_permission_view_menu(perm(ACTION_READ), RESOURCE_STOCK_DOCUMENT))
        revoked = pv_id not in {p.id for p in role.permissions}
        db.session.remove()
    assert revoked
    assert sales.get("/receiptview/list/").status_code == 403


def test_users_in_turn_each_get_their_own_rights(app, login_as):
    admin, sales = login_as("Admin"), login_as("Sales")
    assert [c.get("/receiptview/list/").status_code for c in (admin, sales, admin, sales)] == [200, 403, 200, 403]
    assert [c.get("/stock/on-hand/").status_code for c in (sales, admin)] == [200, 200]


def test_outside_a_request_the_check_still_answers(app):
    """CLI and jobs have no request: the check falls back to FAB's own query, with the same answer."""
    sm = app.appbuilder.sm
    warehouse, sales = sm.find_role("Warehouse"), sm.find_role("Sales")
    read_docs = (RESOURCE_STOCK_DOCUMENT, perm(ACTION_READ))
    assert sm.exist_permission_on_roles(*read_docs, [warehouse.id]) is True
    assert sm.exist_permission_on_roles(*read_docs, [sales.id]) is False
    assert sm.exist_permission_on_roles(*read_docs, [sales.id, warehouse.id]) is True
