"""The client base's use cases: save a partner with duplicate detection, merge two partners.

Saving normalises phone / e-mail / name into the indexed `*_norm` columns and looks for an existing
partner with the same tax id, phone, e-mail or a similar name; a duplicate is refused (naming the
partner found) unless the user confirms. Merging keeps partner A and re-points every foreign key
to partner B found in the schema, so tables added by other contexts (orders, offers, proposals)
follow without this module knowing them; B stays as an inactive row pointing at A.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Integer, Table, and_, delete, exists, func, literal, or_, select, text, true, union_all, update
from sqlalchemy.orm import Session, aliased

from app.domain.errors import Collector, DomainError, Problem
from app.models.partners import PARTNER_KINDS, Partner, PartnerAddress, PartnerBankAccount, Tag
from app.services import audit
from app.services.base import is_postgres, unit_of_work
from app.services.locking import lock_row
from app.services.versioning import check_opened_version

# Legal forms dropped from names before comparing (lower-case, without punctuation).
LEGAL_FORMS = frozenset({
    "ооо", "оао", "зао", "пао", "ао", "ип", "нко", "ано", "чоу", "ноу", "гбоу", "мбоу", "фгуп", "муп",
    "llc", "ltd", "inc", "corp", "co", "gmbh", "ag", "plc", "sa", "sl", "slu", "sau", "srl", "bv", "oy", "ab",
})
SIMILARITY = 0.88  # difflib ratio from which two normalised names are "similar"
SIMILAR_CANDIDATES = 200  # names sharing a prefix compared by difflib, at most
PREFIX_LEN = 3
PARTNER_FIELDS = ("kind", "name", "legal_name", "company_id", "position", "tax_id", "tax_id2", "phone", "email",
                  "website", "is_customer", "is_supplier", "is_carrier", "manager_id", "source", "language",
                  "note", "active")


def normalize_phone(phone: str | None) -> str:
    """Digits only; a Russian 8XXXXXXXXXX is the same number as +7XXXXXXXXXX."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits[:32]


def normalize_email(email: str | None) -> str:
    return (email or "").strip().lower()[:200]


def normalize_tax_id(tax_id: str | None) -> str:
    """Upper-case, without spaces, dots and dashes (B-12345678 and b12345678 are one NIF)."""
    return re.sub(r"[\s.\-/]", "", tax_id or "").upper()[:32]


def normalize_name(name: str | None) -> str:
    """Lower-case words without punctuation, quotes and legal forms: «ООО "Робокидс"» -> "робокидс"."""
    text = unicodedata.normalize("NFKC", name or "").lower().replace("ё", "е")
    text = re.sub(r"\b(s)\.\s?(l|a)\.?(u)?\b\.?", r"\1\2\3", text)  # S.L. / S.A. / S.L.U. -> sl / sa / slu
    words = re.findall(r"\w+", text)
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)[:300]


@dataclass
class PartnerInput:
    """What a form or the API gives to create or change a partner (None: leave as it is)."""

    name: str | None = None
    kind: str | None = None
    legal_name: str | None = None
    company_id: int | None = None
    position: str | None = None
    tax_id: str | None = None
    tax_id2: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    is_customer: bool | None = None
    is_supplier: bool | None = None
    is_carrier: bool | None = None
    manager_id: int | None = None
    source: str | None = None
    language: str | None = None
    note: str | None = None
    active: bool | None = None
    tag_ids: list[int] | None = None
    clear: tuple[str, ...] = ()  # fields to set to None (company_id, manager_id): None alone means "unchanged"
    opened_version: int | str | None = None  # the row_version the form / client opened (None: not checked)

    def values(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in PARTNER_FIELDS if getattr(self, k) is not None}
        return out | {k: None for k in self.clear if k in ("company_id", "manager_id")}


