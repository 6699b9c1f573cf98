"""app.printing: PDFs in ru/es with embedded DejaVuSans, escaping, resource confinement, formats."""

from __future__ import annotations

import ast
import datetime
import io
import logging
import os
import socket
from decimal import Decimal
from pathlib import Path

import pytest
import xhtml2pdf.files
from jinja2 import TemplateNotFound
from pypdf import PdfReader
from pypdf.generic import ContentStream

from app.printing import amount_in_words, formatting, render, render_pdf
from app.printing.formatting import currency_name, date, money, number, qty
from app.printing.render import REFUSED, link_callback, render_html

NBSP = "\u00a0"
PRINTED_AT = datetime.date(2026, 11, 27)

RU_COMPANY = {
    "name": "ООО «Ёлка-Палка» №1",
    "legal_name": "Общество с ограниченной ответственностью «Ёлка-Палка», капитал 10 000 ₽",
    "tax_ids": {"ИНН": "7701234567", "КПП": "770101001", "ОГРН": "1027700000000"},
    "address": "125009, г. Москва, ул. Лесная, д. 1\nсклад: щётка",
    "phone": "+7 495 000-00-00",
    "email": "info@elka.example.ru",
    "base_currency": "RUB",
    "bank": {
        "name": "ПАО «Сбербанк»",
        "bic": "044525225",
        "account": "40702810000000000001",
        "correspondent_account": "30101810400000000225",
    },
    "director": "Иванов И. И.",
}

ES_COMPANY = {
    "name": "Fábricas Núñez, año 2026",
    "legal_name": "Fábricas Núñez S.L. ¿Cuándo? ¡Mañana! Capital 3.000 €",
    "tax_ids": [("NIF", "B12345678")],
    "address": "Calle de la Peña, 12\n28001 Madrid",
    "email": "hola@nunez.example.es",
    "base_currency": "EUR",
    "bank": {"name": "Banco Ejemplo, S.A.", "bic": "CAIXESBBXXX", "account": "ES91 2100 0418 4502 0005 1332"},
}

INJECTIONS = [
    '<img src="file:///etc/passwd">',
    '<img src="http://example.com/x.png">',
    '<link rel="stylesheet" href="http://example.com/evil.css">',
]


class FakeTranslations:
    """gettext/ngettext from a dict, like a compiled catalogue would give."""

    def __init__(self, messages: dict[str, str]):
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


RU_T = FakeTranslations({"Company card": "Карточка предприятия", "Page": "Страница", "Printed": "Напечатано"})
ES_T = FakeTranslations({"Company card": "Ficha de la empresa", "Page": "Página", "Printed": "Impreso"})


def context(company: dict, user: str = "Иванов И. И.") -> dict:
    return {"company": company, "printed_at": PRINTED_AT, "user": user}


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def base_fonts(pdf: bytes) -> set[str]:
    """/BaseFont of every font in the page resources, subset prefix (AAAAAA+) removed."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def fonts_drawing_text(pdf: bytes) -> set[str]:
    """The fonts actually selected (Tf) when a text-showing operator runs."""
    reader = PdfReader(io.BytesIO(pdf))
    used = set()
    for page in reader.pages:
        resources = page["/Resources"]["/Font"]
        fonts = {name: str(obj.get_object()["/BaseFont"]) for name, obj in resources.items()}
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                used.add(fonts[current].lstrip("/").split("+")[-1])
    return used


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve or connect is recorded (and fails)."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


@pytest.fixture
def opened_files(monkeypatch):
    """Every file xhtml2pdf's fetcher opens."""
    opened: list[str] = []

    def spy_open(file, *args, **kwargs):
        opened.append(os.path.realpath(str(file)))
        return open(file, *args, **kwargs)

    monkeypatch.setattr(xhtml2pdf.files, "open", spy_open, raising=False)
    return opened


