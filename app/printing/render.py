"""HTML templates -> PDF bytes with xhtml2pdf, independent of Flask.

Public API::

    render_pdf(template_name, context, locale, translations=None) -> bytes
    render_html(template_name, context, locale, translations=None) -> str
    html_to_pdf(html) -> bytes
    link_callback(uri, rel=None) -> str

Templates live in ``app/printing/templates/``. Jinja runs with ``autoescape=True`` and the
``i18n`` extension (newstyle gettext), so templates write ``{{ _("Company card") }}``.
``translations`` is any object with ``gettext``/``ngettext`` (a ``babel.support.Translations``,
flask-babel's ``get_translations()``, ...); by default ``gettext.NullTranslations`` (English
msgids). Every template also gets ``locale`` and ``font_css`` (these two cannot be overridden
by the caller's context, ``font_css`` is emitted ``|safe``).

Template ``company_card.html`` expects this context (all values plain str unless stated;
every key except ``company.name`` is optional)::

    {
        "company": {
            "name": "ООО «Ёлка-Палка» №1",          # trade name, the big header line
            "legal_name": "Общество с ограниченной ответственностью «Ёлка-Палка»",
            "tax_ids": {"ИНН": "7701234567", "КПП": "770101001", "ОГРН": "1027700000000"},
                                                     # mapping label -> value, or list of pairs;
                                                     # labels are printed as given (ИНН, NIF...)
            "address": "г. Москва, ул. Лесная, д. 1",   # newlines are kept
            "postal_address": "...",                 # optional second address
            "phone": "+7 495 000-00-00",
            "email": "info@example.ru",
            "website": "elka.example.ru",
            "base_currency": "RUB",                  # ISO 4217 code; printed with its name
            "bank": {
                "name": "ПАО «Банк»",
                "bic": "044525225",
                "account": "40702810000000000001",   # settlement account / IBAN
                "correspondent_account": "30101810400000000225",
                "swift": "SABRRUMM",
            },
            "director": "Иванов И. И.",              # head of the company (signature line)
            "accountant": "Петрова А. А.",           # chief accountant (signature line)
            "logo": "data:image/png;base64,..." or "img/logo.png",
                                                     # data: URI, or a file inside app/static
                                                     # (relative to it); anything else is dropped
        },
        "printed_at": datetime.date(2026, 11, 27),   # date or datetime
        "user": "Иванов И. И.",                      # who printed it
    }

Resources: ``link_callback`` lets the renderer read only regular files inside ``app/static``
(after resolving symlinks and ``..``) and ``data:`` URIs. Everything else (``http(s)://``,
``file://``, absolute paths elsewhere, ``../`` escapes) is rewritten to a path that names no
file, so nothing is fetched or read. The xhtml2pdf ``resource_policy`` confines reads to
``app/static`` and forbids remote fetches as a second, independent fence (xhtml2pdf has call
sites that bypass ``link_callback``).
"""

from __future__ import annotations

import functools
import gettext as _gettext
import logging
import os
from collections.abc import Mapping
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import ChainableUndefined, Environment, FileSystemLoader
from markupsafe import Markup, escape
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from .formatting import register_filters

__all__ = [
    "PdfRenderError",
    "STATIC_DIR",
    "FONT_DIR",
    "TEMPLATE_DIR",
    "FONT_CSS",
    "REFUSED",
    "link_callback",
    "resolve_static_path",
    "make_environment",
    "render_html",
    "html_to_pdf",
    "render_pdf",
]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
#: Real path (symlinks resolved), so the containment check compares like with like.
STATIC_DIR = Path(os.path.realpath(PACKAGE_DIR.parent / "static"))
FONT_DIR = STATIC_DIR / "fonts"

#: What a refused URI is rewritten to: a name inside app/static that no file has, so xhtml2pdf
#: reads nothing, logs "Could not get image data" and renders on without the resource. It has
#: to be a truthy value: when the callback returns None or "", xhtml2pdf keeps the original URI.
REFUSED = str(STATIC_DIR / ".refused-by-link-callback")

FONT_CSS = f"""
@font-face {{ font-family: DejaVuSans; src: url("{(FONT_DIR / "DejaVuSans.ttf").as_posix()}"); }}
@font-face {{ font-family: DejaVuSans; src: url("{(FONT_DIR / "DejaVuSans-Bold.ttf").as_posix()}");
             font-weight: bold; }}
"""

#: Second fence, enforced by xhtml2pdf's fetcher on every resource: local reads only inside
#: app/static, no network at all, plus size/time limits of the "server" profile.
PDF_POLICY = ResourceAccessPolicy.server(base_dir=STATIC_DIR, allow_remote=False)


class PdfRenderError(RuntimeError):
    """xhtml2pdf reported errors while building the PDF."""

    def __init__(self, template_name: str, messages: list[str]):
        self.template_name = template_name
        self.messages = messages
        detail = "; ".join(messages) or "unknown error"
        super().__init__(f"PDF rendering of {template_name!r} failed: {detail}")


