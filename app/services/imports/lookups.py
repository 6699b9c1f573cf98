"""Look-up tables the import kinds share: a stored thing by its code or any of its names, any case."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.catalog import Item, ItemGroup
from app.models.core import Currency, Unit
from app.models.partners import Partner
from app.models.stock import Warehouse
from app.services.partners import normalize_name, normalize_tax_id


def by_names(session: Session, model: type, value: Any = None, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """{code / name / name_ru / name_es (lower case): `value` column (the id)} of a register."""
    columns = [getattr(model, c) for c in ("code", "name", "name_ru", "name_es", *extra) if hasattr(model, c)]
    out: dict[str, Any] = {}
    for row in session.execute(select(value if value is not None else model.id, *columns)):
        for text in reversed(row[1:]):  # the code wins over a name that happens to equal another's code
            if text:
                out[str(text).lower()] = row[0]
    return out


def units(session: Session) -> dict[str, int]:
    return by_names(session, Unit)


def groups(session: Session) -> dict[str, int]:
    return by_names(session, ItemGroup)


def currencies(session: Session) -> dict[str, int]:
    return by_names(session, Currency)


def warehouses(session: Session) -> dict[str, Any]:
    """{code or name: (id, valuation)}."""
    out: dict[str, Any] = {}
    for wid, code, name, name_ru, name_es, valuation in session.execute(select(
            Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.name_ru, Warehouse.name_es, Warehouse.valuation)):
        for text in (name_es, name_ru, name, code):
            if text:
                out[text.lower()] = (wid, valuation)
    return out


def item_ids(session: Session) -> dict[str, int]:
    """{item code (lower case): id}: rows name items by code only (names repeat, codes don't)."""
    return {code.lower(): iid for iid, code in session.execute(select(Item.id, Item.code))}


def partner_key(text: str) -> tuple[str, str]:
    """How a row names a partner: ("tax", its normalised tax id) and ("name", its normalised name)."""
    return ("tax", normalize_tax_id(text)), ("name", normalize_name(text))


def partners(session: Session) -> dict[tuple[str, str], int]:
    """{("tax", tax id) or ("name", name): id} of the unmerged companies and people without a company."""
    stmt = select(Partner.id, Partner.name_norm, Partner.tax_id).where(Partner.merged_into_id.is_(None),
                                                                       Partner.company_id.is_(None))
    out: dict[tuple[str, str], int] = {}
    for pid, name_norm, tax_id in session.execute(stmt.order_by(Partner.id.desc())):
        out[("name", name_norm)] = pid
        if tax_id:
            out[("tax", tax_id)] = pid
    return out


def find_partner(table: dict[tuple[str, str], int], text: str) -> int | None:
    """The partner a cell names by tax id or by name, else None."""
    by_tax, by_name = partner_key(text)
    return table.get(by_tax) if by_tax[1] and by_tax in table else table.get(by_name)
