"""Warehouse printed forms and report pages through the Flask test client, in ru / es / en.

PDF text is read back with pypdf; the fonts are checked to be the embedded DejaVuSans (Cyrillic and
Spanish letters would be lost in a base-14 font). Titles are the GLOSSARY's words from the app's
catalogues (translations/); names, amounts in words, number and date formats and the ИНН / КПП
labels come from the locale itself.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import ContentStream

from app.models.core import Company
from app.models.stock import StockDocument
from tests import factories as f

D = Decimal
PDF = "application/pdf"


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of whitespace (Babel's no-break spaces too) made one space."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def base_fonts(data: bytes) -> set[str]:
    """/BaseFont of every font in the page resources, subset prefix (AAAAAA+) removed."""
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def fonts_drawing_text(data: bytes) -> set[str]:
    """The fonts selected (Tf) when text is shown: xhtml2pdf lists Helvetica but must not draw with it."""
    reader = PdfReader(io.BytesIO(data))
    used = set()
    for page in reader.pages:
        fonts = {name: str(obj.get_object()["/BaseFont"]) for name, obj in page["/Resources"]["/Font"].items()}
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                used.add(fonts[current].lstrip("/").split("+")[-1])
    return used


def make_company(session, currency: str = "RUB") -> Company:
    cur = f.currency(currency)
    company = Company(name="РобоФабрика", legal_name="ООО «РобоФабрика»", tax_id="7701234567",
                      tax_id2="770101001", registration_no="1187746123456",
                      address="125009, г. Москва, ул. Тверская, д. 7", base_currency=cur,
                      bank_name="ПАО «Сбербанк»", bank_bic="044525225", bank_account="40702810938000012345")
    session.add(company)
    session.commit()
    return company


@pytest.fixture
def stock(session):
    """Company, a warehouse and two items with Russian and Spanish names; units шт / ud."""
    make_company(session)
    pcs = f.unit("pcs")
    pcs.name_ru, pcs.name_es = "шт", "ud"
    main = f.warehouse("MAIN")
    main.name = "Основной склад"
    board, servo = f.item("RB-100"), f.item("RB-101")
    board.name, board.name_ru, board.name_es = "Control board", "Плата управления", "Placa de control"
    servo.name, servo.name_ru, servo.name_es = "Servo", "Сервопривод", "Servomotor"
    session.commit()
    return {"wh": main, "board": board, "servo": servo}


def receipt(stock, post: bool = True) -> StockDocument:
    # 2 x 1234.50 + 3 x 10.99 = 2469.00 + 32.97 = 2501.97
    return f.receipt(stock["wh"], [(stock["board"], 2, "1234.50"), (stock["servo"], 3, "10.99")],
                     on=date(2026, 11, 20), partner_name="ООО «Ёлка»", post=post)


# --- printed documents ---------------------------------------------------------------------------


def test_receipt_pdf_in_russian(login_as, stock):
    doc = receipt(stock)
    c = login_as("Warehouse")
    c.get("/lang/ru")
    resp = c.get(f"/receiptview/print/{doc.id}")
    assert resp.status_code == 200 and resp.mimetype == PDF
    assert f'filename="{doc.number}.pdf"' in resp.headers["Content-Disposition"]
    text = pdf_text(resp.data)
    for expected in ("Приходная накладная", f"№ {doc.number} от 20.11.2026", "Поставщик ООО «Ёлка»",
                     "Плата управления", "Сервопривод", "шт", "ИНН 7701234567", "КПП 770101001", "2 469,00",
                     "2 501,97", "Сумма прописью: Две тысячи пятьсот один рубль 97 копеек", "Сдал", "Принял"):
        assert expected in text, expected
    assert "Control board" not in text
    assert "DejaVuSans" in base_fonts(resp.data)
    assert fonts_drawing_text(resp.data) == {"DejaVuSans", "DejaVuSans-Bold"}


def test_receipt_pdf_in_spanish_with_euro_company(session, login_as, stock):
    company = session.query(Company).one()
    company.base_currency = f.currency("EUR")
    session.commit()
    doc = receipt(stock)
    c = login_as("Warehouse")
    c.get("/lang/ru")  # ?lang= wins over the user's language
    resp = c.get(f"/receiptview/print/{doc.id}?lang=es")
    text = pdf_text(resp.data)
    for expected in ("Entrada de mercancía", "Placa de control", "Servomotor", "ud", "20/11/2026", "1.234,50",
                     "2.501,97", "Dos mil quinientos un euros con noventa y siete céntimos", "NIF 7701234567"):
        assert expected in text, expected
    assert "Плата" not in text and "ИНН" not in text
    assert "DejaVuSans" in base_fonts(resp.data)


def test_draft_receipt_carries_the_draft_mark_and_its_estimated_value(login_as, stock):
    doc = receipt(stock, post=False)
    resp = login_as("Warehouse").get(f"/receiptview/print/{doc.id}?lang=en")
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "DRAFT" in text and "Goods receipt" in text
    assert "2,501.97" in text and "Two thousand, five hundred and one roubles, ninety-seven kopeks" in text
    assert f'filename="receipt-draft-{doc.id}.pdf"' in resp.headers["Content-Disposition"]
    posted = receipt(stock)
    assert "DRAFT" not in pdf_text(login_as("Warehouse").get(f"/receiptview/print/{posted.id}?lang=en").data)


def test_issue_and_transfer_waybills(session, login_as, stock):
    receipt(stock)
    shop = f.warehouse("SHOP")
    issue = f.issue(stock["wh"], [(stock["board"], 1)], on=date(2026, 11, 21), partner_name="Цех № 2",
                    reason="В производство")
    transfer = f.doc("transfer", stock["wh"], [(stock["servo"], 2)], on=date(2026, 11, 22),
                     dest_warehouse_id=shop.id)
    c = login_as("Warehouse")
    text = pdf_text(c.get(f"/issueview/print/{issue.id}?lang=ru").data)
    for expected in ("Расход товаров", "Цех № 2", "В производство", "Плата управления", "1 234,50",
                     "Одна тысяча двести тридцать четыре рубля 50 копеек", "Отпустил", "Принял"):
        assert expected in text, expected
    text = pdf_text(c.get(f"/transferview/print/{transfer.id}?lang=es").data)
    for expected in ("Albarán de traspaso", "Основной склад (MAIN)", "SHOP", "Servomotor", "21,98"):
        assert expected in text, expected
    # a document of another type under this view is not found
    assert c.get(f"/receiptview/print/{issue.id}").status_code == 404


def test_a_write_off_prints_as_a_write_off_act(session, login_as, stock):
    """An issue with no recipient is a write-off: its own title and signatures, never a waybill's."""
    receipt(stock)
    write_off = f.issue(stock["wh"], [(stock["board"], 1)], on=date(2026, 11, 21), partner_name="",
                        reason="Брак при монтаже")
    c = login_as("Warehouse")
    ru = pdf_text(c.get(f"/issueview/print/{write_off.id}?lang=ru").data)
    for expected in ("Акт о списании", "Брак при монтаже", "Списал", "Утвердил"):
        assert expected in ru, expected
    assert "накладная" not in ru.lower() and "Принял" not in ru
    es = pdf_text(c.get(f"/issueview/print/{write_off.id}?lang=es").data)
    assert "Acta de baja de existencias" in es and "Albarán" not in es


