"""Stock reports read from the ledger and its caches: on hand, item card, lots, valuation, turnover.

Every total is computed by the database (SUM, SUM() OVER, GROUP BY), never by looping over ledger
rows in Python, so the reports stay fast at a million moves. Python only touches the rows of the
page it returns (adding the opening balance to a running sum, dividing value by quantity).

Money and quantity columns are TypeDecorators that store scaled integers on SQLite (app/models/
types.py): SUM, negation, comparison with literals and CASE over one of them are exact on both
databases, but two of them are never multiplied or divided in SQL.

A move counts as incoming when its quantity is positive (or zero with a non-negative value), as
outgoing otherwise, so opening + in - out = closing holds exactly; the reversal of a receipt is
therefore an outgoing move, like a red-ink entry in the journal.

Pages are 1-based; `page_size=None` returns every row (exports and printed reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from app.domain.money import ZERO, exact, round_money
from app.models.catalog import Item, ItemGroup
from app.models.core import Unit
from app.models.stock import StockBalance, StockLot, StockMove, Warehouse

DEFAULT_PAGE_SIZE = 50


# --- shared pieces -----------------------------------------------------------------------------


@dataclass
class Paged:
    """One page of a report: its rows and where it sits in the whole."""

    rows: list
    count: int
    page: int
    page_size: int | None

    @property
    def pages(self) -> int:
        """Number of pages (at least 1, so 'page 1 of 1' reads right for an empty report)."""
        if not self.page_size:
            return 1
        return max(1, -(-self.count // self.page_size))


def language(locale: str | None) -> str:
    """'ru_RU' -> 'ru'; None -> 'en'."""
    return (locale or "en").replace("-", "_").split("_", 1)[0].lower()


def item_label_column(locale: str | None) -> ColumnElement:
    """The item's name in the locale, in SQL: name_ru / name_es when filled, else the default name.

    Table columns, not ORM attributes: a select made only of table columns returns plain rows
    without the ORM's row loading (see on_hand); mixed with ORM attributes they work the same.
    """
    return name_column(Item.__table__, locale)


def name_column(table: Table, locale: str | None) -> ColumnElement:
    """A three-language register's name in the locale, in SQL: name_ru / name_es when filled, else name."""
    column = {"ru": table.c.name_ru, "es": table.c.name_es}.get(language(locale))
    if column is None:
        return table.c.name
    return case((column != "", column), else_=table.c.name)


def unit_label_column(locale: str | None) -> ColumnElement:
    """A unit's short name in the locale (шт, ud); the code (pcs, kg) in English (table columns, as above)."""
    unit = Unit.__table__.c
    column = {"ru": unit.name_ru, "es": unit.name_es}.get(language(locale))
    if column is None:
        return unit.code
    return case((column != "", column), else_=unit.code)


def group_subtree(group_id: int) -> Select:
    """SELECT of the ids of a group and all its descendants (recursive CTE: the group tree)."""
    tree = select(ItemGroup.id).where(ItemGroup.id == group_id).cte("group_tree", recursive=True)
    child = aliased(ItemGroup)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def _items_in_group(group_id: int) -> Select:
    return select(Item.id).where(Item.group_id.in_(group_subtree(group_id)))


def _paginate(stmt: Select, page: int, page_size: int | None) -> Select:
    if page_size is None:
        return stmt
    return stmt.limit(page_size).offset((max(page, 1) - 1) * page_size)


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _page_with_totals(session: Session, stmt: Select, agg: Subquery, totals: Sequence[str], page: int,
                      page_size: int | None) -> tuple[list[tuple], int, list[Decimal]]:
    """A page of `stmt` (rows over the aggregate `agg`) with the row count and the SUM of `totals`.

    The count and sums ride along as window functions over the whole result (computed before
    LIMIT), so the expensive GROUP BY over the ledger runs once per request, not twice. Only a
    page past the end, which has no row to carry them, costs a second query.
    """
    extra = [func.count().over(), *(func.sum(agg.c[name]).over() for name in totals)]
    width = len(stmt.selected_columns)
    rows = session.execute(_paginate(stmt.add_columns(*extra), page, page_size)).all()
    if rows:
        count, *sums = rows[0][width:]
    else:
        count, *sums = session.execute(select(func.count(), *(func.sum(agg.c[n]) for n in totals))).one()
    return [tuple(r[:width]) for r in rows], count or 0, [_z(x) for x in sums]


