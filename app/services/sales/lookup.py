"""The order-entry look-ups: clients and items as the user types, in any case and any of the names.

Items: the code starts with the text, or any of the three names (en, ru, es) contains it, compared in
lower case. PostgreSQL's lower() folds every alphabet in a UTF-8 database; on SQLite the connection's
lower() is Python's (app/database.py), so "робот" finds "Робот" on both. The catalog is thousands of
rows, so the scan of the names is cheap; the label is the reader's-language name, plus the name that
matched when it is another one (so the user sees why a row came up, and the browser's own suggestion
list keeps it). Clients: the normalised name (lower case, without legal forms) starts with the text,
a range on its index (ix_partner_name_norm), or the tax id starts with it (ix_partner_tax_id): index
ranges only, for 100,000 partners (measured on PostgreSQL with 100,000: about 1 ms a look-up, where
the former lower(name) LIKE ... OR ... scanned the table in 125 ms).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.models.catalog import Item
from app.models.partners import Partner
from app.services.partners import normalize_name

LIMIT = 20
NAME_FIELDS = ("name", "name_ru", "name_es")


@dataclass
class Found:
    id: int
    label: str
    match: str = ""  # the name that matched, when it is not the one in the label

    def as_json(self) -> dict:
        """{"id", "label"} and "match" when there is one: what the page's script reads."""
        return {"id": self.id, "label": self.label} | ({"match": self.match} if self.match else {})


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_items(session: Session, text: str, locale: str, limit: int = LIMIT) -> list[Found]:
    """Active items whose code starts with `text` or whose name in any language contains it, any case."""
    folded = (text or "").strip().lower()
    if not folded:
        return []
    inside, start = f"%{_escape(folded)}%", f"{_escape(folded)}%"
    names = [func.lower(getattr(Item, f)).like(inside, escape="\\") for f in NAME_FIELDS]
    rows = session.scalars(select(Item).where(Item.active.is_(True), or_(
        func.lower(Item.code).like(start, escape="\\"), *names)).order_by(Item.code).limit(limit)).all()
    found = []
    for item in rows:
        shown = item.label(locale)
        other = next((n for n in (getattr(item, f) for f in NAME_FIELDS)
                      if n and folded in n.lower() and n != shown), "")
        matched = other if folded not in f"{item.code} {shown}".lower() else ""
        found.append(Found(item.id, f"{item.code} {shown}", matched))
    return found


def _starts(column, prefix: str):
    """`column` starts with `prefix`, as a range an ordinary btree index serves on both databases."""
    return and_(column >= prefix, column < prefix + "\uffff")


def find_clients(session: Session, text: str, limit: int = LIMIT) -> list[Found]:
    """Active partners whose normalised name or tax id starts with `text` (index ranges, no scan)."""
    text = (text or "").strip()
    norm = normalize_name(text)
    if not text:
        return []
    conds = [_starts(Partner.name_norm, norm)] if norm else []
    if text[:1].isdigit():  # tax ids are digits: a range on ix_partner_tax_id (LIKE 'x%' is not indexable
        conds.append(_starts(Partner.tax_id, text))  # outside the C collation, and would make the OR a scan)
    if not conds:
        return []
    stmt = (select(Partner.id, Partner.name).where(Partner.active.is_(True), Partner.merged_into_id.is_(None),
                                                    or_(*conds))
            .order_by(Partner.name_norm).limit(limit))
    return [Found(pid, name) for pid, name in session.execute(stmt)]
