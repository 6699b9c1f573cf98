"""Printed production forms: the production order with its pick list, the technological map, the output receipt.

Each form is a plain dict built here (no Flask needed: the builders take the locale and a
gettext) and rendered by app.printing from app/printing/templates/production_*.html; the `*_pdf`
functions are the Flask edge the views call. Quantities are in the items' base units; money is in
the company's base currency, as the ledger keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import ZERO, exact, round_money, round_qty
from app.models.catalog import Item
from app.models.production import (
    DOC_PRODUCTION,
    ORDER_CANCELLED,
    ORDER_DRAFT,
    ProductionCompletion,
    ProductionOrder,
    Routing,
    WorkCenter,
)
from app.models.stock import StockLot, StockMove, Warehouse
from app.printing import render_pdf
from app.services.company import form_context, print_locale, printed_by, safe_filename
from app.services.production import costing, engineering
from app.services.stock.printing import unit_label, words
from app.services.stock.reports import language

Gettext = Callable[[str], str]


def _wh(wh: Warehouse | None, locale: str) -> str:
    return wh.titled(language(locale)) if wh is not None else ""


def _centre(centre: WorkCenter | None, locale: str) -> str:
    return f"{centre.code} {centre.label(language(locale))}" if centre is not None else ""


def _stamp_state(state: str) -> str:
    """The forms' DRAFT / CANCELLED mark (stock_macros.stamp) knows these two states."""
    return {ORDER_DRAFT: "draft", ORDER_CANCELLED: "cancelled", "cancelled": "cancelled"}.get(state, "posted")


def _item(item: Item, locale: str) -> dict[str, str]:
    return {"code": item.code, "name": item.label(language(locale)), "unit": unit_label(item.unit, locale)}


# --- production order with pick list -----------------------------------------------------------


def _open_lots(session: Session, warehouse_id: int, item_ids: set[int]) -> dict[int, list[StockLot]]:
    out: dict[int, list[StockLot]] = {i: [] for i in item_ids}
    if item_ids:
        for lot in session.scalars(select(StockLot).where(
                StockLot.warehouse_id == warehouse_id, StockLot.item_id.in_(item_ids), StockLot.qty_remaining > 0)
                .order_by(StockLot.received_on, StockLot.id)):
            out[lot.item_id].append(lot)
    return out


def _pick_lots(lots: list[StockLot], qty: Decimal) -> list[dict[str, Any]]:
    """The lots FIFO would take for `qty`, oldest first: where the storekeeper picks from."""
    out, left = [], qty
    for lot in lots:
        if left <= 0:
            break
        take = min(left, lot.qty_remaining)
        out.append({"code": lot.code or f"#{lot.id}", "received": lot.received_on, "qty": take})
        left -= take
    return out


def _pick_list(session: Session, order: ProductionOrder, locale: str) -> list[dict[str, Any]]:
    if order.bom is None:
        return []
    qty = order.qty if order.state == ORDER_DRAFT else order.qty_remaining
    spec = costing.bom_spec(session, order.bom)
    reqs = costing.requirements(spec, qty) if qty > 0 else []
    items = engineering.items_by_id(session, {r.item_id for r in reqs})
    lots = _open_lots(session, order.component_warehouse_id, {r.item_id for r in reqs if not r.byproduct})
    per_unit = {ln.line_no: ln for ln in spec.lines}
    out = []
    for n, r in enumerate(reqs, start=1):
        line = per_unit.get(r.line_no)
        on_hand = sum((lot.qty_remaining for lot in lots.get(r.item_id, [])), ZERO)
        with exact():
            per = round_qty(line.qty / spec.output_qty) if line else None
        out.append({"no": n, **_item(items[r.item_id], locale), "per_unit": per,
                    "scrap": line.scrap_pct if line else ZERO, "qty": r.qty, "byproduct": r.byproduct,
                    "on_hand": None if r.byproduct else on_hand,
                    "short": None if r.byproduct or on_hand >= r.qty else r.qty - on_hand,
                    "lots": [] if r.byproduct else _pick_lots(lots.get(r.item_id, []), r.qty)})
    return out


