"""Names in the reader's language and case-insensitive search, on the demo data (issue 14, items 1, 6, 7).

A Russian or Spanish reader sees the item, group, warehouse, operation and work-centre names in their
language on the lists, the BOM pages and the production pages; filters and the order-entry picker find
Cyrillic names typed in any case (on SQLite, whose own lower() folds ASCII only, and on PostgreSQL);
the overall popular positions leave out the one-off items made from a TCP.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.catalog import Item
from app.models.production import Bom, ProductionOrder
from app.models.proposals import Proposal
from app.models.sales import SalesOrder, SalesOrderLine
from app.models.stock import Warehouse
from app.services.sales.popular import forget_cache, overall_popular
from tests.conftest import ROLE_PASSWORD

ROBOT = {"en": "Educational robot, standard", "ru": "Робот учебный стандартный", "es": "Robot educativo estándar"}
CHASSIS = {"en": "Chassis node", "ru": "Узел шасси", "es": "Conjunto chasis"}
MAIN = {"en": "Main warehouse", "ru": "Основной склад", "es": "Almacén principal"}
ASSEMBLY = {"en": "Final assembly", "ru": "Общая сборка", "es": "Montaje final"}


@pytest.fixture(scope="module")
def demo(_app_state):
    """One app with the demo data for the module (the tests only read, except the popular one)."""
    from app.services.demo import load_demo
    from tests.conftest import _reset

    app, db_file, template = _app_state
    with app.app_context():
        _reset(app, db_file, template)
        load_demo()
        yield app
        db.session.remove()


def _client(app, role: str, lang: str):
    client = app.test_client()
    assert client.post("/login/", data={"username": role.lower(), "password": ROLE_PASSWORD}).status_code in (302, 303)
    client.get(f"/lang/{lang}")
    return client


def _page(client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def test_demo_names_are_filled_in_three_languages(demo):
    main = db.session.scalar(select(Warehouse).where(Warehouse.code == "MAIN"))
    assert (main.name, main.name_ru, main.name_es) == (MAIN["en"], MAIN["ru"], MAIN["es"])
    chassis = db.session.scalar(select(Item).where(Item.code == "N-CHASSIS"))
    assert chassis.name == CHASSIS["en"], "the demo's chassis name changed: update CHASSIS"
    assert (chassis.name_ru, chassis.name_es) == (CHASSIS["ru"], CHASSIS["es"])


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_lists_show_the_readers_names(demo, lang):
    manager = _client(demo, "Manager", lang)
    items = _page(manager, "/itemview/list/?psize_ItemView=100")
    assert ROBOT[lang] in items and ROBOT["en"] not in items
    warehouses = _page(manager, "/warehouseview/list/")
    assert MAIN[lang] in warehouses and "/" not in MAIN[lang]
    assert MAIN["en"] not in warehouses
    exported = manager.get("/itemview/export/csv").get_data(as_text=True)  # the export as the list shows it
    assert ROBOT[lang] in exported and ROBOT["en"] not in exported


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_bom_and_production_pages_show_the_readers_names(demo, lang):
    manager = _client(demo, "Manager", lang)
    robot_bom = db.session.scalar(select(Bom).join(Item, Item.id == Bom.item_id).where(Item.code == "ROBOT-STD"))
    explode = _page(manager, f"/bomview/explode/{robot_bom.id}?qty=1")
    assert CHASSIS[lang] in explode and CHASSIS["en"] not in explode
    order = db.session.scalar(  # the first, the Robokids order: without ORDER BY, PostgreSQL returns any
        select(ProductionOrder).join(Item).where(Item.code == "ROBOT-STD").order_by(ProductionOrder.id).limit(1))
    availability = _page(manager, f"/productionorderview/availability/{order.id}")
    assert CHASSIS[lang] in availability and CHASSIS["en"] not in availability
    tree = _page(manager, f"/productionorderview/tree/{order.id}")
    assert CHASSIS[lang] in tree and CHASSIS["en"] not in tree
    operations = _page(manager, f"/productionorderview/show/{order.id}")
    assert ASSEMBLY[lang] in operations and ASSEMBLY["en"] not in operations


@pytest.mark.parametrize("typed", ["робот", "РОБОТ", "Робот", "рОбОт"])
def test_list_filter_finds_cyrillic_names_in_any_case(demo, typed):
    manager = _client(demo, "Manager", "ru")
    by_russian_name = _page(manager, f"/itemview/list/?_flt_2_name_ru={typed}")  # FAB's "contains"
    assert "ROBOT-STD" in by_russian_name and "ROBOT-XL" in by_russian_name and "BOLT-M3" not in by_russian_name
    any_language = _page(manager, f"/itemview/list/?_flt_2_name={typed}")  # "contains", in any language
    assert "ROBOT-STD" in any_language and "BOLT-M3" not in any_language
    main = "ОСНОВНОЙ" if typed.isupper() else "основной"
    warehouses = _page(manager, f"/warehouseview/list/?_flt_2_name={main}")
    assert "MAIN" in warehouses and "SHOP" not in warehouses


@pytest.mark.parametrize("typed", ["робот", "РОБОТ", "educativo", "EDUCATIVO", "robot-s"])
def test_order_entry_picker_finds_items_in_any_language_and_case(demo, typed):
    sales = _client(demo, "Sales", "es")
    found = sales.get(f"/salesorderview/lookup.json?what=item&q={typed}").get_json()
    robot = next(r for r in found if r["label"].startswith("ROBOT-STD"))
    assert robot["label"] == f"ROBOT-STD {ROBOT['es']}"  # the reader's name
    if typed.lower() == "робот":  # matched on the Russian name: shown so the user sees why
        assert robot["match"] == ROBOT["ru"]
    else:
        assert "match" not in robot


def test_order_entry_picker_finds_clients_by_a_lower_case_name(demo):
    sales = _client(demo, "Sales", "ru")
    found = sales.get("/salesorderview/lookup.json?what=partner&q=робокидс").get_json()
    assert [r["label"] for r in found] == ["Робокидс"]
    assert sales.get("/salesorderview/lookup.json?what=partner&q=").get_json() == []


def test_overall_popular_leaves_out_one_off_tcp_items(demo):
    """The demo's approved TCP, converted, becomes a custom item on an order of its client: the overall
    popular positions leave it out, the client's own keep it."""
    from app.services.base import unit_of_work
    from app.services.proposals.conversion import convert_proposal

    approved = db.session.scalar(select(Proposal).where(Proposal.state == "approved"))
    with unit_of_work(db.session):
        convert_proposal(db.session, approved.id)
    custom_ids = set(db.session.scalars(select(Proposal.custom_item_id).where(Proposal.custom_item_id.is_not(None))))
    assert custom_ids, "the demo converts its approved TCP into a custom item"
    ordered = set(db.session.scalars(select(SalesOrderLine.item_id).join(SalesOrder)))
    assert custom_ids & ordered, "the custom item is on an order"
    forget_cache()
    overall = {p.item_id for p in overall_popular(db.session, limit=50)}
    assert overall and not overall & custom_ids
    sales = _client(demo, "Sales", "ru")
    listed = sales.get("/salesorderview/popular.json").get_json()["overall"]
    assert listed and not {p["item_id"] for p in listed} & custom_ids
    robokids = db.session.scalar(select(SalesOrder.partner_id).join(SalesOrderLine).where(
        SalesOrderLine.item_id.in_(custom_ids)).limit(1))
    own = sales.get(f"/salesorderview/popular.json?partner_id={robokids}").get_json()["client"]
    assert {p["item_id"] for p in own} & custom_ids, "the client's own list keeps what was made for them"
    assert all(Decimal(p["qty"]) > 0 for p in own)


