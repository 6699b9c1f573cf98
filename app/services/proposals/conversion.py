"""From an approved proposal: the custom item with its BOM (and routing), the customer order, the invoice
and the production order.

The configured product becomes an item of its own ("RK-CUSTOM-TCP-2026-00001"), made of the
proposal's base and option lines per one product; its BOM gets the base model's routing, so the
production order is costed like any other. The order has one line for the configured products
and one per manual or calculator line, at the proposal's prices.

Conversion is one use case: every step (item, BOM, routing, order, confirmation, invoice, production
order) joins one unit of work, so a failure at any step leaves nothing behind. The proposal is locked
first, so two users converting it at once make one order.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import pricing as dp
from app.domain.documents import PROPOSAL, SALES_ORDER
from app.domain.errors import DomainError, Problem, plain_number
from app.domain.money import ZERO, exact, round_money
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.proposals import LINE_BASE, LINE_OPTION, ProductModel, Proposal
from app.models.stock import Warehouse
from app.services.base import current_actor, unit_of_work
from app.services.proposals.configure import built_in
from app.services.proposals.workflow import MSG_NOT_CURRENT, get
from app.services.workflow import refused, transition

MSG_NO_WAREHOUSE = "There is no active warehouse to produce in"
MSG_NO_UNIT = "The model's items have no unit: the custom item can't be created"
MESSAGES = (MSG_NO_WAREHOUSE, MSG_NO_UNIT)


def _sales():
    from app.services import sales

    return sales


def built_lines(p: Proposal) -> list:
    """The lines built into the custom item. A service option (software setup, training) is no part of a
    bill of materials: it is sold beside the item as an order line of its own."""
    return [ln for ln in p.lines if built_in(ln.kind, ln.item_id, ln.item.kind if ln.item is not None else None)]


def _check(session: Session, p: Proposal, warehouse_id: int | None) -> int | None:
    problems = []
    if not p.is_current:
        problems.append(Problem(MSG_NOT_CURRENT, {"number": p.label}))
    problems += refused(PROPOSAL, p, "convert")
    if warehouse_id is None and built_lines(p):
        warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.active.is_(True))
                                      .order_by(Warehouse.id).limit(1))
        if warehouse_id is None:
            problems.append(Problem(MSG_NO_WAREHOUSE))
    if problems:
        raise DomainError(problems)
    return warehouse_id


def _custom_item(session: Session, p: Proposal) -> Item:
    """The configured product as an item with a BOM per one unit and the base model's routing."""
    model = session.get(ProductModel, p.model_id) if p.model_id else None
    lines = built_lines(p)
    units = dict(session.execute(select(Item.id, Item.unit_id).where(Item.id.in_({ln.item_id for ln in lines}))).all())
    unit_id = (model.base_item.unit_id if model and model.base_item else None) or next(iter(units.values()), None)
    if unit_id is None:
        raise DomainError(MSG_NO_UNIT)
    code = f"{model.code if model else 'CUSTOM'}-{p.label}"[:64]
    with exact():
        unit_cost = round_money(sum((ln.cost for ln in lines), ZERO) / p.qty)
    item = Item(code=code, name=f"{model.name if model else code} ({p.label})",
                name_ru=f"{model.name_ru} ({p.label})" if model and model.name_ru else "",
                name_es=f"{model.name_es} ({p.label})" if model and model.name_es else "",
                kind="product", unit_id=unit_id, standard_cost=unit_cost, tracking="lots")
    session.add(item)
    session.flush()
    p.custom_item_id = item.id
    _bom_and_routing(session, p, item, model)
    return item


def _bom_and_routing(session: Session, p: Proposal, item: Item, model: ProductModel | None) -> None:
    """The custom item's BOM per one unit and the base model's routing (also on a retry that finds none)."""
    from app.services.production import (
        BomInput,
        BomLineInput,
        OperationInput,
        RoutingInput,
        active_routing,
        create_bom,
        create_routing,
    )

    lines = built_lines(p)
    per_unit: dict[int, Decimal] = {}
    with exact():
        for ln in lines:
            per_unit[ln.item_id] = per_unit.get(ln.item_id, ZERO) + ln.qty / p.qty
    create_bom(session, BomInput(item.id, name=p.label, lines=[BomLineInput(i, plain_number(q))
                                                               for i, q in per_unit.items()]))
    base_routing = active_routing(session, model.base_item_id) if model and model.base_item_id else None
    if base_routing is not None:
        create_routing(session, RoutingInput(item.id, name=p.label, operations=[
            OperationInput(op.seq, op.name, op.work_center_id, op.setup_minutes, op.run_minutes, op.instructions,
                           op.is_software, op.software_version, op.name_ru, op.name_es)
            for op in base_routing.operations]))


