"""What a formula may read from the database: lookup tables and catalog item costs and prices.

Everything a compiled calculator names literally (its tables, item codes) is read in a few queries
before the run, so evaluation touches no database; a code computed at run time (a table column
holding an item code) is read on first use and remembered for the run.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calculators import Compiled
from app.calculators.errors import Fail
from app.calculators.evaluator import Value
from app.models.calculators import LookupRow, LookupTable
from app.models.catalog import Item

COST_SOURCES = ("standard", "last_purchase", "fifo", "average")
DEFAULT_COST_SOURCE = "standard"


def table_value(kind: str, raw: Any) -> Value:
    if kind == "number":
        try:
            return Decimal(str(raw))
        except InvalidOperation:
            return Decimal(0)
    return "" if raw is None else str(raw)


class TableData:
    """One lookup table in memory: key -> {column: value}, numbers as Decimal."""

    def __init__(self, table: LookupTable, rows: list[LookupRow]) -> None:
        self.name = table.name
        self.columns = [c["name"] for c in table.columns or []]
        kinds = {c["name"]: c.get("kind", "number") for c in table.columns or []}
        self.rows: dict[str, dict[str, Value]] = {
            r.key: {c: table_value(kinds[c], (r.values or {}).get(c)) for c in self.columns} for r in rows}
        self.labels = {r.key: r.label or r.key for r in rows}


def load_tables(session: Session, names: set[str] | frozenset[str]) -> dict[str, TableData]:
    if not names:
        return {}
    tables = session.scalars(select(LookupTable).where(LookupTable.name.in_(names))).all()
    if not tables:
        return {}
    rows = session.scalars(select(LookupRow).where(LookupRow.table_id.in_([t.id for t in tables]))
                           .order_by(LookupRow.position, LookupRow.id)).all()
    by_table: dict[int, list[LookupRow]] = {}
    for row in rows:
        by_table.setdefault(row.table_id, []).append(row)
    return {t.name: TableData(t, by_table.get(t.id, [])) for t in tables}


class DbEnvironment:
    """The Environment of app.calculators, backed by prefetched tables and items."""

    def __init__(self, session: Session, compiled: Compiled, cost_source: str = DEFAULT_COST_SOURCE) -> None:
        self.session = session
        self.cost_source = cost_source if cost_source in COST_SOURCES else DEFAULT_COST_SOURCE
        self.tables = load_tables(session, compiled.tables)
        self.items: dict[str, tuple[int, Decimal | None, Decimal | None]] = {}  # code -> (id, standard, price)
        self.costs: dict[tuple[str, str], Decimal | None] = {}
        self._load_items(set(compiled.item_codes))

    def _load_items(self, codes: set[str]) -> None:
        codes -= set(self.items)
        if not codes:
            return
        for item_id, code, std, price in self.session.execute(
                select(Item.id, Item.code, Item.standard_cost, Item.sale_price).where(Item.code.in_(codes))):
            self.items[code] = (item_id, std, price)

    def item(self, code: str) -> tuple[int, Decimal | None, Decimal | None]:
        if code not in self.items:
            self._load_items({code})
        found = self.items.get(code)
        if found is None:
            raise Fail("unknown item code '%(code)s'", code=code[:64])
        return found

    def lookup(self, table: str, key: str, column: str | None) -> Value:
        data = self.tables.get(table)
        if data is None:
            data = load_tables(self.session, {table}).get(table)
            if data is None:
                raise Fail("unknown table '%(table)s'", table=table[:40])
            self.tables[table] = data
        row = data.rows.get(key)
        if row is None:
            raise Fail("no row '%(key)s' in the table %(table)s", key=key[:40], table=table)
        column = column or (data.columns[0] if data.columns else "")
        if column not in row:
            raise Fail("no column '%(column)s' in the table %(table)s", column=column[:40], table=table)
        return row[column]

    def item_cost(self, code: str, source: str | None) -> Decimal:
        source = source or self.cost_source
        if source not in COST_SOURCES:
            raise Fail("unknown cost source '%(source)s' (use %(sources)s)", source=source[:20],
                       sources=", ".join(COST_SOURCES))
        item_id, standard, _ = self.item(code)
        key = (code, source)
        if key not in self.costs:
            cost = standard
            if source != "standard":
                from app.services.production.engineering import unit_costs

                cost = unit_costs(self.session, {item_id}, source).get(item_id, standard)
            self.costs[key] = cost
        cost = self.costs[key]
        if cost is None:
            raise Fail("no cost known for item %(code)s", code=code)
        return cost

    def item_price(self, code: str) -> Decimal:
        _, _, price = self.item(code)
        if price is None:
            raise Fail("no sale price known for item %(code)s", code=code)
        return price

    def prefetch_costs(self, codes: set[str] | frozenset[str]) -> None:
        """Costs of every literal item by the run's source, in one query, before the clock starts."""
        if self.cost_source == "standard":
            return
        ids = {self.items[c][0]: c for c in codes if c in self.items}
        if not ids:
            return
        from app.services.production.engineering import unit_costs

        found = unit_costs(self.session, set(ids), self.cost_source)
        for item_id, code in ids.items():
            self.costs[(code, self.cost_source)] = found.get(item_id, self.items[code][1])
