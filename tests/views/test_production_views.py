"""Production through the pages and the REST API: roles, cycle refusal in the form, release / complete /
cancel, the order tree, the printed forms in ru and es."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.models.production import Bom, BomLine, ProductionCompletion, ProductionOrder, Routing
from app.services.production import release_order
from tests import factories as f
from tests.conftest import ROLE_PASSWORD
from tests.services.test_production_example import DAY, build_plant, order_for

D = Decimal

LISTS = ("/productionorderview/list/", "/productioncompletionview/list/", "/disassemblyview/list/",
         "/conversionview/list/", "/bomview/list/", "/routingview/list/", "/workcenterview/list/")
ENGINEERING = {"/bomview/list/", "/routingview/list/", "/workcenterview/list/"}


@pytest.mark.parametrize("role, production, engineering", [
    ("Production", 200, 200), ("Engineer", 200, 200), ("Manager", 200, 200), ("Economist", 200, 200),
    ("Warehouse", 200, 403), ("Sales", 200, 403), ("Purchasing", 403, 403),
])
def test_who_sees_what(app, login_as, role, production, engineering):
    c = login_as(role)
    for url in LISTS:
        expected = engineering if url in ENGINEERING else production
        assert c.get(url).status_code == expected, (role, url)


@pytest.mark.parametrize("role, orders_add, bom_add", [
    ("Production", 200, 403), ("Engineer", 403, 200), ("Manager", 200, 200), ("Economist", 403, 403),
    ("Warehouse", 403, 403),
])
def test_who_may_write(app, login_as, role, orders_add, bom_add):
    c = login_as(role)
    assert c.get("/productionorderview/add").status_code == orders_add
    assert c.get("/bomview/add").status_code == bom_add


def flashes(html: str) -> str:
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


def test_bom_line_that_closes_a_cycle_is_refused_in_the_form(app, session, login_as):
    plant = build_plant(lots=[], with_routings=False)
    c = login_as("Engineer")
    chassis_bom = session.scalar(select(Bom).where(Bom.item_id == plant["N-CHASSIS"].id))
    before = session.scalar(select(func.count()).select_from(BomLine))
    resp = c.post("/bomlineview/add", data={"bom": chassis_bom.id, "item": plant["ROBOT"].id, "qty": "1",
                                            "scrap_pct": "0", "note": ""}, follow_redirects=True)
    assert "This line would create a cycle: N-CHASSIS → ROBOT → N-CHASSIS" in flashes(resp.data.decode())
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BomLine)) == before
    # editing an existing line into a cycle is refused too, and the line keeps its component
    line = chassis_bom.lines[0]
    resp = c.post(f"/bomlineview/edit/{line.id}", data={"bom": chassis_bom.id, "item": plant["N-CHASSIS"].id,
                                                         "qty": "1", "scrap_pct": "0", "note": ""},
                  follow_redirects=True)
    assert "N-CHASSIS → N-CHASSIS" in flashes(resp.data.decode())
    session.expire_all()
    assert session.get(BomLine, line.id).item_id == plant["CASE"].id
    # a good line goes in; a negative quantity becomes a by-product
    resp = c.post("/bomlineview/add", data={"bom": chassis_bom.id, "item": plant["SEN"].id, "qty": "-2",
                                            "scrap_pct": "0", "note": ""})
    assert resp.status_code == 302
    session.expire_all()
    added = session.scalar(select(BomLine).where(BomLine.bom_id == chassis_bom.id,
                                                 BomLine.item_id == plant["SEN"].id))
    assert added.is_byproduct and added.qty == D(2) and added.line_no == 5


def test_order_through_the_pages(app, session, login_as):
    plant = build_plant()
    c = login_as("Production")
    resp = c.post("/productionorderview/add", data={
        "item": plant["ROBOT"].id, "qty": "1", "component_warehouse": plant.main.id,
        "output_warehouse": plant.main.id, "order_date": "2026-11-02", "note": ""})
    assert resp.status_code == 302, flashes(resp.data.decode())
    order = session.scalar(select(ProductionOrder))
    assert order.state == "draft" and order.output_warehouse_id == plant.main.id
    page = c.get(f"/productionorderview/show/{order.id}").data.decode()
    assert 'data-action="release"' in page and 'data-action="complete"' not in page
    resp = c.post(f"/productionorderview/release/{order.id}", follow_redirects=True)
    assert "Child orders created" in flashes(resp.data.decode())
    session.expire_all()
    kids = session.scalars(select(ProductionOrder).where(ProductionOrder.parent_id == order.id)).all()
    assert len(kids) == 3
    tree = c.get(f"/productionorderview/tree/{kids[0].id}")  # any order of the tree shows the whole tree
    assert tree.status_code == 200
    html = tree.data.decode()
    for o in (order, *kids):
        assert o.number in html
    assert "CPU" in html and "N-BRAIN" in html
    resp = c.post(f"/productionorderview/complete/{order.id}", data={"qty": "1", "on_date": "2026-11-02"},
                  follow_redirects=True)
    assert "waits for its child orders" in flashes(resp.data.decode())
    for kid in kids:
        assert c.get(f"/productionorderview/complete/{kid.id}").status_code == 200
        resp = c.post(f"/productionorderview/complete/{kid.id}", data={"qty": str(kid.qty), "on_date": "2026-11-02"})
        assert resp.status_code == 302
    resp = c.post(f"/productionorderview/complete/{order.id}", data={"qty": "1", "on_date": "2026-11-02"},
                  follow_redirects=True)
    assert "Output receipt" in flashes(resp.data.decode())
    session.expire_all()
    assert session.get(ProductionOrder, order.id).state == "done"
    for url in (f"/productionorderview/availability/{order.id}", f"/productionorderview/costs/{order.id}",
                "/productioncompletionview/list/", "/productionorderview/export/xlsx",
                "/productionorderview/export/csv"):
        assert c.get(url).status_code == 200, url
    # a released order can't be edited in the form
    c.post(f"/productionorderview/edit/{order.id}", data={"item": plant["ROBOT"].id, "qty": "5",
                                                          "component_warehouse": plant.main.id, "note": "x"})
    session.expire_all()
    assert session.get(ProductionOrder, order.id).qty == D(1)
    resp = c.post(f"/productionorderview/cancel/{order.id}", follow_redirects=True)
    assert "cancelled" in flashes(resp.data.decode())


def test_report_an_operation_through_the_page(app, session, login_as):
    plant = build_plant()
    order = order_for(plant, "N-DRIVE", 2)
    release_order(session, order.id)
    op = session.get(ProductionOrder, order.id).operations[0]
    c = login_as("Production")
    assert 'data-action="report"' in c.get(f"/productionoperationview/show/{op.id}").data.decode()
    assert c.get(f"/productionoperationview/report/{op.id}").status_code == 200
    resp = c.post(f"/productionoperationview/report/{op.id}", data={"qty": "2", "setup_minutes": "12",
                                                                     "run_minutes": "50", "done": "1"})
    assert resp.status_code == 302
    session.expire_all()
    op = session.get(type(op), op.id)
    assert (op.qty_reported, op.actual_setup_minutes, op.actual_run_minutes, op.done) == (D(2), D(12), D(50), True)
    assert login_as("Economist").post(f"/productionoperationview/report/{op.id}", data={"qty": "1"}).status_code == 403


def test_economist_cannot_release(app, session, login_as):
    plant = build_plant(lots=[])
    order = order_for(plant, "N-BRAIN", 1)
    assert login_as("Economist").post(f"/productionorderview/release/{order.id}").status_code == 403
    session.expire_all()
    assert session.get(ProductionOrder, order.id).state == "draft"


def test_bom_reports(app, session, login_as):
    plant = build_plant()
    robot_bom = session.scalar(select(Bom).where(Bom.item_id == plant["ROBOT"].id))
    c = login_as("Economist")
    html = c.get(f"/bomview/explode/{robot_bom.id}?qty=2").data.decode()
    assert "MOT" in html and "N-DRIVE" in html
    for method in ("standard", "last_purchase", "fifo", "average"):
        assert c.get(f"/bomview/cost/{robot_bom.id}?method={method}").status_code == 200
    bolt_bom = session.scalar(select(Bom).where(Bom.item_id == plant["N-DRIVE"].id))
    html = c.get(f"/bomview/whereused/{bolt_bom.id}").data.decode()
    assert "ROBOT" in html


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("lang, cpu_name", [("ru", "Процессор А1"), ("es", "Procesador A1")])
def test_printed_forms(app, session, login_as, lang, cpu_name):
    plant = build_plant()
    plant["CPU"].name_ru, plant["CPU"].name_es = "Процессор А1", "Procesador A1"
    session.commit()
    order = order_for(plant, "N-BRAIN", 2)
    release_order(session, order.id)
    from app.services.production import complete_order

    rec = complete_order(session, order.id, "1", DAY)
    routing = session.scalar(select(Routing).where(Routing.item_id == plant["ROBOT"].id))
    c = login_as("Production")
    urls = (f"/routingview/print/{routing.id}?lang={lang}", f"/productionorderview/print/{order.id}?lang={lang}",
            f"/productioncompletionview/print/{rec.id}?lang={lang}")
    texts = []
    for url in urls:
        resp = c.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf", url
        fonts = {str(font) for page in PdfReader(io.BytesIO(resp.data)).pages
                 for font in page["/Resources"]["/Font"].values() for font in [font.get_object()["/BaseFont"]]}
        assert any("DejaVuSans" in font for font in fonts), fonts
        texts.append(pdf_text(resp.data))
    routing_text, order_text, receipt_text = texts
    assert "Flash the software" in routing_text and "fw-2.3" in routing_text and "N-DRIVE" in routing_text
    assert cpu_name in order_text and "N-BRAIN" in order_text and order.number in order_text
    # the receipt names its order and the components it took, at their ledger cost: CPU 1800, SEN 2 x 175
    assert order.number in receipt_text and rec.number in receipt_text and cpu_name in receipt_text
    assert ("1 800,00" if lang == "ru" else "1.800,00") in receipt_text.replace("\xa0", " ")


def token(client, role: str) -> dict:
    resp = client.post("/api/v1/security/login", json={"username": role.lower(), "password": ROLE_PASSWORD,
                                                         "provider": "db", "refresh": True})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['access_token']}"}


def test_api_release_complete_cancel(app, session, client):
    plant = build_plant()
    h = token(client, "Production")
    resp = client.post("/api/v1/production_order/draft", headers=h, json={
        "item_id": plant["N-DRIVE"].id, "qty": "2", "component_warehouse_id": plant.main.id,
        "order_date": "2026-11-02"})
    assert resp.status_code == 201, resp.json
    pk = resp.json["id"]
    resp = client.post(f"/api/v1/production_order/{pk}/release", headers=h)
    assert resp.status_code == 200 and resp.json["state"] == "released" and resp.json["children"] == []
    avail = client.get(f"/api/v1/production_order/{pk}/availability", headers=h)
    assert avail.status_code == 200 and {r["code"] for r in avail.json["result"]} == {"MOT", "WHEEL", "BOLT"}
    resp = client.post(f"/api/v1/production_order/{pk}/complete", headers=h, json={"qty": "5", "date": "2026-11-02"})
    assert resp.status_code == 422 and "at most 2" in resp.json["message"][0]
    resp = client.post(f"/api/v1/production_order/{pk}/complete", headers=h, json={"qty": "2", "date": "2026-11-02"})
    assert resp.status_code == 200 and resp.json["order"]["state"] == "done"
    # MOT 4 @ 410; WHEEL 4 @ 72; BOLT 16.8 @ 2.40 = 40.32; 15 + 40 min at 600 + 300 per hour = 825
    assert D(resp.json["output_value"]) == D(1640) + D(288) + D("40.32") + D(825)
    assert client.get("/api/v1/production_receipt/", headers=h).json["count"] == 1
    resp = client.post(f"/api/v1/production_order/{pk}/cancel", headers=h, json={"date": "2026-11-03"})
    assert resp.status_code == 200 and resp.json["state"] == "cancelled"
    assert session.scalar(select(ProductionCompletion.state)) == "cancelled"
    assert f.balance(plant["N-DRIVE"], plant.main) == (D(0), D(0))


def test_api_roles_and_explosion(app, session, client):
    plant = build_plant(lots=[])
    order = order_for(plant, "N-BRAIN", 1)
    h = token(client, "Warehouse")
    assert client.get("/api/v1/production_order/", headers=h).status_code == 200
    assert client.post(f"/api/v1/production_order/{order.id}/release", headers=h).status_code == 403
    assert client.get(f"/api/v1/bom/explode/{plant['ROBOT'].id}?qty=1", headers=h).status_code == 403
    e = token(client, "Engineer")
    resp = client.get(f"/api/v1/bom/explode/{plant['ROBOT'].id}?qty=2", headers=e)
    assert resp.status_code == 200
    assert D(resp.json["totals"][str(plant["MOT"].id)]) == D(8)
    assert client.get(f"/api/v1/bom/explode/{plant['CPU'].id}", headers=e).status_code == 422


def test_disassembly_and_conversion_through_the_pages(app, session, login_as):
    from app.models.production import Transformation

    plant = build_plant(lots=[("CPU", 2, "1800")], with_routings=False)
    f.receipt(plant.main, [(plant["N-BRAIN"], 2, "5000")])
    c = login_as("Production")
    resp = c.post("/disassemblyview/add", data={"doc_date": "2026-11-05", "warehouse": plant.main.id,
                                                "item": plant["N-BRAIN"].id, "qty": "1", "share_rule": "standard",
                                                "note": ""})
    assert resp.status_code == 302
    doc = session.scalar(select(Transformation))
    assert doc.kind == "disassembly" and doc.state == "draft" and len(doc.lines) == 4  # the BOM's, shown to adjust
    assert resp.location.endswith(f"/disassemblyview/show/{doc.id}")
    assert 'data-action="post_doc"' in c.get(f"/disassemblyview/show/{doc.id}").data.decode()
    resp = c.post(f"/disassemblyview/post/{doc.id}", follow_redirects=True)
    assert "posted" in flashes(resp.data.decode())
    session.expire_all()
    doc = session.get(Transformation, doc.id)
    assert doc.state == "posted" and {ln.item.code for ln in doc.lines} == {"CPU", "MB", "SBIO", "SEN"}
    assert sum(ln.value for ln in doc.lines) == D(5000)
    assert c.get(f"/conversionview/show/{doc.id}").status_code == 404  # a disassembly is not a conversion
    resp = c.post("/conversionview/add", data={"doc_date": "2026-11-05", "warehouse": plant.main.id,
                                               "item": plant["CPU"].id, "qty": "2", "share_rule": "manual",
                                               "note": ""})
    conv = session.scalar(select(Transformation).where(Transformation.kind == "conversion"))
    c.post("/transformationlineview/add", data={"document": conv.id, "item": plant["MB"].id, "qty": "1",
                                                "share": "1"})
    resp = c.post(f"/conversionview/post/{conv.id}", follow_redirects=True)
    assert "posted" in flashes(resp.data.decode())
    session.expire_all()
    conv = session.get(Transformation, conv.id)  # the motherboard carries exactly what the two CPUs cost
    assert conv.lines[0].value == conv.consumed_value
    resp = c.post(f"/conversionview/cancel/{conv.id}", follow_redirects=True)
    assert "cancelled" in flashes(resp.data.decode())
    for url in ("/disassemblyview/list/", "/conversionview/list/", "/disassemblyview/export/csv"):
        assert c.get(url).status_code == 200


def test_bom_header_changes_checked(app, session, login_as):
    plant = build_plant(lots=[], with_routings=False)
    c = login_as("Engineer")
    brain_bom = session.scalar(select(Bom).where(Bom.item_id == plant["N-BRAIN"].id))
    # making the brain's BOM the CPU's would make the CPU contain itself
    resp = c.post(f"/bomview/edit/{brain_bom.id}", data={"item": plant["CPU"].id, "version": "1", "name": "",
                                                        "output_qty": "1", "active": "y", "note": ""},
                  follow_redirects=True)
    assert "Line 1: This line would create a cycle: CPU → CPU" in flashes(resp.data.decode())
    # a second active version valid on the same days is refused
    resp = c.post("/bomview/add", data={"item": plant["N-BRAIN"].id, "version": "2", "name": "",
                                        "output_qty": "1", "active": "y", "note": ""}, follow_redirects=True)
    assert "Version 1 of this item is valid on some of the same days" in flashes(resp.data.decode())
    session.expire_all()
    assert session.get(Bom, brain_bom.id).item_id == plant["N-BRAIN"].id
    assert session.scalar(select(func.count()).select_from(Bom)) == 4
