"""Codes and booleans reach the reader as words (issue 14 item 2): lists, cards, filters, exports,
job messages, the audit log."""

from __future__ import annotations

import json

from flask import session as flask_session
from flask_babel import refresh

from app.services.job_messages import N_, job_message, message_text
from app.services.vocabulary import label
from tests import factories
from tests.views.test_crawl_language import filter_texts, visible_texts


def _ru(client) -> None:
    client.get("/lang/ru")


def _items(session) -> None:
    factories.item("CPU-A1", "Processor", kind="material")
    session.commit()


def test_item_list_card_and_export_show_kind_and_active_as_words(app, session, login_as):
    _items(session)
    client = login_as("Admin")
    _ru(client)
    page = client.get("/itemview/list/").get_data(as_text=True)
    assert "Материал" in page and ">material<" not in page
    assert "Да" in page and "True" not in page
    csv = client.get("/itemview/export/csv").get_data(as_text=True)
    assert ";Материал;" in csv and ";Да" in csv and "True" not in csv and "material" not in csv


def test_the_kind_filter_offers_words(app, session, login_as):
    _items(session)
    client = login_as("Admin")
    _ru(client)
    page = client.get("/itemview/list/").get_data(as_text=True)
    script = next(s for s in page.split("<script") if "AdminFilters(" in s)
    assert "Материал" in filter_texts(script.split(">", 1)[1].split("</script>")[0])
    filtered = client.get("/itemview/list/?_flt_0_kind=material").get_data(as_text=True)
    assert "CPU-A1" in filtered


def test_warehouse_valuation_and_move_kinds_have_words(app):
    with app.test_request_context():
        flask_session["locale"] = "ru"
        refresh()
        assert label("warehouse", "valuation", "fifo") == "Партионный (ФИФО)"
        assert label("stock_move", "kind", "production_output") == "Выпуск продукции"
        assert label("document_sequence", "doc_type", "sales_order") == "Заказ покупателя"
        assert label("audit_log", "entity", "PurchaseRequestLine") == "Строка заявки"
        assert label("item", "active", True) == "Да"
        assert label("item", "kind", "unknown-code") == "unknown-code"


def test_a_job_message_is_stored_as_msgid_and_read_in_the_readers_language(app):
    stored = job_message(N_("%(methods)s: %(requests)s new requests, %(lines)s new lines, %(updated)s updated, "
                            "value %(value)s"), methods=["sales", "minmax"], requests=0, lines=4, updated=1,
                         value="1234.50")
    assert json.loads(stored)["params"]["methods"] == ["sales", "minmax"]
    with app.test_request_context():
        flask_session["locale"] = "ru"
        refresh()
        text = message_text(stored)
    assert "Анализ продаж" in text and "sales" not in text and "new" not in text and "1\xa0234,50" in text
    assert message_text("backup-2026.db") == "backup-2026.db"  # a plain text stays as it is


def _ru_words(app, *pairs: tuple[str, str, object]) -> list[str]:
    with app.test_request_context():
        flask_session["locale"] = "ru"
        refresh()
        return [label(table, column, value) for table, column, value in pairs]


def test_the_audit_log_names_actions_and_registers_in_words_with_a_readable_title(app, session, login_as):
    _items(session)
    from app.models.catalog import Item

    item = session.query(Item).filter_by(code="CPU-A1").one()
    item.active = False
    session.commit()
    client = login_as("Admin")
    _ru(client)
    page = client.get("/auditlogview/list/").get_data(as_text=True)
    created, changed, register = _ru_words(app, ("audit_log", "action", "create"), ("audit_log", "action", "update"),
                                           ("audit_log", "entity", "Item"))
    assert created in page and changed in page and register in page
    assert ">create<" not in page and ">Item<" not in page and ">CPU-A1<" in page.replace(" ", "").replace("\n", "")
    from app.models.audit import AuditLog

    row = session.query(AuditLog).filter_by(entity="Item", action="update").one()
    card = client.get(f"/auditlogview/show/{row.id}").get_data(as_text=True)
    assert "audit-changes" in card
    assert "Да" in card and "Нет" in card and ">active<" not in card


def test_an_unreadable_old_title_is_left_out():
    from app.views.audit_display import readable_summary

    assert readable_summary("14: None") == "" and readable_summary("<app.models.X object at 0x7f>") == ""
    assert readable_summary("SO-2026-00001 #1 KIT-START") == "SO-2026-00001 #1 KIT-START"


def test_the_e_mail_to_and_the_date_range_to_are_two_words(app, login_as):
    """Issue 14 item 4: one English word, two meanings, two messages (pgettext)."""
    from flask_babel import gettext, pgettext

    for lang, recipient, until in (("ru", "Кому", "По"), ("es", "Para", "Hasta")):
        with app.test_request_context():
            flask_session["locale"] = lang
            refresh()
            assert (pgettext("e-mail", "To"), gettext("To")) == (recipient, until)
        client = login_as("Admin")
        client.get(f"/lang/{lang}")
        page = client.get("/outboxview/list/").get_data(as_text=True)
        assert f">{recipient}<" in page.replace("\n", "").replace(" ", "") and f">{until}<" not in page


def test_pending_translations_carry_a_context():
    import importlib.util
    from pathlib import Path

    from babel.messages.catalog import Message

    path = Path(__file__).resolve().parents[2] / "scripts" / "i18n_fill.py"
    spec = importlib.util.spec_from_file_location("i18n_fill", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._key(Message("To", context="e-mail")) == "e-mail\x04To"
    assert module._key(Message("To")) == "To"
    assert "e-mail\x04To" in module._pending()


def test_the_users_register_reads_yes_and_no(app, login_as):
    client = login_as("Admin")
    _ru(client)
    texts = visible_texts(client.get("/users/list/").get_data(as_text=True))
    assert "Да" in texts and "Руководитель" in texts and "True" not in texts and "[Manager]" not in texts
    card = visible_texts(client.get("/users/show/1").get_data(as_text=True))
    assert "True" not in card and "None" not in card


def test_exports_of_coded_registers_hold_words_not_codes(app, login_as):
    """Items, warehouses, the ledger, numbering, the audit log and job runs exported in Russian: no cell is a code."""
    import csv
    import io

    from app.services.demo import load_demo
    from tests.views.test_crawl_language import raw_codes

    load_demo()
    client = login_as("Admin")
    _ru(client)
    codes = raw_codes()
    for register in ("itemview", "warehouseview", "stockmoveview", "documentsequenceview", "auditlogview",
                     "jobsview"):
        resp = client.get(f"/{register}/export/csv")
        assert resp.status_code == 200, register
        rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
        assert len(rows) > 1 or register == "jobsview", register
        coded = [i for i, header in enumerate(rows[0]) if header not in ("Описание", "Изменения")]  # titles: data
        raw = {row[i] for row in rows[1:] for i in coded if i < len(row) and row[i] in codes}
        assert raw == set(), f"{register}: {sorted(raw)[:10]}"


def test_every_audited_register_has_a_name():
    """A model added later without a name in the audit log's vocabulary fails here, not on a user's screen."""
    from flask_appbuilder import Model

    import app.models  # noqa: F401 - every model mapped
    from app.models.base import Audited
    from app.services.vocabulary import ENTITY_LABELS

    audited = {m.class_.__name__ for m in Model.registry.mappers if issubclass(m.class_, Audited)}
    assert audited - set(ENTITY_LABELS) == set()
