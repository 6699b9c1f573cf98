"""Service desk test data: a client with a shipped product under warranty, a request in work."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app.extensions import db
from app.services.sales import confirm_order
from app.services.sales.shipments import ShipmentInput, ship_order
from app.services.service_desk.requests import RequestInput, change_state, create_request
from tests import factories as f
from tests.sales import factories_sales as fs

FRIDAY_5PM = datetime(2026, 12, 4, 17, 0)


def shipped_robot(months: int = 12, on: date = date(2026, 11, 20), language: str = "ru"):
    """(client, robot, shipment): one robot shipped to Robokids on `on`, warranty `months`."""
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "50000", cost="30000")
    robot.warranty_months = months
    db.session.commit()
    fs.stock(wh, robot, 2, "30000")
    client = fs.client("Robokids", language=language)
    order = fs.order(client, [(robot, 1)], order_date=on)
    confirm_order(db.session, order.id)
    ship = ship_order(db.session, ShipmentInput(order.id, ship_date=on))
    return client, robot, ship


def request(client, robot=None, priority: str = "high", opened: datetime = FRIDAY_5PM, start: bool = False, **kw):
    req = create_request(db.session, RequestInput(partner_id=client.id, subject="The robot does not start",
                                                  priority=priority, item_id=robot.id if robot else None,
                                                  serial_no="RB-0001", opened_at=opened, **kw))
    if start:
        change_state(db.session, req.id, "start", at=opened)
    return req


D = Decimal
