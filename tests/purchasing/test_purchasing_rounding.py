"""Requested quantities respect the unit (pieces are whole), the offer's minimum and pack, and the line
says how it was rounded, in the buyer's language."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.domain.reorder import order_qty
from app.extensions import db
from tests import factories as f
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


@pytest.mark.parametrize("need, min_qty, pack, places, qty, steps", [
    ("0.351", None, None, 0, "1", ["unit"]),
    ("0.77", "0", None, 0, "1", ["unit"]),
    ("3", None, None, 0, "3", []),
    ("7.2", "10", "4", 0, "12", ["unit", "min", "pack"]),
    ("1.2341", None, None, 3, "1.235", ["unit"]),
    ("1.2341", None, None, None, "1.2341", []),
    ("0", "10", "4", 0, "0", []),
])
def test_order_qty_steps(need, min_qty, pack, places, qty, steps):
    got = order_qty(D(need), D(min_qty) if min_qty else None, D(pack) if pack else None, places)
    assert got.qty == D(qty) and [s["step"] for s in got.steps] == steps


def test_pack_step_names_the_packs():
    got = order_qty(D("7.2"), D(10), D(4), 0)
    assert got.steps == ({"step": "unit", "from": "7.2", "to": "8", "places": "0"},
                         {"step": "min", "from": "8", "to": "10", "min_qty": "10"},
                         {"step": "pack", "from": "10", "to": "12", "pack_qty": "4", "packs": "3"})


@pytest.fixture
def lidar(base):
    """10 lidars sold in 30 days and none left: 0.3333 a day x 7 days lead = 2.3331 pieces short."""
    wh = f.warehouse()
    it = f.item("SEN-LIDAR")
    pf.offer(pf.supplier("ChipSnab"), it, "480", lead=7)
    f.receipt(wh, [(it, 10, "450")], on=TODAY - timedelta(days=40))
    pf.consume(it, wh, "10", TODAY - timedelta(days=10))
    return wh, it


def test_sales_analysis_asks_for_whole_pieces(lidar):
    wh, it = lidar
    pf.run("sales", warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY)
    [line] = pf.lines_of(it)
    assert line.qty == D(3) and line.amount_base == D(1440)
    assert (line.reason["need"], line.reason["ordered"]) == ("2.3331", "3")
    assert line.reason["rounding_steps"] == [{"step": "unit", "from": "2.3331", "to": "3", "places": "0"}]


def test_a_unit_with_decimals_keeps_its_precision(lidar):
    wh, it = lidar
    kg = f.unit("kg")
    kg.decimals = 3
    it.unit_id = kg.id
    db.session.commit()
    pf.run("sales", warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY)
    [line] = pf.lines_of(it)
    assert line.qty == D("2.334") == D(line.reason["ordered"])
    assert line.reason["rounding_steps"] == [{"step": "unit", "from": "2.3331", "to": "2.334", "places": "3"}]


def test_the_line_page_says_how_it_was_rounded_in_russian(lidar, login_as):
    wh, it = lidar
    pf.run("sales", warehouse_id=wh.id, date_from=TODAY - timedelta(days=29), date_to=TODAY)
    [line] = pf.lines_of(it)
    c = login_as("Purchasing")
    c.get("/lang/ru")
    page = c.get(f"/purchaserequestlineview/show/{line.id}").data.decode()
    assert "Как округлено количество" in page and "Округлено вверх до целого: 2,3331 → 3" in page