@dataclass
class Duplicate:
    """An existing partner that looks like the one being saved, and why."""

    partner_id: int
    name: str
    reason: str  # tax_id | phone | email | name

    REASONS = {
        "tax_id": "A partner with the same tax id already exists: %(name)s (#%(id)s)",
        "phone": "A partner with the same phone already exists: %(name)s (#%(id)s)",
        "email": "A partner with the same e-mail already exists: %(name)s (#%(id)s)",
        "name": "A partner with a similar name already exists: %(name)s (#%(id)s)",
    }

    def problem(self) -> Problem:
        return Problem(self.REASONS[self.reason], {"name": self.name, "id": self.partner_id}, field=self.reason)


class DuplicatePartner(DomainError):
    """Saving was refused because of look-alikes; `duplicates` lets a page offer "save anyway"."""

    def __init__(self, duplicates: list[Duplicate]) -> None:
        self.duplicates = duplicates
        super().__init__([d.problem() for d in duplicates]
                         + [Problem("Check the partner found, or confirm to save anyway")])


@dataclass
class Probe:
    """The normalised keys of a partner being saved."""

    tax_id: str = ""
    phone: str = ""
    email: str = ""
    name: str = ""
    exclude_ids: set[int] = field(default_factory=set)


def find_duplicates(session: Session, probe: Probe) -> list[Duplicate]:
    """Active partners sharing the tax id, phone or e-mail (index look-ups) or with a similar name.

    A similar name is the same normalised name (index look-up) or, among at most
    SIMILAR_CANDIDATES names sharing the first letters (an index range), a difflib ratio from
    SIMILARITY. One partner is reported once, for its strongest reason. All the look-ups go in one
    statement (UNION ALL of the index look-ups, each keeping its own LIMIT): the client card and
    every partner save ask this, and five round trips cost more than the look-ups themselves.
    """
    found: dict[int, Duplicate] = {}
    for rank, pid, name, norm in _candidates(session, probe):
        if rank < len(_EXACT_REASONS):
            found.setdefault(pid, Duplicate(pid, name, _EXACT_REASONS[rank]))
        elif pid not in found and difflib.SequenceMatcher(None, probe.name, norm).ratio() >= SIMILARITY:
            found[pid] = Duplicate(pid, name, "name")
    return list(found.values())


_EXACT_REASONS = ("tax_id", "phone", "email", "name")


def _candidates(session: Session, probe: Probe) -> list[tuple[int, int, str, str]]:
    """(rank, id, name, normalised name) of every look-up's rows, strongest reason first: rank is the
    index in _EXACT_REASONS, or len(_EXACT_REASONS) for a name sharing the prefix."""
    active = and_(Partner.active.is_(True), Partner.id.not_in(probe.exclude_ids) if probe.exclude_ids else true())
    looked_up = ((Partner.tax_id, probe.tax_id), (Partner.phone_norm, probe.phone), (Partner.email_norm, probe.email),
                 (Partner.name_norm, probe.name))
    wheres = [(rank, column == value, 5) for rank, (column, value) in enumerate(looked_up) if value]
    if len(probe.name) >= PREFIX_LEN:
        prefix = probe.name[:PREFIX_LEN]
        wheres.append((len(_EXACT_REASONS), and_(Partner.name_norm >= prefix, Partner.name_norm < prefix + "\uffff"),
                       SIMILAR_CANDIDATES))
    if not wheres:
        return []
    # each branch as a subquery: SQLite refuses a LIMIT inside a compound select's own members
    branches = [select(select(literal(rank, Integer).label("rank"), Partner.id, Partner.name, Partner.name_norm)
                       .where(where, active).limit(limit).subquery()) for rank, where, limit in wheres]
    rows = session.execute(union_all(*branches) if len(branches) > 1 else branches[0]).all()
    return sorted((tuple(row) for row in rows), key=lambda row: row[0])