@pytest.fixture
def callback_calls(monkeypatch):
    """Wrap render.link_callback, recording (uri, answer)."""
    calls: list[tuple[str, str]] = []
    original = render.link_callback

    def spy(uri, rel=None):
        answer = original(uri, rel)
        calls.append((str(uri), answer))
        return answer

    monkeypatch.setattr(render, "link_callback", spy)
    return calls


def inside_static(path: str) -> bool:
    return os.path.commonpath([path, str(render.STATIC_DIR)]) == str(render.STATIC_DIR)


# --- rendering ----------------------------------------------------------------------------


def test_company_card_ru(caplog, opened_files):
    caplog.set_level(logging.WARNING)
    pdf = render_pdf("company_card.html", context(RU_COMPANY), "ru", translations=RU_T)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        "ООО «Ёлка-Палка» №1",
        "щётка",
        "₽",
        "ИНН 7701234567",
        "044525225",
        "Карточка предприятия",
        "Страница 1 / 1",
        "Напечатано: 27.11.2026, Иванов И. И.",
        "RUB — российский рубль",
    ):
        assert expected in text, expected
    assert "DejaVuSans" in base_fonts(pdf)
    assert "DejaVuSans-Bold" in base_fonts(pdf)
    # Every glyph drawn comes from the embedded fonts (Helvetica only appears in empty BT/ET).
    assert fonts_drawing_text(pdf) == {"DejaVuSans", "DejaVuSans-Bold"}
    assert not [r for r in caplog.records if "can draw" in r.getMessage()]  # no black boxes
    # The fonts were read from app/static/fonts, not from the system.
    font_reads = [p for p in opened_files if p.endswith(".ttf")]
    assert font_reads and all(p.startswith(str(render.FONT_DIR) + os.sep) for p in font_reads)


def test_company_card_es():
    pdf = render_pdf("company_card.html", context(ES_COMPANY, user="María Peña"), "es", translations=ES_T)
    text = pdf_text(pdf)
    for expected in (
        "Fábricas Núñez, año 2026",
        "¿Cuándo?",
        "¡Mañana!",
        "€",
        "NIF B12345678",
        "Ficha de la empresa",
        "Página 1 / 1",
        "Impreso: 27/11/2026, María Peña",
        "EUR — euro",
    ):
        assert expected in text, expected
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= base_fonts(pdf)
    assert fonts_drawing_text(pdf) == {"DejaVuSans", "DejaVuSans-Bold"}


def test_default_translations_are_english_msgids():
    text = pdf_text(render_pdf("company_card.html", context({"name": "ООО «Ёлка-Палка» №1"}), "ru"))
    assert "Company card" in text
    assert "Page 1 / 1" in text
    assert "ООО «Ёлка-Палка» №1" in text


def test_minimal_context_and_missing_keys():
    """Only company.name is required; absent nested dicts (bank) do not break the template."""
    html = render_html("company_card.html", {"company": {"name": "X"}}, "es")
    assert "Bank details" not in html
    assert render_pdf("company_card.html", {"company": {"name": "X"}}, "es").startswith(b"%PDF-")


# --- escaping and resources ----------------------------------------------------------------


def test_html_injection_is_escaped_and_nothing_is_fetched(no_network, opened_files, callback_calls):
    company = dict(
        RU_COMPANY,
        name="ООО " + INJECTIONS[0],
        legal_name=INJECTIONS[1],
        address=INJECTIONS[2] + "\n<script>alert(1)</script>",
        tax_ids={"ИНН": '"><img src=/etc/passwd>'},
    )
    html = render_html("company_card.html", context(company, user=INJECTIONS[0]), "ru")
    assert '<img src="file:' not in html and '<img src="http:' not in html and "<link" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "&lt;script&gt;" in html

    text = pdf_text(render_pdf("company_card.html", context(company, user=INJECTIONS[0]), "ru"))
    for snippet in INJECTIONS:
        assert snippet in text  # printed as text
    assert '"><img src=/etc/passwd>' in text

    assert no_network == []
    assert all(inside_static(p) for p in opened_files), opened_files
    # The only resources requested are the two fonts, answered with their real paths.
    assert sorted(Path(uri).name for uri, _ in callback_calls) == ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"]
    assert all(answer != REFUSED for _, answer in callback_calls)


