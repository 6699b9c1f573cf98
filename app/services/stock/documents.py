"""Stock documents: create drafts, post them through the ledger, cancel them by reversal.

One table serves six document types (receipt, issue / write-off, transfer, stock count, customer
return, return to supplier); what each posts is decided here, in `_requests_for`. Posted documents
are never edited: `assert_editable` is called by every view and API before a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.domain import move_kinds
from app.domain.documents import STOCK_DOCUMENT
from app.domain.errors import Collector, DomainError
from app.domain.money import (
    MAX_MONEY,
    MAX_QTY,
    ZERO,
    exact,
    parse_decimal,
    parse_money,
    parse_quantity,
    round_money,
    round_qty,
)
from app.models.base import DocState
from app.models.catalog import Item, UnitConversion
from app.models.core import Unit
from app.models.stock import (
    DOC_COUNT,
    DOC_CUSTOMER_RETURN,
    DOC_ISSUE,
    DOC_OPENING,
    DOC_PREFIXES,
    DOC_RECEIPT,
    DOC_TRANSFER,
    STOCK_DOC_TYPES,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLot,
)
from app.services import audit, driver_sql
from app.services.base import current_actor, in_use_case, unit_of_work
from app.services.sequences import next_number
from app.services.stock import document_rows as rows
from app.services.stock.document_rows import ItemInfo, WarehouseInfo
from app.services.stock.ledger import DocRef, MoveRequest, lock_balances, post_moves, reverse_moves
from app.services.workflow import after_transition, check, transition

INBOUND_COSTED = (DOC_RECEIPT, DOC_CUSTOMER_RETURN, DOC_OPENING)
# exchange rates are stored with 8 places (StockDocument.rate, CurrencyRate.rate), not money's 4
RATE_PLACES = 8
MAX_RATE = Decimal(10) ** (18 - RATE_PLACES) - Decimal(1).scaleb(-RATE_PLACES)


@dataclass
class LineInput:
    """A document line as a user or API sends it: raw values, validated by the service."""

    item_id: int | None
    qty: object
    unit_code: str | None = None
    unit_cost: object = None
    lot_id: int | None = None
    note: str = ""
    # an inbound line's value, kept exactly (3 units worth 100.00 post 100.00, not 3 x 33.3333 = 99.9999);
    # the unit cost, when not given, is derived from it for display
    value: object = None


@dataclass
class DocumentInput:
    doc_type: str
    warehouse_id: int | None
    doc_date: date | None = None
    lines: list[LineInput] = field(default_factory=list)
    dest_warehouse_id: int | None = None
    partner_name: str = ""
    currency_id: int | None = None
    partner_id: int | None = None
    shipment_id: int | None = None  # a customer return: the shipment the goods come back from
    rate: object = None
    reason: str = ""
    note: str = ""
    source_ref: str = ""


# --- validation ------------------------------------------------------------------------------


def _unit_factor(session: Session, item: Item | ItemInfo, unit_id: int | None, cache: dict) -> Decimal | None:
    """Base units per one `unit_id` of the item (1 for its own unit); None if not defined."""
    if unit_id is None or unit_id == item.unit_id:
        return Decimal(1)
    key = (item.id, unit_id)
    if key not in cache:
        cache[key] = session.scalar(select(UnitConversion.factor).where(
            UnitConversion.item_id == item.id, UnitConversion.unit_id == unit_id))
    return cache[key]


def base_qty(session: Session, line: StockDocumentLine, cache: dict | None = None) -> Decimal | None:
    factor = _unit_factor(session, line.item, line.unit_id, {} if cache is None else cache)
    if factor is None or line.qty is None:
        return None
    return round_qty(line.qty * factor)


def _validate_header(doc: StockDocument, lines: list, problems: Collector, warehouses: dict[int, WarehouseInfo]
                     ) -> None:
    if doc.doc_type not in STOCK_DOC_TYPES:
        problems.add("Unknown document type %(type)s", type=doc.doc_type)
    wh = warehouses.get(doc.warehouse_id)
    if wh is None or not wh.active:
        problems.add("Choose an active warehouse", field="warehouse")
    if doc.doc_type == DOC_TRANSFER:
        dest = warehouses.get(doc.dest_warehouse_id) if doc.dest_warehouse_id else None
        if dest is None or not dest.active:
            problems.add("Choose the destination warehouse of the transfer", field="dest_warehouse")
        elif dest.id == doc.warehouse_id:
            problems.add("The destination warehouse must differ from the source", field="dest_warehouse")
    if doc.doc_type == DOC_ISSUE and not (doc.reason or "").strip():
        problems.add("Give the reason of the write-off", field="reason")
    if doc.rate is not None and doc.rate <= 0:
        problems.add("The exchange rate must be positive", field="rate")
    if not lines:
        problems.add("The document has no lines")


def _validate_line(session: Session, doc: StockDocument, line: StockDocumentLine, problems: Collector,
                   cache: dict, item: ItemInfo | Item | None, unit_codes: dict[int, str]) -> None:
    n = line.line_no
    if item is None:
        problems.add("Choose an item", line=n, field="item_id")
        return
    if item.kind == "service":
        problems.add("%(item)s is a service and has no stock", line=n, field="item_id", item=item.code)
    if line.qty is None:
        if not getattr(line, "_qty_unparsed", False):
            problems.add("A number is required", line=n, field="qty")
    elif doc.doc_type == DOC_COUNT and line.qty < 0:
        problems.add("The counted quantity cannot be negative", line=n, field="qty")
    elif doc.doc_type != DOC_COUNT and line.qty <= 0:
        problems.add("Quantity must be positive", line=n, field="qty")
    factor = _unit_factor(session, item, line.unit_id, cache)
    if factor is None:
        unit = getattr(line, "unit", None)  # a LineRow comes with its unit's code in unit_codes
        code = unit_codes.get(line.unit_id) or (unit.code if unit else "?")
        problems.add("Unit %(unit)s is not defined for %(item)s", line=n, field="unit", unit=code, item=item.code)
    if doc.doc_type in INBOUND_COSTED and line.unit_cost is None and not getattr(line, "_cost_unparsed", False):
        problems.add("Enter the unit cost", line=n, field="unit_cost")
    if line.unit_cost is not None and line.unit_cost < 0:
        problems.add("Unit cost cannot be negative", line=n, field="unit_cost")
    _validate_range(doc, line, factor, problems)


def _validate_range(doc: StockDocument, line: StockDocumentLine, factor: Decimal | None, problems: Collector) -> None:
    """Refuse a line whose base quantity or value would not fit the ledger's columns.

    Each number can be in range while their product is not (a box factor, a rate): posting would
    then fail inside the database (or in Decimal quantize) instead of naming the line.
    """
    if line.qty is None:
        return
    with exact():
        if factor is not None and abs(line.qty * factor) > MAX_QTY:
            problems.add("The number %(value)s is too large", line=line.line_no, field="qty", value=line.qty * factor)
        if line.unit_cost is not None and abs(line.qty * line.unit_cost * (doc.rate or 1)) > MAX_MONEY:
            problems.add("The line value %(value)s is too large", line=line.line_no, field="unit_cost",
                         value=line.qty * line.unit_cost * (doc.rate or 1))


def _validate_count_lines(lines: list, problems: Collector, items: dict[int, ItemInfo]) -> None:
    """One line per item in a count: each line is compared with the same book quantity, so a
    second line would adjust the stock a second time instead of adding to the first."""
    first: dict[int, int] = {}
    for line in lines:
        if line.item_id in first:
            info = items.get(line.item_id)
            problems.add("%(item)s is already counted on line %(first)s", line=line.line_no, field="item_id",
                         item=info.code if info else line.item_id, first=first[line.item_id])
        else:
            first[line.item_id] = line.line_no


def validate_document(session: Session, doc: StockDocument, problems: Collector | None = None,
                      items: dict[int, ItemInfo | Item] | None = None, unit_codes: dict[int, str] | None = None,
                      warehouses: dict[int, WarehouseInfo] | None = None, lines: list | None = None,
                      ) -> dict[int, ItemInfo]:
    """Collect every problem of a document and raise them together (with any already collected).

    Returns the lines' items as read for the checks (`items` when the caller already has them),
    so posting needs no second look-up.
    """
    problems = problems if problems is not None else Collector()
    lines = doc.lines if lines is None else lines
    if items is None:
        items = rows.item_infos(session, {ln.item_id for ln in lines})
    if warehouses is None:
        warehouses = rows.warehouse_infos(session, {doc.warehouse_id, doc.dest_warehouse_id})
    _validate_header(doc, lines, problems, warehouses)
    cache: dict = {}
    for line in lines:
        _validate_line(session, doc, line, problems, cache, items.get(line.item_id), unit_codes or {})
    if doc.doc_type == DOC_COUNT:
        _validate_count_lines(lines, problems, items)
    _validate_links(session, doc, lines, items, problems)
    problems.raise_if_any()
    return items


def _validate_links(session: Session, doc: StockDocument, lines: list, items: dict, problems: Collector) -> None:
    """A return's shipment is the client's posted one, and its lines stay within what it can give back."""
    from app.services.stock.returns import check_shipment, validate_return_limits

    if check_shipment(session, doc, problems) is not None:
        validate_return_limits(session, doc, lines, items, problems)


def _parse_lines(session: Session, data: DocumentInput, problems: Collector,
                 items: dict[int, Item] | dict[int, ItemInfo], unit_codes: dict[int, str]) -> list[StockDocumentLine]:
    """Lines from raw input; fills `unit_codes` (id -> code) with the units named by the input."""
    codes = {ln.unit_code for ln in data.lines if ln.unit_code}
    units = ({code: uid for code, uid in session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes)))}
             if codes else {})
    unit_codes.update({uid: code for code, uid in units.items()})
    lines = []
    for n, raw in enumerate(data.lines, start=1):
        item = items.get(raw.item_id) if raw.item_id else None
        if item is None:
            problems.add("Unknown item", line=n, field="item_id")
            continue
        qty, err = parse_quantity(raw.qty)
        if err:
            problems.add(err, line=n, field="qty", value=raw.qty, places=6)
        unit_id = units.get(raw.unit_code) if raw.unit_code else item.unit_id
        if raw.unit_code and unit_id is None:
            problems.add("Unknown unit %(unit)s", line=n, field="unit", unit=raw.unit_code)
        cost = None
        if raw.unit_cost not in (None, ""):
            cost, err = parse_money(raw.unit_cost)
            if err:
                problems.add(err, line=n, field="unit_cost", value=raw.unit_cost, places=4)
        value = _line_value(raw, qty, problems, n) if data.doc_type in INBOUND_COSTED else None
        if cost is None and value is not None and qty:
            with exact():
                cost = round_money(value / qty)
        line = rows.new_object(StockDocumentLine, {
            "line_no": n, "item_id": item.id, "unit_id": unit_id, "qty": qty, "unit_cost": cost,
            "lot_id": raw.lot_id, "note": raw.note, "value": value})
        if isinstance(item, Item):  # what item_id points at: nothing for the flush to sync
            line.__dict__["item"] = item
        line._qty_unparsed = qty is None
        line._cost_unparsed = cost is None and raw.unit_cost not in (None, "")
        lines.append(line)
    return lines


def _line_value(raw: LineInput, qty: Decimal | None, problems: Collector, n: int) -> Decimal | None:
    """An inbound line's given value (money, not negative), else None (qty x unit cost at posting)."""
    if raw.value in (None, ""):
        return None
    value, err = parse_money(raw.value)
    if err:
        problems.add(err, line=n, field="value", value=raw.value, places=4)
    elif value < 0:
        problems.add("Unit cost cannot be negative", line=n, field="value")
        value = None
    return value