def _operations(order: ProductionOrder, locale: str) -> list[dict[str, Any]]:
    out = []
    for op in order.operations:
        with exact():
            planned = op.planned_setup_minutes + op.planned_run_minutes * order.qty
        actual = None
        if op.actual_setup_minutes is not None or op.actual_run_minutes is not None:
            actual = (op.actual_setup_minutes or ZERO) + (op.actual_run_minutes or ZERO)
        out.append({"seq": op.seq, "name": op.label(language(locale)), "work_center": _centre(op.work_center, locale),
                    "setup": op.planned_setup_minutes, "run": op.planned_run_minutes,
                    "planned": round_qty(planned), "actual": actual, "qty_reported": op.qty_reported,
                    "software": op.is_software, "software_version": op.software_version, "done": op.done})
    return out


def order_context(session: Session, order: ProductionOrder, locale: str, gettext: Gettext | None = None,
                  user: str = "", printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of the production order form (production_order.html)."""
    context = form_context(session, locale, gettext, user, printed_at)
    context["doc"] = {
        "number": order.number or "", "date": order.order_date, "state": _stamp_state(order.state),
        "order_state": order.state, **_item(order.item, locale), "qty": order.qty, "qty_done": order.qty_done,
        "qty_remaining": order.qty_remaining, "bom": str(order.bom) if order.bom else "",
        "routing": str(order.routing) if order.routing else "",
        "component_warehouse": _wh(order.component_warehouse, locale),
        "output_warehouse": _wh(order.output_warehouse, locale),
        "planned_start": order.planned_start, "planned_end": order.planned_end,
        "parent": order.parent.number if order.parent else "",
        "children": ", ".join(c.number or f"#{c.id}" for c in order.children), "note": order.note,
    }
    context["pick"] = _pick_list(session, order, locale)
    context["operations"] = _operations(order, locale)
    context["costs"] = costing.comparison(order)
    return context


def order_pdf(session: Session, order_id: int, lang: str | None = None) -> tuple[bytes, str]:
    order = session.get(ProductionOrder, order_id)
    if order is None:
        raise LookupError(f"production order {order_id} not found")
    locale, translations = print_locale(lang)
    context = order_context(session, order, locale, translations.gettext, user=printed_by())
    name = safe_filename(order.number or f"production-order-{order.id}") + ".pdf"
    return render_pdf("production_order.html", context, locale, translations), name


# --- technological map -------------------------------------------------------------------------


def routing_context(session: Session, routing: Routing, locale: str, gettext: Gettext | None = None,
                    user: str = "", printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of the technological map (production_routing.html): operations, times, materials."""
    context = form_context(session, locale, gettext, user, printed_at)
    ops, setup, run, setup_cost, run_cost = [], ZERO, ZERO, ZERO, ZERO
    with exact():
        for op in routing.operations:
            rate = op.work_center.labour_rate + op.work_center.overhead_rate
            setup, run = setup + op.setup_minutes, run + op.run_minutes
            setup_cost += op.setup_minutes * rate / 60
            run_cost += op.run_minutes * rate / 60
            ops.append({"seq": op.seq, "name": op.label(language(locale)),
                        "work_center": _centre(op.work_center, locale), "setup": op.setup_minutes,
                        "run": op.run_minutes, "rate": rate, "instructions": op.instructions,
                        "software": op.is_software, "software_version": op.software_version})
    on = routing.valid_from or date.today()
    bom = engineering.active_bom(session, routing.item_id, on)
    materials = []
    if bom is not None:
        spec = costing.bom_spec(session, bom)
        items = engineering.items_by_id(session, {ln.component for ln in spec.lines})
        materials = [{**_item(items[ln.component], locale), "qty": round_qty(ln.qty / spec.output_qty),
                      "scrap": ln.scrap_pct, "byproduct": ln.byproduct} for ln in spec.lines]
    context.update(
        routing={"code": routing.item.code, "item_name": routing.item.label(language(locale)),
                 "version": routing.version, "title": routing.name or str(routing),
                 "valid_from": routing.valid_from, "valid_to": routing.valid_to, "note": routing.note,
                 "bom": str(bom) if bom else "", "state": "posted" if routing.active else "cancelled"},
        operations=ops, materials=materials,
        totals={"setup": setup, "run": run, "setup_cost": round_money(setup_cost), "run_cost": round_money(run_cost)})
    return context


def _pdf(session: Session, model: type, pk: int, lang: str | None, build: Callable[..., dict], template: str,
         filename: Callable[[Any], str]) -> tuple[bytes, str] | None:
    """Load the row, build its form's context in the print language and render it; None when there is no row."""
    obj = session.get(model, pk)
    if obj is None:
        return None
    locale, translations = print_locale(lang)
    context = build(session, obj, locale, translations.gettext, user=printed_by())
    return render_pdf(template, context, locale, translations), safe_filename(filename(obj)) + ".pdf"


def routing_pdf(session: Session, routing_id: int, lang: str | None = None) -> tuple[bytes, str] | None:
    return _pdf(session, Routing, routing_id, lang, routing_context, "production_routing.html",
                lambda r: f"routing-{r.item.code}-v{r.version}")


# --- output receipt ----------------------------------------------------------------------------


def _ledger_lines(session: Session, completion: ProductionCompletion, locale: str) -> tuple[list, list]:
    """(components consumed, products received) from the ledger moves of the receipt (reversals left out)."""
    moves = list(session.scalars(select(StockMove).where(
        StockMove.doc_type == DOC_PRODUCTION, StockMove.doc_id == completion.id,
        StockMove.reversal_of_id.is_(None), StockMove.kind != "reversal").order_by(StockMove.id)))
    items = engineering.items_by_id(session, {m.item_id for m in moves})
    consumed, produced = [], []
    for m in moves:
        row = {**_item(items[m.item_id], locale), "qty": abs(m.qty), "value": abs(m.value),
               "unit_cost": round_money(abs(m.value) / abs(m.qty)) if m.qty else None, "kind": m.kind}
        (consumed if m.qty < 0 else produced).append(row)
    for n, row in enumerate(consumed, start=1):
        row["no"] = n
    return consumed, produced


def completion_context(session: Session, completion: ProductionCompletion, locale: str,
                       gettext: Gettext | None = None, user: str = "", printed_at: date | None = None) -> dict:
    """The view-model of the output receipt (production_receipt.html)."""
    context = form_context(session, locale, gettext, user, printed_at)
    order = completion.order
    consumed, produced = _ledger_lines(session, completion, locale)
    total = completion.material_cost + completion.labour_cost + completion.overhead_cost
    context.update(
        doc={"number": completion.number, "date": completion.doc_date, "state": _stamp_state(completion.state),
             "order": order.number or "", **_item(order.item, locale), "qty": completion.qty,
             "output_warehouse": _wh(order.output_warehouse, locale),
             "component_warehouse": _wh(order.component_warehouse, locale),
             "posted_by": completion.posted_by},
        consumed=consumed, produced=produced,
        costs={"material": completion.material_cost, "labour": completion.labour_cost,
               "overhead": completion.overhead_cost, "byproducts": completion.byproduct_value, "total": total,
               "output": completion.output_value,
               "unit_cost": round_money(completion.output_value / completion.qty)},
        amount_words=words(total, context["currency"], locale))
    return context


def completion_pdf(session: Session, completion_id: int, lang: str | None = None) -> tuple[bytes, str] | None:
    return _pdf(session, ProductionCompletion, completion_id, lang, completion_context, "production_receipt.html",
                lambda c: c.number)
