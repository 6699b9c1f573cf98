"""The ru and es catalogs cover every string the code shows, and the UI really comes out translated.

The msgids are extracted afresh from the code (as `make translations` does), so a string someone
adds without translating fails here, not in front of a Russian storekeeper. Domain errors are
raised as plain msgids and never wrapped in _(), so a second check finds them in the source and
requires them to be listed in app/i18n_overrides.py (which puts them into the extraction).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from gettext import c2py
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = ("ru", "es")
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
PERCENT = "%%"


def _load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _forms(value: str | tuple | list) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    """messages.pot built from the current code, with the same options as `make translations`."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "lazy_gettext", "-k", "_l", "-k", "pgettext:1c,2", "-k", "lazy_pgettext:1c,2", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )
    return _load(pot)


@pytest.fixture(scope="module", params=LANGUAGES)
def catalog(request) -> tuple[str, Catalog]:
    lang = request.param
    return lang, _load(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", locale=lang)


def test_every_extracted_msgid_is_translated(extracted, catalog):
    lang, po = catalog
    assert len(extracted) > 100, "the extraction found almost nothing: is babel.cfg broken?"
    missing = []
    for message in extracted:
        if not message.id:
            continue
        done = po.get(message.id, message.context)
        if done is None or done.fuzzy or not all(_forms(done.string)):
            missing.append(_forms(message.id)[0])
    assert not missing, (
        f"{len(missing)} msgids lack a non-fuzzy {lang} translation (run `make translations` and "
        f"translate them in translations/{lang}/LC_MESSAGES/messages.po): {missing[:20]}"
    )


def test_placeholders_match_the_msgid(catalog):
    lang, po = catalog
    wrong = []
    for message in po:
        if not message.id or not message.string:
            continue
        ids = _forms(message.id)
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for form in _forms(message.string):
            same = set(PLACEHOLDER.findall(form)) == wanted and form.count(PERCENT) == ids[0].count(PERCENT)
            if not same or not _formats(form, wanted):
                wrong.append((ids[0], form))
    assert not wrong, f"{lang}: placeholders or %% signs that differ from the msgid's: {wrong[:10]}"


def _formats(text: str, names: set[str]) -> bool:
    """False when `text % params` breaks (a stray %, a typo such as %(item)), as gettext would."""
    if not names:
        return True
    try:
        text % {name: "x" for name in names}
    except (KeyError, ValueError, TypeError):
        return False
    return True


def test_plural_forms_of_the_language(catalog):
    """The Plural-Forms header follows the language (Russian: 1 строка, 2 строки, 5 строк, 21 строка)
    and every plural message has that many forms."""
    lang, po = catalog
    rule = get_plural(lang)
    assert (po.num_plurals, po.plural_expr) == (rule.num_plurals, rule.plural_expr)
    if lang == "ru":
        choose = c2py(po.plural_expr)
        assert [choose(n) for n in (1, 2, 5, 11, 21, 22, 25, 112)] == [0, 1, 2, 2, 0, 1, 2, 2]
    for message in po:
        if message.pluralizable and message.string:
            assert len(_forms(message.string)) == po.num_plurals, message.id


def _domain_msgids(root: Path) -> dict[str, str]:
    """Literal msgids raised in app/: DomainError(...), Problem(...), any call whose parameter is
    named `msgid` (Collector.add, backup._run), translate(...), MSG_* constants and the
    `return None, "msgid"` of the parse helpers. A msgid passed as a variable is found where the
    module assigns that variable (`msg = "a" if x else "b"`). Maps msgid -> where it was found."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.py"))}
    positions = _msgid_positions(trees.values())
    found: dict[str, str] = {}
    for path, tree in trees.items():
        where = path.relative_to(root.parent)
        assigned: dict[str, list[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, []).extend(_literals(node.value))
        for node in ast.walk(tree):
            for literal in _msgid_literals(node, positions, assigned):
                found.setdefault(literal, f"{where}:{node.lineno}")
    return found


def _msgid_positions(trees) -> dict[str, int]:
    """Callable name -> index of its msgid argument."""
    positions = {"DomainError": 0, "Problem": 0, "translate": 0}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) == "DomainError" for b in node.bases):
                positions.setdefault(node.name, 0)
            elif isinstance(node, ast.FunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "msgid" in names:
                    skip = 1 if names[0] in ("self", "cls") else 0
                    positions.setdefault(node.name, names.index("msgid") - skip)
    return positions


def _literals(value: ast.AST | None) -> list[str]:
    """The strings an expression can evaluate to: "a", "a" if c else "b", err or "a"."""
    if isinstance(value, ast.Constant):
        return [value.value] if isinstance(value.value, str) else []
    if isinstance(value, ast.IfExp):
        return _literals(value.body) + _literals(value.orelse)
    if isinstance(value, ast.BoolOp):
        return [text for operand in value.values for text in _literals(operand)]
    return []


def _msgid_literals(node: ast.AST, positions: dict[str, int], assigned: dict[str, list[str]]) -> list[str]:
    if isinstance(node, ast.Call):
        func = node.func
        pos = positions.get(func.id if isinstance(func, ast.Name) else getattr(func, "attr", None))
        if pos is None or len(node.args) <= pos:
            return []
        arg = node.args[pos]
        return assigned.get(arg.id, []) if isinstance(arg, ast.Name) else _literals(arg)
    if isinstance(node, ast.Assign) and any(getattr(t, "id", "").startswith("MSG_") for t in node.targets):
        return _literals(node.value)
    if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
        first, second = node.value.elts
        return _literals(second) if isinstance(first, ast.Constant) and first.value is None else []
    return []


def test_domain_messages_are_extracted(extracted):
    domain = _domain_msgids(ROOT / "app")
    assert "Quantity must be positive" in domain and "Line %(line)s" in domain, "the source scan is broken"
    missing = {msgid: where for msgid, where in domain.items() if msgid not in extracted}
    assert not missing, f"add these domain messages to DOMAIN_MESSAGES in app/i18n_overrides.py: {missing}"


# --- the rendered UI ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled() -> None:
    """The UI tests read the compiled catalogs that `make run` / `make test` build."""
    for lang in LANGUAGES:
        mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
        assert mo.exists(), f"{mo} is missing: run `make translations-compile`"


LOGIN_WORDS = {"ru": ("Войти", "Имя пользователя"), "es": ("Iniciar sesión", "Usuario")}
LIST_WORDS = {
    # menu category and entries (ours), FAB's own strings, FAB strings our catalog overrides
    "ru": ("Склад", "Приходные накладные", "Инвентаризации", "Номенклатура", "Выход", "Добавить",
           "Пользователи", "Группы"),
    "es": ("Almacén", "Entradas de mercancía", "Inventarios", "Artículos", "Salir", "Añadir",
           "Usuarios", "Grupos"),
}


def _visible_text(resp) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", resp.get_data(as_text=True), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


@pytest.mark.usefixtures("compiled")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_login_page_speaks_the_chosen_language(client, lang):
    assert client.get(f"/lang/{lang}").status_code in (302, 303)
    text = _visible_text(client.get("/login/"))
    for word in LOGIN_WORDS[lang]:
        assert word in text, f"{word!r} not on the {lang} login page: {text[:300]}"
    assert "Sign In" not in text and "Registrarse" not in text


@pytest.mark.usefixtures("compiled")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_list_page_and_menu_speak_the_chosen_language(login_as, lang):
    admin = login_as("Admin")
    admin.get(f"/lang/{lang}")
    resp = admin.get("/receiptview/list/")
    assert resp.status_code == 200
    text = _visible_text(resp)
    for word in LIST_WORDS[lang]:
        assert word in text, f"{word!r} not on the {lang} goods receipts list: {text[:400]}"
    for english in ("Goods receipts", "Stock counts", "List Groups", "Logout", "Catalog"):
        assert english not in text, f"{english!r} is still English in {lang}"


@pytest.mark.usefixtures("compiled")
@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", ["Строка 2: Количество должно быть больше нуля", "Недостаточно остатка BOLT-M3: запрошено 5, доступно 3"]),
    ("es", ["Línea 2: La cantidad debe ser mayor que cero",
            "Existencias insuficientes de BOLT-M3: solicitado 5, disponible 3"]),
])
def test_domain_errors_are_translated_at_the_edge(app, lang, expected):
    """A service raises English msgids; the view's gettext turns them into the user's language."""
    from flask_babel import force_locale, gettext

    from app.domain.errors import DomainError, InsufficientStock, Problem

    error = DomainError([Problem("Quantity must be positive", line=2), *InsufficientStock("BOLT-M3", 5, 3).problems])
    with app.test_request_context(), force_locale(lang):
        assert error.messages(gettext) == expected


@pytest.mark.usefixtures("compiled")
def test_english_stays_english(login_as):
    """The catalogs must not leak into the default locale."""
    admin = login_as("Admin")
    admin.get("/lang/en")
    text = _visible_text(admin.get("/receiptview/list/"))
    assert "Goods receipts" in text and "Warehouse" in text
    assert "Склад" not in text and "Almacén" not in text