def create_document(session: Session, data: DocumentInput) -> StockDocument:
    """Create a validated draft (used by the API, other services, demo data and tests)."""
    session = driver_sql.plain(session)
    own = not in_use_case(session)
    with unit_of_work(session):
        doc, lines, items, _ = _draft(session, data)
        rows.insert_new(session, doc, lines, None, items, attach=not own)
    if own:
        rows.attach_committed(session, doc)
    return doc


def create_and_post_document(session: Session, data: DocumentInput, confirm_backdated: bool = False
                             ) -> StockDocument:
    """Create a document and post it in one transaction (the API's create with "post": true, the bench).

    What create_document and post_document do one after the other, less what only their separation
    needs: the draft is not read back under a lock (no other transaction can see a row this one has
    not committed), it is validated once, its number is taken first so the document row is inserted
    already posted (no INSERT of a draft then UPDATE), and its "create" and "post" audit rows (the
    same two rows as create + post) are one insert. The stock balances are still locked before they
    are read (post_moves), the numbering sequence too.
    """
    from app.services.stock.backdating import check_backdated

    session = driver_sql.plain(session)
    own = not in_use_case(session)  # its own transaction: the document joins the session once committed
    with unit_of_work(session):
        audit_rows: list[dict] = []
        doc, lines, items, unit_codes = _draft(session, data)
        check_backdated(session, doc, lines, confirm_backdated)
        check(STOCK_DOCUMENT, doc, "post")
        written = rows.posted_values(_take_number(session, doc), current_actor().username)
        rows.insert_new(session, doc, lines, audit_rows, items, attach=not own, written=written)
        _post(session, doc, lines, items, None, unit_codes, audit_rows=audit_rows, written=written)
        audit.write(session, audit_rows)
    if own:
        rows.attach_committed(session, doc)
    return doc