@pytest.mark.parametrize(
    "logo",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://169.254.169.254/latest/meta-data/",
        "/etc/passwd",
        "../../../../etc/passwd",
        "fonts/../../printing/render.py",
    ],
)
def test_logo_outside_static_is_refused_and_render_goes_on(logo, no_network, opened_files, callback_calls):
    pdf = render_pdf("company_card.html", context(dict(RU_COMPANY, logo=logo)), "ru")
    assert "ООО «Ёлка-Палка» №1" in pdf_text(pdf)
    assert (logo, REFUSED) in callback_calls
    assert no_network == []
    assert all(inside_static(p) for p in opened_files), opened_files


def test_raw_tags_reaching_xhtml2pdf_are_refused(no_network, opened_files, callback_calls):
    """Even a template bug that emitted user tags unescaped cannot fetch or read anything."""
    html = (
        f'<html><head><meta charset="utf-8"><style>{render.FONT_CSS}</style>'
        '<link rel="stylesheet" href="http://example.com/a.css">'
        '<link rel="stylesheet" href="/etc/passwd"></head>'
        '<body style="font-family: DejaVuSans"><p>Щётка</p>'
        '<img src="file:///etc/passwd"><img src="http://example.com/x.png"><img src="/etc/hostname">'
        '<img src="../../../etc/passwd"></body></html>'
    )
    pdf = render.html_to_pdf(html)
    assert "Щётка" in pdf_text(pdf)
    refused = {uri for uri, answer in callback_calls if answer == REFUSED}
    assert refused == {
        "http://example.com/a.css",
        "/etc/passwd",
        "file:///etc/passwd",
        "http://example.com/x.png",
        "/etc/hostname",
        "../../../etc/passwd",
    }
    assert no_network == []
    assert all(inside_static(p) for p in opened_files), opened_files
    assert "/etc/passwd" not in opened_files and "/etc/hostname" not in opened_files


def test_data_uri_logo_is_embedded(callback_calls):
    png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
        "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    pdf = render_pdf("company_card.html", context(dict(RU_COMPANY, logo=png)), "ru")
    assert (png, png) in callback_calls
    assert any("/XObject" in page["/Resources"] for page in PdfReader(io.BytesIO(pdf)).pages)


def test_font_css_cannot_be_overridden_from_context():
    html = render_html(
        "company_card.html", dict(context(RU_COMPANY), font_css="</style><b>x</b>", locale="xx"), "ru"
    )
    assert "</style><b>x</b>" not in html
    assert "DejaVuSans.ttf" in html
    assert '<html lang="ru">' in html


def test_template_name_cannot_escape_template_dir():
    with pytest.raises(TemplateNotFound):
        render_html("../render.py", {}, "ru")


def test_pisa_errors_raise(monkeypatch):
    class Status:
        err = 1
        log = [("error", 3, "something broke", "<p>")]

    monkeypatch.setattr(render.pisa, "CreatePDF", lambda *a, **kw: Status())
    with pytest.raises(render.PdfRenderError, match="something broke"):
        render_pdf("company_card.html", context(RU_COMPANY), "ru")


# --- link_callback -------------------------------------------------------------------------


@pytest.fixture
def static_tree(tmp_path, monkeypatch):
    """A throwaway app/static with a file, an inside symlink and links pointing outside."""
    static = tmp_path / "static"
    (static / "img").mkdir(parents=True)
    (static / "img" / "logo.png").write_bytes(b"png")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "static-evil").mkdir()
    (tmp_path / "static-evil" / "x.png").write_bytes(b"png")
    (static / "img" / "alias.png").symlink_to(static / "img" / "logo.png")
    (static / "passwd").symlink_to("/etc/passwd")
    (static / "secret").symlink_to(tmp_path / "secret.txt")
    (static / "outside").symlink_to(tmp_path)
    monkeypatch.setattr(render, "STATIC_DIR", Path(os.path.realpath(static)))
    return Path(os.path.realpath(static))


