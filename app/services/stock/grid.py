"""The lines of a stock draft edited as one grid: every line saved by one call, in one transaction.

The draft's page shows its lines as a grid (add, change, remove rows) and saves them all at once;
the REST API's PUT /stock_document/<id>/lines sends the same list. Both call `save_lines`, which
parses and checks the lines with the checks create_document and posting apply (documents.py), so
the page, the API and posting refuse the same input in the same words. A refusal names the row as
the user sees it (its number in the grid and its item) and the field; nothing is saved.

A line that comes back with its id keeps its row (the audit log shows what changed in it); the
lines left out are deleted. The document's `row_version` goes up with every save, so a grid
opened before someone else's save is refused instead of writing over it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain.errors import Collector, DomainError, Problem, Word
from app.models.base import utcnow
from app.models.stock import DOC_COUNT, StockDocument, StockDocumentLine
from app.services.base import unit_of_work
from app.services.stock import document_rows as rows
from app.services.stock.documents import (
    DocumentInput,
    LineInput,
    _parse_lines,
    _validate_count_lines,
    _validate_line,
    assert_editable,
)
from app.services.stock.returns import validate_return_limits
from app.services.versioning import check_opened_version

MSG_WHERE = "Line %(line)s (%(item)s), %(field)s"
MSG_WHERE_NO_ITEM = "Line %(line)s, %(field)s"
#: the grid's column headings, by the field names problems carry (the API's names)
FIELD_WORDS = {"item_id": "Item", "qty": "Quantity", "unit": "Unit", "unit_cost": "Unit cost", "note": "Note"}


@dataclass
class GridLine(LineInput):
    """A row of the grid: a LineInput plus the id of the stored line it edits (None: a new line)."""

    line_id: int | None = None


@dataclass(frozen=True)
class GridProblem(Problem):
    """A line's problem prefixed with where the user sees it: the row number, its item, the column."""

    item: str = ""

    def render(self, translate=None) -> str:
        text = Problem(self.msgid, self.params).render(translate)
        if self.line is None:
            return text
        tr = translate or (lambda s: s)
        field = tr(FIELD_WORDS.get(self.field or "", "")) if self.field in FIELD_WORDS else ""
        if not field:
            where = tr("Line %(line)s") % {"line": self.line}
        elif self.item:
            where = tr(MSG_WHERE) % {"line": self.line, "item": self.item, "field": field}
        else:
            where = tr(MSG_WHERE_NO_ITEM) % {"line": self.line, "field": field}
        return f"{where}: {text}"


def _locked(session: Session, doc_id: int) -> StockDocument:
    doc = session.scalar(select(StockDocument).where(StockDocument.id == doc_id).with_for_update()
                         .options(selectinload(StockDocument.lines)).execution_options(populate_existing=True))
    if doc is None:
        raise DomainError("Document not found")
    return doc


def _where(problems: list[Problem], codes: dict[int, str]) -> list[Problem]:
    """The problems in row order, each with its row's item code for GridProblem's prefix."""
    return [GridProblem(p.msgid, p.params, p.field, p.line, codes.get(p.line, "")) if p.line is not None else p
            for p in sorted(problems, key=lambda p: p.line or 0)]


