"""The company as printed forms see it: the letterhead view-model, the company card PDF, print locale.

Every printed form starts with the company header (app/printing/templates/base.html reads the
`company` dict described in app/printing/render.py); this module builds that dict from the
Company row, so all forms show the same requisites, with the name, legal name and address in the
form's language (the Company row keeps them in three). Tax ids carry the labels of the reader's
country convention: ИНН / КПП / ОГРН in Russian, neutral translated labels otherwise.

`print_locale` resolves the language of a printed form (an explicit `?lang=`, else the user's
locale) together with its translations, for every PDF route of the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import current_app, has_request_context
from flask_babel import force_locale, get_locale, get_translations
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import localized
from app.models.core import Company
from app.printing import render_pdf

Gettext = Callable[[str], str]


def current_company(session: Session) -> Company | None:
    """The company running Fabrika: the first Company row (there is normally exactly one)."""
    return session.scalar(select(Company).order_by(Company.id).limit(1))


def _untranslated(message: str) -> str:
    return message


def _language(locale: str) -> str:
    return re.split(r"[_-]", locale or "en", maxsplit=1)[0].lower()


def tax_ids(company: Company, locale: str, gettext: Gettext | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs of the filled-in tax ids, labelled as the reader's country does."""
    values = (company.tax_id, company.tax_id2, company.registration_no)
    if _language(locale) == "ru":
        labels = ("ИНН", "КПП", "ОГРН")
    else:
        _ = gettext or _untranslated
        labels = (_("Tax ID"), _("Tax registration code"), _("Registration number"))
    return [(label, value) for label, value in zip(labels, values, strict=True) if value]


def company_view_model(company: Company | None, locale: str, gettext: Gettext | None = None) -> dict[str, Any]:
    """The `company` dict of the printing templates; a nameless stub when no company is set up yet."""
    if company is None:
        return {"name": ""}
    lang = _language(locale)  # the document's language: its name, legal name and address in it when given
    return {
        "name": localized(company, "name", lang),
        "legal_name": localized(company, "legal_name", lang),
        "tax_ids": tax_ids(company, locale, gettext),
        "address": localized(company, "address", lang),
        "phone": company.phone,
        "email": company.email,
        "base_currency": company.base_currency.code if company.base_currency else None,
        "bank": {
            "name": company.bank_name,
            "bic": company.bank_bic,
            "account": company.bank_account,
            "correspondent_account": company.bank_corr_account,
        },
        "logo": company.logo or None,
    }


def base_currency_code(company: Company | None) -> str | None:
    return company.base_currency.code if company is not None and company.base_currency else None


def form_context(session: Session, locale: str, gettext: Gettext | None = None, user: str = "",
                 printed_at: date | None = None) -> dict[str, Any]:
    """What every printed form's context starts with: the company header, the 'Printed' footer
    (date and user) and the base currency code; each form adds its own document to it."""
    company = current_company(session)
    return {"company": company_view_model(company, locale, gettext), "printed_at": printed_at or date.today(),
            "user": user, "currency": base_currency_code(company)}


# --- Flask edge: locale, translations and who prints -------------------------------------------


def print_locale(lang: str | None = None) -> tuple[str, Any]:
    """(locale, translations) of a printed form: `lang` when it is one of LANGUAGES, else the user's.

    The translations are looked up under `force_locale`, so a Spanish user printing `?lang=ru`
    for a Russian customer gets Russian words as well as Russian number formats.
    """
    languages = current_app.config.get("LANGUAGES") or {}
    if lang and lang in languages:
        locale = lang
    else:
        current = get_locale()
        locale = str(current) if current else current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    with force_locale(locale):
        translations = get_translations()
    return locale, translations


def printed_by() -> str:
    """The signed-in user's full name (or login) for the 'Printed' footer; empty outside a request."""
    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return ""
    full = f"{current_user.first_name or ''} {current_user.last_name or ''}".strip()
    return full or current_user.username


def safe_filename(text: str, default: str = "document") -> str:
    """An ASCII file name for Content-Disposition (document numbers are ASCII already)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text or "").strip("._")
    return name or default


def company_card_pdf(session: Session, company_id: int, lang: str | None = None) -> tuple[bytes, str] | None:
    """The company card (карточка предприятия) as PDF bytes and a file name; None if no such company."""
    company = session.get(Company, company_id)
    if company is None:
        return None
    locale, translations = print_locale(lang)
    context = {
        "company": company_view_model(company, locale, translations.gettext),
        "printed_at": date.today(),
        "user": printed_by(),
    }
    pdf = render_pdf("company_card.html", context, locale, translations)
    return pdf, f"company-card-{safe_filename(company.tax_id or str(company.id))}.pdf"
