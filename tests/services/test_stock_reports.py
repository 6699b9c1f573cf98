"""Stock reports on a small hand-built ledger with every figure worked out by hand.

The story (FIFO warehouse MAIN, average-cost warehouse SHOP):
  2026-10-01 receipt MAIN   A 10 @ 100 = 1000
  2026-10-01 receipt MAIN   B  5 @  20 =  100      (its own document, cancelled below)
  2026-10-15 receipt MAIN   A  5 @ 110 =  550
  2026-11-03 issue   MAIN   A 12 -> FIFO 10 x 100 + 2 x 110 = 1220          MAIN A: 3 / 330
  2026-11-10 transfer MAIN -> SHOP  A 1 (from the 110 lot) = 110             MAIN A: 2 / 220
  2026-11-20 receipt MAIN   A  4 @ 120 =  480                                MAIN A: 6 / 700
  2026-11-25 the B receipt is cancelled (reversal -5 / -100)
Item A sits in group CHILD under ROOT; B has no group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from app.models.catalog import Item, ItemGroup
from app.models.stock import StockBalance, Warehouse
from app.services.base import unit_of_work
from app.services.stock import cancel_document, reserve
from app.services.stock import reports as r
from tests import factories as f

D = Decimal
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


@dataclass
class Story:
    main: Warehouse
    shop: Warehouse
    a: Item
    b: Item
    root: ItemGroup
    child: ItemGroup


@pytest.fixture
def story(session) -> Story:
    main, shop = f.warehouse("MAIN"), f.warehouse("SHOP", "average")
    root = ItemGroup(code="ROOT", name="Electronics", name_ru="Электроника")
    session.add(root)
    session.flush()
    child = ItemGroup(code="CHILD", name="Boards", parent_id=root.id)
    session.add(child)
    session.commit()
    a, b = f.item("A-100"), f.item("B-200")
    a.name, a.name_ru, a.name_es, a.group_id = "Board", "Плата", "Placa", child.id
    session.commit()
    f.receipt(main, [(a, 10, "100")], on=date(2026, 10, 1))
    b_receipt = f.receipt(main, [(b, 5, "20")], on=date(2026, 10, 1))
    f.receipt(main, [(a, 5, "110")], on=date(2026, 10, 15))
    f.issue(main, [(a, 12)], on=date(2026, 11, 3))
    f.doc("transfer", main, [(a, 1)], on=date(2026, 11, 10), dest_warehouse_id=shop.id)
    f.receipt(main, [(a, 4, "120")], on=date(2026, 11, 20))
    cancel_document(session, b_receipt.id, date(2026, 11, 25))
    return Story(main, shop, a, b, root, child)


def _balance_row(session, item: Item, wh: Warehouse) -> StockBalance:
    return session.query(StockBalance).filter_by(item_id=item.id, warehouse_id=wh.id).one()


# --- turnover ------------------------------------------------------------------------------------


def test_turnover_of_one_warehouse(session, story):
    rep = r.turnover(session, NOV_1, NOV_30, warehouse_id=story.main.id)
    rows = {row.item_code: row for row in rep.rows}
    assert list(rows) == ["A-100", "B-200"]
    a = rows["A-100"]
    assert (a.opening_qty, a.opening_value) == (D(15), D(1550))
    assert (a.in_qty, a.in_value) == (D(4), D(480))
    assert (a.out_qty, a.out_value) == (D(13), D(1330))
    assert (a.closing_qty, a.closing_value) == (D(6), D(700))
    b = rows["B-200"]
    assert (b.opening_qty, b.opening_value, b.in_qty, b.out_qty, b.out_value) == (D(5), D(100), 0, D(5), D(100))
    assert (b.closing_qty, b.closing_value) == (0, 0)
    assert rep.totals == {"opening_value": D(1650), "in_value": D(480), "out_value": D(1430),
                          "closing_value": D(700)}
    assert rep.count == 2


def test_turnover_identity_and_transfer_both_ways_without_warehouse(session, story):
    rep = r.turnover(session, NOV_1, NOV_30, locale="ru")
    a = next(row for row in rep.rows if row.item_id == story.a.id)
    assert a.item_name == "Плата"
    # the transfer is an out of MAIN and an in of SHOP
    assert (a.in_qty, a.in_value, a.out_qty, a.out_value) == (D(5), D(590), D(13), D(1330))
    assert (a.closing_qty, a.closing_value) == (D(7), D(810))
    for row in rep.rows:
        assert row.opening_qty + row.in_qty - row.out_qty == row.closing_qty
        assert row.opening_value + row.in_value - row.out_value == row.closing_value


def test_turnover_leaves_out_items_that_neither_had_stock_nor_moved(session, story):
    # December: A still has stock (shown with no movement), B was emptied in November (left out)
    rep = r.turnover(session, date(2026, 12, 1), date(2026, 12, 31), warehouse_id=story.main.id)
    assert [(row.item_code, row.opening_qty, row.in_qty, row.out_qty, row.closing_qty) for row in rep.rows] == [
        ("A-100", D(6), 0, 0, D(6))]
    # September: nothing existed yet
    assert r.turnover(session, date(2026, 9, 1), date(2026, 9, 30)).rows == []


def test_turnover_by_group_includes_subgroups(session, story):
    rep = r.turnover(session, NOV_1, NOV_30, warehouse_id=story.main.id, group_id=story.root.id)
    assert [row.item_code for row in rep.rows] == ["A-100"]
    assert rep.totals["closing_value"] == D(700)
    beyond = r.turnover(session, NOV_1, NOV_30, page=3, page_size=1)
    assert (beyond.rows, beyond.count, beyond.totals["in_value"]) == ([], 2, D(590))


# --- valuation at a date -------------------------------------------------------------------------


def test_valuation_at_past_date_excludes_later_moves(session, story):
    rep = r.valuation_at(session, date(2026, 10, 31))
    assert [(row.item_code, row.warehouse_code, row.qty, row.value) for row in rep.rows] == [
        ("A-100", "MAIN", D(15), D(1550)), ("B-200", "MAIN", D(5), D(100))]
    assert rep.total_value == D(1650)
    mid = r.valuation_at(session, date(2026, 11, 15))
    assert [(row.item_code, row.warehouse_code, row.qty, row.value) for row in mid.rows] == [
        ("A-100", "MAIN", D(2), D(220)), ("A-100", "SHOP", D(1), D(110)), ("B-200", "MAIN", D(5), D(100))]
    assert mid.rows[0].unit_cost == D(110)


def test_valuation_today_matches_balances_and_drops_zero_rows(session, story):
    rep = r.valuation_at(session, NOV_30)
    assert [(row.item_code, row.warehouse_code, row.qty, row.value) for row in rep.rows] == [
        ("A-100", "MAIN", D(6), D(700)), ("A-100", "SHOP", D(1), D(110))]
    for row in rep.rows:
        bal = session.query(StockBalance).filter_by(item_id=row.item_id, warehouse_id=row.warehouse_id).one()
        assert (row.qty, row.value) == (bal.qty, bal.value)
    assert rep.total_value == D(810)


def test_valuation_filters_and_pages(session, story):
    only_shop = r.valuation_at(session, NOV_30, warehouse_id=story.shop.id)
    assert [(row.warehouse_code, row.value) for row in only_shop.rows] == [("SHOP", D(110))]
    ungrouped_item = r.valuation_at(session, date(2026, 10, 31), group_id=story.child.id)
    assert [row.item_code for row in ungrouped_item.rows] == ["A-100"]
    p2 = r.valuation_at(session, date(2026, 11, 15), page=2, page_size=2)
    assert (p2.count, p2.pages, [row.item_code for row in p2.rows]) == (3, 2, ["B-200"])
    assert p2.total_value == D(430)  # totals cover every page
    past_the_end = r.valuation_at(session, date(2026, 11, 15), page=5, page_size=2)
    assert (past_the_end.rows, past_the_end.count, past_the_end.total_value) == ([], 3, D(430))


# --- item card -----------------------------------------------------------------------------------


def test_item_card_running_balance_ends_at_the_balance_row(session, story):
    card = r.item_card(session, story.a.id, story.main.id, NOV_1, NOV_30, locale="es")
    assert card.item_name == "Placa"
    assert (card.opening_qty, card.opening_value) == (D(15), D(1550))
    assert [(m.kind, m.qty, m.value, m.balance_qty, m.balance_value) for m in card.rows] == [
        ("issue", D(-12), D(-1220), D(3), D(330)),
        ("transfer", D(-1), D(-110), D(2), D(220)),
        ("receipt", D(4), D(480), D(6), D(700)),
    ]
    bal = _balance_row(session, story.a, story.main)
    assert (card.rows[-1].balance_qty, card.rows[-1].balance_value) == (bal.qty, bal.value)
    assert (card.closing_qty, card.closing_value) == (bal.qty, bal.value)
    assert (card.in_qty, card.in_value, card.out_qty, card.out_value) == (D(4), D(480), D(13), D(1330))
    assert card.rows[0].qty_out == D(12) and card.rows[0].qty_in is None and card.rows[2].unit_cost == D(120)


def test_item_card_pages_keep_the_running_balance(session, story):
    whole = r.item_card(session, story.a.id, story.main.id)
    assert whole.count == 5 and (whole.opening_qty, whole.opening_value) == (0, 0)
    first = r.item_card(session, story.a.id, story.main.id, page=1, page_size=2)
    last = r.item_card(session, story.a.id, story.main.id, page=3, page_size=2)
    assert (first.count, first.pages, len(first.rows)) == (5, 3, 2)
    assert [(m.balance_qty, m.balance_value) for m in first.rows] == [(D(10), D(1000)), (D(15), D(1550))]
    assert [(m.balance_qty, m.balance_value) for m in last.rows] == [(D(6), D(700))]
    assert [m.id for m in first.rows + last.rows] == [whole.rows[i].id for i in (0, 1, 4)]


def test_item_card_all_warehouses_and_reversal(session, story):
    card = r.item_card(session, story.a.id)
    assert (card.closing_qty, card.closing_value) == (D(7), D(810))
    assert card.rows[-1].balance_qty == D(7)
    assert sorted({m.warehouse_code for m in card.rows}) == ["MAIN", "SHOP"]
    b_card = r.item_card(session, story.b.id, story.main.id, date_from=NOV_1)
    assert [(m.kind, m.move_date, m.balance_qty, m.balance_value) for m in b_card.rows] == [
        ("reversal", date(2026, 11, 25), 0, 0)]
    assert b_card.rows[0].qty_out == D(5) and b_card.out_value == D(100)


def test_item_card_of_unknown_item_raises(session, story):
    with pytest.raises(LookupError):
        r.item_card(session, 999_999)


# --- on hand and lots ----------------------------------------------------------------------------


def test_on_hand_with_reservation_and_totals(session, story):
    with unit_of_work(session):
        reserve(session, "sales_order", 1, "SO-1", story.a.id, story.main.id, D(2))
    rep = r.on_hand(session, locale="ru")
    assert [(x.item_name, x.warehouse_code, x.qty, x.reserved, x.available, x.value) for x in rep.rows] == [
        ("Плата", "MAIN", D(6), D(2), D(4), D(700)), ("Плата", "SHOP", D(1), 0, D(1), D(110))]
    assert (rep.count, rep.total_value, rep.total_qty) == (2, D(810), D(7))
    everything = r.on_hand(session, only_nonzero=False)
    assert [x.item_code for x in everything.rows] == ["A-100", "A-100", "B-200"]
    assert r.on_hand(session, warehouse_id=story.shop.id).total_value == D(110)
    assert r.on_hand(session, group_id=story.root.id, only_nonzero=False).count == 2
    page2 = r.on_hand(session, only_nonzero=False, page=2, page_size=2)
    assert (page2.pages, [x.item_code for x in page2.rows], page2.total_value) == (2, ["B-200"], D(810))
    wire = f.item("W-1")
    wire.unit = f.unit("kg")
    session.commit()
    f.receipt(story.main, [(wire, "1.5", "10")], on=NOV_30)
    mixed = r.on_hand(session)
    assert (mixed.total_qty, mixed.total_value) == (None, D(825))  # pieces and kilograms don't add up


def test_lots_in_fifo_order_with_age(session, story):
    open_lots = r.lots(session, item_id=story.a.id, warehouse_id=story.main.id, on_date=NOV_30)
    assert [(x.received_on, x.qty_remaining, x.value_remaining, x.age_days) for x in open_lots.rows] == [
        (date(2026, 10, 15), D(2), D(220), 46), (date(2026, 11, 20), D(4), D(480), 10)]
    every = r.lots(session, item_id=story.a.id, only_open=False, on_date=NOV_30)
    # the emptied first lot too; SHOP values at average cost, so the transfer made no lot there
    assert [(x.warehouse_code, x.received_on, x.qty_remaining) for x in every.rows] == [
        ("MAIN", date(2026, 10, 1), 0), ("MAIN", date(2026, 10, 15), D(2)), ("MAIN", date(2026, 11, 20), D(4))]
    assert every.count == 3
