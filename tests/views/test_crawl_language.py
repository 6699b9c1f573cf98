"""A Russian or Spanish reader never meets an English word or a raw code (issue 14, "Done when").

The crawl signs in as every role, in ru and in es, loads the demo data once for the module and
opens every menu entry, and from every list page the add form and the first row's card and edit
form. The visible text of each page (text nodes without script / style, option texts, titles,
placeholders, button values) is checked by `findings`:

- an *English word*: a text node equal to a msgid of the app's or FAB's catalog whose translation
  in that language differs from the English (so "Error" on a Spanish page is fine, "Cancel" is not);
- a *raw code*: a state, kind, move kind, document type, job code, audit action or model class name,
  or True / False / None, as a whole text node or as a whole word inside one.

Proper names and codes the reader types or reads as such (item codes, units, PDF, Fabrika, e-mail
addresses, the language menu's "- English") are allowed by ALLOWED. KNOWN_GAPS, the findings still
being fixed, is empty: anything found fails.

Speed: a page depends on the role through the menu, the rows its filters let the role see and the
buttons its permissions give. Every role opens its home page and each of its menu entries; a page is
fetched once per (URL, language, the role's permissions on the page's resource). The add / show /
edit pages are opened as the Admin, whose buttons are a superset of every role's on the same page.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.security import ROLE_NAMES, role_grants
from tests.conftest import ROLE_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ru", "es")
FINDINGS_FILE = os.environ.get("CRAWL_FINDINGS")  # a path: write every finding there (a report, not a test)

# --- the detector -----------------------------------------------------------------------------------

_SKIP_TAGS = {"script", "style", "noscript", "template", "code"}  # <code>: a formula, a cron line
_ATTRS = ("title", "placeholder", "alt", "aria-label", "data-original-title")
_EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+|/\S+")
_SPACES = re.compile(r"\s+")

# Words that are the same in every language here: names, codes, abbreviations a reader types.
ALLOWED = {
    "Fabrika", "Robokids", "PDF", "XLSX", "CSV", "API", "REST", "SMTP", "ID", "OK", "kg", "g", "mm", "cm", "m",
    "pcs", "%", "№", "EUR", "RUB", "USD", "ABC", "XYZ", "KPI", "BOM", "TCP", "VAT", "IBAN", "BIC", "SWIFT",
    "English", "Русский", "Español", "E-mail", "Email", "e-mail", "URL", "JSON", "FIFO", "HTML", "PNG",
    "- English", "- Русский", "- Español",  # FAB's language menu
    # the test users (tests/conftest.py): first name = role, last name "Test"
    "Test", *(f"{role} Test" for role in ROLE_NAMES),
}

# --- KNOWN_GAPS: findings still being fixed in other items of issue 14 -------------------------------
# Every entry is a visible defect a Russian or Spanish user still meets, with the item number.
# Empty now: anything found fails the test.
KNOWN_GAPS: dict[str, int] = {}
# Pages whose findings all belong to an item still open (none now: FAB's security registers print their
# permissions, resources, groups and chart columns in words, app/permission_labels.py, app/fab_texts.py).
KNOWN_GAP_PAGES: dict[str, int] = {}


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().rstrip(":*").strip()


def visible_texts(html: str) -> list[str]:
    """The texts a reader sees on the page, one per text node or shown attribute."""
    import lxml.html

    root = lxml.html.fromstring(html)
    out: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _SKIP_TAGS:
            if el.tail:
                out.append(el.tail)
            if el.tag == "script" and el.text and "AdminFilters(" in el.text:
                out.extend(filter_texts(el.text))
            continue
        if el.text and not _inside_skipped(el):
            out.append(el.text)
        if el.tail and not _inside_skipped(el.getparent()):
            out.append(el.tail)
        out.extend(el.get(a) for a in _ATTRS if el.get(a))
        if el.tag == "input" and el.get("type") in ("submit", "button", "reset") and el.get("value"):
            out.append(el.get("value"))
    return [t for t in (_normal(x) for x in out) if t]


def filter_texts(script: str) -> list[str]:
    """The words of FAB's filter widget, which its script builds: column names, the filter kinds
    ("Equal to") and the value fields' options (a state select), from the JSON it is given."""
    import json

    body = script.split("AdminFilters(", 1)[1].rsplit(");", 1)[0]
    args = [json.loads(line.strip().rstrip(",")) for line in body.splitlines()
            if line.strip().startswith(("{", "["))]
    out: list[str] = []
    for arg in args[:3]:  # labels, value fields, filter kinds (the 4th holds what the user typed)
        for value in arg.values() if isinstance(arg, dict) else arg:
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, list) and text:
                    out.append(str(text[-1]))  # [filter class, its name]
                elif isinstance(text, str) and "<" in text:
                    out.extend(visible_texts(f"<div>{text}</div>"))
                elif isinstance(text, str):
                    out.append(text)
    return out