def test_link_callback_allows_files_inside_static(static_tree):
    logo = str(static_tree / "img" / "logo.png")
    assert link_callback("img/logo.png") == logo
    assert link_callback(logo) == logo
    assert link_callback(Path(logo)) == logo
    assert link_callback("img/../img/logo.png") == logo
    assert link_callback("img/alias.png") == logo  # symlink that stays inside
    assert link_callback("img/logo.png", "/somewhere/else") == logo  # rel is ignored


@pytest.mark.parametrize(
    "uri",
    [
        "../secret.txt",
        "img/../../secret.txt",
        "static-evil/x.png",
        "../static-evil/x.png",  # sibling directory sharing the prefix "static"
        "passwd",  # symlink to /etc/passwd
        "secret",  # symlink to a file outside
        "outside/secret.txt",  # symlinked directory outside
        "/etc/passwd",
        "/etc/hostname",
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.png",
        "HTTP://169.254.169.254/latest/meta-data/",
        "//example.com/x.png",
        "ftp://example.com/x.png",
        "img/%2e%2e/%2e%2e/secret.txt",
        "img\\..\\..\\secret.txt",
        "img/logo.png?x=1",
        "img/logo.png\x00.txt",
        "img",  # a directory
        "",
        ".",
        "missing.png",
        None,
        42,
    ],
)
def test_link_callback_refuses_everything_else(static_tree, uri):
    assert link_callback(uri) == REFUSED


def test_link_callback_refuses_absolute_path_outside(static_tree, tmp_path):
    assert link_callback(str(tmp_path / "secret.txt")) == REFUSED
    assert link_callback(str(tmp_path / "static-evil" / "x.png")) == REFUSED
    assert link_callback("file://" + str(static_tree / "img" / "logo.png")) == REFUSED  # schemes: no


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;base64,iVBORw0KGgo=",
        "DATA:image/png;base64,iVBORw0KGgo=",
        "data:font/ttf;base64,AAEAAA==",
    ],
)
def test_link_callback_passes_data_uris(uri):
    assert link_callback(uri) == uri


def test_refused_is_truthy_and_names_no_file():
    # xhtml2pdf keeps the original URI when the callback answers with a falsy value.
    assert REFUSED and not os.path.exists(REFUSED)


def test_real_fonts_and_licence_are_in_static():
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"):
        assert (render.FONT_DIR / name).is_file()
    assert link_callback(str(render.FONT_DIR / "DejaVuSans.ttf")) == str(render.FONT_DIR / "DejaVuSans.ttf")
    assert "Bitstream" in (render.FONT_DIR / "LICENSE").read_text()


def test_printing_package_does_not_import_flask():
    for source in Path(render.__file__).parent.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            assert not any(m.split(".")[0].startswith("flask") for m in modules), (source, modules)


# --- formatting ----------------------------------------------------------------------------


def test_amount_in_words_ru():
    assert amount_in_words(Decimal("123.45"), "RUB", "ru") == "Сто двадцать три рубля 45 копеек"
    assert amount_in_words(Decimal("1.01"), "RUB", "ru") == "Один рубль 01 копейка"
    assert amount_in_words(Decimal("21"), "RUB", "ru") == "Двадцать один рубль 00 копеек"
    assert amount_in_words(Decimal("1234567.89"), "RUB", "ru_RU") == (
        "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек"
    )
    assert amount_in_words(Decimal("-7.5"), "RUB", "ru") == "Минус семь рублей 50 копеек"


def test_amount_in_words_es_en():
    assert amount_in_words(Decimal("123.45"), "EUR", "es") == (
        "Ciento veintitrés euros con cuarenta y cinco céntimos"
    )
    assert amount_in_words(Decimal("1.01"), "EUR", "es") == "Un euro con un céntimo"
    assert amount_in_words(Decimal("123.45"), "USD", "es") == (
        "Ciento veintitrés dólares con cuarenta y cinco centavos"
    )
    assert amount_in_words(Decimal("123.45"), "USD", "en") == (
        "One hundred and twenty-three dollars, forty-five cents"
    )


