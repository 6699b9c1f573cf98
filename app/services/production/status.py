"""Where a production order stands: its components against the shelf, and the whole multi-stage tree.

Read-only: nothing here writes. The availability check lists, per component, what the order still
needs, what the components' warehouse has free, the shortage with the other warehouses that could
supply it, and the child orders already making it; the tree page and the API show the same.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.domain.money import ZERO
from app.models.production import ORDER_DRAFT, ORDER_OPEN, ProductionOrder
from app.services.production import costing
from app.services.production.engineering import active_bom
from app.services.production.orders import Shortage, _items, _label, _on, available_in, shortages_for


@dataclass
class ComponentStatus:
    """A component of an order: how much it needs for what is left to make, and what is there."""

    item_id: int
    code: str
    name: str
    required: Decimal
    available: Decimal
    byproduct: bool = False
    shortage: Shortage | None = None
    open_orders: list[str] = field(default_factory=list)  # child orders making it


# --- availability ------------------------------------------------------------------------------


def _open_children_by_item(order: ProductionOrder) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for child in order.children:
        if child.state in ORDER_OPEN:
            out[child.item_id].append(_label(child))
    return out


def check_availability(session: Session, order_id: int, qty: Decimal | None = None) -> list[ComponentStatus]:
    """Each component of the order for `qty` (default: what is left to make) against the warehouse."""
    order = session.get(ProductionOrder, order_id)
    if order is None:
        raise DomainError("Production order not found")
    bom = order.bom or active_bom(session, order.item_id, _on(order))
    if bom is None:
        raise DomainError("No active bill of materials for %(item)s on %(date)s", item=order.item.code,
                          date=_on(order))
    qty = qty if qty is not None else (order.qty_remaining if order.state != ORDER_DRAFT else order.qty)
    reqs = costing.requirements(costing.bom_spec(session, bom), qty) if qty > 0 else []
    needs = costing.totals(reqs)
    avail = available_in(session, order.component_warehouse_id, set(needs))
    shortages = {s.item_id: s for s in shortages_for(session, order.component_warehouse_id, needs)}
    items = _items(session, {r.item_id for r in reqs})
    making = _open_children_by_item(order)
    out = [ComponentStatus(i, items[i].code, items[i].label(), q, avail.get(i, ZERO), False, shortages.get(i),
                           making.get(i, [])) for i, q in needs.items()]
    out += [ComponentStatus(r.item_id, items[r.item_id].code, items[r.item_id].label(), r.qty, ZERO, True)
            for r in reqs if r.byproduct]
    return out


# --- the order tree ----------------------------------------------------------------------------


@dataclass
class TreeNode:
    order: ProductionOrder
    depth: int
    components: list[ComponentStatus] = field(default_factory=list)
    children: list[TreeNode] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def root_of(session: Session, order: ProductionOrder) -> ProductionOrder:
    seen = set()
    while order.parent_id is not None and order.id not in seen:
        seen.add(order.id)
        order = session.get(ProductionOrder, order.parent_id)
    return order


def order_tree(session: Session, order_id: int, with_components: bool = True) -> TreeNode:
    """The whole multi-stage order (from its top) with each open order's component status."""
    order = session.get(ProductionOrder, order_id)
    if order is None:
        raise DomainError("Production order not found")
    root = root_of(session, order)
    by_parent: dict[int, list[ProductionOrder]] = defaultdict(list)
    frontier, nodes = [root.id], {}
    while frontier:
        rows = list(session.scalars(select(ProductionOrder).where(ProductionOrder.parent_id.in_(frontier))
                                    .order_by(ProductionOrder.id)))
        for row in rows:
            by_parent[row.parent_id].append(row)
        frontier = [r.id for r in rows if r.id not in nodes]
        nodes.update({r.id: r for r in rows})
    tree = _node(root, 0, by_parent)
    if with_components:
        for node in tree.walk():
            if node.order.state in ORDER_OPEN and node.order.bom_id is not None:
                node.components = check_availability(session, node.order.id)
    return tree


def _node(order: ProductionOrder, depth: int, by_parent: dict[int, list[ProductionOrder]]) -> TreeNode:
    return TreeNode(order, depth, children=[_node(c, depth + 1, by_parent) for c in by_parent.get(order.id, [])
                                            if depth < 64])
