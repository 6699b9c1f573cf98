"""Hand-built client histories for the marketing tests: confirmed orders and posted shipments as rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Item, ItemGroup
from app.models.partners import Partner, PartnerAddress
from app.models.sales import SO_CONFIRMED, SalesOrder, SalesOrderLine, Shipment, ShipmentLine
from app.models.stock import Warehouse
from tests import factories as f

D = Decimal
_seq = {"n": 0}


def client(name: str, email: str = "", language: str = "ru", city: str = "", **kw) -> Partner:
    p = Partner(name=name, email=email or f"{name.lower()}@example.com", language=language, is_customer=True, **kw)
    if city:
        p.addresses = [PartnerAddress(kind="delivery", address="1 Main st", city=city)]
    db.session.add(p)
    db.session.flush()
    return p


def goods(code: str, group: ItemGroup | None = None, cost: str | None = None) -> Item:
    it = f.item(code, kind="product", standard_cost=cost)
    if group is not None:
        it.group = group
    db.session.flush()
    return it


def order(partner: Partner, on: date, lines: list[tuple], state: str = SO_CONFIRMED, rate: str = "1",
          shipped_cost: dict | None = None) -> SalesOrder:
    """A counted order (lines: item, qty, net amount); `shipped_cost`: item code -> FIFO cost shipped in full."""
    _seq["n"] += 1
    rub = f.currency("RUB")
    so = SalesOrder(number=f"T{_seq['n']}", order_date=on, state=state, partner=partner, currency=rub, rate=D(rate))
    so.lines = [SalesOrderLine(line_no=n, item=it, qty=D(qty), unit_price=D(net) / D(qty), amount_net=D(net),
                               amount_total=D(net)) for n, (it, qty, net) in enumerate(lines, start=1)]
    so.amount_net = so.amount_total = sum((D(net) for _, _, net in lines), D(0))
    db.session.add(so)
    db.session.flush()
    if shipped_cost:
        wh = db.session.query(Warehouse).first() or f.warehouse()
        ship = Shipment(number=f"S{_seq['n']}", order=so, partner=partner, warehouse=wh, ship_date=on,
                        state="posted", posted_at=datetime.combine(on, datetime.min.time()))
        ship.lines = [ShipmentLine(line_no=n, order_line=ln, item=ln.item, qty=ln.qty,
                                   cost=D(shipped_cost[ln.item.code]))
                      for n, ln in enumerate(so.lines, start=1) if ln.item.code in shipped_cost]
        db.session.add(ship)
        db.session.flush()
    return so