def resolve_static_path(uri: str) -> str | None:
    """The real path of ``uri`` if it names a regular file inside app/static, else None.

    ``uri`` is a plain path: absolute, or relative to app/static. URLs with a scheme or a host
    (``http://``, ``file://``, ``//host/x``), ``%``-escapes, NUL bytes and backslashes are
    refused outright; ``..`` and symlinks are resolved and the result must stay inside.
    """
    if not uri or any(ch in uri for ch in ("\x00", "%", "\\")):
        return None
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        return None
    candidate = uri if os.path.isabs(uri) else os.path.join(STATIC_DIR, uri)
    real = os.path.realpath(candidate)
    try:
        inside = os.path.commonpath([real, str(STATIC_DIR)]) == str(STATIC_DIR)
    except ValueError:
        return None
    if not inside or real == str(STATIC_DIR) or not os.path.isfile(real):
        return None
    return real


def link_callback(uri: Any, rel: str | None = None) -> str:
    """xhtml2pdf ``link_callback``: allow app/static files and ``data:`` URIs only.

    Returns the URI to fetch: the ``data:`` URI unchanged, the real path of a static file, or
    :data:`REFUSED` (never a falsy value: xhtml2pdf would then fall back to the original URI).
    ``rel`` (the document's base path) is ignored on purpose: relative paths are relative to
    app/static.
    """
    if isinstance(uri, Path):
        uri = str(uri)
    if not isinstance(uri, str):
        return REFUSED
    text = uri.strip()
    if text[:5].lower() == "data:":
        return text
    resolved = resolve_static_path(text)
    if resolved is None:
        log.warning("PDF resource refused: %.200r", uri)
        return REFUSED
    return resolved


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    """Filter: a mapping or an iterable of pairs -> list of (label, value); empty values dropped."""
    if not value:
        return []
    items = value.items() if isinstance(value, Mapping) else value
    return [(label, val) for label, val in items if val]


def _nl2br(value: Any) -> Markup:
    """Filter: escape, then turn line breaks into <br/>. Undefined/None -> empty."""
    if not value:
        return Markup("")
    lines = str(value).replace("\r\n", "\n").split("\n")
    return Markup("<br/>").join(escape(line) for line in lines)


def make_environment(translations: Any = None) -> Environment:
    """A new Jinja environment for printed forms: autoescape, i18n, formatting filters.

    The gettext callables are environment globals, so one environment serves one language
    (one translations object); `_environment` keeps one per translations object.
    """
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations or _gettext.NullTranslations(), newstyle=True)
    register_filters(env)
    env.filters.update(pairs=_pairs, nl2br=_nl2br)
    return env


@functools.lru_cache(maxsize=16)
def _environment(translations: Any) -> Environment:
    """The environment of one translations object, kept with its compiled templates.

    A fresh environment per form parsed and compiled the form's templates every time: 60-70 % of
    a printed form's CPU (the load test printed forms at ~150-200 ms CPU each). flask-babel keeps
    one translations object per language, so this holds a few environments; each one's globals never
    change after it is made, and Jinja renders one template from many threads safely. The loader
    still checks the files' modification times, so an edited template is picked up.
    """
    return make_environment(translations)


def render_html(template_name: str, context: dict, locale: str, translations: Any = None) -> str:
    """Render ``template_name`` to an HTML string (what :func:`render_pdf` feeds to xhtml2pdf)."""
    env = _environment(translations)
    template = env.get_template(template_name)
    return template.render({**context, "locale": locale, "font_css": FONT_CSS})


def html_to_pdf(html: str, name: str = "<html>") -> bytes:
    """Convert trusted-template HTML to PDF bytes; raises :class:`PdfRenderError` on errors."""
    out = BytesIO()
    status = pisa.CreatePDF(
        html,
        dest=out,
        encoding="utf-8",
        link_callback=link_callback,
        resource_policy=PDF_POLICY,
    )
    if status.err:
        messages = [str(entry[2]) for entry in getattr(status, "log", []) if entry and entry[0] == "error"]
        raise PdfRenderError(name, messages or [f"{status.err} error(s)"])
    return out.getvalue()


def render_pdf(template_name: str, context: dict, locale: str, translations: Any = None) -> bytes:
    """Render a form from ``app/printing/templates/`` to PDF bytes.

    ``context`` is a plain dict (see the module docstring for ``company_card.html``);
    ``locale`` is a Babel locale name (``"ru"``, ``"es"``, ``"en"``, ``"ru_RU"``);
    ``translations`` provides ``gettext``/``ngettext`` for ``_()`` in the templates.
    """
    html = render_html(template_name, context, locale, translations)
    return html_to_pdf(html, name=template_name)