def _draft(session: Session, data: DocumentInput
           ) -> tuple[StockDocument, list[StockDocumentLine], dict[int, ItemInfo], dict[int, str]]:
    """A validated draft, not yet written (rows.insert_new writes it), with its lines and the items and
    unit codes it was validated with."""
    problems = Collector()
    rate = None
    if data.rate not in (None, ""):
        rate, err = parse_decimal(data.rate, RATE_PLACES, MAX_RATE)
        if err:
            problems.add(err, field="rate", value=data.rate, places=RATE_PLACES)
    _from_shipment(session, data)
    # rows, not ORM Items: the lines' audit rows take the item's code from them (insert_new)
    items = rows.item_infos(session, {ln.item_id for ln in data.lines if ln.item_id})
    unit_codes: dict[int, str] = {}
    lines = _parse_lines(session, data, problems, items, unit_codes)
    doc = rows.new_object(StockDocument, {
        "doc_type": data.doc_type, "warehouse_id": data.warehouse_id, "doc_date": data.doc_date or date.today(),
        "dest_warehouse_id": data.dest_warehouse_id, "partner_name": data.partner_name,
        "partner_id": data.partner_id, "shipment_id": data.shipment_id, "currency_id": data.currency_id,
        "rate": rate, "reason": data.reason, "note": data.note, "source_ref": data.source_ref,
        "state": DocState.DRAFT})
    # the lines as loaded; each line's `document` is left to load from the identity map when asked, so
    # no reference cycle keeps a finished document (and its session state) alive until the next GC
    set_committed_value(doc, "lines", lines)
    validate_document(session, doc, problems, items, unit_codes, lines=lines)
    return doc, lines, items, unit_codes


