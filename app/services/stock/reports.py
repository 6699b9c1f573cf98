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
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, false, func, literal_column, not_, or_, select
from sqlalchemy.orm import Session, aliased

from app.domain.money import ZERO, round_money
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
    """The item's name in the locale, in SQL: name_ru / name_es when filled, else the default name."""
    column = {"ru": Item.name_ru, "es": Item.name_es}.get(language(locale))
    if column is None:
        return Item.name
    return case((column != "", column), else_=Item.name)


def unit_label_column(locale: str | None) -> ColumnElement:
    """A unit's short name in the locale (шт, ud); the code (pcs, kg) in English."""
    column = {"ru": Unit.name_ru, "es": Unit.name_es}.get(language(locale))
    if column is None:
        return Unit.code
    return case((column != "", column), else_=Unit.code)


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
    with localcontext() as ctx:
        ctx.prec = 60
        return round_money(value / qty)


def _is_in() -> ColumnElement:
    """Incoming: positive quantity, or zero quantity with a non-negative value (a revaluation up)."""
    return or_(StockMove.qty > 0, and_(StockMove.qty == 0, StockMove.value >= 0))


# --- on hand -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnHandRow:
    item_id: int
    item_code: str
    item_name: str
    unit: str
    warehouse_id: int
    warehouse_code: str
    warehouse_name: str
    qty: Decimal
    reserved: Decimal
    available: Decimal
    value: Decimal

    @property
    def unit_cost(self) -> Decimal | None:
        return unit_cost(self.value, self.qty)


@dataclass
class OnHandReport(Paged):
    total_value: Decimal = ZERO
    #: The quantity total is only meaningful when every row has the same unit; else None.
    total_qty: Decimal | None = None


def on_hand(session: Session, warehouse_id: int | None = None, group_id: int | None = None,
            only_nonzero: bool = True, page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE,
            locale: str = "en") -> OnHandReport:
    """Stock on hand per item and warehouse from the balance cache, with value totals."""
    conds: list[ColumnElement] = []
    if warehouse_id is not None:
        conds.append(StockBalance.warehouse_id == warehouse_id)
    if group_id is not None:
        conds.append(StockBalance.item_id.in_(_items_in_group(group_id)))
    if only_nonzero:
        conds.append(or_(StockBalance.qty != 0, StockBalance.value != 0, StockBalance.reserved != 0))
    stmt = (
        select(StockBalance.item_id, Item.code, item_label_column(locale), unit_label_column(locale),
               StockBalance.warehouse_id, Warehouse.code, Warehouse.name, StockBalance.qty,
               StockBalance.reserved, StockBalance.qty - StockBalance.reserved, StockBalance.value)
        .join(Item, Item.id == StockBalance.item_id).join(Unit, Unit.id == Item.unit_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(*conds).order_by(Item.code, Warehouse.code)
    )
    rows = [OnHandRow(*r) for r in session.execute(_paginate(stmt, page, page_size))]
    count, value, qty, units = session.execute(
        select(func.count(), func.sum(StockBalance.value), func.sum(StockBalance.qty),
               func.count(func.distinct(Item.unit_id)))
        .join(Item, Item.id == StockBalance.item_id).where(*conds)
    ).one()
    return OnHandReport(rows, count or 0, page, page_size, total_value=_z(value),
                        total_qty=_z(qty) if units == 1 else None)


# --- item card ---------------------------------------------------------------------------------


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

    @property
    def qty_in(self) -> Decimal | None:
        return self.qty if self.incoming else None

    @property
    def qty_out(self) -> Decimal | None:
        return None if self.incoming else -self.qty

    @property
    def value_in(self) -> Decimal | None:
        return self.value if self.incoming else None

    @property
    def value_out(self) -> Decimal | None:
        return None if self.incoming else -self.value

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


def item_card(session: Session, item_id: int, warehouse_id: int | None = None, date_from: date | None = None,
              date_to: date | None = None, page: int = 1, page_size: int | None = DEFAULT_PAGE_SIZE,
              locale: str = "en") -> ItemCard:
    """An item's moves in a period with the running balance after each, plus opening and closing.

    The running sums come from SUM() OVER (ORDER BY move_date, id) over the period's moves; the
    opening balance (everything before `date_from`) is added to them for the returned page only.
    """
    item = session.execute(
        select(Item.code, item_label_column(locale), unit_label_column(locale))
        .join(Unit, Unit.id == Item.unit_id).where(Item.id == item_id)
    ).one_or_none()
    if item is None:
        raise LookupError(f"item {item_id} not found")
    base = _card_conditions(item_id, warehouse_id)
    opening_qty, opening_value = ZERO, ZERO
    if date_from is not None:
        q, v = session.execute(select(func.sum(StockMove.qty), func.sum(StockMove.value))
                               .where(*base, StockMove.move_date < date_from)).one()
        opening_qty, opening_value = _z(q), _z(v)
    period = base + _period(date_from, date_to)
    count, *flows = session.execute(select(func.count(), *_flow_sums(_is_in(), not_(_is_in()))).where(*period)).one()
    in_qty, in_value, out_qty, out_value = (_z(x) for x in flows)
    order = (StockMove.move_date, StockMove.id)
    ledger = (
        select(StockMove.id, StockMove.move_date, StockMove.doc_type, StockMove.doc_id, StockMove.doc_number,
               StockMove.kind, Warehouse.code.label("warehouse_code"), StockMove.qty, StockMove.value,
               func.sum(StockMove.qty).over(order_by=order).label("run_qty"),
               func.sum(StockMove.value).over(order_by=order).label("run_value"))
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id).where(*period).subquery("card")
    )
    stmt = select(ledger).order_by(ledger.c.move_date, ledger.c.id)
    rows = [
        CardMove(r.id, r.move_date, r.doc_type, r.doc_id, r.doc_number, r.kind, r.warehouse_code, r.qty, r.value,
                 opening_qty + r.run_qty, opening_value + r.run_value)
        for r in session.execute(_paginate(stmt, page, page_size))
    ]
    return ItemCard(
        rows, count or 0, page, page_size, item_id=item_id, item_code=item[0], item_name=item[1], unit=item[2],
        warehouse_id=warehouse_id, date_from=date_from, date_to=date_to,
        opening_qty=opening_qty, opening_value=opening_value, in_qty=in_qty, in_value=in_value,
        out_qty=out_qty, out_value=out_value,
        closing_qty=opening_qty + in_qty - out_qty, closing_value=opening_value + in_value - out_value,
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


def warehouse_choices(session: Session) -> list[tuple[int, str]]:
    """(id, 'CODE — name') of every warehouse, active first, for the report filters."""
    rows = session.execute(select(Warehouse.id, Warehouse.code, Warehouse.name)
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
