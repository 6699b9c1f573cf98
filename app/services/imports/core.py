"""The core every import shares: read the file, map its columns, check each row, preview, apply.

An import kind (items, partners, opening stock, ...) only says which columns it has, how one row is
checked against what is stored (`Kind.check`, returning a `Plan`: new, changed with the changes, or
unchanged) and how the plans are written (`Kind.apply`). Reading XLSX (openpyxl, read-only: rows are
streamed) and CSV, the column mapping, number / date / yes-no parsing in the file's locale, the
preview's counts and the all-or-nothing rule live here, once.

All or nothing: `apply_run` checks the whole stored file again inside the use case and writes only
when no row has a problem; one bad row and the whole use case is refused (nothing written), the run
recorded as failed with the first problems.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from flask_babel import force_locale
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem, Word
from app.domain.money import MAX_MONEY, MAX_QTY, MONEY_PLACES, QTY_PLACES, parse_decimal
from app.domain.numbers import FIELD_MESSAGES
from app.services.imports import xlsx
from app.services.job_messages import N_

LANGS = ("en", "ru", "es")
EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's serial dates (1900 system)
WRITE_BATCH = 1000  # rows an import writes at a time while it reads the file
SHOWN_ROWS = 500  # the preview lists at most this many rows (every problem row first); counts cover all
MSG_MISSING_COLUMN = N_("The file has no column for “%(field)s”")
MSG_REQUIRED = N_("%(field)s is empty")
MSG_BAD_DATE = N_("%(field)s: “%(value)s” is not a date")
MSG_BAD_FLAG = N_("%(field)s: “%(value)s” is neither yes nor no")
MSG_UNKNOWN = N_("%(field)s: “%(value)s” is not known")
MSG_DUPLICATE = N_("%(field)s “%(value)s” is repeated: first on row %(first)s")
MSG_EMPTY_FILE = N_("The file has no rows to import")
MSG_NOT_READ = N_("The file could not be read: save it as XLSX or CSV")
MSG_ROWS_BAD = N_("%(bad)s of %(total)s rows have problems: nothing was imported")
YES = {"1", "yes", "y", "true", "x", "да", "д", "sí", "si", "s", "+"}
NO = {"0", "no", "n", "false", "нет", "н", "-", ""}


@dataclass(frozen=True)
class Field:
    """One column of an import: its key, its header (a lazy msgid), how its cells are read."""

    key: str
    label: Any
    kind: str = "text"  # text | money | qty | int | date | flag
    required: bool = False
    example: Any = ""

    @property
    def msgid(self) -> str:
        return self.label._args[0] if hasattr(self.label, "_args") else str(self.label)


@dataclass(slots=True)
class Plan:
    """What one row will do: create (target None), change `changes` of `target`, or nothing."""

    line: int
    key: str
    target: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (field msgid, old, new)
    problems: list[Problem] = field(default_factory=list)
    extra: Any = None

    @property
    def action(self) -> str:
        if self.problems:
            return "bad"
        if self.target is None:
            return "new"
        return "changed" if self.changes else "same"


class Row:
    """One file row's cells by field key, parsed on demand; every refusal is kept as a Problem."""

    __slots__ = ("cells", "line", "locale", "fields", "problems")

    def __init__(self, cells: dict[str, Any], line: int, locale: str | None, fields: dict[str, Field]) -> None:
        self.cells, self.line, self.locale, self.fields = cells, line, locale, fields
        self.problems: list[Problem] = []

    def problem(self, msgid: str, key: str | None = None, **params: Any) -> None:
        if key is not None:
            params["field"] = Word(self.fields[key].msgid)
        self.problems.append(Problem(msgid, params, field=key, line=self.line))

    def raw(self, key: str) -> Any:
        value = self.cells.get(key)
        return value.strip() if isinstance(value, str) else value

    def text(self, key: str) -> str:
        value = self.cells.get(key)  # raw() inlined: every row reads most of its cells as text
        if isinstance(value, str):
            text = value.strip()
        elif value is None:
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))  # a code typed as a number in Excel: 1001.0 is "1001"
        else:
            text = str(value)
        if not text and self.fields[key].required:
            self.problem(MSG_REQUIRED, key)
        return text

    def number(self, key: str, places: int | None = None, maximum: Decimal | None = None) -> Decimal | None:
        """The cell as a Decimal read in the file's locale ("1 234,50", "1,234.50"); None when empty."""
        spec = self.fields[key]
        raw = self.raw(key)
        if raw is None or raw == "":
            if spec.required:
                self.problem(MSG_REQUIRED, key)
            return None
        if isinstance(raw, float):
            raw = Decimal(repr(raw))  # Excel's binary double: its shortest decimal text is what was typed
        places = places if places is not None else (MONEY_PLACES if spec.kind == "money" else QTY_PLACES)
        maximum = maximum if maximum is not None else (MAX_MONEY if spec.kind == "money" else MAX_QTY)
        value, err = parse_decimal(raw, 0 if spec.kind == "int" else places, maximum, self.locale)
        if err:
            self.problem(FIELD_MESSAGES.get(err, err), key, value=str(raw)[:40], places=places)
        return value

    def date(self, key: str) -> date | None:
        raw = self.raw(key)
        if raw is None or raw == "":
            if self.fields[key].required:
                self.problem(MSG_REQUIRED, key)
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 0 < raw < 2_958_466:
            return EXCEL_EPOCH + timedelta(days=int(raw))  # a date cell read without its style: a serial
        parsed = parse_date(str(raw))
        if parsed is None:
            self.problem(MSG_BAD_DATE, key, value=str(raw)[:40])
        return parsed

    def flag(self, key: str, default: bool | None = None) -> bool | None:
        raw = self.raw(key)
        if raw is None or raw == "":
            return default
        text = str(raw).strip().lower()
        if text in YES or raw is True:
            return True
        if text in NO or raw is False:
            return False
        self.problem(MSG_BAD_FLAG, key, value=str(raw)[:40])
        return default

    def lookup(self, key: str, table: dict[str, Any], default: Any = None) -> Any:
        """The stored thing the cell names (a code or a name, any case) from `table`; a problem if none."""
        text = self.text(key)
        if not text:
            return default
        found = table.get(text.lower())
        if found is None:
            self.problem(MSG_UNKNOWN, key, value=text[:60])
        return found