def _from_shipment(session: Session, data: DocumentInput) -> None:
    """A return of a shipment takes its client and, when no lines are given, what can still come back."""
    from app.models.sales import Shipment
    from app.services.stock.returns import lines_to_return

    shipment = session.get(Shipment, data.shipment_id) if data.shipment_id else None
    if shipment is None or data.doc_type != DOC_CUSTOMER_RETURN:
        return
    data.partner_id = data.partner_id or shipment.partner_id
    if not data.lines:
        data.lines = lines_to_return(session, shipment.id)


# --- posting ---------------------------------------------------------------------------------


def assert_editable(doc: StockDocument) -> None:
    """Posted and cancelled documents are history: refuse any edit."""
    check(STOCK_DOCUMENT, doc, "edit")


def _cost_in_base(doc: StockDocument, unit_cost: Decimal, factor_qty: Decimal, qty: Decimal) -> Decimal:
    """Exact value in base currency of `qty` doc units at `unit_cost` (document currency)."""
    with exact():
        return round_money(qty * unit_cost * (doc.rate or Decimal(1)))


def _count_requests(session: Session, doc: StockDocument, lines: list, quantities: dict[int, Decimal],
                    items: dict[int, ItemInfo]) -> list[MoveRequest]:
    keys = {(ln.item_id, doc.warehouse_id) for ln in lines}
    balances = lock_balances(session, keys)
    wh = rows.warehouse_infos(session, {doc.warehouse_id})[doc.warehouse_id]
    out = []
    for ln in lines:
        bal = balances[(ln.item_id, doc.warehouse_id)]
        ln.book_qty = bal.qty
        diff = quantities[ln.id] - bal.qty
        if diff == 0:
            continue
        cost = ln.unit_cost
        if cost is None:
            cost = _default_cost(session, items[ln.item_id], bal, wh)
        out.append(MoveRequest(ln.item_id, doc.warehouse_id, diff, unit_cost=cost, kind=move_kinds.COUNT,
                               line_no=ln.line_no, doc_line_id=ln.id))
    return out