@pytest.mark.parametrize("lang, unit, description", [
    ("ru", "(мм)", "Межкомнатная дверь 2100 × 900 мм, Шпон дуба, Раздвижная, фурнитура: да"),
    ("es", "(mm)", "Puerta de interior 2100 × 900 mm, Chapa de roble, Corredera, herrajes: sí"),
])
def test_calculator_speaks_the_readers_language(demo, lang, unit, description):
    """The door calculator's description, parameter units and result description in the reader's language;
    the run is recorded with that description (nothing else changes: the price is the same)."""
    from app.models.calculators import CalculationRun, Calculator

    door = db.session.scalar(select(Calculator).where(Calculator.code == "DOOR"))
    sales = _client(demo, "Sales", lang)
    page = _page(sales, f"/calculatorview/run/{door.id}")
    assert door.description_label(lang) in page and door.description not in page
    assert unit in page
    resp = sales.post(f"/calculatorview/run/{door.id}", data={
        "height": "2100", "width": "900", "material": "oak", "opening": "sliding", "hardware": "1"})
    assert resp.status_code == 302
    run = db.session.scalar(select(CalculationRun).order_by(CalculationRun.id.desc()).limit(1))
    assert run.description == description
    english = db.session.scalar(select(CalculationRun).where(CalculationRun.calculator_id == door.id)
                                .order_by(CalculationRun.id).limit(1))  # the demo's run, outside a request
    assert english.description.startswith("Interior door 2100 x 900 mm, oak, sliding") and english.price == run.price


