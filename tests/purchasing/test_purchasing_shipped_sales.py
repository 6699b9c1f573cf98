"""An order shipped through the MCC is demand: sales analysis, ABC and min / max all see it.

Shipments post ledger moves of kind `sale` (app.domain.move_kinds); the purchasing analyses once
looked for a kind nobody posted and saw production consumption only. These tests ship a real
order through the sales services (no synthesised moves) and read it back through each method.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.services.purchasing.methods import classify, preview
from app.services.purchasing.params import parse_params
from app.services.purchasing.sources import consumption
from app.services.sales import confirm_order
from app.services.sales.shipments import ShipmentInput, ship_order
from tests import factories as f
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

D = Decimal
TODAY = pf.TODAY
PERIOD = {"date_from": TODAY - timedelta(days=29), "date_to": TODAY}


@pytest.fixture
def shipped(base):
    """20 lidar sensors received; Robokids order 12 and the MCC ships them today."""
    wh = f.warehouse("MAIN", "fifo")
    lidar = fs.priced_item("SEN-LIDAR", "900", kind="component", cost="500")
    pf.offer(pf.supplier("ChipSnab"), lidar, "480", lead=10)
    f.receipt(wh, [(lidar, 20, "500")], on=TODAY - timedelta(days=40))
    order = fs.order(fs.client("Robokids"), [(lidar, 12)], order_date=TODAY - timedelta(days=3))
    confirm_order(db.session, order.id)
    ship_order(db.session, ShipmentInput(order.id, ship_date=TODAY - timedelta(days=1)))
    db.session.commit()
    return wh, lidar


def test_the_shipment_is_consumption(shipped):
    wh, lidar = shipped
    usage = consumption(db.session, PERIOD["date_from"], PERIOD["date_to"], wh.id, count_documents=True)
    assert (usage[lidar.id].qty, usage[lidar.id].cost, usage[lidar.id].documents) == (D(12), D(6000), 1)


def test_sales_analysis_buys_back_what_was_sold(shipped):
    wh, lidar = shipped
    plan = preview(db.session, parse_params("sales", {"warehouse_id": wh.id, **PERIOD}))
    [s] = plan.suggestions
    # 12 sold in 30 days = 0.4 a day; x 10 days lead = 4; 4 - 8 available = nothing to buy yet
    assert (s.item_id, s.reason["consumed"], s.reason["daily"], s.reason["on_hand"]) == (lidar.id, "12", "0.4", "8")


def test_abc_ranks_what_was_sold(shipped):
    wh, lidar = shipped
    rows, usage, _ = classify(db.session, parse_params("abc", {"warehouse_id": wh.id, "criterion": "quantity",
                                                                **PERIOD}))
    assert [(r.key, r.value, r.klass) for r in rows] == [(lidar.id, D(12), "A")]
    assert usage[lidar.id].documents == 1


def test_minmax_sees_the_shelf_the_shipment_emptied(shipped):
    wh, lidar = shipped
    pf.reorder_point(lidar, wh, "10", "30")
    plan = preview(db.session, parse_params("minmax", {"warehouse_id": wh.id}))
    [s] = plan.suggestions
    assert (s.need, s.reason["on_hand"]) == (D(22), "8")