def save_lines(session: Session, doc_id: int, lines: list[GridLine], opened_version: object = None
               ) -> StockDocument:
    """Replace a draft's lines with `lines` (in grid order): all saved, or nothing and every problem."""
    with unit_of_work(session):
        doc = _locked(session, doc_id)
        assert_editable(doc)
        check_opened_version(session, doc, opened_version, doc.number or Word("The draft"), mine={})
        items = rows.orm_items(session, {ln.item_id for ln in lines if ln.item_id})
        codes = {n: items[ln.item_id].code for n, ln in enumerate(lines, start=1) if ln.item_id in items}
        problems = Collector()
        unit_codes: dict[int, str] = {}
        data = DocumentInput(doc.doc_type, doc.warehouse_id, lines=list(lines))
        with session.no_autoflush:
            parsed = _parse_lines(session, data, problems, items, unit_codes)
            cache: dict = {}
            for line in parsed:
                _validate_line(session, doc, line, problems, cache, items.get(line.item_id), unit_codes)
            if doc.doc_type == DOC_COUNT:
                _validate_count_lines(parsed, problems, items)
            validate_return_limits(session, doc, parsed, items, problems)
        if problems:
            raise DomainError(_where(problems.problems, codes))
        _apply(doc, parsed, lines)
        doc.updated_at = utcnow()  # an UPDATE of the document: its row_version goes up
        session.flush()
        return doc


def _apply(doc: StockDocument, parsed: list[StockDocumentLine], raw: list[GridLine]) -> None:
    """Write the checked lines: a row sent with its id is updated in place, the others added, the rest removed."""
    stored = {ln.id: ln for ln in doc.lines}
    kept = []
    for line, src in zip(parsed, raw, strict=True):
        target = stored.pop(src.line_id, None) if src.line_id else None
        if target is None:
            target = StockDocumentLine(item_id=line.item_id)
            doc.lines.append(target)
        if src.lot_id is not None or target.item_id != line.item_id:
            target.lot_id = src.lot_id  # the page's grid sends no lot: a kept line keeps its own
        for name in ("line_no", "item_id", "unit_id", "qty", "unit_cost", "note"):
            setattr(target, name, getattr(line, name))
        target.item = line.item
        kept.append(target)
    for gone in stored.values():
        doc.lines.remove(gone)



# --- what the grid shows -----------------------------------------------------------------------

LOOKUP_LIMIT = 20


def unit_choices(session: Session, item_ids: set[int]) -> dict[int, list[dict]]:
    """Per item, the units a line may be in: the item's own first, then its conversions (code, label)."""
    from app.models.catalog import Item, UnitConversion
    from app.models.core import Unit

    out: dict[int, list[dict]] = {}
    if not item_ids:
        return out
    for item_id, unit in session.execute(select(Item.id, Unit).join(Unit, Unit.id == Item.unit_id)
                                         .where(Item.id.in_(item_ids))):
        out[item_id] = [{"code": unit.code, "label": unit.label()}]
    conversions = (select(UnitConversion.item_id, Unit).join(Unit, Unit.id == UnitConversion.unit_id)
                   .where(UnitConversion.item_id.in_(item_ids)).order_by(Unit.code))
    for item_id, unit in session.execute(conversions):
        out.setdefault(item_id, []).append({"code": unit.code, "label": unit.label()})
    return out


def item_choices(session: Session, text: str, lang: str, limit: int = LOOKUP_LIMIT) -> list[dict]:
    """Active stocked items whose code or name (in any language, any case) contains `text`, with their units.

    SQLite's lower() folds ASCII only, so the text is also matched as typed, capitalised and upper-cased:
    "робот" finds "Робот учебный" on both databases.
    """
    from sqlalchemy import func, or_

    from app.models.catalog import Item

    text = (text or "").strip()
    if not text:
        return []
    forms = {text, text.lower(), text.capitalize(), text.upper()}
    columns = (Item.code, Item.name, Item.name_ru, Item.name_es)
    match = or_(*(col.contains(f, autoescape=True) for col in columns for f in forms),
                *(func.lower(col).contains(text.lower(), autoescape=True) for col in columns))
    items = session.scalars(select(Item).where(Item.active.is_(True), Item.kind != "service", match)
                            .order_by(Item.code).limit(limit)).all()
    units = unit_choices(session, {i.id for i in items})
    return [{"id": i.id, "label": f"{i.code} {i.label(lang)}", "units": units.get(i.id, []),
             "cost": format(i.standard_cost.normalize(), "f") if i.standard_cost is not None else ""} for i in items]
