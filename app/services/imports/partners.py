"""Import kinds of partners: companies with their contacts, and suppliers' offers (the product matrix)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.partners import Partner, PartnerAddress, PartnerBankAccount
from app.models.purchasing import SupplierOffer
from app.permissions import RESOURCE_PARTNER, RESOURCE_PURCHASING
from app.services.imports import lookups
from app.services.imports.catalog import _base_currency
from app.services.imports.core import MSG_DUPLICATE, MSG_UNKNOWN, Field, Kind, Plan, Row, compare, words
from app.services.imports.writing import first_seen, insert_new, upsert
from app.services.partners import (
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tax_id,
    refresh_norms,
)

COMPANY = ("name", "legal_name", "tax_id", "phone", "email", "website", "is_customer", "is_supplier")
CONTACT = ("name", "position", "phone", "email")
#: the address kinds as a file may name them (the code or these words, in any of the three languages)
ADDRESS_KIND_LABELS = {"legal": _l("Legal address"), "delivery": _l("Delivery address"), "postal": _l("Postal address")}
CONTACT_LABELS = {"position": "Position", "phone": "Contact's phone", "email": "Contact's e-mail"}


class PartnersImport(Kind):
    """One row per contact: rows repeating a company (same tax id, else same name) add its contacts;
    the company's own columns are taken from its first row."""

    key = "partners"
    label = _l("Partners and contacts")
    resource = RESOURCE_PARTNER
    fields = (
        Field("name", _l("Name"), required=True, example="Robokids LLC"),
        Field("legal_name", _l("Legal name")),
        Field("tax_id", _l("Tax ID"), example="7701234567"),
        Field("phone", _l("Phone"), example="+7 495 123-45-67"),
        Field("email", _l("E-mail")),
        Field("website", _l("Website")),
        Field("is_customer", _l("Customer"), "flag", example="yes"),
        Field("is_supplier", _l("Supplier"), "flag", example="no"),
        Field("contact_name", _l("Contact person"), example="Ivan Petrov"),
        Field("contact_position", _l("Position")),
        Field("contact_phone", _l("Contact's phone")),
        Field("contact_email", _l("Contact's e-mail")),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        stored = {pid: dict(zip(COMPANY, rest, strict=True)) for pid, *rest in session.execute(
            select(Partner.id, *(getattr(Partner, c) for c in COMPANY)).where(Partner.company_id.is_(None)))}
        contacts = {(cid, norm): (pid, *rest) for pid, cid, norm, *rest in session.execute(select(
            Partner.id, Partner.company_id, Partner.name_norm, *(getattr(Partner, c) for c in CONTACT[1:])).where(
            Partner.company_id.is_not(None)))}
        return {"partners": lookups.partners(session), "stored": stored, "contacts": contacts}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        name, tax_id = row.text("name"), normalize_tax_id(row.text("tax_id"))
        key = ("tax", tax_id) if tax_id else ("name", normalize_name(name))
        plan = Plan(row.line, name)
        target = ctx["partners"].get(key)
        contact = {"name": row.text("contact_name"), "position": row.text("contact_position"),
                   "phone": row.text("contact_phone"), "email": row.text("contact_email")}
        plan.extra = {"key": key, "contact": contact if contact["name"] else None, "first": None}
        first = first_seen(ctx, repr(key), row.line)
        if first is not None:  # another contact of a company met above: the company's columns stay
            plan.extra["first"] = first
            if not contact["name"]:
                row.problem(MSG_DUPLICATE, "name", value=name, first=first)
        else:
            plan.values = {"name": name, "legal_name": row.text("legal_name") or None, "tax_id": tax_id or None,
                           "phone": row.text("phone") or None, "email": row.text("email").lower() or None,
                           "website": row.text("website") or None, "is_customer": row.flag("is_customer"),
                           "is_supplier": row.flag("is_supplier")}
        plan.target = target if target is not None or first is None else ("row", first)
        if isinstance(target, int) and plan.values:
            compare(plan, ctx["stored"].get(target, {}), plan.values, self.field_map())
        self._contact_changes(ctx, plan, target)
        return plan

    @staticmethod
    def _contact_changes(ctx: dict[str, Any], plan: Plan, company_id: int | None) -> None:
        contact = plan.extra["contact"]
        if contact is None:
            return
        stored = ctx["contacts"].get((company_id, normalize_name(contact["name"])))
        if stored is None:
            plan.changes.append(("Contact person", "", contact["name"]))
            return
        for key, before in zip(CONTACT[1:], stored[1:], strict=True):
            if contact[key] and contact[key] != before:
                plan.changes.append((CONTACT_LABELS[key], before, contact[key]))

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        """New companies, then new contacts, bulk-inserted in batches (no ORM object kept per row); the
        stored companies and contacts a row changes are updated through the ORM (audited before/after)."""
        heads = [p for p in plans if p.extra["first"] is None]
        company_of: dict[int, int] = ctx.setdefault("_company_of", {})  # a company's row -> id, across batches
        company_of.update({p.line: p.target for p in heads if isinstance(p.target, int)})
        new = [p for p in heads if not isinstance(p.target, int)]
        ids = insert_new(session, Partner, [_partner_row(p.values, kind="company", is_customer=True) for p in new],
                         ctx.get("_progress"))
        company_of.update({p.line: pid for p, pid in zip(new, ids, strict=True)})
        for plan in heads:
            if isinstance(plan.target, int) and plan.changes:
                partner = session.get(Partner, plan.target)
                for key, value in plan.values.items():
                    if value is not None:
                        setattr(partner, key, value)
                refresh_norms(partner)
        new_people = []
        for plan in plans:
            contact = plan.extra["contact"]
            if contact is None:
                continue
            company_id = company_of[plan.extra["first"] or plan.line]
            stored = ctx["contacts"].get((company_id, normalize_name(contact["name"])))
            if stored is None:
                new_people.append(_partner_row({k: contact[k] or None for k in CONTACT}, kind="person",
                                                company_id=company_id, is_customer=False))
                continue
            person = session.get(Partner, stored[0])
            for key in CONTACT[1:]:
                if contact[key]:
                    setattr(person, key, contact[key])
            refresh_norms(person)
        insert_new(session, Partner, new_people)
        session.flush()
        return ""


def _partner_row(values: dict[str, Any], **fixed: Any) -> dict[str, Any]:
    """A new partner's column values (`fixed` the defaults the row may override) with the normalised
    columns refresh_norms would fill."""
    row = fixed | {k: v.strip() if isinstance(v, str) else v for k, v in values.items() if v is not None}
    row["tax_id"] = normalize_tax_id(row.get("tax_id"))
    row["name_norm"] = normalize_name(row.get("name"))
    row["phone_norm"] = normalize_phone(row.get("phone"))
    row["email_norm"] = row["email"] = normalize_email(row.get("email"))
    return row


class SupplierOffersImport(Kind):
    """A supplier's price of an item from a date: updated when the same supplier, item and date repeat."""

    key = "supplier_offers"
    label = _l("Supplier offers")
    resource = RESOURCE_PURCHASING
    fields = (
        Field("supplier", _l("Supplier"), required=True, example="7701234567"),
        Field("item", _l("Item code"), required=True, example="MOT-12"),
        Field("price", _l("Price"), "money", required=True, example="410,00"),
        Field("currency", _l("Currency"), example="RUB"),
        Field("valid_from", _l("Valid from"), "date", example="01.01.2027"),
        Field("min_qty", _l("Minimum quantity"), "qty", example="10"),
        Field("pack_qty", _l("Pack quantity"), "qty"),
        Field("lead_time_days", _l("Lead time, days"), "int", example="14"),
        Field("supplier_item_code", _l("Supplier's item code")),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        offers = {(s, i, d): (oid, price, cur, mq, pq, lt, code) for oid, s, i, d, price, cur, mq, pq, lt, code in
                  session.execute(select(
                      SupplierOffer.id, SupplierOffer.supplier_id, SupplierOffer.item_id, SupplierOffer.valid_from,
                      SupplierOffer.price, SupplierOffer.currency_id, SupplierOffer.min_qty, SupplierOffer.pack_qty,
                      SupplierOffer.lead_time_days, SupplierOffer.supplier_item_code))}
        return {"partners": lookups.partners(session), "items": lookups.item_ids(session), "offers": offers,
                "currencies": lookups.currencies(session), "base": _base_currency(session)}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        supplier_text = row.text("supplier")
        supplier = lookups.find_partner(ctx["partners"], supplier_text) if supplier_text else None
        if supplier_text and supplier is None:
            row.problem(MSG_UNKNOWN, "supplier", value=supplier_text[:60])
        item = row.lookup("item", ctx["items"])
        valid_from = row.date("valid_from") or date.today()
        plan = Plan(row.line, f"{supplier_text} / {row.text('item')}")
        lead = row.number("lead_time_days")
        plan.values = {"supplier_id": supplier, "item_id": item, "valid_from": valid_from,
                       "price": row.number("price"), "currency_id": row.lookup("currency", ctx["currencies"]),
                       "min_qty": row.number("min_qty"), "pack_qty": row.number("pack_qty"),
                       "lead_time_days": int(lead) if lead is not None else None,
                       "supplier_item_code": row.text("supplier_item_code") or None}
        if supplier and item and (first := first_seen(ctx, (supplier, item, valid_from), row.line)) is not None:
            row.problem(MSG_DUPLICATE, "item", value=row.text("item"), first=first)
        stored = ctx["offers"].get((supplier, item, valid_from))
        if stored is not None:
            plan.target = stored[0]
            old = dict(zip(("price", "currency_id", "min_qty", "pack_qty", "lead_time_days", "supplier_item_code"),
                           stored[1:], strict=True))
            compare(plan, old, {k: plan.values[k] for k in old}, self.field_map() | {
                "currency_id": Field("currency", _l("Currency"))})
        return plan

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        for plan in plans:
            if plan.target is None and plan.values["currency_id"] is None:
                plan.values["currency_id"] = ctx["base"]
        upsert(session, SupplierOffer, plans, progress=ctx.get("_progress"))
        return ""


def _partner_cell(ctx: dict[str, Any], row: Row) -> int | None:
    """The stored partner a row names by tax id or name (a problem if none)."""
    text = row.text("partner")
    found = lookups.find_partner(ctx["partners"], text) if text else None
    if text and found is None:
        row.problem(MSG_UNKNOWN, "partner", value=text[:60])
    return found


class PartnerAddressesImport(Kind):
    """Partners' addresses: one per partner, kind and address text (the same text again updates its city,
    country and default flag)."""

    key = "partner_addresses"
    model = PartnerAddress
    label = _l("Partners' addresses")
    resource = RESOURCE_PARTNER
    fields = (
        Field("partner", _l("Partner"), required=True, example="7701234567"),
        Field("kind", _l("Address kind"), example="delivery"),
        Field("address", _l("Address"), required=True, example="ul. Lesnaya 5"),
        Field("city", _l("City"), example="Moscow"),
        Field("country", _l("Country"), example="RU"),
        Field("is_default", _l("Default"), "flag", example="yes"),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        stored = {(pid, kind, text.strip().lower()): (aid, city, country, default) for aid, pid, kind, text, city,
                  country, default in session.execute(select(
                      PartnerAddress.id, PartnerAddress.partner_id, PartnerAddress.kind, PartnerAddress.address,
                      PartnerAddress.city, PartnerAddress.country, PartnerAddress.is_default))}
        return {"partners": lookups.partners(session), "stored": stored, "kinds": words(ADDRESS_KIND_LABELS)}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        partner = _partner_cell(ctx, row)
        kind = row.lookup("kind", ctx["kinds"], default="delivery")
        address = row.text("address")
        plan = Plan(row.line, f"{row.text('partner')}: {address}")
        plan.values = {"partner_id": partner, "kind": kind, "address": address, "city": row.text("city"),
                       "country": row.text("country"), "is_default": row.flag("is_default", False)}
        key = (partner, kind, address.lower())
        if partner and (first := first_seen(ctx, key, row.line)) is not None:
            row.problem(MSG_DUPLICATE, "address", value=address[:60], first=first)
        stored = ctx["stored"].get(key)
        if stored is not None:
            plan.target = stored[0]
            old = dict(zip(("city", "country", "is_default"), stored[1:], strict=True))
            compare(plan, old, {k: plan.values[k] for k in old}, self.field_map())
        return plan



class PartnerBankAccountsImport(Kind):
    """Partners' bank accounts, matched by partner and account number (the same again updates the rest)."""

    key = "partner_bank_accounts"
    model = PartnerBankAccount
    label = _l("Partners' bank accounts")
    resource = RESOURCE_PARTNER
    fields = (
        Field("partner", _l("Partner"), required=True, example="7701234567"),
        Field("bank_name", _l("Bank"), required=True, example="Sberbank"),
        Field("bic", _l("BIC"), example="044525225"),
        Field("account", _l("Account"), required=True, example="40702810900000000001"),
        Field("corr_account", _l("Correspondent account"), example="30101810400000000225"),
        Field("currency", _l("Currency"), example="RUB"),
        Field("is_default", _l("Default"), "flag", example="yes"),
    )
    compared = ("bank_name", "bic", "corr_account", "currency_id", "is_default")

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        stored = {(pid, account): (bid, *rest) for bid, pid, account, *rest in session.execute(select(
            PartnerBankAccount.id, PartnerBankAccount.partner_id, PartnerBankAccount.account,
            *(getattr(PartnerBankAccount, c) for c in self.compared)))}
        return {"partners": lookups.partners(session), "stored": stored, "currencies": lookups.currencies(session)}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        partner = _partner_cell(ctx, row)
        account = "".join(row.text("account").split())
        plan = Plan(row.line, f"{row.text('partner')}: {account}")
        plan.values = {"partner_id": partner, "account": account, "bank_name": row.text("bank_name"),
                       "bic": row.text("bic"), "corr_account": "".join(row.text("corr_account").split()),
                       "currency_id": row.lookup("currency", ctx["currencies"]),
                       "is_default": row.flag("is_default", False)}
        if partner and (first := first_seen(ctx, (partner, account), row.line)) is not None:
            row.problem(MSG_DUPLICATE, "account", value=account, first=first)
        stored = ctx["stored"].get((partner, account))
        if stored is not None:
            plan.target = stored[0]
            old = dict(zip(self.compared, stored[1:], strict=True))
            compare(plan, old, {k: plan.values[k] for k in old}, self.field_map() | {
                "currency_id": Field("currency", _l("Currency"))})
        return plan

