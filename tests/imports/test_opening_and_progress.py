"""Opening balances as their own document (a line's value kept exactly, cancel reverses), and the
background progress of a check: rows expected, the status polled, the preview stored for the page."""

from __future__ import annotations

import json
import os
import socket
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.imports import ImportProgress, ImportRun
from app.models.stock import StockDocument
from app.services.imports import background
from app.services.imports.core import shown_rows
from app.services.imports.runs import apply_run, check_run, upload
from app.services.stock import DocumentInput, LineInput, cancel_document, create_document, post_document
from tests import factories as f


def _opening(wh, lines: list[LineInput]) -> StockDocument:
    doc = create_document(db.session, DocumentInput(doc_type="opening", warehouse_id=wh.id,
                                                    doc_date=date(2026, 12, 1), lines=lines))
    return post_document(db.session, doc.id)


def test_a_line_value_posts_exactly_and_cancel_reverses_it(app):
    f.unit("pcs")
    motor = f.item("MOT")
    shop = f.warehouse("SHOP", valuation="average")
    main = f.warehouse("MAIN")
    doc = _opening(shop, [LineInput(motor.id, "3", value="100.00")])
    assert doc.number.startswith("OB") and doc.state == "posted"
    assert f.balance(motor, shop) == (Decimal(3), Decimal("100.00"))  # not 3 x 33.3333 = 99.9999
    line = doc.lines[0] if doc.lines else None
    assert line is not None and line.unit_cost == Decimal("33.3333") and line.value == Decimal("100.00")
    fifo = _opening(main, [LineInput(motor.id, "3", value="100.00")])
    assert [lot.value for lot in f.lots(motor, main)] == [Decimal("100.00")]
    issued = f.issue(main, [(motor, 3)], on=date(2026, 12, 2), reason="test")
    assert sum(m.value for m in f.moves_of(issued)) == Decimal("-100.00")
    cancel_document(db.session, doc.id, date(2026, 12, 3))
    assert f.balance(motor, shop) == (Decimal(0), Decimal(0))
    assert db.session.get(StockDocument, doc.id).state == "cancelled" and fifo.state == "posted"
    refused = None
    try:
        create_document(db.session, DocumentInput(doc_type="opening", warehouse_id=shop.id,
                                                  lines=[LineInput(motor.id, "1", value="-5")]))
    except Exception as exc:  # noqa: BLE001 - the refusal's words are what is checked
        refused = str(exc)
    assert refused and "negative" in refused


def test_expected_rows_and_a_check_with_progress_keeps_its_preview(app):
    f.unit("pcs")
    content = ("code;name;unit\n" + "".join(f"C{i};Item {i};pcs\n" for i in range(7)) + "C1;Again;box\n").encode()
    assert background.expected_rows(content) == 8
    run = upload(db.session, "items", "items.csv", content, "ru")
    background.start(db.session, run.id, background.PHASE_CHECKING,
                     lambda session, progress: check_run(session, run.id, progress=progress))
    stored = db.session.scalar(select(ImportRun).where(ImportRun.id == run.id).execution_options(
        populate_existing=True))
    progress = db.session.get(ImportProgress, run.id)
    assert progress.phase == "" and progress.rows_expected == 8 and stored.rows_bad == 1 and stored.rows_new == 7
    status = background.status(db.session, run.id)
    assert status["finished"] and status["state"] == "checked" and not status["interrupted"]
    # a run this process does not hold: alive while its process lives (same host) or reports (another host)
    now, here = datetime(2026, 12, 8, 12, 0), socket.gethostname()[:60]
    assert background.running_elsewhere(f"{here}:{os.getppid()}", None)
    assert not background.running_elsewhere(f"{here}:{os.getpid()}", now)  # ours, yet not live here: died
    assert background.running_elsewhere("other-host:12", now - timedelta(seconds=30), now)
    assert not background.running_elsewhere("other-host:12", now - timedelta(minutes=5), now)
    rows = shown_rows(stored.preview, lambda s: s)
    assert rows[0].line == 9 and rows[0].action == "bad"
    assert any("repeated" in p for p in rows[0].problems) and any("box" in p for p in rows[0].problems)
    assert json.loads(stored.preview)["rows"][0]["problems"]


