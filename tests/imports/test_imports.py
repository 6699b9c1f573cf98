"""Imports from CSV / XLSX: every kind all or nothing, locale numbers, upsert previews, opening stock FIFO."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import Item, ItemGroup, PriceListItem
from app.models.imports import ImportRun
from app.models.partners import Partner
from app.models.production import Bom, Routing, WorkCenter
from app.models.purchasing import ReorderPoint, SupplierOffer
from app.models.stock import StockDocument, StockLot
from app.services.imports import KINDS
from app.services.imports.runs import apply_run, check_run, template, upload
from app.services.job_messages import message_text
from tests import factories as f


def _csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def _run(kind: str, content: bytes, locale: str = "ru", on_date: date | None = None, name: str = "f.csv"):
    run = upload(db.session, kind, name, content, locale, on_date)
    return run.id, check_run(db.session, run.id)


def _refused(run_id: int) -> DomainError:
    with pytest.raises(DomainError) as caught:
        apply_run(db.session, run_id)
    assert db.session.get(ImportRun, run_id).state == "failed"
    return caught.value


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_items_locale_numbers_new_group_and_upsert_preview(app):
    f.unit("pcs")
    content = _csv("Код;Наименование;Ед. изм.;Группа;Цена продажи;Вес",
                   "A-1;Мотор;pcs;МОТОРЫ;1 234,50;0,35",
                   "A-2;Колесо;pcs;МОТОРЫ;1,234.50;2")
    run_id, preview = _run("items", content)
    assert preview.counts == {"new": 2, "changed": 0, "same": 0, "bad": 0}
    apply_run(db.session, run_id)
    prices = dict(db.session.execute(select(Item.code, Item.sale_price)).all())
    assert prices == {"A-1": Decimal("1234.50"), "A-2": Decimal("1234.50")}
    assert db.session.scalar(select(ItemGroup.code)) == "МОТОРЫ"
    again = _csv("Код;Наименование;Ед. изм.;Цена продажи", "A-1;Мотор;pcs;1 300", "A-2;Колесо;pcs;1 234,5")
    run_id, preview = _run("items", again)
    assert preview.counts["changed"] == 1 and preview.counts["same"] == 1
    changed = next(p for p in preview.rows if p.key == "A-1")
    assert changed.changes == [("Sale price", "1234.5", "1300")]
    apply_run(db.session, run_id)
    assert db.session.scalar(select(Item.sale_price).where(Item.code == "A-1")) == Decimal("1300")


def test_items_one_bad_row_writes_nothing(app):
    f.unit("pcs")
    content = _csv("code;name;unit;sale_price", "B-1;One;pcs;10", "B-2;Two;box;10", "B-1;Again;pcs;1.2.3",
                   "B-3;Three;pcs;1.234")
    run_id, preview = _run("items", content)
    assert preview.counts["bad"] == 3  # unknown unit; duplicate code and a bad number; an ambiguous number
    texts = [p.render() for plan in preview.rows for p in plan.problems]
    assert any("box" in t and "Line 3" in t for t in texts)
    assert any("repeated" in t for t in texts)
    assert any("ambiguous" in t for t in texts)
    error = _refused(run_id)
    assert "3 of 4 rows have problems" in error.messages()[0]
    assert _count(Item) == 0


def test_partners_with_contacts_and_their_bad_row(app):
    content = _csv("name;tax_id;is_supplier;contact_name;contact_phone",
                   "Robokids LLC;7701234567;yes;Ivan;+7 900", "Robokids LLC;7701234567;;Maria;",
                   "Chips Co;;maybe;;")
    run_id, preview = _run("partners", content)
    assert preview.counts["bad"] == 1
    _refused(run_id)
    assert _count(Partner) == 0
    run_id, _ = _run("partners", content.replace(b"maybe", b"no"))
    apply_run(db.session, run_id)
    company = db.session.scalar(select(Partner).where(Partner.tax_id == "7701234567"))
    people = db.session.scalars(select(Partner.name).where(Partner.company_id == company.id)).all()
    assert company.is_supplier and sorted(people) == ["Ivan", "Maria"]
    assert _count(Partner) == 4


def test_offers_price_lists_reorder_points_all_or_nothing(app):
    f.unit("pcs")
    f.currency("RUB")
    f.item("M-1")
    f.warehouse("MAIN")
    supplier = Partner(name="Chips Co", name_norm="chips co", is_supplier=True, tax_id="B123")
    db.session.add(supplier)
    db.session.commit()
    cases = [
        ("supplier_offers", _csv("supplier;item;price;currency", "B123;M-1;10,5;RUB", "Nobody;M-1;1;RUB"),
         SupplierOffer),
        ("price_lists", _csv("price_list;currency;item;price", "Retail;RUB;M-1;99", "Retail;RUB;NOPE;1"),
         PriceListItem),
        ("reorder_points", _csv("item;warehouse;min_qty;max_qty", "M-1;MAIN;5;10", "M-1;MAIN;5;1"), ReorderPoint),
    ]
    for kind, content, model in cases:
        run_id, preview = _run(kind, content)
        assert preview.counts["bad"] == 1, kind
        _refused(run_id)
        assert _count(model) == 0, kind
        good = b"\n".join(content.split(b"\n")[:2]) + b"\n"
        run_id, _ = _run(kind, good)
        apply_run(db.session, run_id)
        assert _count(model) == 1, kind
    assert db.session.scalar(select(SupplierOffer.price)) == Decimal("10.5")


def test_boms_and_routings_replace_lines_and_refuse_a_cycle(app):
    f.unit("pcs")
    for code in ("P", "C1", "C2"):
        f.item(code)
    db.session.add(WorkCenter(code="ASM", name="Assembly"))
    db.session.commit()
    run_id, _ = _run("boms", _csv("item;component;qty", "P;C1;2", "P;C2;1,5"))
    apply_run(db.session, run_id)
    bom = db.session.scalar(select(Bom))
    assert [(ln.item.code, ln.qty) for ln in bom.lines] == [("C1", Decimal(2)), ("C2", Decimal("1.5"))]
    run_id, preview = _run("boms", _csv("item;component;qty", "P;C1;3"))
    assert preview.rows[0].changes == [("Quantity", "2", "3")]
    apply_run(db.session, run_id)
    db.session.expire_all()
    assert [(ln.item.code, ln.qty) for ln in db.session.scalar(select(Bom)).lines] == [("C1", Decimal(3))]
    run_id, _ = _run("boms", _csv("item;component;qty", "C1;P;1"))  # P -> C1 -> P
    _refused(run_id)
    run_id, _ = _run("boms", _csv("item;version;component;qty", "P;2;C2;1"))  # valid on the same days as v1
    assert "same days" in _refused(run_id).messages()[0]
    assert _count(Bom) == 1
    run_id, preview = _run("routings", _csv("item;seq;operation;work_center;run_minutes", "P;10;Build;ASM;4,5",
                                            "P;20;Test;NOWHERE;1"))
    assert preview.counts["bad"] == 1
    _refused(run_id)
    run_id, _ = _run("routings", _csv("item;seq;operation;work_center;run_minutes", "P;10;Build;ASM;4,5"))
    apply_run(db.session, run_id)
    assert db.session.scalar(select(Routing)).operations[0].run_minutes == Decimal("4.5")


def test_opening_stock_lots_by_date_then_fifo_issue_to_the_kopek(app):
    f.unit("pcs")
    motor = f.item("MOT")
    main = f.warehouse("MAIN")
    shop = f.warehouse("SHOP", valuation="average")
    content = _csv("warehouse;item;qty;unit_cost;value;lot_date",
                   "MAIN;MOT;3;10,01;;20.11.2026", "MAIN;MOT;2;7,00;;01.11.2026", "SHOP;MOT;3;;100,00;")
    run_id, preview = _run("opening_stock", content, on_date=date(2026, 12, 1))
    assert preview.counts == {"new": 3, "changed": 0, "same": 0, "bad": 0}
    run = apply_run(db.session, run_id)
    docs = db.session.scalars(select(StockDocument).where(StockDocument.source_ref == f"IMPORT-{run_id}")).all()
    assert len(docs) == 2 and all(d.state == "posted" and d.doc_type == "opening" for d in docs)
    assert run.state == "done" and all(d.number.startswith("OB") for d in docs)
    with force_locale("ru"):  # the reason is kept as msgid and parameters, shown in the reader's language
        assert message_text(docs[0].reason) == f"Начальные остатки (загрузка {run_id})"
    dates = [lot.received_on for lot in f.lots(motor, main)]
    assert sorted(dates) == [date(2026, 11, 1), date(2026, 11, 20)]
    issued = f.issue(main, [(motor, 3)], on=date(2026, 12, 2), reason="test")
    assert sum(m.value for m in f.moves_of(issued)) == Decimal("-24.01")  # 2 x 7,00 + 1 x 10,01
    assert f.balance(motor, main) == (Decimal(2), Decimal("20.02"))
    assert f.balance(motor, shop) == (Decimal(3), Decimal("100.00"))  # the line's value, not 3 x 33.3333
    run_id, preview = _run("opening_stock", _csv("warehouse;item;qty;unit_cost", "MAIN;MOT;1;5"),
                           on_date=date(2026, 12, 1))
    assert preview.counts["bad"] == 1  # MAIN already holds MOT
    assert _count(StockLot) == 2  # the average-cost warehouse keeps no lots


def test_opening_stock_one_bad_row_posts_nothing(app):
    f.unit("pcs")
    f.item("MOT")
    f.warehouse("MAIN")
    run_id, preview = _run("opening_stock", _csv("warehouse;item;qty;unit_cost", "MAIN;MOT;3;10", "MAIN;MOT;-1;5"),
                           on_date=date(2026, 12, 1))
    assert preview.counts["bad"] == 1
    _refused(run_id)
    assert _count(StockDocument) == 0 and _count(StockLot) == 0


def test_xlsx_template_round_trip_in_russian_headers(app):
    f.unit("pcs")
    for kind in KINDS:
        assert template(kind, "es")[:2] == b"PK"
    content = template("items", "ru")
    run_id, preview = _run("items", content, name="items.xlsx")
    assert preview.mapping["code"] == "Код" and preview.counts["new"] == 1
    apply_run(db.session, run_id)
    assert db.session.scalar(select(Item.sale_price)) == Decimal("1234.50")


def test_csv_encodings_and_delimiters_are_recognised():
    from app.services.imports.core import read_table

    for content in ("Код;Имя\nA;Деталь\n".encode("cp1251"), "\ufeffКод;Имя\nA;Деталь\n".encode(),
                    "Код\tИмя\nA\tДеталь\n".encode(), "Код,Имя\nA,Деталь\n".encode()):
        headers, rows = read_table(content, "f.csv")
        assert headers == ["Код", "Имя"] and list(rows) == [("A", "Деталь")]