def _default_cost(session: Session, item: ItemInfo, bal: StockBalance, wh: WarehouseInfo) -> Decimal:
    """Cost of a count surplus: the current average, else the last lot's cost, else the standard cost."""
    if bal.qty > 0:
        with exact():
            return bal.value / bal.qty
    if not wh.is_fifo and bal.last_unit_cost:
        return bal.last_unit_cost
    last = session.scalar(select(StockLot.unit_cost).where(
        StockLot.item_id == item.id, StockLot.warehouse_id == wh.id).order_by(StockLot.id.desc()).limit(1))
    return last if last is not None else (item.standard_cost or ZERO)


def _line_base_qty(session: Session, item: ItemInfo, line: StockDocumentLine, cache: dict) -> Decimal | None:
    factor = _unit_factor(session, item, line.unit_id, cache)
    if factor is None or line.qty is None:
        return None
    return round_qty(line.qty * factor)


def _requests_for(session: Session, doc: StockDocument, lines: list, items: dict[int, ItemInfo]) -> list[MoveRequest]:
    cache: dict = {}
    quantities = {ln.id: _line_base_qty(session, items[ln.item_id], ln, cache) for ln in lines}
    if doc.doc_type == DOC_COUNT:
        return _count_requests(session, doc, lines, quantities, items)
    out = []
    for ln in lines:
        qty = quantities[ln.id]
        if doc.doc_type in INBOUND_COSTED:
            # a value given on the draft is kept exactly (converted at the rate); else qty x unit cost
            value = (_cost_in_base(doc, ln.unit_cost, qty, ln.qty) if ln.value is None
                     else _cost_in_base(doc, ln.value, qty, Decimal(1)))
            out.append(MoveRequest(ln.item_id, doc.warehouse_id, qty, value=value, kind=doc.doc_type,
                                   line_no=ln.line_no, doc_line_id=ln.id))
        else:
            out.append(MoveRequest(ln.item_id, doc.warehouse_id, -qty, lot_id=ln.lot_id, kind=doc.doc_type,
                                   line_no=ln.line_no, doc_line_id=ln.id))
    return out


def _transfer_in(doc: StockDocument, posted) -> list[MoveRequest]:
    """The destination side of a transfer: cost travels with the lots (and their age)."""
    out = []
    for pm in posted:
        if pm.allocations:
            for lot_id, qty, cost in pm.allocations:
                out.append(MoveRequest(pm.request.item_id, doc.dest_warehouse_id, qty, value=cost,
                                       origin_lot_id=lot_id, kind=move_kinds.TRANSFER_IN, line_no=pm.request.line_no,
                                       doc_line_id=pm.request.doc_line_id))
        else:
            out.append(MoveRequest(pm.request.item_id, doc.dest_warehouse_id, -pm.request.qty, value=-pm.value,
                                   kind=move_kinds.TRANSFER_IN, line_no=pm.request.line_no,
                                   doc_line_id=pm.request.doc_line_id))
    return out