def parse_date(text: str) -> date | None:
    """ISO 2026-01-31, or day first as ru / es write it: 31.01.2026, 31/01/2026, 31-01-2026."""
    text = text.strip()[:10]
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def words(labels: dict[str, Any]) -> dict[str, str]:
    """{text.lower(): code} for coded values typed as the code or as its word in any language."""
    out = {code.lower(): code for code in labels}
    for lang in LANGS:
        with force_locale(lang):
            out.update({str(label).lower(): code for code, label in labels.items()})
    return out


def header_names(spec: Field) -> set[str]:
    """Every header that names `spec`'s column: its key and its label in each language."""
    names = {spec.key.lower()}
    for lang in LANGS:
        with force_locale(lang):
            names.add(str(spec.label).strip().lower())
    return names


# --- reading files -----------------------------------------------------------------------------


def read_table(content: bytes, filename: str) -> tuple[list[str], Iterator[tuple]]:
    """The header row and an iterator of the other rows of an XLSX (first sheet) or CSV file."""
    try:
        rows = _xlsx_rows(content) if content[:2] == b"PK" else _csv_rows(content)
        header = next(rows, None)
    except Exception as exc:  # noqa: BLE001 - any broken file is one answer to the user
        raise DomainError(MSG_NOT_READ) from exc
    if header is None:
        raise DomainError(MSG_EMPTY_FILE)
    return ["" if h is None else str(h).strip() for h in header], rows


def _xlsx_rows(content: bytes) -> Iterator[tuple]:
    """The first sheet's rows, read as text by `xlsx.rows` (about five times ElementTree's speed on
    100,000 rows); openpyxl's read-only reader for a workbook laid out otherwise."""
    try:
        rows = xlsx.rows(content)
        first = next(rows, None)
    except (KeyError, ValueError, ElementTree.ParseError):
        first, rows = None, None
    if rows is None:
        yield from _openpyxl_rows(content)
        return
    if first is not None:
        yield first
        yield from rows


