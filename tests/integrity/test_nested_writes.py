"""API writes take related records by id only: a nested object never creates or changes another record.

FAB's schemas accepted `"item": {...}` in a write and inserted that item (a role refused on the item
register created items through the reorder point register). The walk below covers every registered
ModelRestApi, so an API added later is covered without touching this file.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_appbuilder.api import ModelRestApi
from marshmallow import ValidationError
from marshmallow_sqlalchemy.fields import Related, RelatedList
from sqlalchemy import func, select

from app.api.related import IdOnly
from app.extensions import db
from app.models.catalog import Item
from app.models.core import Currency
from app.models.partners import Partner
from app.models.purchasing import ReorderPoint, SupplierOffer
from app.security import ROLE_NAMES
from tests import factories as f
from tests.conftest import ROLE_PASSWORD

REFUSED = (400, 422)  # FAB's validation answer, or the app's refusal contract
NESTED = {"id": None, "code": "NESTED", "name": "Created through a nested object"}


def _apis(app) -> list[ModelRestApi]:
    return [v for v in app.appbuilder.baseviews
            if isinstance(v, ModelRestApi) and not type(v).__module__.startswith("flask_appbuilder.")]


def _write_schemas(app) -> list[tuple[str, str, object]]:
    """(resource, "post" | "put", schema) for every write route of every registered API."""
    out = []
    for api in _apis(app):
        for method, schema in (("post", api.add_model_schema), ("put", api.edit_model_schema)):
            if f"{api.endpoint}.{method}" in app.view_functions:
                out.append((api.resource_name, method, schema))
    return out


def _relations(schema) -> dict[str, object]:
    return {name: fld for name, fld in schema.fields.items()
            if isinstance(fld, Related | RelatedList) and not fld.dump_only}


def test_every_write_schema_takes_related_records_by_id_only(app):
    schemas = _write_schemas(app)
    assert len({r for r, _, _ in schemas}) >= 15  # the walk reaches the registers
    related = 0
    with app.test_request_context():
        for resource, method, schema in schemas:
            for name, fld in _relations(schema).items():
                related += 1
                inner = fld.inner if isinstance(fld, RelatedList) else fld
                assert isinstance(inner, IdOnly), f"{method.upper()} {resource}.{name}"
                value = [NESTED] if isinstance(fld, RelatedList) else NESTED
                with pytest.raises(ValidationError) as refused:
                    schema.load({name: value}, partial=True)
                assert name in refused.value.messages, f"{method.upper()} {resource}.{name}"
                db.session.rollback()
    assert related >= 15


def _token(client, role: str) -> dict[str, str]:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                      "provider": "db", "refresh": False})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def _counts() -> dict[str, int]:
    from flask_appbuilder import Model

    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in Model.metadata.sorted_tables if t.name not in ("audit_log",) and not t.name.startswith("ab_")}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_nested_writes_through_every_api_write_nothing(app, client, role):
    """The role x action matrix with nested objects: every POST / PUT with every relationship nested."""
    f.currency("RUB")
    headers = _token(client, role)
    before = _counts()
    wrong = []
    for resource, method, schema in _write_schemas(app):
        body = {name: ([NESTED] if isinstance(fld, RelatedList) else NESTED)
                for name, fld in _relations(schema).items()}
        if not body:
            continue
        url = f"/api/v1/{resource}/" + ("1" if method == "put" else "")
        resp = client.open(url, method=method.upper(), json=body, headers=headers)
        if resp.status_code not in (400, 403, 404, 422):
            wrong.append(f"{method.upper()} {url}: {resp.status_code}")
    db.session.expire_all()
    assert wrong == []
    assert _counts() == before


def test_purchasing_cannot_create_an_item_through_a_reorder_point(app, client):
    """The issue's example: 403 on /item/, and no item through /reorder_point/ either."""
    wh = f.warehouse()
    cpu = f.item("CPU")
    headers = _token(client, "Purchasing")
    assert client.post("/api/v1/item/", json={"code": "NEW", "name": "New"}, headers=headers).status_code == 403
    nested = {"item": {"code": "NEW", "name": "New", "kind": "component"}, "warehouse": wh.id,
              "min_qty": "1", "max_qty": "5"}
    resp = client.post("/api/v1/reorder_point/", json=nested, headers=headers)
    assert resp.status_code in REFUSED and "id of an existing record" in resp.text
    unknown = client.post("/api/v1/reorder_point/", json={**nested, "item": 999999}, headers=headers)
    assert unknown.status_code in REFUSED and "No record with id 999999" in unknown.text
    assert db.session.scalar(select(func.count()).select_from(Item)) == 1
    ok = client.post("/api/v1/reorder_point/", json={**nested, "item": cpu.id}, headers=headers)
    assert ok.status_code == 201, ok.text
    point = db.session.scalar(select(ReorderPoint))
    assert (point.item_id, point.min_qty) == (cpu.id, Decimal("1"))


def test_an_offer_cannot_create_a_currency(app, client):
    supplier = Partner(name="Alpha", is_supplier=True)
    db.session.add(supplier)
    cpu = f.item("CPU")
    f.currency("RUB")
    db.session.commit()
    body = {"supplier": supplier.id, "item": cpu.id, "price": "10", "currency": {"code": "XAU", "name": "Gold"}}
    resp = client.post("/api/v1/supplier_offer/", json=body, headers=_token(client, "Purchasing"))
    assert resp.status_code in REFUSED
    assert db.session.scalars(select(Currency.code)).all() == ["RUB"]
    assert db.session.scalar(select(func.count()).select_from(SupplierOffer)) == 0


def test_an_address_cannot_duplicate_its_partner(app, client):
    robokids = Partner(name="Robokids", is_customer=True, tax_id="7701234567")
    db.session.add(robokids)
    db.session.commit()
    body = {"partner": {"name": "Robokids", "tax_id": "7701234567"}, "kind": "legal", "address": "Moscow"}
    headers = _token(client, "Manager")
    resp = client.post("/api/v1/partner_address/", json=body, headers=headers)
    assert resp.status_code in REFUSED
    assert db.session.scalar(select(func.count()).select_from(Partner)) == 1
    ok = client.post("/api/v1/partner_address/", json={**body, "partner": robokids.id}, headers=headers)
    assert ok.status_code == 201, ok.text