def test_addresses_bank_accounts_and_unit_conversions_all_or_nothing_in_russian_and_spanish(app):
    from app.models.catalog import UnitConversion
    from app.models.partners import Partner, PartnerAddress, PartnerBankAccount
    from app.services.imports.runs import apply_run

    f.unit("pcs")
    f.unit("box")
    f.item("MOT")
    db.session.add(Partner(kind="company", name="Robokids", name_norm="robokids", tax_id="7701234567"))
    db.session.commit()

    def run(kind: str, text: str, locale: str = "ru"):
        made = upload(db.session, kind, "f.csv", text.encode(), locale)
        return made.id, check_run(db.session, made.id)

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    # Russian headers; one unknown kind of address refuses the whole file
    text = ("Контрагент;Вид адреса;Адрес;Город\n7701234567;адрес доставки;ул. Лесная 5;Москва\n"
            "Robokids;дача;Тверская 1;\n")
    run_id, preview = run("partner_addresses", text)
    assert preview.counts == {"new": 1, "changed": 0, "same": 0, "bad": 1}
    with pytest.raises(DomainError):
        apply_run(db.session, run_id)
    assert count(PartnerAddress) == 0
    run_id, _ = run("partner_addresses", text.replace("дача", "юридический адрес"))
    apply_run(db.session, run_id)
    assert sorted(db.session.scalars(select(PartnerAddress.kind))) == ["delivery", "legal"]
    _, preview = run("partner_addresses", text.replace("Москва", "Тверь").split("Robokids")[0])
    assert preview.counts["changed"] == 1 and preview.rows[0].changes[0][1:] == ("Москва", "Тверь")

    # Spanish headers: bank accounts (the account's spaces dropped), then the same again changes nothing
    text = "Tercero;Banco;Cuenta;Predeterminado\nRobokids;Sber;4070 2810;sí\n"
    run_id, _ = run("partner_bank_accounts", text, "es")
    apply_run(db.session, run_id)
    account = db.session.scalar(select(PartnerBankAccount))
    assert account.account == "40702810" and account.is_default
    assert run("partner_bank_accounts", text, "es")[1].counts["same"] == 1

    # unit conversions: the item's own unit and a zero factor are refused, nothing written
    run_id, preview = run("unit_conversions", "item;unit;factor\nMOT;box;12\nMOT;pcs;2\n")
    assert preview.counts["bad"] == 1
    with pytest.raises(DomainError):
        apply_run(db.session, run_id)
    assert count(UnitConversion) == 0
    run_id, _ = run("unit_conversions", "item;unit;factor\nMOT;box;12,5\n")
    apply_run(db.session, run_id)
    assert db.session.scalar(select(UnitConversion.factor)) == Decimal("12.5")


def test_rows_written_in_batches_are_rolled_back_by_a_later_bad_row(app, monkeypatch):
    from app.models.catalog import Item
    from app.services.imports import core
    from app.services.imports.runs import apply_run

    monkeypatch.setattr(core, "WRITE_BATCH", 2)  # rows 2-5 are written (two batches) before row 6 is read
    f.unit("pcs")
    good = "".join(f"B{i};Item {i};pcs\n" for i in range(4))
    made = upload(db.session, "items", "f.csv", f"code;name;unit\n{good}B9;Bad;crate\n".encode(), "ru")
    with pytest.raises(DomainError):
        apply_run(db.session, made.id)
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0
    assert db.session.get(ImportRun, made.id).state == "failed"
    made = upload(db.session, "items", "f.csv", f"code;name;unit\n{good}".encode(), "ru")
    assert apply_run(db.session, made.id).rows_new == 4
    assert db.session.scalar(select(func.count()).select_from(Item)) == 4


def test_an_import_shows_its_check_then_its_writing_as_two_steps(app):
    f.unit("pcs")
    run = upload(db.session, "items", "items.csv", b"code;name;unit\nS1;One;pcs\nS2;Two;pcs\n", "ru")
    seen: dict = {}

    def work(session, progress):
        progress(background.PHASE_CHECKING, 2)
        seen.update(background.status(db.session, run.id))

    background.start(db.session, run.id, background.PHASE_IMPORTING, work)
    assert [(s["phase"], s["done"], s["percent"]) for s in seen["steps"]] == [("checking", 2, 100), ("importing", 0, 0)]
    assert background.status(db.session, run.id)["steps"] == []  # finished: no bars
    heard: list = []
    assert apply_run(db.session, run.id, lambda phase, rows: heard.append((phase, rows))).state == "done"
    assert heard[-1] == ("importing", 2)  # the rows written, batch by batch, as the second step