def _openpyxl_rows(content: bytes) -> Iterator[tuple]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()


def _csv_rows(content: bytes) -> Iterator[tuple]:
    """Rows of a CSV decoded as they are read (the text is never held whole): UTF-8 (with or without
    its BOM), else Windows-1251 (a Russian Excel's "CSV"); the delimiter is the header's commonest of ; tab ,."""
    head = content[: 1 << 20]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) == len(content))
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1251"
    first = head.split(b"\n", 1)[0].decode(encoding, errors="replace")
    delimiter = max(";\t,", key=first.count)
    text = io.TextIOWrapper(io.BytesIO(content), encoding=encoding, newline="")
    for row in csv.reader(text, delimiter=delimiter):
        yield tuple(row)


# --- mapping -------------------------------------------------------------------------------------


def auto_mapping(fields: Iterable[Field], headers: list[str], remembered: dict[str, str] | None = None
                 ) -> dict[str, str]:
    """{field key: header} guessed from the headers' words, the user's remembered choice first."""
    present = {h for h in headers if h}
    lowered = {h.lower(): h for h in present}
    out: dict[str, str] = {}
    for spec in fields:
        chosen = (remembered or {}).get(spec.key)
        if chosen in present:
            out[spec.key] = chosen
            continue
        for name in header_names(spec):
            if name in lowered:
                out[spec.key] = lowered[name]
                break
    return out


def column_index(fields: Iterable[Field], headers: list[str], mapping: dict[str, str]) -> dict[str, int]:
    """{field key: column number} of the mapped columns; a required one unmapped refuses the file."""
    position = {h: i for i, h in reversed(list(enumerate(headers))) if h}
    index = {key: position[header] for key, header in mapping.items() if header in position}
    missing = [Problem(MSG_MISSING_COLUMN, {"field": Word(f.msgid)}, field=f.key)
               for f in fields if f.required and f.key not in index]
    if missing:
        raise DomainError(missing)
    return index


# --- checking and applying ---------------------------------------------------------------------


class Kind:
    """An import kind: its columns, the permission it needs, how rows are checked and written."""

    key = ""
    label: Any = ""
    resource = ""
    action = "write"
    fields: tuple[Field, ...] = ()
    needs_date = False  # opening stock asks for the balance date
    # rows written in batches while the file is checked (apply takes any slice of the plans, in order);
    # False for kinds whose apply needs every plan at once (a BOM's lines, one document per warehouse)
    streams = True
    model: type | None = None  # a kind whose rows are upserted as they are: apply needs nothing more

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        """Look-ups read once per file (codes to ids, the stored values an upsert compares)."""
        return {}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        raise NotImplementedError

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        """Write the plans (all checked, none bad); return the result's words (documents made).
        By default the plans' values are upserted into `model`."""
        from app.services.imports.writing import upsert

        if self.model is None:
            raise NotImplementedError
        upsert(session, self.model, plans, progress=ctx.get("_progress"))
        return ""

    def field_map(self) -> dict[str, Field]:
        return {f.key: f for f in self.fields}