def _inside_skipped(el) -> bool:
    while el is not None:
        if el.tag in _SKIP_TAGS:
            return True
        el = el.getparent()
    return False


@cache
def english_words(lang: str) -> frozenset[str]:
    """Every msgid (app and FAB catalogs) whose `lang` translation is a different text."""
    import flask_appbuilder

    fab = Path(flask_appbuilder.__file__).parent / "translations" / lang / "LC_MESSAGES" / "messages.po"
    words: set[str] = set()
    same: set[str] = set()  # our translation keeps the English text (in one context, "Roles" in es), ours wins
    for path in (fab, ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"):
        with path.open("rb") as f:
            for message in read_po(f, locale=lang):
                msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
                string = message.string[0] if isinstance(message.string, (list, tuple)) else message.string
                if msgid and string and "%" not in msgid:
                    if _normal(msgid) != _normal(string):
                        words.add(_normal(msgid))
                    elif path != fab:
                        same.add(_normal(msgid))
    return frozenset(words - same - ALLOWED)


_LETTERS = re.compile(r"[^\W\d_]+")
_PLACEHOLDER = re.compile(r"%\(\w+\)\w|\{\w*\}")


def _words(text: str) -> list[str]:
    """The lower-case words of a text, without abbreviations and codes in capitals (CPU, TCP)."""
    return [w.lower() for w in _LETTERS.findall(text) if not (w.isupper() and len(w) > 1)]


@cache
def english_vocabulary(lang: str) -> frozenset[str]:
    """Words of the translated msgids that no `lang` translation uses: a node made only of them is English.

    This finds English the catalogs never held, such as FAB's titles built from a class name
    ("Add Pricing Rule") or English data on a Russian page.
    """
    english: set[str] = set()
    native: set[str] = set()
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        for message in read_po(f, locale=lang):
            ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
            strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
            english.update(w for msgid in ids for w in _words(_PLACEHOLDER.sub(" ", msgid or "")))
            native.update(w for string in strings for w in _words(_PLACEHOLDER.sub(" ", string or "")))
    return frozenset(w for w in english - native if len(w) > 1)


def _english_sentence(text: str, lang: str) -> bool:
    words = _words(text)
    return bool(words) and any(len(w) > 2 for w in words) and all(w in english_vocabulary(lang) for w in words)


@cache
def raw_codes() -> frozenset[str]:
    """The codes the database and the code keep, which a reader must only meet as words."""
    from flask_appbuilder import Model

    import app.models as models_pkg
    from app.domain import move_kinds
    from app.domain.documents import WORKFLOWS

    codes = {"True", "False", "None", "create", "update", "delete"}
    for wf in WORKFLOWS.values():
        codes.add(wf.doc_type)
        codes.update(wf.states)
        codes.update(wf.transitions)
    codes.update(v for k, v in vars(move_kinds).items() if k.isupper() and isinstance(v, str))
    codes.update(f"{k}_{side}" for k in ("disassembly", "conversion") for side in ("in", "out"))
    for module in _model_modules(models_pkg):
        for name, value in vars(module).items():
            if name.isupper() and name.endswith("KINDS") and isinstance(value, tuple):
                codes.update(v for v in value if isinstance(v, str))
            if name.startswith("VALUATION_") and isinstance(value, str):
                codes.add(value)
    codes.update(m.class_.__name__ for m in Model.registry.mappers if not m.class_.__module__.startswith("flask_"))
    return frozenset(c for c in codes if len(c) > 2 and c not in ALLOWED)


def _model_modules(pkg) -> Iterable:
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(pkg.__path__):
        yield importlib.import_module(f"{pkg.__name__}.{info.name}")


@cache
def native_words(lang: str) -> frozenset[str]:
    """Every word the `lang` catalog uses ("base", "total" are Spanish too)."""
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        strings = [s for m in read_po(f, locale=lang) for s in (m.string if isinstance(m.string, (list, tuple))
                                                                   else (m.string,)) if s]
    return frozenset(w for s in strings for w in _words(_PLACEHOLDER.sub(" ", s)))


def _word_pattern(codes: Iterable[str]) -> re.Pattern:
    alternatives = "|".join(sorted((re.escape(c) for c in codes), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


@cache
def _codes_in_text(lang: str) -> re.Pattern:
    """Codes found as a word inside a longer text: the technical ones ("production_output",
    "PurchaseRequestLine", True / False / None). A plain word ("kit", "material") is a code only as a
    whole text: inside a sentence it is a word of a name or a note."""
    technical = (c for c in raw_codes() if "_" in c or c in ("True", "False", "None") or _camel(c))
    return _word_pattern(c for c in technical if c.lower() not in native_words(lang))


def _camel(code: str) -> bool:
    return code[:1].isupper() and any(ch.isupper() for ch in code[1:]) and code.isalpha()


def findings(texts: Iterable[str], lang: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """The offending texts among `texts`: English words and raw codes (`allowed`: the data's own codes)."""
    return [t for t in texts if t not in ALLOWED and t not in allowed and t not in KNOWN_GAPS and _offends(t, lang)]


@cache
def _offends(text: str, lang: str) -> bool:
    """An English word or sentence, or a raw code (cached: menus and headers repeat on every page)."""
    plain = _EMAIL_OR_URL.sub(" ", text)
    if text in english_words(lang) or text in raw_codes() or _english_sentence(plain, lang):
        return True
    return _codes_in_text(lang).search(plain) is not None


def page_findings(html: str, lang: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    return findings(visible_texts(html), lang, allowed)


_CODE_COLUMNS = ("code", "number", "username", "barcode", "symbol", "prefix", "email", "first_name", "last_name")


def data_codes() -> frozenset[str]:
    """Codes the users typed (item, unit, KPI, warehouse codes, document numbers, user names) and people's
    names: shown as they are in every language."""
    from flask_appbuilder import Model
    from sqlalchemy import select

    from app.extensions import db

    out: set[str] = set()
    for table in Model.metadata.tables.values():
        for column in table.columns:
            if column.key in _CODE_COLUMNS:
                out.update(str(v) for v in db.session.execute(select(column).distinct()).scalars() if v)
    return frozenset(out)


def default_names() -> frozenset[str]:
    """The English default names of registers named in three languages. A card and an edit form show
    all three names to the people who maintain them ("Name (English)"), so there the English one is
    data, not an untranslated word; everywhere else (lists, selects, documents) it must not appear."""
    from flask_appbuilder import Model
    from sqlalchemy import select

    from app.extensions import db

    out: set[str] = set()
    for table in Model.metadata.tables.values():
        if {"name", "name_ru", "name_es"} <= set(table.columns.keys()):
            out.update(str(v) for v in db.session.execute(select(table.c.name).distinct()).scalars() if v)
    return frozenset(out)


def test_detector_flags_english_words_and_codes_on_a_russian_page():
    html = """<html><head><title>Заявки</title><script>var x = "Add Pricing Rule";</script></head><body>
      <h1>Add Pricing Rule</h1><table><tr><th>Активен</th><td>True</td><td>Черновик</td></tr></table>
      <select><option value="draft">draft</option><option value="posted">Проведён</option></select>
      <input type="submit" value="Сохранить"><span title="Удалить">x</span>
      <p>Итого 5 kg, CPU-A1, Fabrika, sales@robokids.example</p></body></html>"""
    found = page_findings(html, "ru")
    assert found == ["Add Pricing Rule", "True", "draft"]


def test_detector_reads_attributes_and_words_inside_a_sentence():
    html = """<div><input placeholder="Search"><button title="False">x</button>
      <p>Операция: production_output, документ 14</p><p>Состояние: Черновик</p></div>"""
    assert page_findings(html, "ru") == ["Search", "False", "Операция: production_output, документ 14"]


def test_spanish_words_equal_to_english_are_not_flagged():
    assert page_findings("<p>Error</p><p>Total</p><p>Cancel</p>", "es") == ["Cancel"]


# --- the crawl --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_app(_app_state):
    """One app with the demo data for the whole module (the crawl only reads)."""
    from tests.conftest import _reset

    app, db_file, template = _app_state
    with app.app_context():
        _reset(app, db_file, template)
        from app.services.demo import load_demo

        load_demo()
        yield app
        from app.extensions import db

        db.session.remove()


def _client(app, role: str, lang: str):
    client = app.test_client()
    resp = client.post("/login/", data={"username": role.lower(), "password": ROLE_PASSWORD})
    assert resp.status_code in (302, 303), f"login as {role} failed"
    client.get(f"/lang/{lang}")
    return client


def _menu_urls(app, role: str) -> list[str]:
    from flask import g
    from flask_login import login_user

    user = app.appbuilder.sm.find_user(username=role.lower())
    with app.test_request_context():
        login_user(user)
        g.user = user
        data = app.appbuilder.menu.get_data()
    urls, stack = [], list(data)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.get("childs") or [])
            if item.get("url") and item["url"].startswith("/"):
                urls.append(item["url"])
    return sorted(set(urls))


@cache
def _bases(app) -> dict[str, object]:
    """List URL -> its view."""
    from flask import url_for

    out = {}
    with app.test_request_context():
        for view in app.appbuilder.baseviews:
            if f"{view.endpoint}.list" in app.view_functions:
                out[url_for(f"{view.endpoint}.list").split("?")[0]] = view
    return out


_HREF = re.compile(r'href="([^"#]+)"')


def _first_row_pages(html: str, base: str) -> list[str]:
    """The add form and the first show and edit links of the list page at `base`."""
    root = base.rstrip("/").rsplit("/", 1)[0]
    hrefs = [h.replace("&amp;", "&") for h in _HREF.findall(html)]
    out = []
    for kind in ("/add", "/show/", "/edit/"):
        first = next((h for h in hrefs if h.startswith(root + kind)), None)
        if first:
            out.append(first)
    return out


@cache
def _grants(role: str, resource: str) -> frozenset[str]:
    """The role's permissions on `resource`; the Admin holds every one any role holds."""
    roles = [r for r in ROLE_NAMES if r != "Admin"] if role == "Admin" else [role]
    return frozenset(p for r in roles for p, res in role_grants(r) if res == resource)


class Crawl:
    """Fetch pages once per (url, language, permissions on the page's resource) and collect findings."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: dict[tuple, str] = {}
        self.found: dict[tuple[str, str], set[str]] = {}  # (text, lang) -> "role url" examples
        self.pages = 0
        self.allowed = data_codes()
        self.on_cards = self.allowed | default_names()
        self.timing = [0.0, 0.0]
        self.per_role: dict[str, int] = {}

    def _key(self, role: str, url: str, lang: str) -> tuple:
        view = next((v for b, v in _bases(self.app).items() if url.startswith(b.rsplit("/", 2)[0] + "/")), None)
        resource = getattr(view, "class_permission_name", url)
        return url, lang, _grants(role, resource)

    def get(self, client, role: str, url: str, lang: str) -> str | None:
        key = self._key(role, url, lang)
        if key in self.seen:
            return self.seen[key]
        start = time.perf_counter()
        resp = client.get(url)
        self.pages += 1
        self.per_role[role] = self.per_role.get(role, 0) + 1
        html = resp.get_data(as_text=True) if resp.status_code == 200 and "html" in resp.mimetype else None
        self.seen[key] = html
        self.timing[0] += time.perf_counter() - start
        if html and not any(url.startswith(prefix) for prefix in KNOWN_GAP_PAGES):
            start = time.perf_counter()
            allowed = self.on_cards if ("/show/" in url or "/edit/" in url) else self.allowed
            for text in page_findings(html, lang, allowed):
                self.found.setdefault((text, lang), set()).add(f"{role} {url}")
            self.timing[1] += time.perf_counter() - start
        return html

    def role(self, role: str, lang: str) -> None:
        """The role's home page and menu entries; the Admin also opens each list's add, show and edit pages."""
        client = _client(self.app, role, lang)
        self.get(client, role, "/", lang)
        bases = _bases(self.app)
        for url in _menu_urls(self.app, role):
            html = self.get(client, role, url, lang)
            base = url.split("?")[0]
            if html and base in bases and role == "Admin":
                for page in _first_row_pages(html, base):
                    self.get(client, role, page, lang)


@pytest.fixture(scope="module")
def crawl(demo_app):
    result = Crawl(demo_app)
    for lang in LANGS:
        for role in ROLE_NAMES:
            result.role(role, lang)
    if FINDINGS_FILE:
        _write_findings(result)
    return result


def _write_findings(result: Crawl) -> None:
    lines = [f"# {len(result.found)} findings over {result.pages} pages; fetch / check seconds {result.timing}",
             f"# pages per role {result.per_role}"]
    for (text, lang), where in sorted(result.found.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"{lang}\t{text[:150]!r}\t{len(where)} page(s), e.g. {'; '.join(sorted(where)[:3])}")
    Path(FINDINGS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_crawl_opens_pages_of_every_kind(crawl):
    urls = {key[0] for key, html in crawl.seen.items() if html}
    assert any("/add" in u for u in urls) and any("/show/" in u for u in urls) and any("/edit/" in u for u in urls)
    assert crawl.pages > 200
    assert {role for role, n in crawl.per_role.items() if n} >= {"Admin", "Sales", "Warehouse"}


@pytest.mark.parametrize("lang", LANGS)
def test_no_english_word_or_raw_code_on_any_page(crawl, lang):
    found = {f"{text!r} ({sorted(where)[0]})" for (text, lng), where in crawl.found.items() if lng == lang}
    assert sorted(found) == []