def test_amount_in_words_decimal_only():
    # num2words reads a bare int as cents (123 -> "one ruble 23 kopeks"); ints are converted first.
    assert amount_in_words(123, "RUB", "ru") == "Сто двадцать три рубля 00 копеек"
    assert amount_in_words("123.45", "RUB", "ru") == "Сто двадцать три рубля 45 копеек"
    assert amount_in_words(Decimal("0.005"), "RUB", "ru") == "Ноль рублей 01 копейка"  # half up
    with pytest.raises(TypeError):
        amount_in_words(123.45, "RUB", "ru")
    with pytest.raises(ValueError):
        amount_in_words(Decimal("1"), "XYZ", "ru")


def test_money():
    assert money(Decimal("1234567.89"), "RUB", "ru") == f"1{NBSP}234{NBSP}567,89{NBSP}₽"
    assert money(Decimal("1234567.89"), "EUR", "es") == f"1.234.567,89{NBSP}€"
    assert money(Decimal("1234567.89"), "RUB", "ru").replace(NBSP, " ") == "1 234 567,89 ₽"
    assert money(Decimal("0.005"), "RUB", "ru") == f"0,01{NBSP}₽"  # half up, not Babel's half-even
    assert money(Decimal("-5"), "EUR", "es") == f"-5,00{NBSP}€"
    assert money(None, "RUB", "ru") == ""
    with pytest.raises(TypeError):
        money(1.5, "RUB", "ru")


def test_number_qty_date_currency_name():
    assert number(Decimal("1234.5"), "ru") == f"1{NBSP}234,50"
    assert number(Decimal("1234.5"), "es", 0) == "1.235"
    assert qty(Decimal("2.500"), "ru") == "2,5"
    assert qty(Decimal("10"), "es") == "10"
    assert qty(Decimal("1234.125"), "es") == "1.234,125"
    assert date(PRINTED_AT, "ru") == "27.11.2026"
    assert date(PRINTED_AT, "es") == "27/11/2026"
    assert date(datetime.date(2026, 1, 5), "es") == "05/01/2026"
    assert date(datetime.datetime(2026, 1, 5, 23, 59), "ru") == "05.01.2026"
    assert date(PRINTED_AT, "ru", "long") == "27 ноября 2026\u202fг."  # Babel: narrow no-break space
    assert date(None, "ru") == ""
    assert currency_name("RUB", "ru") == "российский рубль"


def test_filters_in_templates_take_locale_from_context():
    env = render.make_environment()
    template = env.from_string(
        '{{ v|money("RUB") }}|{{ v|number }}|{{ q|qty }}|{{ d|date }}|{{ v|amount_in_words("EUR") }}'
        '|{{ v|money("EUR", "es") }}|{{ v|number(places=0) }}'
    )
    out = template.render(v=Decimal("123.45"), q=Decimal("2.5"), d=PRINTED_AT, locale="ru")
    assert out.replace(NBSP, " ").split("|") == [
        "123,45 ₽",
        "123,45",
        "2,5",
        "27.11.2026",
        "Сто двадцать три евро 45 центов",
        "123,45 €",
        "123",
    ]
    assert set(formatting.__all__) >= {"money", "number", "qty", "date", "amount_in_words"}


def test_one_environment_per_language_kept_and_languages_never_mix():
    """Forms reuse one compiled environment per translations object (a fresh one per form cost a third
    of a form's CPU); forms in two languages rendered in turn each keep their own words."""
    assert render._environment(RU_T) is render._environment(RU_T)
    assert render._environment(ES_T) is not render._environment(RU_T)
    for _ in range(2):
        ru = render_html("company_card.html", context(RU_COMPANY), "ru", translations=RU_T)
        es = render_html("company_card.html", context(ES_COMPANY), "es", translations=ES_T)
        assert "Карточка предприятия" in ru and "Ficha de la empresa" not in ru
        assert "Ficha de la empresa" in es and "Карточка предприятия" not in es