def _origin_dates(session: Session, requests: list[MoveRequest]) -> None:
    ids = {r.origin_lot_id for r in requests if r.origin_lot_id}
    if not ids:
        return
    dates = dict(session.execute(select(StockLot.id, StockLot.received_on).where(StockLot.id.in_(ids))).all())
    codes = dict(session.execute(select(StockLot.id, StockLot.code).where(StockLot.id.in_(ids))).all())
    for r in requests:
        if r.origin_lot_id:
            r.received_on = dates.get(r.origin_lot_id)
            r.lot_code = codes.get(r.origin_lot_id, "")


def _take_number(session: Session, doc: StockDocument) -> str:
    """The document's number: kept when it has one, else the next of its type and year (taken in this
    transaction: a rollback gives it back)."""
    return doc.number or next_number(session, doc.doc_type, doc.doc_date, DOC_PREFIXES.get(doc.doc_type))


def _post(session: Session, doc: StockDocument, lines: list, items: dict[int, ItemInfo] | dict[int, Item] | None,
          warehouses: dict[int, WarehouseInfo] | None, unit_codes: dict[int, str],
          audit_rows: list[dict] | None = None, written: dict | None = None) -> StockDocument:
    """Post a locked draft, given its lines (ORM objects or LineRow) and whatever else the caller read.

    With `audit_rows` and `written` (create_and_post_document) the draft was checked and validated,
    numbered and written already posted with `written` (rows.posted_values) in this transaction, and
    the "post" audit row is left for the caller to write with its "create" rows.
    """
    if written is None:
        check(STOCK_DOCUMENT, doc, "post")
        items = validate_document(session, doc, items=items, unit_codes=unit_codes, warehouses=warehouses,
                                  lines=lines)
    number = written["number"] if written is not None else _take_number(session, doc)
    ref = DocRef(doc.doc_type, doc.id, number, doc.doc_date)
    posted = post_moves(session, ref, _requests_for(session, doc, lines, items))
    if doc.doc_type == DOC_TRANSFER:
        inbound = _transfer_in(doc, posted)
        _origin_dates(session, inbound)
        post_moves(session, ref, inbound)
    values: dict[int, Decimal] = {}
    for pm in posted:
        values[pm.request.doc_line_id] = values.get(pm.request.doc_line_id, ZERO) + abs(pm.value)
    rows.write_line_values(session, doc, lines, values)
    rows.mark_posted(session, doc, written or rows.posted_values(number, current_actor().username), audit_rows,
                     written=written is not None)
    # the kernel's hooks, as transition() calls them: the rows above are the transition itself
    after_transition(session, STOCK_DOCUMENT, "post", doc, item_ids={ln.item_id for ln in lines})
    session.flush()
    return doc


def post_document(session: Session, doc_id: int, confirm_backdated: bool = False) -> StockDocument:
    """Post a draft document: all lines or nothing; a second post (another tab) is refused.

    A backdated document that later documents already depend on is refused, naming them, unless
    the user confirmed it (`confirm_backdated`): see app.services.stock.backdating.
    """
    from app.services.stock.backdating import check_backdated

    session = driver_sql.plain(session)
    with unit_of_work(session):
        locked = rows.lock_document(session, doc_id)
        if STOCK_DOCUMENT.allows(locked.doc.state, "post"):
            check_backdated(session, locked.doc, locked.lines, confirm_backdated)
        return _post(session, locked.doc, locked.lines, locked.items, locked.warehouses, locked.unit_codes)


def cancel_document(session: Session, doc_id: int, on_date: date | None = None) -> StockDocument:
    """Cancel a posted document with reversal moves dated `on_date` (today by default)."""
    with unit_of_work(session):
        return _cancel(session, rows.lock_document(session, doc_id).doc, on_date)


def _cancel(session: Session, doc: StockDocument, on_date: date | None) -> StockDocument:
    check(STOCK_DOCUMENT, doc, "cancel")
    on_date = on_date or date.today()
    if on_date < doc.doc_date:
        raise DomainError("The cancellation date cannot be before the document date")
    ref = DocRef(doc.doc_type, doc.id, doc.number or "", doc.doc_date)
    reverse_moves(session, ref, DocRef(doc.doc_type, doc.id, doc.number or "", on_date))
    transition(session, STOCK_DOCUMENT, doc, "cancel")
    session.flush()
    return doc

