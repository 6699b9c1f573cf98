"""The figures every reorder method starts from, read in bulk with SQL aggregates.

on hand and reserved come from the balance cache (StockBalance, kept with the ledger); "on order"
is what purchase orders sent to / confirmed by suppliers still have to deliver; "requested" is
what open purchase requests (draft or sent, not yet turned into an order) already ask for. The
two are kept apart on purpose: an order is a commitment, a request only an intention, and the
reason on a line shows both.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.money import ZERO
from app.domain.reorder import Stock
from app.models.purchasing import (
    ON_ORDER_STATES,
    OPEN_REQUEST_STATES,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
)
from app.models.stock import StockBalance
from app.services.purchasing.bulk import rows_for_ids


def on_hand_reserved(session: Session, item_ids: Iterable[int],
                     warehouse_id: int | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    """item id -> (on hand, reserved), in one warehouse or summed over all."""
    stmt = (select(StockBalance.item_id, func.sum(StockBalance.qty), func.sum(StockBalance.reserved))
            .group_by(StockBalance.item_id))
    if warehouse_id is not None:
        stmt = stmt.where(StockBalance.warehouse_id == warehouse_id)
    return {item_id: (qty or ZERO, reserved or ZERO)
            for item_id, qty, reserved in rows_for_ids(session, stmt, StockBalance.item_id, item_ids)}


def on_order_qty(session: Session, item_ids: list[int], warehouse_id: int | None = None) -> dict[int, Decimal]:
    """item id -> quantity ordered from suppliers and not yet received.

    Counts purchase orders that were sent or confirmed (partly received ones too): ordered minus
    received per line. Open purchase requests are NOT included; `requested_qty` gives those.
    Items with nothing on order are absent.
    """
    out: dict[int, Decimal] = {}
    stmt = (select(PurchaseOrderLine.item_id, func.sum(PurchaseOrderLine.qty), func.sum(PurchaseOrderLine.received_qty))
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
            .where(PurchaseOrder.state.in_(ON_ORDER_STATES))
            .group_by(PurchaseOrderLine.item_id))
    if warehouse_id is not None:
        stmt = stmt.where(PurchaseOrder.warehouse_id == warehouse_id)
    for item_id, qty, received in rows_for_ids(session, stmt, PurchaseOrderLine.item_id, item_ids):
        rest = (qty or ZERO) - (received or ZERO)
        if rest > 0:
            out[item_id] = rest
    return out


def requested_qty(session: Session, item_ids: list[int], warehouse_id: int | None = None,
                  exclude_source: tuple[str, str] | None = None) -> dict[int, Decimal]:
    """item id -> quantity in open purchase requests (draft or sent), not yet ordered.

    `exclude_source` (source, source_ref) leaves out the draft lines a regeneration is about to
    rewrite, so a run does not count its own previous suggestion as already covered.
    """
    stmt = (select(PurchaseRequestLine.item_id, func.sum(PurchaseRequestLine.qty))
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
            .where(PurchaseRequest.state.in_(OPEN_REQUEST_STATES))
            .group_by(PurchaseRequestLine.item_id))
    if warehouse_id is not None:
        stmt = stmt.where(PurchaseRequest.warehouse_id == warehouse_id)
    out: dict[int, Decimal] = {item_id: qty or ZERO
                               for item_id, qty in rows_for_ids(session, stmt, PurchaseRequestLine.item_id, item_ids)}
    if exclude_source is not None:
        for item_id, qty in own_draft_lines(session, item_ids, exclude_source, warehouse_id).items():
            out[item_id] = out.get(item_id, ZERO) - qty
    return {k: v for k, v in out.items() if v != 0}


def own_draft_lines(session: Session, item_ids: list[int], key: tuple[str, str],
                    warehouse_id: int | None = None) -> dict[int, Decimal]:
    """item id -> quantity of the draft lines with this (source, source_ref)."""
    source, ref = key
    stmt = (select(PurchaseRequestLine.item_id, func.sum(PurchaseRequestLine.qty))
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.request_id)
            .where(PurchaseRequest.state == "draft", PurchaseRequestLine.source == source,
                   PurchaseRequestLine.source_ref == ref)
            .group_by(PurchaseRequestLine.item_id))
    if warehouse_id is not None:
        stmt = stmt.where(PurchaseRequest.warehouse_id == warehouse_id)
    return {item_id: qty or ZERO for item_id, qty in rows_for_ids(session, stmt, PurchaseRequestLine.item_id, item_ids)}


def stock_figures(session: Session, item_ids: Iterable[int], warehouse_id: int | None = None,
                  exclude_source: tuple[str, str] | None = None) -> dict[int, Stock]:
    """item id -> Stock(on hand, reserved, on order, requested) for every given item."""
    ids = sorted(set(item_ids))
    balances = on_hand_reserved(session, ids, warehouse_id)
    ordered = on_order_qty(session, ids, warehouse_id)
    requested = requested_qty(session, ids, warehouse_id, exclude_source)
    out = {}
    for item_id in ids:
        on_hand, reserved = balances.get(item_id, (ZERO, ZERO))
        out[item_id] = Stock(on_hand, reserved, ordered.get(item_id, ZERO), requested.get(item_id, ZERO))
    return out