def test_count_sheet_book_counted_difference(session, login_as, stock):
    receipt(stock)
    # counted: board 1 (book 2: -1 x 1234.50), servo 5 (book 3: +2 x 10.99)
    count = f.doc("count", stock["wh"], [(stock["board"], 1), (stock["servo"], 5)], on=date(2026, 11, 25))
    c = login_as("Warehouse")
    text = pdf_text(c.get(f"/countview/print/{count.id}?lang=ru").data)
    for expected in ("Инвентаризационная опись", "Плата управления", "-1 234,50", "+21,98", "-1 212,52",
                     "Одна тысяча двести двенадцать рублей 52 копейки"):
        assert expected in text, expected
    assert re.search(r"Плата управления шт 2 1 -1 1 234,50 -1 234,50", text), text
    assert re.search(r"Сервопривод шт 3 5 \+2 10,99 \+21,98", text), text
    text = pdf_text(c.get(f"/countview/print/{count.id}?lang=es").data)
    assert "Hoja de inventario" in text
    assert "Placa de control ud 2 1 -1 1.234,50 -1.234,50" in text
    assert "Mil doscientos doce rublos con cincuenta y dos kopeykas" in text


def test_draft_count_uses_todays_book_and_average_cost(login_as, stock):
    receipt(stock)
    draft = f.doc("count", stock["wh"], [(stock["board"], 4)], on=date(2026, 11, 26), post=False)
    text = pdf_text(login_as("Warehouse").get(f"/countview/print/{draft.id}?lang=en").data)
    assert "DRAFT" in text
    assert "Control board pcs 2 4 +2 1,234.50 +2,469.00" in text