@dataclass
class Preview:
    headers: list[str]
    mapping: dict[str, str]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("new", "changed", "same", "bad"), 0))
    rows: list[Plan] = field(default_factory=list)  # what the page shows (problem rows first)
    plans: list[Plan] = field(default_factory=list)  # every good plan (kept only when applying)
    ctx: dict[str, Any] = field(default_factory=dict)  # the kind's look-ups, which applying reuses

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def check_file(session: Session, kind: Kind, content: bytes, filename: str, mapping: dict[str, str] | None,
               locale: str | None, on_date: date | None = None, keep_plans: bool = False,
               progress: Callable[[int], None] | None = None,
               write: Callable[[dict[str, Any], list[Plan]], None] | None = None) -> Preview:
    """Check every row of the file; the preview's counts cover all rows, its `rows` the first shown.

    With `write` (importing a kind that streams), the good rows are handed to it WRITE_BATCH at a time
    while the file is read, so no more than a batch of plans is ever held; after the first bad row
    nothing more is written, and the caller refuses the run, which rolls back what was (all or nothing
    is the transaction's)."""
    headers, rows = read_table(content, filename)
    mapping = auto_mapping(kind.fields, headers) if mapping is None else mapping
    index = list(column_index(kind.fields, headers, mapping).items())
    fields = kind.field_map()
    ctx = kind.context(session, on_date)
    preview, shown_ok, batch = Preview(headers, mapping, ctx=ctx), [], []
    for line, cells in enumerate(rows, start=2):
        if not any(c not in (None, "") for c in cells):
            continue
        width = len(cells)
        row = Row({key: cells[i] for key, i in index if i < width}, line, locale, fields)
        plan = kind.check(session, ctx, row)
        plan.problems.extend(row.problems)
        preview.counts[plan.action] += 1
        if plan.problems:
            if len(preview.rows) < SHOWN_ROWS:
                preview.rows.append(plan)
        elif write is not None:
            batch.append(plan)
            if len(batch) >= WRITE_BATCH:
                _write(write, ctx, batch, preview)
        elif keep_plans:
            preview.plans.append(plan)
        elif plan.action != "same" and len(shown_ok) < SHOWN_ROWS:
            shown_ok.append(plan)
        if progress is not None and line % 5000 == 0:
            progress(line)
    preview.rows.extend(shown_ok[: SHOWN_ROWS - len(preview.rows)])
    if not preview.total:
        raise DomainError(MSG_EMPTY_FILE)
    if write is not None:
        _write(write, ctx, batch, preview)
    return preview


def _write(write: Callable[[dict[str, Any], list[Plan]], None], ctx: dict[str, Any], batch: list[Plan],
           preview: Preview) -> None:
    """Hand a batch of good plans to the writer, unless a bad row was met (then it is dropped)."""
    if batch and not preview.counts["bad"]:
        write(ctx, batch)
    batch.clear()


def refuse_bad(preview: Preview) -> None:
    """All or nothing: a file with any bad row is refused as a whole, naming the first problems."""
    bad = preview.counts["bad"]
    if not bad:
        return
    problems = [p for plan in preview.rows if plan.problems for p in plan.problems][:20]
    raise DomainError([Problem(MSG_ROWS_BAD, {"bad": bad, "total": preview.total}), *problems])


def compare(plan: Plan, old: dict[str, Any], new: dict[str, Any], labels: dict[str, Field]) -> None:
    """Fill plan.changes with the fields whose stored value differs from the row's (an upsert's diff)."""
    for key, value in new.items():
        before = old.get(key)
        if value is not None and before != value and not (value == "" and before is None):
            plan.changes.append((labels[key].msgid if key in labels else key, _shown(before), _shown(value)))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def dumps(mapping: dict[str, str]) -> str:
    return json.dumps(mapping, ensure_ascii=False, sort_keys=True)


def loads(text: str | None) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


# --- the preview kept on the run (a background check's result, shown by the page later) ----------


def _param_json(value: Any) -> Any:
    if isinstance(value, Word):
        return {"word": str(value)}
    if isinstance(value, (int, str)) or value is None:
        return value
    return str(value)


def stored_preview(preview: Preview) -> str:
    """The rows the page shows (problems first) as JSON: messages as msgids with their parameters,
    so each reader sees them in their own language."""
    rows = [{"line": p.line, "key": p.key, "action": p.action, "changes": p.changes,
             "problems": [[q.msgid, {k: _param_json(v) for k, v in q.params.items()}] for q in p.problems]}
            for p in preview.rows]
    return json.dumps({"rows": rows}, ensure_ascii=False, default=str)


@dataclass
class ShownRow:
    line: int
    key: str
    action: str
    problems: list[str]
    changes: list[tuple[str, str, str]]


def shown_rows(text: str | None, translate: Callable[[str], str]) -> list[ShownRow] | None:
    """The stored preview's rows with their problems in the reader's language; None if none stored."""
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return None
    out = []
    for row in data.get("rows", []):
        problems = [Problem(msgid, {k: Word(v["word"]) if isinstance(v, dict) else v for k, v in params.items()}
                            ).render(translate) for msgid, params in row["problems"]]
        out.append(ShownRow(row["line"], row["key"], row["action"], problems,
                            [tuple(c) for c in row["changes"]]))
    return out