def _validate(session: Session, values: dict[str, Any], partner: Partner | None) -> None:
    errors = Collector()
    name = values.get("name", partner.name if partner else "")
    if not (name or "").strip():
        errors.add("Give the partner's name", field="name")
    kind = values.get("kind", partner.kind if partner else "company")
    if kind not in PARTNER_KINDS:
        errors.add("Unknown partner kind: %(kind)s", field="kind", kind=kind)
    email = values.get("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
        errors.add("Not an e-mail address: %(address)s", field="email", address=email)
    if partner is not None and kind == "person" and partner.kind == "company" and session.scalar(
            select(func.count()).select_from(Partner).where(Partner.company_id == partner.id)):
        errors.add("A company with contacts can't become a person", field="kind")
    company_id = values.get("company_id")
    if company_id is not None:
        company = session.get(Partner, company_id)
        if company is None or company.kind != "company":
            errors.add("A contact belongs to a company", field="company_id")
        elif partner is not None and company_id == partner.id:
            errors.add("A partner can't be its own contact", field="company_id")
    errors.raise_if_any()


def _apply(partner: Partner, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(partner, key, value)
    partner.tax_id = normalize_tax_id(partner.tax_id)
    partner.name_norm = normalize_name(partner.name)
    partner.phone_norm = normalize_phone(partner.phone)
    partner.email_norm = normalize_email(partner.email)
    partner.email = partner.email_norm or ""


def save_partner(session: Session, data: PartnerInput, partner_id: int | None = None,
                 confirm_duplicate: bool = False) -> Partner:
    """Create (no `partner_id`) or update a partner; refuse look-alikes unless confirmed.

    Contacts (people of a company) are checked on phone and e-mail only: two companies may well
    have a "Ivan Petrov" each.
    """
    values = data.values()
    with unit_of_work(session):
        _serialise_saves(session)
        partner = lock_row(session, Partner, partner_id) if partner_id is not None else None  # re-read under the lock
        if partner_id is not None and partner is None:
            raise DomainError("No such partner: %(id)s", id=partner_id)
        if partner is not None:  # a save over someone else's newer one is refused, both versions named
            check_opened_version(session, partner, data.opened_version, partner.name, mine=values)
        _validate(session, values, partner)
        if partner is None:
            partner = Partner(kind="company")
            session.add(partner)
        _apply(partner, values)
        if data.tag_ids is not None:
            partner.tags = list(session.scalars(select(Tag).where(Tag.id.in_(data.tag_ids)))) if data.tag_ids else []
        session.flush()
        if not confirm_duplicate:
            dupes = find_duplicates(session, probe_of(partner))
            if dupes:
                raise DuplicatePartner(dupes)
    return partner


SAVE_LOCK = 0x50_41_52_54  # "PART": the advisory lock key of partner saves on PostgreSQL


def _serialise_saves(session: Session) -> None:
    """One partner save at a time, so two users entering the same new client at once can't both pass
    the duplicate check. SQLite's write transaction (BEGIN IMMEDIATE) already does this; PostgreSQL
    takes a transaction-scoped advisory lock (saving a partner is rare, the wait is short)."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SAVE_LOCK})


def probe_of(partner: Partner) -> Probe:
    """The keys a partner is compared on; a company's contact only on phone and e-mail."""
    is_contact = partner.kind == "person" and partner.company_id is not None
    return Probe(tax_id=partner.tax_id if not is_contact else "", phone=partner.phone_norm, email=partner.email_norm,
                 name=partner.name_norm if not is_contact else "",
                 exclude_ids={partner.id} if partner.id else set())


def refresh_norms(partner: Partner) -> None:
    """Recompute the normalised columns (for pages that write through FAB's own forms)."""
    _apply(partner, {})


# --- merge ---------------------------------------------------------------------------------------

@dataclass
class MergeResult:
    kept: Partner
    merged_id: int
    moved: dict[str, int]  # "table.column" -> rows re-pointed
    filled: dict[str, Any]  # fields of the kept partner filled from the merged one


def partner_references() -> list[tuple[Table, Any]]:
    """(table, column) of every foreign key to partner.id in the whole schema, found at call time."""
    refs = []
    for table in Model.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == Partner.__tablename__ and fk.column.name == "id":
                refs.append((table, fk.parent))
    return refs


FILLABLE = ("legal_name", "tax_id", "tax_id2", "phone", "email", "website", "source", "note")


def merge_partners(session: Session, keep_id: int, merge_id: int) -> MergeResult:
    """Merge partner `merge_id` (B) into `keep_id` (A): every reference to B then points at A.

    Association rows (a table whose columns are all its primary key, like partner_tag) that A
    already has are dropped instead of duplicated. A unique constraint that would break (A and B
    both have the row) refuses the merge, naming the table, before anything is written. A's empty
    fields are filled from B; B becomes inactive with merged_into = A; one audit row on each.
    """
    with unit_of_work(session):
        return _merge_locked(session, keep_id, merge_id)


def _merge_locked(session: Session, keep_id: int, merge_id: int) -> MergeResult:
    # Both partners locked (in id order, so two opposite merges queue instead of deadlocking) before
    # anything is checked: B merged twice at once, or A into B while B into A, is refused for the second.
    locked = {pk: lock_row(session, Partner, pk) for pk in sorted({keep_id, merge_id})}
    keep, gone = locked[keep_id], locked[merge_id]
    errors = Collector()
    if keep is None or gone is None:
        errors.add("No such partner: %(id)s", id=keep_id if keep is None else merge_id)
        errors.raise_if_any()
    assert keep is not None and gone is not None
    if keep.id == gone.id:
        errors.add("A partner can't be merged into itself")
    if gone.merged_into_id is not None:
        errors.add("%(name)s has already been merged", name=gone.name)
    if not keep.active and keep.merged_into_id is not None:
        errors.add("%(name)s has already been merged", name=keep.name)
    errors.raise_if_any()
    refs = partner_references()
    for table, column in refs:
        conflict = _unique_conflict(session, table, column, keep.id, gone.id)
        if conflict:
            errors.add("Both partners have the same %(what)s: merge them by hand first", what=conflict)
    errors.raise_if_any()
    with unit_of_work(session):
        session.flush()
        moved = {}
        for table, column in refs:
            n = _repoint(session, table, column, keep.id, gone.id)
            if n:
                moved[f"{table.name}.{column.name}"] = n
        filled = {f: getattr(gone, f) for f in FILLABLE if not getattr(keep, f) and getattr(gone, f)}
        session.expire_all()
        keep, gone = session.get(Partner, keep_id), session.get(Partner, merge_id)
        for key, value in filled.items():
            setattr(keep, key, value)
        if filled:
            refresh_norms(keep)
        keep.is_customer = keep.is_customer or gone.is_customer
        keep.is_supplier = keep.is_supplier or gone.is_supplier
        keep.is_carrier = keep.is_carrier or gone.is_carrier
        gone.active = False
        gone.merged_into_id = keep.id
        session.flush()
        changes = {"merged": [merge_id, keep_id], "moved": [None, moved], "filled": [None, sorted(filled)]}
        audit.record(session, "merge", keep, f"{gone.name} (#{merge_id}) -> {keep.name} (#{keep_id})", changes)
        audit.record(session, "merged", gone, f"{gone.name} (#{merge_id}) -> {keep.name} (#{keep_id})", changes)
    return MergeResult(keep, merge_id, moved, filled)


def _unique_sets(table: Table, column) -> list[list]:
    """Column lists of the primary key and unique constraints of `table` that include `column`."""
    sets = []
    pk = list(table.primary_key.columns)
    if column in pk and len(pk) > 1:
        sets.append(pk)
    for constraint in table.constraints:
        cols = list(getattr(constraint, "columns", []))
        if constraint is not table.primary_key and type(constraint).__name__ == "UniqueConstraint" and column in cols:
            sets.append(cols)
    for index in table.indexes:
        if index.unique and column in list(index.columns):
            sets.append(list(index.columns))
    return sets


def _is_association(table: Table) -> bool:
    return set(table.columns) == set(table.primary_key.columns)


def _clash(table: Table, column, cols: list, keep_id: int, gone_id: int):
    """Rows of B whose unique key, with A instead of B, already exists."""
    other = aliased(table)
    same = [other.c[c.name] == c for c in cols if c is not column]
    return and_(column == gone_id, exists().where(other.c[column.name] == keep_id, *same))


def _unique_conflict(session: Session, table: Table, column, keep_id: int, gone_id: int) -> str | None:
    if _is_association(table):
        return None
    for cols in _unique_sets(table, column):
        if len(cols) == 1:  # one partner per row (e.g. a unique partner_id): both having one clashes
            clash = session.scalar(select(func.count()).select_from(table).where(column.in_([keep_id, gone_id])))
            if clash and clash > 1:
                return table.name
            continue
        if session.scalar(select(func.count()).select_from(table).where(_clash(table, column, cols, keep_id, gone_id))):
            return table.name
    return None


def _repoint(session: Session, table: Table, column, keep_id: int, gone_id: int) -> int:
    if _is_association(table):
        for cols in _unique_sets(table, column):
            session.execute(delete(table).where(_clash(table, column, cols, keep_id, gone_id)))
    where = column == gone_id
    if table.name == Partner.__tablename__:
        where = and_(where, table.c.id != keep_id)  # A itself never points at itself
    return session.execute(update(table).where(where).values({column.name: keep_id})).rowcount or 0


# --- small helpers for pages ----------------------------------------------------------------------

def partner_lookup_rows(session: Session, text: str, kind: str | None = None,
                        limit: int = 20) -> list[tuple[int, str]]:
    """(id, label) of active partners whose normalised name starts with `text`, or whose tax id, phone
    or e-mail is `text`: index look-ups only, for select boxes over 100,000 partners."""
    text = (text or "").strip()
    if not text:
        return []
    norm = normalize_name(text)
    conds = [Partner.tax_id == normalize_tax_id(text), Partner.email_norm == normalize_email(text)]
    if len(normalize_phone(text)) >= 5:
        conds.append(Partner.phone_norm == normalize_phone(text))
    if norm:
        conds.append(and_(Partner.name_norm >= norm, Partner.name_norm < norm + "\uffff"))
    where = [Partner.active.is_(True), or_(*conds)] + ([Partner.kind == kind] if kind else [])
    stmt = select(Partner.id, Partner.name, Partner.tax_id).where(*where).order_by(Partner.name_norm).limit(limit)
    return [(pid, f"{name} ({tax})" if tax else name) for pid, name, tax in session.execute(stmt)]


def add_address(session: Session, partner_id: int, address: str, kind: str = "delivery", city: str = "",
                country: str = "", is_default: bool = False) -> PartnerAddress:
    errors = Collector()
    if not address.strip():
        errors.add("Give the address", field="address")
    if kind not in ("legal", "delivery", "postal"):
        errors.add("Unknown address kind: %(kind)s", field="kind", kind=kind)
    errors.raise_if_any()
    with unit_of_work(session):
        row = PartnerAddress(partner_id=partner_id, address=address.strip(), kind=kind, city=city, country=country,
                             is_default=is_default)
        session.add(row)
        session.flush()
    return row


def add_bank_account(session: Session, partner_id: int, bank_name: str, account: str, bic: str = "",
                     corr_account: str = "", currency_id: int | None = None) -> PartnerBankAccount:
    errors = Collector()
    if not bank_name.strip():
        errors.add("Give the bank's name", field="bank_name")
    if not account.strip():
        errors.add("Give the account number", field="account")
    errors.raise_if_any()
    with unit_of_work(session):
        row = PartnerBankAccount(partner_id=partner_id, bank_name=bank_name.strip(), account=account.strip(),
                                 bic=bic, corr_account=corr_account, currency_id=currency_id)
        session.add(row)
        session.flush()
    return row
