"""Row-level reads and writes of stock documents for create_document and post_document.

The document services (documents.py) keep the rules; this module keeps their hot path off the
ORM's unit of work, which cost more than everything else a one-line document does:
- validation reads items and warehouses as narrow rows (ItemInfo, WarehouseInfo), not ORM objects
  with photos and three names;
- a new draft and its lines go in with Core inserts, their audit rows written by
  audit.record_created exactly as the flush's events would have written them;
- posting locks the document with its warehouses in one query and reads its lines with their items
  and units as rows in another (LineRow); line values and the document's new state are written
  with one UPDATE each, the "post" audit row with audit.record.

Statements are built once (with bind parameters): building a select per call, with its values
inlined, cost more than running it. ORM statements are built on first use, not at import, so
the mappers are configured only once every model module is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import Session, load_only, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.domain.errors import DomainError
from app.domain.money import ZERO
from app.models.base import DocState, utcnow
from app.models.catalog import Item
from app.models.core import Unit
from app.models.stock import DOC_COUNT, VALUATION_FIFO, StockDocument, StockDocumentLine, Warehouse
from app.services import audit, driver_sql
from app.services.stock import ledger_rows

_DOC = StockDocument.__table__
_LINE = StockDocumentLine.__table__
_WH = Warehouse.__table__
_UNIT = Unit.__table__


class ItemInfo(NamedTuple):
    """What posting and validation read of an item: one narrow row instead of the ORM Item
    (whose photo and three names a posting has no use for)."""

    id: int
    code: str
    kind: str
    unit_id: int
    standard_cost: Decimal | None


class WarehouseInfo(NamedTuple):
    id: int
    active: bool
    valuation: str

    @property
    def is_fifo(self) -> bool:
        return self.valuation == VALUATION_FIFO


_ITEM_COLUMNS = (Item.__table__.c.id, Item.__table__.c.code, Item.__table__.c.kind, Item.__table__.c.unit_id,
                 Item.__table__.c.standard_cost)
_WH_COLUMNS = (Warehouse.__table__.c.id, Warehouse.__table__.c.active, Warehouse.__table__.c.valuation)


def _by_ids(*columns) -> tuple:
    """SELECT columns WHERE id = :id, and WHERE id IN :ids (one id is the common case and needs
    no expanding IN rendered per call)."""
    return (select(*columns).where(columns[0] == bindparam("id")),
            select(*columns).where(columns[0].in_(bindparam("ids", expanding=True))))


_ITEM_INFO = _by_ids(*_ITEM_COLUMNS)
_WH_INFO = _by_ids(*_WH_COLUMNS)


@cache
def _items_stmts() -> tuple:
    """A new line's audit row names its item ("1: P-001 Arduino Nano"), so create loads ORM Items,
    with only what that and validation read. Built on first use: ORM options at import time would
    configure the mappers before every model module is imported."""
    only = load_only(Item.code, Item.name, Item.name_ru, Item.name_es, Item.kind, Item.unit_id, Item.standard_cost)
    return (select(Item).where(Item.id == bindparam("id")).options(only),
            select(Item).where(Item.id.in_(bindparam("ids", expanding=True))).options(only))


def _fetch_by_ids(session: Session, stmts: tuple, ids: set[int | None]):
    ids = {i for i in ids if i is not None}
    if not ids:
        return []
    if len(ids) == 1:
        return session.execute(stmts[0], {"id": next(iter(ids))})
    return session.execute(stmts[1], {"ids": sorted(ids)})


def _rows_by_ids(session: Session, stmts: tuple, ids: set[int | None]):
    """Like _fetch_by_ids, as plain rows; one id (a one-line document) runs on the driver."""
    ids = {i for i in ids if i is not None}
    if len(ids) == 1:
        return driver_sql.fetch(session, stmts[0], {"id": next(iter(ids))})
    return _fetch_by_ids(session, stmts, ids)


def item_infos(session: Session, ids: set[int | None]) -> dict[int, ItemInfo]:
    return {r[0]: ItemInfo(*r) for r in _rows_by_ids(session, _ITEM_INFO, ids)}


def orm_items(session: Session, ids: set[int | None]) -> dict[int, Item]:
    return {item.id: item for item in _fetch_by_ids(session, _items_stmts(), ids).scalars()} if ids - {None} else {}


def warehouse_infos(session: Session, ids: set[int | None]) -> dict[int, WarehouseInfo]:
    return {r[0]: WarehouseInfo(*r) for r in _rows_by_ids(session, _WH_INFO, ids)}


def new_object(cls: type, values: dict):
    """A new (transient) ORM object holding `values`, made without attribute events.

    The constructor's per-attribute events (history, backrefs) and the unit of work's flush are
    what a Core insert of the object makes unnecessary: insert_new writes it and marks it persistent.
    """
    obj = cls._sa_class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def insert_new(session: Session, doc: StockDocument, lines: list[StockDocumentLine],
               audit_rows: list[dict] | None = None, items: dict[int, ItemInfo] | None = None,
               attach: bool = True, written: dict | None = None) -> None:
    """Write a validated draft and its lines with two Core inserts, their audit rows with a third
    (or added to `audit_rows`, for the caller to write with the rest of its use case's).

    `written` (posted_values: a document created and posted in one use case) goes into the document's
    INSERT over the draft's values, so posting needs no UPDATE of the row; the object and its "create"
    audit row keep the draft's values until mark_posted(written=True) applies them with the "post" row.

    The unit of work's flush (dependency sort, per-object events and history) cost more than all
    the rest of create_document. The audit rows are the ones its events would have written
    (audit.record_created); the objects end up detached and clean, as after a flush, and are
    added to the session unless `attach` is False: a use case that commits right after adds the
    document once committed (attach_committed), so the commit has nothing to expire and reload.
    """
    row = row_with_defaults(doc)
    doc.id = driver_sql.insert_returning_id(session, _DOC, {**row, **written} if written else row)
    line_rows = []
    for line in lines:
        line.document_id = doc.id
        line_rows.append(row_with_defaults(line))
    ledger_rows.insert_with_ids(session, _LINE, line_rows)
    for line, row in zip(lines, line_rows, strict=True):
        line.id = row["id"]
        make_transient_to_detached(line)
    make_transient_to_detached(doc)
    if attach:
        session.add(doc)  # cascades to its lines: persistent, nothing left to flush
    # lines made without their ORM item (create reads items as rows) take its code for the title from `items`
    related = [{}, *({"item": items.get(ln.item_id)} if items else {} for ln in lines)]
    created = audit.created_rows([doc, *lines], related)
    if audit_rows is None:
        audit.write(session, created)
    else:
        audit_rows.extend(created)


def attach_committed(session: Session, doc: StockDocument) -> None:
    """Add a document written by insert_new(attach=False) once its transaction committed: persistent
    with the values it was written with (they are what the rows hold), its lines loaded.

    What session.add does for it, without the mapper's cascade walk over every relationship of the
    document and its lines (a tenth of a one-line document's CPU): the only related objects it holds
    are its lines (insert_new made both detached with their identity keys), added one by one.
    """
    lines = doc.__dict__.get("lines") or ()
    states = [inspect(obj) for obj in (doc, *lines)]
    if any(st.key is None or st.session_id is not None for st in states):
        session.add(doc)  # not as insert_new left it: the public path
        return
    for st in states:
        session._update_impl(st)  # noqa: SLF001 - Session.add's own step for a detached object, less the cascade


_SERVER = object()  # a column the database fills (server default): left out of the INSERT


@cache
def _insert_plan(mapper) -> tuple[tuple[str, str, bool, object, bool], ...]:
    """Per mapped column, once per class: (attribute, column, default is callable, default or None or
    _SERVER, primary key). Walking the columns' defaults per object cost more than the INSERT."""
    plan = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        default = column.default
        if default is not None and (default.is_scalar or default.is_callable):
            plan.append((prop.key, column.key, default.is_callable, default.arg, column.primary_key))
        else:
            plan.append((prop.key, column.key, False, None if column.server_default is None else _SERVER,
                         column.primary_key))
    return tuple(plan)


def row_with_defaults(obj) -> dict:
    """The INSERT values of a new object: what it holds plus its columns' Python-side defaults
    (also set on the object, as a flush would), None for the rest (as after a flush: reading them
    needs no query), without a primary key that is still None."""
    state = inspect(obj)
    held = state.dict
    row = {}
    for key, column_key, is_callable, default, primary in _insert_plan(state.mapper):
        if key in held:
            value = held[key]
        elif default is _SERVER:
            continue
        else:
            value = default(None) if is_callable else default
        if value is None and primary:
            continue
        if key not in held:
            held[key] = value  # as the flush would leave it; a new object tracks no history
        row[column_key] = value
    return row


def column_values(obj) -> dict:
    """The scalar column values an object holds now (after its flush: what the row contains)."""
    state = inspect(obj)
    return {c.key: state.dict[c.key] for c in state.mapper.column_attrs if c.key in state.dict}


def keep_loaded(obj, values: dict) -> None:
    """Give a just-committed object back the values it was written with.

    The commit expired them, so the caller's next `doc.id` would start a transaction and reload
    the row; right after the commit these values are what the row holds. Relationships stay
    expired and load on first use.
    """
    for key, value in values.items():
        set_committed_value(obj, key, value)


_DEST = _WH.alias("dest_warehouse")


@cache
def _lock_stmts() -> tuple:
    """The document locked with its warehouses, and its lines with their items (built on first use)."""
    doc = (
        select(StockDocument, *_WH_COLUMNS, _DEST.c.id, _DEST.c.active, _DEST.c.valuation)
        .outerjoin(_WH, _WH.c.id == StockDocument.warehouse_id)
        .outerjoin(_DEST, _DEST.c.id == StockDocument.dest_warehouse_id)
        .where(StockDocument.id == bindparam("doc_id")).with_for_update(of=StockDocument)
        .execution_options(populate_existing=True)
    )
    lines = (select(*(_LINE.c[name] for name in LineRow.__slots__), _UNIT.c.code, *_ITEM_COLUMNS)
             .join(Item.__table__, _ITEM_COLUMNS[0] == _LINE.c.item_id)
             .outerjoin(_UNIT, _UNIT.c.id == _LINE.c.unit_id)
             .where(_LINE.c.document_id == bindparam("doc_id"))
             .order_by(_LINE.c.line_no, _LINE.c.id))
    return doc, lines


@dataclass(slots=True)
class LineRow:
    """A document line read as a row for posting: the attributes posting reads and writes of a
    StockDocumentLine, without loading ORM objects the caller never sees."""

    id: int
    line_no: int
    item_id: int
    unit_id: int | None
    qty: Decimal | None
    unit_cost: Decimal | None
    lot_id: int | None
    book_qty: Decimal | None
    value: Decimal | None


@dataclass
class Locked:
    """A document locked for posting, with its lines as rows and what validation reads of its
    items, units and warehouses."""

    doc: StockDocument
    lines: list[LineRow]
    items: dict[int, ItemInfo]
    warehouses: dict[int, WarehouseInfo]
    unit_codes: dict[int, str]


def lock_document(session: Session, doc_id: int) -> Locked:
    """The document row locked and its lines loaded fresh, with their items and warehouses as rows."""
    select_doc, select_lines = _lock_stmts()
    found = session.execute(select_doc, {"doc_id": doc_id}).first()
    if found is None:
        raise DomainError("Document not found")
    doc = found[0]
    warehouses = {wh[0]: WarehouseInfo(*wh) for wh in (found[1:4], found[4:7]) if wh[0] is not None}
    lines, items, units = [], {}, {}
    width = len(LineRow.__slots__)
    for row in session.execute(select_lines, {"doc_id": doc_id}):
        line = LineRow(*row[:width])  # a draft's value is a given inbound value (else None): posting keeps it
        lines.append(line)
        units[line.unit_id] = row[width]
        items[line.item_id] = ItemInfo(*row[width + 1:])
    return Locked(doc, lines, items, warehouses, units)


_UPDATE_LINE_VALUE = update(_LINE).where(_LINE.c.id == bindparam("b_id")).values(
    value=bindparam("b_value", type_=_LINE.c.value.type))
_UPDATE_LINE_COUNTED = update(_LINE).where(_LINE.c.id == bindparam("b_id")).values(
    value=bindparam("b_value", type_=_LINE.c.value.type), book_qty=bindparam("b_book", type_=_LINE.c.book_qty.type))


def write_line_values(session: Session, doc: StockDocument, lines: list, values: dict[int, Decimal]) -> None:
    """Each line's posted value (and a count's book quantity) in one executemany.

    Both are left out of the audit log (the document's post row records the posting), so the
    unit of work would only have added a per-line flush and history check for nothing. ORM lines
    get the values as their committed state.
    """
    counted = doc.doc_type == DOC_COUNT
    params = [{"b_id": ln.id, "b_value": values.get(ln.id, ZERO)} for ln in lines]
    if counted:
        for p, ln in zip(params, lines, strict=True):
            p["b_book"] = ln.book_qty
    driver_sql.execute_many(session, _UPDATE_LINE_COUNTED if counted else _UPDATE_LINE_VALUE, params)
    for p, ln in zip(params, lines, strict=True):
        if isinstance(ln, LineRow):
            ln.value = p["b_value"]
        else:
            set_committed_value(ln, "value", p["b_value"])
            if counted:
                set_committed_value(ln, "book_qty", p["b_book"])


_UPDATE_DOC_POSTED = update(_DOC).where(_DOC.c.id == bindparam("b_id")).values(
    number=bindparam("b_number"), state=bindparam("b_state"), posted_at=bindparam("b_posted_at"),
    posted_by=bindparam("b_posted_by"), updated_at=bindparam("b_updated_at"))


def _audit_value(value: object) -> object:
    """A value as the audit log's change records hold it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def posted_values(number: str, username: str) -> dict:
    """What posting writes on the document row: number, state, who and when."""
    now = utcnow()
    return {"number": number, "state": DocState.POSTED, "posted_at": now, "posted_by": username, "updated_at": now}


def mark_posted(session: Session, doc: StockDocument, values: dict, audit_rows: list[dict] | None = None,
                written: bool = False) -> None:
    """Number and state of the posted document (posted_values), with its one "post" audit row.

    The same row audit.transition + a flush would write (action post, the changed fields with
    before and after, the document's number as summary), from one UPDATE and one INSERT without
    the unit of work; no UPDATE when the row was `written` posted already (insert_new). The
    document is locked (or new in this transaction), so `doc` holds the row's values before posting.
    """
    changes = {key: [_audit_value(getattr(doc, key)), _audit_value(value)] for key, value in values.items()
               if key != "updated_at" and _audit_value(getattr(doc, key)) != _audit_value(value)}
    if not written:
        driver_sql.execute(session, _UPDATE_DOC_POSTED, {"b_id": doc.id, **{f"b_{k}": v for k, v in values.items()}})
    for key, value in values.items():
        set_committed_value(doc, key, value)
    row = audit.event_row("post", doc, summary=str(doc), changes=changes)
    if audit_rows is None:
        audit.write(session, [row])
    else:
        audit_rows.append(row)
