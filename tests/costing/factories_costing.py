"""A small two-level plant for the re-costing tests, every figure easy to follow by hand.

Receipt R1 (1 Oct): CPU 4 @ 100 (lot A), MB 2 @ 300 (lot M1). Receipt R2 (2 Oct, unrelated to the
corrections): CPU 5 @ 110 (lot B), MB 5 @ 310 (lot M2). 3 Oct: 3 BRAIN made of 1 CPU + 1 MB each
(CPU 3 from A; MB 2 from M1 and 1 from M2), no labour. 4 Oct: 2 ROBOT made of 1 BRAIN each.
5 Oct: 1 ROBOT shipped to Robokids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.sales import Shipment
from app.models.stock import StockDocument, StockLot, Warehouse
from app.services.production import OrderInput, complete_order, create_order, release_order
from app.services.sales import confirm_order
from app.services.sales.shipments import ShipmentInput, ShipmentLineInput, ship_order
from tests import factories as f
from tests.sales import factories_sales as fs
from tests.services.test_production_example import make_bom, make_items

D = Decimal
CODES = {"CPU": ("component", "pcs", "100"), "MB": ("component", "pcs", "300"), "BRAIN": ("node", "pcs", "500"),
         "ROBOT": ("product", "pcs", "900")}


@dataclass
class Story:
    items: dict
    main: Warehouse
    r1: StockDocument
    r2: StockDocument
    shipment: Shipment

    def lot(self, code: str, n: int = 0) -> StockLot:
        return db.session.scalars(select(StockLot).where(StockLot.item_id == self.items[code].id)
                                  .order_by(StockLot.id)).all()[n]


def make(session, items, wh, code: str, qty: int, on: date):
    """Make `qty` of `code` on `on` (order, release, complete)."""
    order = create_order(session, OrderInput(items[code].id, str(qty), wh.id, order_date=on))
    release_order(session, order.id)
    return complete_order(session, order.id, str(qty), on)


def build_story(session, ship: bool = True) -> Story:
    items = make_items(CODES)
    for code, weight in (("CPU", "0.2"), ("MB", "0.5")):
        items[code].weight = D(weight)
    session.commit()
    main = f.warehouse("MAIN")
    make_bom(items, "BRAIN", [("CPU", "1"), ("MB", "1")])
    make_bom(items, "ROBOT", [("BRAIN", "1")])
    r1 = f.receipt(main, [(items["CPU"], 4, "100"), (items["MB"], 2, "300")], on=date(2026, 10, 1))
    r2 = f.receipt(main, [(items["CPU"], 5, "110"), (items["MB"], 5, "310")], on=date(2026, 10, 2))
    make(session, items, main, "BRAIN", 3, date(2026, 10, 3))
    make(session, items, main, "ROBOT", 2, date(2026, 10, 4))
    shipment = None
    if ship:
        order = fs.order(fs.client("Robokids"), [(items["ROBOT"], 1, "2000")], warehouse_id=main.id,
                         order_date=date(2026, 10, 5))
        confirm_order(session, order.id)
        shipment = ship_order(session, ShipmentInput(order.id, [ShipmentLineInput(order.lines[0].id, 1)],
                                                     ship_date=date(2026, 10, 5)))
    return Story(items, main, r1, r2, shipment)
