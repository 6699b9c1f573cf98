"""Edits that would reinterpret the ledger are refused, on the page and through the API alike.

A warehouse's valuation (FIFO / average) while it has stock moves; an item's unit while it has moves,
reservations, unit conversions or BOM use; a stocked item made a service (or back) under the same.
Each refusal says why and what to do instead; nothing is changed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.stock import Warehouse
from app.services.stock.verify import verify_stock
from tests import factories as f
from tests.conftest import ROLE_PASSWORD

REFUSED = 422


def _token(client, role: str = "Manager") -> dict[str, str]:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                      "provider": "db", "refresh": False})
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


@pytest.fixture
def stocked(app):
    """A FIFO warehouse holding 10 of an item, and an empty second warehouse and item."""
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("CPU")
    f.receipt(wh, [(it, 10, "5")])
    return wh, it, f.warehouse("NEW", "fifo"), f.item("SPARE")


def test_api_refuses_a_valuation_change_under_stock(stocked, client):
    wh, _, empty, _ = stocked
    headers = _token(client)
    resp = client.put(f"/api/v1/warehouse/{wh.id}", json={"valuation": "average"}, headers=headers)
    assert resp.status_code == REFUSED, resp.text
    [error] = resp.get_json()["errors"]
    assert error["field"] == "valuation"
    assert "has stock moves" in error["message"] and "transfer the stock" in error["message"]
    assert _fresh(Warehouse, wh.id).valuation == "fifo"
    assert verify_stock(db.session) == []
    ok = client.put(f"/api/v1/warehouse/{empty.id}", json={"valuation": "average"}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert _fresh(Warehouse, empty.id).valuation == "average"


def test_page_refuses_a_valuation_change_under_stock(stocked, login_as):
    wh, _, _, _ = stocked
    page = login_as("Manager")
    form = {"code": "MAIN", "name": "Main", "valuation": "average", "address": "", "active": "y"}
    resp = page.post(f"/warehouseview/edit/{wh.id}", data=form, follow_redirects=True)
    assert "has stock moves" in resp.text and "transfer the stock" in resp.text
    assert _fresh(Warehouse, wh.id).valuation == "fifo"


def test_api_refuses_unit_and_kind_changes_under_stock(stocked, client):
    _, it, _, spare = stocked
    box = f.unit("box")
    headers = _token(client)
    resp = client.put(f"/api/v1/item/{it.id}", json={"unit": box.id}, headers=headers)
    assert resp.status_code == REFUSED, resp.text
    assert "unit cannot change from pcs to box" in resp.text and "unit conversion" in resp.text
    resp = client.put(f"/api/v1/item/{it.id}", json={"kind": "service"}, headers=headers)
    assert resp.status_code == REFUSED and "cannot be issued" in resp.text
    item = _fresh(Item, it.id)
    assert (item.unit.code, item.kind) == ("pcs", "component")
    # an item nothing refers to yet may still be set up either way; component -> product is harmless
    assert client.put(f"/api/v1/item/{spare.id}", json={"unit": box.id}, headers=headers).status_code == 200
    assert client.put(f"/api/v1/item/{it.id}", json={"kind": "product"}, headers=headers).status_code == 200
    assert _fresh(Item, spare.id).unit.code == "box" and _fresh(Item, it.id).kind == "product"


def test_page_refuses_a_unit_change_under_stock(stocked, login_as):
    _, it, _, _ = stocked
    box = f.unit("box")
    form = {"code": "CPU", "name": "CPU", "kind": "component", "unit": box.id, "tracking": "lots", "active": "y"}
    resp = login_as("Manager").post(f"/itemview/edit/{it.id}", data=form, follow_redirects=True)
    assert "unit cannot change from pcs to box" in resp.text
    assert _fresh(Item, it.id).unit.code == "pcs"


def test_bom_use_and_reservations_count_as_recorded_quantities(app, client):
    from app.services.stock.structure import USE_BOMS, USE_RESERVATIONS, item_uses
    from tests.sales import factories_sales as fs

    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "100")
    fs.stock(wh, robot, 3)
    from app.services.sales import confirm_order

    confirm_order(db.session, fs.order(fs.client(), [(robot, 2)]).id)
    assert USE_RESERVATIONS in item_uses(db.session, robot.id, conversions=False)
    assert USE_BOMS not in item_uses(db.session, robot.id, conversions=False)
    bolt = f.item("BOLT")
    from app.models.production import Bom, BomLine

    db.session.add(Bom(item=robot, version="1", name="", output_qty=Decimal(1),
                       lines=[BomLine(line_no=1, item=bolt, qty=Decimal(4))]))
    db.session.commit()
    assert list(item_uses(db.session, bolt.id, conversions=False)) == [USE_BOMS]
    resp = client.put(f"/api/v1/item/{bolt.id}", json={"kind": "service"}, headers=_token(client))
    assert resp.status_code == REFUSED and "bills of materials" in resp.text
    assert db.session.scalar(select(Item.kind).where(Item.id == bolt.id)) == "component"