def _order(session: Session, p: Proposal, warehouse_id: int | None = None):
    sales = _sales()
    lines = []
    model_lines = built_lines(p)
    if model_lines:
        price = sum((ln.price for ln in model_lines), ZERO)
        cost = sum((ln.cost for ln in model_lines), ZERO)
        with exact():
            lines.append(sales.OrderLineInput(p.custom_item_id, p.qty, dp.bundle_unit_price(price, p.qty), Decimal(0),
                                              "", unit_cost_estimate=round_money(cost / p.qty),
                                              promotion_id=bundle_promotion(model_lines)))
    for ln in p.lines:
        if ln in model_lines:
            continue
        inputs = None
        if ln.calculator_inputs:
            import json

            try:
                inputs = json.loads(ln.calculator_inputs)
            except ValueError:
                inputs = None
        # an option's item names it in every language; the snapshot text would pin one language on the order
        text = "" if ln.item_id and ln.kind in (LINE_BASE, LINE_OPTION) else ln.description
        lines.append(sales.OrderLineInput(ln.item_id, ln.qty, ln.unit_price, Decimal(0), text,
                                          ln.calculator_version_id, inputs, ln.id, ln.unit_cost,
                                          promotion_id=ln.promotion_id))
    return sales.create_order(session, sales.OrderInput(p.partner_id, lines=lines, currency_code=p.currency.code,
                                                        proposal_id=p.id, tax_rate=p.tax_pct,
                                                        note=p.label, warehouse_id=warehouse_id))


def bundle_promotion(lines: list) -> int | None:
    """The promotion the configured product's order line names: its price already carries every built-in
    line's promotion; one line names one, so the one that took the most off (then the first) is named."""
    promoted = [ln for ln in lines if ln.promotion_id is not None]
    if not promoted:
        return None
    with exact():
        best = max(promoted, key=lambda ln: (ln.price * (ln.promotion_pct or ZERO), -ln.line_no))
    return best.promotion_id


def _confirm(session: Session, sales, order_id: int) -> None:
    """The client approved the TCP: its order is confirmed at once, reserving what the warehouse has.

    Only a draft is confirmed, so a retry after a half-finished conversion (or an order someone
    confirmed by hand meanwhile) passes through. Without a warehouse to reserve in, the order stays
    a draft for the sales manager to choose one and confirm.
    """
    from app.models.sales import SalesOrder

    order = session.get(SalesOrder, order_id)
    stocked = order is not None and any(ln.item is not None and ln.item.kind != "service" for ln in order.lines)
    if order is not None and SALES_ORDER.allows(order.state, "confirm") and (order.warehouse_id is not None
                                                                           or not stocked):
        sales.confirm_order(session, order_id)


def convert_proposal(session: Session, proposal_id: int, warehouse_id: int | None = None,
                     invoice: bool = True, production: bool = True) -> Proposal:
    """approved -> converted: custom item + BOM, customer order, invoice, production order, all or nothing."""
    with unit_of_work(session):
        p = get(session, proposal_id, lock=True)
        warehouse_id = _check(session, p, warehouse_id)
        sales = _sales()
        if built_lines(p):
            _custom_item(session, p)
        order = _order(session, p, warehouse_id)
        p.sales_order_id = order.id
        _confirm(session, sales, order.id)
        if invoice:
            p.invoice_id = sales.create_invoice(session, order.id).id
        if production and p.custom_item_id is not None:
            from app.services.production import OrderInput as MoInput
            from app.services.production import create_order as create_mo

            p.production_order_id = create_mo(session, MoInput(p.custom_item_id, p.qty, warehouse_id,
                                                               note=p.label)).id
        transition(session, PROPOSAL, p, "convert")
        p.converted_at = utcnow()
        p.decided_by = p.decided_by or current_actor().username
        session.flush()
    return p