# --- report pages --------------------------------------------------------------------------------


REPORT_URLS = ("/stock/on-hand/", "/stock/item-card/", "/stock/valuation/", "/stock/turnover/")


@pytest.fixture
def no_stock_role(app, session):
    """A signed-in user whose role has no right on the stock reports (every shipped role has it)."""
    from tests.conftest import ROLE_PASSWORD

    sm = app.appbuilder.sm
    role = sm.find_role("NoStockReports") or sm.add_role("NoStockReports")  # PostgreSQL keeps ab_* rows
    sm.add_permission_role(role, sm.find_permission_view_menu("can_read", "Reference data"))
    if not sm.find_user(username="nostock"):
        sm.add_user("nostock", "No", "Stock", "nostock@test.example", role, ROLE_PASSWORD)
    session.commit()
    c = app.test_client()
    assert c.post("/login/", data={"username": "nostock", "password": ROLE_PASSWORD}).status_code == 302
    return c


def test_report_pages_for_warehouse_and_refused_without_the_right(login_as, stock, no_stock_role):
    receipt(stock)
    c = login_as("Warehouse")
    item = stock["board"].id
    for url in REPORT_URLS + (f"/stock/item-card/?item={item}", "/stock/on-hand/pdf"):
        assert c.get(url).status_code == 200, url
        assert no_stock_role.get(url).status_code == 403, url
    menu = c.get("/stock/on-hand/").data.decode()
    for href in REPORT_URLS:
        assert f'href="{href}"' in menu, href


def test_item_card_page_in_russian_with_running_balance_and_pages(login_as, stock, monkeypatch):
    for day in range(1, 4):  # three more receipts of 1 board at 100
        f.receipt(stock["wh"], [(stock["board"], 1, "100")], on=date(2026, 11, day))
    receipt(stock)  # 2026-11-20: +2 x 1234.50
    c = login_as("Warehouse")
    c.get("/lang/ru")
    url = f"/stock/item-card/?item={stock['board'].id}&warehouse={stock['wh'].id}&date_from=2026-11-02"
    page = c.get(url).data.decode()
    assert "Плата управления" in page
    # opening on 2 Nov: 1 / 100; then +1 (200), +1 (300), +2 (2769)
    assert '<span class="num">2\xa0769,00</span>' in page
    assert page.count('class="move"') == 3
    assert '<span class="num">5</span>' in page
    from app.views import stock_reports

    monkeypatch.setattr(stock_reports, "PAGE_SIZE", 2)
    second = c.get(url + "&page=2").data.decode()
    assert second.count('class="move"') == 1 and "2\xa0769,00" in second
    assert 'class="pagination' in second