@pytest.mark.parametrize("lang, parts, lead", [("ru", "Детали", "Лид"), ("es", "Piezas", "Cliente potencial")])
def test_small_registers_list_one_name_in_the_readers_language(demo, lang, parts, lead):
    """Item groups, deal stages: the list shows the reader's name only (not "Parts" next to it); the card
    keeps the three for whoever maintains them."""
    from app.models.catalog import ItemGroup
    from app.models.crm import DealStage

    manager = _client(demo, "Manager", lang)
    groups = _page(manager, "/itemgroupview/list/")
    assert parts in groups and ">Parts<" not in groups
    part = db.session.scalar(select(ItemGroup).where(ItemGroup.name == "Parts"))
    assert (part.label(lang), db.session.scalar(select(DealStage).where(DealStage.name == "Lead")).label(lang)) == (
        parts, lead), "the demo's words changed: update the test"
    card = _page(manager, f"/itemgroupview/show/{part.id}")
    assert "Parts" in card and parts in card
    stages = _page(manager, "/dealstageview/list/")
    assert lead in stages and ">Lead<" not in stages


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_item_list_sorted_by_name_follows_the_readers_names(demo, lang):
    from app.models.base import LocalizedName

    manager = _client(demo, "Manager", lang)
    items = db.session.scalars(select(Item).where(Item.active.is_(True))).all()
    expected = sorted((LocalizedName.label(i, lang), i.id) for i in items)[:3]
    html = _page(manager, "/itemview/list/?_oc_ItemView=name&_od_ItemView=asc&psize_ItemView=100")
    positions = [html.index(f"<td>{name}</td>") for name, _ in expected]
    assert positions == sorted(positions), expected


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_production_order_pdf_names_operations_and_warehouses_in_its_language(demo, lang):
    import io

    from pypdf import PdfReader

    order = db.session.scalar(  # the first, the Robokids order: without ORDER BY, PostgreSQL returns any
        select(ProductionOrder).join(Item).where(Item.code == "ROBOT-STD").order_by(ProductionOrder.id).limit(1))
    resp = _client(demo, "Manager", "en").get(f"/productionorderview/print/{order.id}?lang={lang}")
    assert resp.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages).split())
    assert ASSEMBLY[lang] in text and ASSEMBLY["en"] not in text
    assert f"{MAIN[lang]} (MAIN)" in text