def _group_keys(session: Session, *columns: ColumnElement) -> list[ColumnElement]:
    """GROUP BY keys for an aggregate over the whole ledger.

    On SQLite `column + 0` keeps the planner off the (item, warehouse, date, id) index: walking it
    fetches every move's row at random (5 s for 1M moves here), while the move_date index or a
    plain scan with a temporary B-tree takes 1.6 s. PostgreSQL plans this by cost by itself.
    """
    if session.get_bind().dialect.name != "sqlite":
        return list(columns)
    return [column + literal_column("0") for column in columns]


def _z(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def unit_cost(value: Decimal | None, qty: Decimal | None) -> Decimal | None:
    """value / qty rounded to money places; None when the quantity is zero."""
    if value is None or not qty:
        return None
    with exact():
        return round_money(value / qty)


def _is_in() -> ColumnElement:
    """Incoming: positive quantity, or zero quantity with a non-negative value (a revaluation up)."""
    return or_(StockMove.qty > 0, and_(StockMove.qty == 0, StockMove.value >= 0))


# --- on hand -----------------------------------------------------------------------------------


class OnHandRow(NamedTuple):
    """One balance row of the on-hand report, in the order the query selects it.

    A named tuple made straight from the result row (tuple.__new__, in C): building the 1,000
    rows of a warehouse as dataclasses cost as much as reading them. `available` and `unit_cost`
    are computed when shown, not for every row read.
    """

    item_id: int
    item_code: str
    item_name: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    qty: Decimal
    reserved: Decimal
    value: Decimal
    unit_id: int

    @property
    def available(self) -> Decimal:
        return self.qty - self.reserved

    @property
    def unit_cost(self) -> Decimal | None:
        return unit_cost(self.value, self.qty)


_QTY, _VALUE, _UNIT_ID = (itemgetter(OnHandRow._fields.index(name)) for name in ("qty", "value", "unit_id"))


@dataclass
class OnHandReport(Paged):
    total_value: Decimal = ZERO
    #: The quantity total is only meaningful when every row has the same unit; else None.
    total_qty: Decimal | None = None


@lru_cache(maxsize=64)
def _on_hand_statements(by_warehouse: bool, by_group: bool, only_nonzero: bool, lang: str, paged: bool
                        ) -> tuple[Select, Select]:
    """The on-hand rows and totals statements for one combination of filters, built once.

    Values go in as bind parameters: building the select per call (and its cache key, with the
    values inlined) cost a third of what reading a warehouse's 1,000 rows does. Table columns
    only, so the rows come back as plain Core rows, without the ORM's row loading.
    """
    bal, item, unit, wh = (m.__table__ for m in (StockBalance, Item, Unit, Warehouse))
    conds: list[ColumnElement] = []
    if by_warehouse:
        conds.append(bal.c.warehouse_id == bindparam("warehouse_id"))
    if by_group:
        conds.append(bal.c.item_id.in_(_items_in_group(bindparam("group_id"))))
    if only_nonzero:
        conds.append(or_(bal.c.qty != 0, bal.c.value != 0, bal.c.reserved != 0))
    rows = (
        select(bal.c.item_id, item.c.code, item_label_column(lang), unit_label_column(lang),
               bal.c.warehouse_id, wh.c.code, name_column(wh, lang), bal.c.qty, bal.c.reserved, bal.c.value,
               item.c.unit_id)
        .join(item, item.c.id == bal.c.item_id).join(unit, unit.c.id == item.c.unit_id)
        .join(wh, wh.c.id == bal.c.warehouse_id)
        .where(*conds).order_by(item.c.code, wh.c.code)
    )
    if paged:
        rows = rows.limit(bindparam("limit")).offset(bindparam("offset"))
    totals = (select(func.count(), func.sum(bal.c.value), func.sum(bal.c.qty),
                     func.count(func.distinct(item.c.unit_id)))
              .select_from(bal).join(item, item.c.id == bal.c.item_id).where(*conds))
    return rows, totals


def on_hand(session: Session, warehouse_id: int | None = None, group_id: int | None = None,
            only_nonzero: bool = True, page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE,
            locale: str = "en") -> OnHandReport:
    """Stock on hand per item and warehouse from the balance cache, with value totals.

    Without a page size every row is returned, so the totals are the sums of those rows; a page
    gets them from a second, aggregate-only query over the same balances.
    """
    rows_stmt, totals_stmt = _on_hand_statements(warehouse_id is not None, group_id is not None, only_nonzero,
                                                 language(locale), page_size is not None)
    params = {"warehouse_id": warehouse_id, "group_id": group_id}
    if page_size is not None:
        params |= {"limit": page_size, "offset": (max(page, 1) - 1) * page_size}
    # one fetchall (not a fetchone per row), each row turned into an OnHandRow in C
    rows = list(map(OnHandRow._make, session.execute(rows_stmt, params).all()))
    if page_size is None:
        count = len(rows)
        total_value, total_qty = sum(map(_VALUE, rows), ZERO), sum(map(_QTY, rows), ZERO)
        units = len(set(map(_UNIT_ID, rows)))
    else:
        count, total_value, total_qty, units = session.execute(totals_stmt, params).one()
    return OnHandReport(rows, count or 0, page, page_size, total_value=_z(total_value),
                        total_qty=_z(total_qty) if units == 1 else None)


# --- item card ---------------------------------------------------------------------------------


def _incoming(move: CardMove, amount: Decimal) -> Decimal | None:
    """The In column of the item card: the amount of an incoming move, empty for an outgoing one."""
    return amount if move.incoming else None


def _outgoing(move: CardMove, amount: Decimal) -> Decimal | None:
    """The Out column: an outgoing move's amount as a positive number, empty for an incoming one."""
    return None if move.incoming else -amount


@dataclass(frozen=True)
class CardMove:
    """One ledger row of an item card with the balance after it."""

    id: int
    move_date: date
    doc_type: str
    doc_id: int
    doc_number: str
    kind: str
    warehouse_code: str
    qty: Decimal
    value: Decimal
    balance_qty: Decimal
    balance_value: Decimal

    @property
    def incoming(self) -> bool:
        return self.qty > 0 or (self.qty == 0 and self.value >= 0)

    qty_in = property(lambda self: _incoming(self, self.qty))
    qty_out = property(lambda self: _outgoing(self, self.qty))
    value_in = property(lambda self: _incoming(self, self.value))
    value_out = property(lambda self: _outgoing(self, self.value))

    @property
    def unit_cost(self) -> Decimal | None:
        return unit_cost(self.value, self.qty)


@dataclass
class ItemCard(Paged):
    item_id: int = 0
    item_code: str = ""
    item_name: str = ""
    unit: str = ""
    warehouse_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    opening_qty: Decimal = ZERO
    opening_value: Decimal = ZERO
    in_qty: Decimal = ZERO
    in_value: Decimal = ZERO
    out_qty: Decimal = ZERO
    out_value: Decimal = ZERO
    closing_qty: Decimal = ZERO
    closing_value: Decimal = ZERO


def _card_conditions(item_id: int, warehouse_id: int | None) -> list[ColumnElement]:
    conds = [StockMove.item_id == item_id]
    if warehouse_id is not None:
        conds.append(StockMove.warehouse_id == warehouse_id)
    return conds


def _period(date_from: date | None, date_to: date | None) -> list[ColumnElement]:
    out = []
    if date_from is not None:
        out.append(StockMove.move_date >= date_from)
    if date_to is not None:
        out.append(StockMove.move_date <= date_to)
    return out


def _flow_sums(incoming: ColumnElement, outgoing: ColumnElement) -> list[ColumnElement]:
    """SUM expressions: in qty, in value, out qty, out value (outgoing as positive numbers)."""
    return [
        func.sum(case((incoming, StockMove.qty), else_=0)),
        func.sum(case((incoming, StockMove.value), else_=0)),
        -func.sum(case((outgoing, StockMove.qty), else_=0)),
        -func.sum(case((outgoing, StockMove.value), else_=0)),
    ]


_CARD_ORDER = (StockMove.move_date, StockMove.id)


def _all_of(*conds: ColumnElement | None) -> ColumnElement | None:
    """AND of the conditions given (None ones left out); None when there is none."""
    present = [c for c in conds if c is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else and_(*present)


def _sum_where(condition: ColumnElement | None, column: ColumnElement) -> ColumnElement:
    """SUM of `column` over the rows where `condition` holds (every row when it is None)."""
    return func.sum(column if condition is None else case((condition, column), else_=0))


def _ahead_of(move: CardMove) -> ColumnElement:
    """Moves before `move` in card order (move_date, id)."""
    return or_(StockMove.move_date < move.move_date,
               and_(StockMove.move_date == move.move_date, StockMove.id < move.id))


def _opening_from_balance(session: Session, date_from: date | None, date_to: date | None) -> bool:
    """Whether to take the opening as the balance cache less the moves since `date_from`.

    The period's moves are read anyway; the opening then costs a pass over either the moves
    before the period (a SUM) or those after it (balance minus the moves since `date_from`).
    Without `date_to` nothing lies after the period. With it, the longer stretch of the ledger's
    dates (two index look-ups on ix_move_date) stands for the longer pass.
    """
    if date_from is None:
        return False
    if date_to is None:
        return True
    # Two subqueries: SQLite answers min() or max() from the index only when it is alone in its query.
    first, last = session.execute(select(select(func.min(StockMove.move_date)).scalar_subquery(),
                                         select(func.max(StockMove.move_date)).scalar_subquery())).one()
    if first is None:
        return False
    return (last - date_to) < (date_from - first)


def _balance(item_id: int, warehouse_id: int | None, column: ColumnElement) -> ColumnElement:
    """The balance cache's `column` for the item (summed over warehouses), as a scalar subquery."""
    conds = [StockBalance.item_id == item_id]
    if warehouse_id is not None:
        conds.append(StockBalance.warehouse_id == warehouse_id)
    return select(func.sum(column)).where(*conds).scalar_subquery()


@dataclass(frozen=True)
class _CardTotals:
    count: int
    opening_qty: Decimal
    opening_value: Decimal
    flows: tuple[Decimal, Decimal, Decimal, Decimal]  # in qty, in value, out qty, out value
    ahead_qty: Decimal  # the period's moves before the page
    ahead_value: Decimal


def _opening_parts(session: Session, item_id: int, warehouse_id: int | None, date_from: date | None,
                   date_to: date | None) -> tuple[list[ColumnElement], dict[str, ColumnElement], bool]:
    """Which moves the totals pass reads and the columns it needs for the opening balance.

    Returns (extra WHERE conditions, labelled columns, whether the opening is balance less since).
    """
    if _opening_from_balance(session, date_from, date_to):
        return [StockMove.move_date >= date_from], {
            "balance_qty": _balance(item_id, warehouse_id, StockBalance.qty),
            "balance_value": _balance(item_id, warehouse_id, StockBalance.value),
            "since_qty": func.sum(StockMove.qty), "since_value": func.sum(StockMove.value),
        }, True
    # Up to date_to, but never short of the opening's moves (an empty period: date_from > date_to).
    scope = [] if date_to is None else [StockMove.move_date <= max(date_to, date_from or date_to)]
    if date_from is None:
        return scope, {}, False
    before = StockMove.move_date < date_from
    return scope, {"opening_qty": _sum_where(before, StockMove.qty),
                   "opening_value": _sum_where(before, StockMove.value)}, False


def _card_totals(session: Session, item_id: int, warehouse_id: int | None, date_from: date | None,
                 date_to: date | None, first: CardMove | None) -> _CardTotals:
    """Count, opening, flows and the sum ahead of the page's `first` move, in one pass over the moves.

    The balance cache is read in the same statement as the moves set against it, so on
    PostgreSQL both come from one snapshot.
    """
    in_period = _all_of(*_period(date_from, date_to))
    flows = _flow_sums(_all_of(in_period, _is_in()), _all_of(in_period, not_(_is_in())))
    columns = {
        "count": func.count() if in_period is None else func.count(case((in_period, 1))),
        **dict(zip(("in_qty", "in_value", "out_qty", "out_value"), flows, strict=True)),
    }
    if first is not None:
        ahead = _all_of(in_period, _ahead_of(first))
        columns |= {"ahead_qty": _sum_where(ahead, StockMove.qty), "ahead_value": _sum_where(ahead, StockMove.value)}
    scope, opening_columns, from_balance = _opening_parts(session, item_id, warehouse_id, date_from, date_to)
    columns |= opening_columns
    row = session.execute(select(*(c.label(k) for k, c in columns.items()))
                          .where(*_card_conditions(item_id, warehouse_id), *scope)).one()._mapping

    def get(name: str) -> Decimal:
        return _z(row.get(name))

    if from_balance:
        opening = (get("balance_qty") - get("since_qty"), get("balance_value") - get("since_value"))
    else:
        opening = (get("opening_qty"), get("opening_value"))
    return _CardTotals(row["count"] or 0, *opening, (get("in_qty"), get("in_value"), get("out_qty"), get("out_value")),
                       get("ahead_qty"), get("ahead_value"))


def _card_page(session: Session, period: list[ColumnElement], page: int,
               page_size: int | None) -> list[CardMove]:
    """The page's moves with running sums over the page alone (balance fields hold those sums).

    The page's ids come from an OFFSET walk over ix_move_item_wh_date's own columns, so the
    skipped moves are never fetched; SUM() OVER then runs over the page's rows only.
    """
    conds = list(period)
    if page_size is not None:
        keys = select(StockMove.id).where(*period).order_by(*_CARD_ORDER)
        conds = [StockMove.id.in_(_paginate(keys, page, page_size))]
    stmt = (
        select(StockMove.id, StockMove.move_date, StockMove.doc_type, StockMove.doc_id, StockMove.doc_number,
               StockMove.kind, Warehouse.code, StockMove.qty, StockMove.value,
               func.sum(StockMove.qty).over(order_by=_CARD_ORDER), func.sum(StockMove.value).over(order_by=_CARD_ORDER))
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id).where(*conds).order_by(*_CARD_ORDER)
    )
    return [CardMove(*r) for r in session.execute(stmt)]


def _carried(rows: list[CardMove], qty: Decimal, value: Decimal) -> list[CardMove]:
    """The page's rows with the balance before the page added to their running sums."""
    return [replace(r, balance_qty=qty + r.balance_qty, balance_value=value + r.balance_value) for r in rows]


def item_card(session: Session, item_id: int, warehouse_id: int | None = None, date_from: date | None = None,
              date_to: date | None = None, page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE,
              locale: str = "en") -> ItemCard:
    """An item's moves in a period with the running balance after each, plus opening and closing.

    The cost does not grow with the page number: the page is found by walking the index alone
    and its running sums cover its own rows; one pass over the period's moves then gives the
    count, the flows and the sum of the moves ahead of the page, which (with the opening) is
    added to them. With `date_from` and no `date_to` the opening is the balance cache less the
    period's moves, so the history before the period is never read.
    """
    item = session.execute(
        select(Item.code, item_label_column(locale), unit_label_column(locale))
        .join(Unit, Unit.id == Item.unit_id).where(Item.id == item_id)
    ).one_or_none()
    if item is None:
        raise LookupError(f"item {item_id} not found")
    period = _card_conditions(item_id, warehouse_id) + _period(date_from, date_to)
    rows = _card_page(session, period, page, page_size)
    t = _card_totals(session, item_id, warehouse_id, date_from, date_to, rows[0] if rows else None)
    in_qty, in_value, out_qty, out_value = t.flows
    return ItemCard(
        _carried(rows, t.opening_qty + t.ahead_qty, t.opening_value + t.ahead_value), t.count, page, page_size,
        item_id=item_id, item_code=item[0], item_name=item[1], unit=item[2],
        warehouse_id=warehouse_id, date_from=date_from, date_to=date_to,
        opening_qty=t.opening_qty, opening_value=t.opening_value, in_qty=in_qty, in_value=in_value,
        out_qty=out_qty, out_value=out_value,
        closing_qty=t.opening_qty + in_qty - out_qty, closing_value=t.opening_value + in_value - out_value,
    )


# --- lots --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LotRow:
    lot_id: int
    code: str
    item_id: int
    item_code: str
    item_name: str
    warehouse_code: str
    received_on: date
    qty: Decimal
    unit_cost: Decimal
    qty_remaining: Decimal
    value_remaining: Decimal
    doc_number: str
    age_days: int


def lots(session: Session, item_id: int | None = None, warehouse_id: int | None = None, only_open: bool = True,
         on_date: date | None = None, page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE,
         locale: str = "en") -> Paged:
    """FIFO lots (cost layers) in FIFO order with their age in days on `on_date` (today)."""
    on_date = on_date or date.today()
    conds: list[ColumnElement] = []
    if item_id is not None:
        conds.append(StockLot.item_id == item_id)
    if warehouse_id is not None:
        conds.append(StockLot.warehouse_id == warehouse_id)
    if only_open:
        conds.append(StockLot.qty_remaining > 0)
    stmt = (
        select(StockLot.id, StockLot.code, StockLot.item_id, Item.code, item_label_column(locale), Warehouse.code,
               StockLot.received_on, StockLot.qty, StockLot.unit_cost, StockLot.qty_remaining,
               StockLot.value_remaining, StockLot.doc_number)
        .join(Item, Item.id == StockLot.item_id).join(Warehouse, Warehouse.id == StockLot.warehouse_id)
        .where(*conds).order_by(StockLot.received_on, StockLot.id)
    )
    rows = [LotRow(*r, age_days=(on_date - r[6]).days) for r in session.execute(_paginate(stmt, page, page_size))]
    return Paged(rows, _count(session, stmt), page, page_size)


# --- valuation at a date -----------------------------------------------------------------------


@dataclass(frozen=True)
class ValuationRow:
    item_id: int
    item_code: str
    item_name: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    qty: Decimal
    value: Decimal

    @property
    def unit_cost(self) -> Decimal | None:
        return unit_cost(self.value, self.qty)


@dataclass
class ValuationReport(Paged):
    on_date: date | None = None
    total_value: Decimal = ZERO


def _move_filters(warehouse_id: int | None, group_id: int | None) -> list[ColumnElement]:
    conds: list[ColumnElement] = []
    if warehouse_id is not None:
        conds.append(StockMove.warehouse_id == warehouse_id)
    if group_id is not None:
        conds.append(StockMove.item_id.in_(_items_in_group(group_id)))
    return conds


def valuation_at(session: Session, on_date: date, warehouse_id: int | None = None, group_id: int | None = None,
                 page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE, locale: str = "en") -> ValuationReport:
    """Quantity and value per item and warehouse at the end of `on_date`, summed from the ledger.

    Read from the moves, not the balance cache, so a past date excludes everything posted later
    (including reversals dated after it).
    """
    qty, value = func.sum(StockMove.qty), func.sum(StockMove.value)
    agg = (
        select(StockMove.item_id, StockMove.warehouse_id, qty.label("qty"), value.label("value"))
        .where(StockMove.move_date <= on_date, *_move_filters(warehouse_id, group_id))
        .group_by(*_group_keys(session, StockMove.item_id, StockMove.warehouse_id))
        .having(or_(qty != 0, value != 0))
        .subquery("valuation")
    )
    stmt = (
        select(agg.c.item_id, Item.code, item_label_column(locale), unit_label_column(locale), agg.c.warehouse_id,
               Warehouse.code, agg.c.qty, agg.c.value)
        .join(Item, Item.id == agg.c.item_id).join(Unit, Unit.id == Item.unit_id)
        .join(Warehouse, Warehouse.id == agg.c.warehouse_id)
        .order_by(Item.code, Warehouse.code)
    )
    rows, count, (total,) = _page_with_totals(session, stmt, agg, ["value"], page, page_size)
    return ValuationReport([ValuationRow(*r) for r in rows], count, page, page_size, on_date=on_date,
                           total_value=total)


# --- turnover ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TurnoverRow:
    item_id: int
    item_code: str
    item_name: str
    unit: str
    opening_qty: Decimal
    opening_value: Decimal
    in_qty: Decimal
    in_value: Decimal
    out_qty: Decimal
    out_value: Decimal
    closing_qty: Decimal
    closing_value: Decimal


@dataclass
class TurnoverReport(Paged):
    date_from: date | None = None
    date_to: date | None = None
    totals: dict[str, Decimal] = field(default_factory=dict)


TURNOVER_COLUMNS = ("opening_qty", "opening_value", "in_qty", "in_value", "out_qty", "out_value",
                    "closing_qty", "closing_value")


def _turnover_sums(date_from: date) -> list[ColumnElement]:
    before = StockMove.move_date < date_from
    in_period = StockMove.move_date >= date_from
    flows = _flow_sums(and_(in_period, _is_in()), and_(in_period, not_(_is_in())))
    return [
        func.sum(case((before, StockMove.qty), else_=0)).label("opening_qty"),
        func.sum(case((before, StockMove.value), else_=0)).label("opening_value"),
        *(expr.label(name) for expr, name in zip(flows, ("in_qty", "in_value", "out_qty", "out_value"),
                                                 strict=True)),
        func.sum(StockMove.qty).label("closing_qty"),
        func.sum(StockMove.value).label("closing_value"),
        func.sum(case((in_period, 1), else_=0)).label("moves"),
    ]


def turnover(session: Session, date_from: date, date_to: date, warehouse_id: int | None = None,
             group_id: int | None = None, page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE,
             locale: str = "en") -> TurnoverReport:
    """Per item: opening, incoming, outgoing and closing quantity and value for a period.

    One GROUP BY over the moves up to `date_to`; an item appears when it had stock at the start or
    moved in the period. With no warehouse chosen a transfer shows as both in and out.
    """
    sums = _turnover_sums(date_from)
    agg = (
        select(StockMove.item_id, *sums)
        .where(StockMove.move_date <= date_to, *_move_filters(warehouse_id, group_id))
        .group_by(*_group_keys(session, StockMove.item_id))
        .having(or_(sums[0] != 0, sums[1] != 0, sums[-1] > 0) if date_from <= date_to else false())
        .subquery("turnover")
    )
    stmt = (
        select(agg.c.item_id, Item.code, item_label_column(locale), unit_label_column(locale),
               *(agg.c[name] for name in TURNOVER_COLUMNS))
        .join(Item, Item.id == agg.c.item_id).join(Unit, Unit.id == Item.unit_id)
        .order_by(Item.code)
    )
    value_columns = [name for name in TURNOVER_COLUMNS if name.endswith("_value")]
    rows, count, totals = _page_with_totals(session, stmt, agg, value_columns, page, page_size)
    return TurnoverReport([TurnoverRow(*r) for r in rows], count, page, page_size, date_from=date_from,
                          date_to=date_to, totals=dict(zip(value_columns, totals, strict=True)))


# --- filter choices ----------------------------------------------------------------------------


def warehouse_choices(session: Session, locale: str | None = None) -> list[tuple[int, str]]:
    """(id, 'CODE — name') of every warehouse, active first, for the report filters."""
    rows = session.execute(select(Warehouse.id, Warehouse.code, name_column(Warehouse.__table__, locale))
                           .order_by(Warehouse.active.desc(), Warehouse.code)).all()
    return [(i, code if name == code else f"{code} — {name}") for i, code, name in rows]


def item_choices(session: Session, locale: str = "en") -> list[tuple[int, str]]:
    """(id, 'CODE name') of the stocked items (services have no stock), in code order."""
    rows = session.execute(select(Item.id, Item.code, item_label_column(locale))
                           .where(Item.kind != "service").order_by(Item.code)).all()
    return [(i, f"{code} {name}") for i, code, name in rows]


def group_choices(session: Session, locale: str = "en") -> list[tuple[int, str]]:
    """(id, name) of the item groups; choosing one includes its subgroups."""
    column = {"ru": ItemGroup.name_ru, "es": ItemGroup.name_es}.get(language(locale))
    label = case((column != "", column), else_=ItemGroup.name) if column is not None else ItemGroup.name
    rows = session.execute(select(ItemGroup.id, ItemGroup.code, label).order_by(ItemGroup.code)).all()
    return [(i, f"{code} {name}") for i, code, name in rows]