def test_report_exports_have_the_same_rows(login_as, stock):
    receipt(stock)
    f.issue(stock["wh"], [(stock["board"], 1)], on=date(2026, 11, 21))
    c = login_as("Warehouse")
    resp = c.get("/stock/turnover/?date_from=2026-11-01&date_to=2026-11-30&export=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("Code", "Item", "Unit", "Opening quantity")
    assert [(r[0], D(str(r[5])), D(str(r[6])), D(str(r[7])), D(str(r[8])), D(str(r[9])), D(str(r[10])))
            for r in rows[1:]] == [
        ("RB-100", D(2), D("2469"), D(1), D("1234.5"), D(1), D("1234.5")),
        ("RB-101", D(3), D("32.97"), D(0), D(0), D(3), D("32.97")),
    ]
    resp = c.get("/stock/valuation/?on_date=2026-11-20&export=csv")
    assert resp.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Code", "Item", "Unit", "Warehouse", "Quantity", "Unit cost", "Value"]
    assert [(r[0], D(r[4]), D(r[6])) for r in lines[1:]] == [("RB-100", D(2), D("2469")), ("RB-101", D(3), D("32.97"))]
    resp = c.get(f"/stock/item-card/?item={stock['board'].id}&export=csv")
    lines = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert [line[1] for line in lines[1:]][0] == "Opening balance"
    assert [(D(line[8]), D(line[9])) for line in lines[2:]] == [(D(2), D("2469")), (D(1), D("1234.5")),
                                                                  (D(1), D("1234.5"))]
    resp = c.get("/stock/on-hand/?export=xlsx")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert [(r[0], r[3], D(str(r[4])), D(str(r[7]))) for r in rows[1:]] == [
        ("RB-100", "MAIN", D(1), D("1234.5")), ("RB-101", "MAIN", D(3), D("32.97"))]


def test_on_hand_pdf_in_spanish(login_as, stock):
    receipt(stock)
    resp = login_as("Warehouse").get(f"/stock/on-hand/pdf?lang=es&warehouse={stock['wh'].id}")
    assert resp.status_code == 200 and resp.mimetype == PDF
    text = pdf_text(resp.data)
    for expected in ("Informe de existencias", "Placa de control", "Servomotor", "2.501,97",
                     "Dos mil quinientos un rublos con noventa y siete kopeykas"):
        assert expected in text, expected
    assert "DejaVuSans" in base_fonts(resp.data)


# --- company card --------------------------------------------------------------------------------


def test_company_card_pdf(session, login_as):
    company = make_company(session)
    c = login_as("Admin")
    resp = c.get(f"/companyview/print/{company.id}?lang=ru")
    assert resp.status_code == 200 and resp.mimetype == PDF
    text = pdf_text(resp.data)
    for expected in ("РобоФабрика", "ООО «РобоФабрика»", "ИНН 7701234567", "ОГРН 1187746123456",
                     "ПАО «Сбербанк»", "044525225", "RUB"):
        assert expected in text, expected
    assert "DejaVuSans" in base_fonts(resp.data)
    es = pdf_text(c.get(f"/companyview/print/{company.id}?lang=es").data)
    assert "NIF 7701234567" in es and "ИНН" not in es
    assert c.get("/companyview/print/999999").status_code == 404
    assert login_as("Warehouse").get(f"/companyview/print/{company.id}").status_code == 403


def test_opening_balance_prints_under_its_own_title(login_as, stock):
    """An opening balance moves goods in like a receipt: the receipt's form, titled as what it is
    (it had no form and answered 500; the load test found it)."""
    opening = f.doc("opening", stock["wh"], [(stock["board"], 3, "100.00")], on=date(2026, 11, 1))
    c = login_as("Warehouse")
    resp = c.get(f"/openingbalanceview/print/{opening.id}?lang=ru")
    assert resp.status_code == 200 and resp.mimetype == PDF
    text = pdf_text(resp.data)
    for expected in ("Начальный остаток", f"№ {opening.number}", "Плата управления", "300,00"):
        assert expected in text, expected
    assert "Приходная накладная" not in text
