"""Lost updates: two users edit one record; the second save is refused and nothing of the first is lost.

The edit page carries the version it was opened with (a hidden field), an API client sends it as
If-Match; the refusal names who changed the record and when, and shows both versions of each field.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.stock import Warehouse
from tests import factories as f
from tests.conftest import ROLE_PASSWORD
from tests.factories_partners import partner

PARTNER_FORM = {"name": "Robokids", "kind": "company", "language": "ru", "is_customer": "y", "active": "y",
                "phone": "+7 495 111-22-33", "email": "info@robokids.example"}


def _opened(page_html: str) -> str:
    """The version the edit form was opened with (its hidden field; empty when the form has none)."""
    found = re.search(r'name="opened_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="opened_version"', page_html)
    return (found.group(1) or found.group(2)) if found else ""


def _token(client, role: str) -> dict[str, str]:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                      "provider": "db", "refresh": False})
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


@pytest.fixture
def robokids(app) -> int:
    return partner("Robokids", phone="+7 495 111-22-33", email="info@robokids.example", is_customer=True).id


def _stored(pk: int) -> Partner:
    db.session.expire_all()
    return db.session.get(Partner, pk)


def test_two_users_save_one_client_the_second_is_refused(robokids, login_as):
    anna, boris = login_as("Sales"), login_as("Manager")
    url = f"/partnerview/edit/{robokids}"
    anna_opened, boris_opened = _opened(anna.get(url).text), _opened(boris.get(url).text)
    assert anna_opened == boris_opened == "1"

    first = anna.post(url, data=PARTNER_FORM | {"phone": "+7 495 999-00-00", "opened_version": anna_opened})
    assert first.status_code == 302
    second = boris.post(url, data=PARTNER_FORM | {"email": "boss@robokids.example", "opened_version": boris_opened})

    assert second.status_code == 200  # the form again, with the refusal
    text = second.text
    assert re.search(r"Robokids was changed by sales at \d\d:\d\d since you opened it", text)
    assert "saved “74959990000”, yours “+7 495 111-22-33”" in text or "saved “+7 495 999-00-00”" in text
    assert "yours “boss@robokids.example”" in text
    p = _stored(robokids)
    assert (p.phone_norm, p.email) == ("74959990000", "info@robokids.example")  # the first save, whole

    # both versions were shown; saving again now replaces the saved one on purpose
    again = boris.post(url, data=PARTNER_FORM | {"email": "boss@robokids.example", "opened_version": _opened(text)})
    assert again.status_code == 302
    assert _stored(robokids).email == "boss@robokids.example"


def test_api_put_over_a_newer_version_is_refused(robokids, client):
    headers = _token(client, "Manager")
    opened = client.get(f"/api/v1/partner/{robokids}", headers=headers)
    version = db.session.scalar(select(Partner.row_version).where(Partner.id == robokids))
    first = client.put(f"/api/v1/partner/{robokids}", json={"phone": "+7 495 999-00-00"},
                       headers=headers | {"If-Match": str(version)})
    assert opened.status_code == 200 and first.status_code == 200, first.text
    stale = client.put(f"/api/v1/partner/{robokids}", json={"email": "boss@robokids.example"},
                       headers=headers | {"If-Match": f'"{version}"'})
    assert stale.status_code == 422
    assert "changed by manager at" in stale.text and "boss@robokids.example" in stale.text
    assert _stored(robokids).email == "info@robokids.example"
    fresh = _stored(robokids).row_version
    ok = client.put(f"/api/v1/partner/{robokids}", json={"email": "boss@robokids.example"},
                    headers=headers | {"If-Match": str(fresh)})
    assert ok.status_code == 200 and _stored(robokids).phone_norm == "74959990000"


def test_item_page_refuses_a_save_over_a_newer_version(app, login_as):
    it = f.item("CPU")
    form = {"code": "CPU", "name": "CPU", "kind": "component", "unit": it.unit_id, "tracking": "lots", "active": "y"}
    first, second = login_as("Manager"), login_as("Engineer")
    url = f"/itemview/edit/{it.id}"
    opened = _opened(first.get(url).text)
    assert _opened(second.get(url).text) == opened
    first.post(url, data=form | {"name": "Processor", "opened_version": opened})
    refused = second.post(url, data=form | {"barcode": "4600000000017", "opened_version": opened},
                          follow_redirects=True)
    assert "CPU was changed by manager at" in refused.text
    assert "saved “Processor”, yours “CPU”" in refused.text
    db.session.expire_all()
    item = db.session.get(Item, it.id)
    assert (item.name, item.barcode) == ("Processor", "")


def test_api_versions_for_fab_registers_and_the_counter_is_not_writable(app, client):
    wh = f.warehouse()
    headers = _token(client, "Manager")
    shown = client.get(f"/api/v1/warehouse/{wh.id}", headers=headers).get_json()["result"]
    assert shown["row_version"] == 1
    assert client.put(f"/api/v1/warehouse/{wh.id}", json={"name": "Main store"},
                      headers=headers | {"If-Match": "1"}).status_code == 200
    stale = client.put(f"/api/v1/warehouse/{wh.id}", json={"address": "Moscow"}, headers=headers | {"If-Match": "1"})
    assert stale.status_code == 422 and "Address: saved “—”, yours “Moscow”" in stale.get_json()["message"]
    forged = client.put(f"/api/v1/warehouse/{wh.id}", json={"row_version": 1, "name": "X"}, headers=headers)
    assert forged.status_code == 422
    db.session.expire_all()
    stored = db.session.get(Warehouse, wh.id)
    assert (stored.name, stored.address, stored.row_version) == ("Main store", "", 2)
