"""Words and formatters of the client base: kinds, roles, address kinds, sources, languages, and the
audit trail shown on the client card in words (who changed which field from what to what)."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.views.labels import COMMON_LABELS

KIND_LABELS = {"company": _l("Company"), "person": _l("Person")}
ROLE_LABELS = {"customer": _l("Customer"), "supplier": _l("Supplier"), "carrier": _l("Carrier")}
ADDRESS_KIND_LABELS = {"legal": _l("Legal address"), "delivery": _l("Delivery address"), "postal": _l("Postal address")}
LANGUAGE_CHOICES = [("ru", "Русский"), ("es", "Español"), ("en", "English")]
# where a partner or deal came from: the usual codes get a label, anything else typed is shown as typed
SOURCE_LABELS = {"website": _l("Website"), "exhibition": _l("Exhibition"), "call": _l("Incoming call"),
                 "referral": _l("Referral"), "email": _l("E-mail"), "advertising": _l("Advertising")}
# audit trail: the entity names of the card's rows
AUDIT_ENTITIES = {"Partner": _l("Partner"), "PartnerAddress": _l("Address"),
                  "PartnerBankAccount": _l("Bank account")}

LABELS = COMMON_LABELS | {
    "created_at": _l("Created"), "source": _l("Lead source"),
    "legal_name": _l("Legal name"), "company": _l("Company"), "position": _l("Position"), "tax_id": _l("Tax id"),
    "tax_id2": _l("Tax id 2 (KPP)"), "phone": _l("Phone"), "email": _l("E-mail"), "website": _l("Website"),
    "is_customer": _l("Customer"), "is_supplier": _l("Supplier"), "is_carrier": _l("Carrier"), "tags": _l("Tags"),
    "roles": lazy_pgettext("contact", "Roles"), "merged_into": _l("Merged into"),
    "confirm_duplicate": _l("Save anyway"),
    "partner": _l("Partner"), "city": _l("City"), "country": _l("Country"), "is_default": _l("Default"),
    "bank_name": _l("Bank"), "bic": _l("BIC"), "account": _l("Account"), "corr_account": _l("Correspondent account"),
    "color": _l("Colour"),
}


# FAB adds its own guesses ("Partner Id") to a view's label_columns dict in place: the audit trail keeps a copy
AUDIT_LABELS = dict(LABELS)


def fmt_kind(value: Any) -> str:
    return str(KIND_LABELS.get(value, value or ""))


def fmt_roles(value: Any) -> Markup:
    return Markup(" ").join(Markup('<span class="label label-default role-%s">%s</span>') % (r, ROLE_LABELS[r])
                            for r in value or ())


AUDIT_ACTIONS = {"create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted"),
                 "merge": _l("Merged in"), "merged": _l("Merged into another")}
AUDIT_FIELDS_SHOWN = 6


def fmt_audit_action(value: str) -> str:
    return str(AUDIT_ACTIONS.get(value, value))


def fmt_check(value: Any) -> Markup:
    """A yes/no column as a tick (no tick for no), not Python's True / False."""
    return Markup('<i class="fa fa-check text-success" title="%s"></i>') % gettext("yes") if value else Markup("")


def fmt_source(value: Any) -> str:
    """A lead source: the label of a known code, otherwise the text as typed."""
    return str(SOURCE_LABELS.get(value, value or ""))


def fmt_language(value: Any) -> str:
    return dict(LANGUAGE_CHOICES).get(value, value or "")


def fmt_audit_entity(entity: str, entity_id: Any) -> str:
    """ "Bank account #3" rather than the model's class name."""
    return f"{AUDIT_ENTITIES.get(entity, entity)} #{entity_id}"


def fmt_changes(changes: str) -> str:
    """An audit row's JSON {field: [before, after]} as "Label: before → after; ..." in the reader's words.

    Field names become their form labels and codes their labels; ids and empties are left out.
    """
    try:
        data = json.loads(changes or "{}")
    except ValueError:
        return changes or ""
    parts = []
    for key, pair in data.items():
        if key == "id" or key.endswith("_norm") or not isinstance(pair, list) or len(pair) != 2:
            continue
        before, after = ("" if v is None else v for v in pair)
        if before == after == "":
            continue
        label = AUDIT_LABELS.get(key) or AUDIT_LABELS.get(key[:-3] if key.endswith("_id") else key, key)
        before, after = _fmt_change_value(key, before), _fmt_change_value(key, after)
        parts.append(f"{label}: {before} → {after}" if before != "" else f"{label}: {after}")
    more = len(parts) - AUDIT_FIELDS_SHOWN
    return "; ".join(parts[:AUDIT_FIELDS_SHOWN]) + (f"; … (+{more})" if more > 0 else "")


def _fmt_change_value(key: str, value: Any) -> Any:
    """Codes and flags of an audit change in words; ids stay as numbers (with a # to say so)."""
    if value is True or value is False:
        return gettext("yes") if value else gettext("no")
    if key == "kind":
        return ADDRESS_KIND_LABELS.get(value) or KIND_LABELS.get(value) or value
    if key == "source":
        return fmt_source(value)
    if key == "language":
        return fmt_language(value)
    if key not in AUDIT_LABELS and key.endswith("_id") and value != "":  # a reference: partner_id 7 -> #7
        return f"#{value}"
    return value


def fmt_address_kind(value: Any) -> str:
    return str(ADDRESS_KIND_LABELS.get(value, value or ""))


# the documents started from a card: (role needed or None, resource, endpoint, url args, label, icon)
