"""Fill the ru / es catalogs from translation files kept beside the code, or check what is missing.

Work on several features at once can't share one messages.po (every `pybabel update` rewrites it),
so a feature writes its translations to translations/pending/<feature>.json:

    {"Purchase request": {"ru": "Заявка на закупку", "es": "Solicitud de compra"},
     "%(n)s line": {"ru": ["%(n)s строка", "%(n)s строки", "%(n)s строк"], "es": ["...", "..."]}}

A message with a context (pgettext / lazy_pgettext: one English word, two meanings, such as the
e-mail's "To" and the date range's "To") is keyed "context\u0004msgid", gettext's own separator:

    {"e-mail\u0004To": {"ru": "Кому", "es": "Para"}, "To": {"ru": "По", "es": "Hasta"}}

`python scripts/i18n_fill.py` extracts the msgids, updates the catalogs, fills every empty or fuzzy
entry from the pending files, compiles, and lists what is still untranslated (exit 1 if any).
`python scripts/i18n_fill.py --check [PATH ...]` writes nothing: it lists the msgids (found in
PATH..., default everywhere) that neither the catalogs nor the pending files translate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PENDING = TRANSLATIONS / "pending"
LANGUAGES = ("ru", "es")
#: gettext / ngettext / pgettext are babel's defaults; the lazy forms the app uses are added
KEYWORDS = ("-k", "lazy_gettext", "-k", "_l", "-k", "pgettext:1c,2", "-k", "lazy_pgettext:1c,2")


def _babel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=ROOT, check=True)


def _extract(pot: Path) -> Catalog:
    _babel("extract", "-F", "babel.cfg", *KEYWORDS, "-o", str(pot), ".")
    with pot.open("rb") as f:
        return read_po(f)


def _pending() -> dict[str, dict[str, object]]:
    merged: dict[str, dict[str, object]] = {}
    for path in sorted(PENDING.glob("*.json")):
        for msgid, forms in json.loads(path.read_text(encoding="utf-8")).items():
            merged.setdefault(msgid, {}).update(forms)
    return merged


def _po(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _done(message) -> bool:
    forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    return bool(message.string) and all(forms) and not message.fuzzy


def _key(message) -> str:
    """The message's key in the pending files: its msgid, after its context and \x04 if it has one."""
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return f"{message.context}\x04{msgid}" if message.context else msgid


def check(paths: list[str]) -> int:
    pending = _pending()
    with tempfile.TemporaryDirectory() as tmp:
        extracted = _extract(Path(tmp) / "messages.pot")
    missing: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        with _po(lang).open("rb") as f:
            po = read_po(f, locale=lang)
        for message in extracted:
            if not message.id:
                continue
            if paths and not any(loc.startswith(p) for loc, _ in message.locations for p in paths):
                continue
            have = po.get(message.id, message.context)
            if (have is not None and _done(have)) or lang in pending.get(_key(message), {}):
                continue
            missing.setdefault(lang, []).append(_key(message))
    for lang, ids in missing.items():
        print(f"{lang}: {len(ids)} untranslated")
        for msgid in ids:
            print(f"  {msgid!r}")
    return 1 if missing else 0


def fill() -> int:
    pending = _pending()
    _babel("extract", "-F", "babel.cfg", *KEYWORDS, "-o", "translations/messages.pot", ".")
    _babel("update", "-N", "-i", "translations/messages.pot", "-d", "translations")
    left = 0
    for lang in LANGUAGES:
        path = _po(lang)
        with path.open("rb") as f:
            po = read_po(f, locale=lang)
        for message in po:
            if not message.id or _done(message):
                continue
            forms = pending.get(_key(message), {}).get(lang)
            if forms:
                message.string = tuple(forms) if isinstance(forms, list) else forms
                message.flags.discard("fuzzy")
            else:
                left += 1
                print(f"{lang}: untranslated {_key(message)!r}")
        with path.open("wb") as f:
            write_po(f, po, width=120)
    _babel("compile", "-d", "translations", "-f")
    return 1 if left else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2:]))
    sys.exit(fill())
