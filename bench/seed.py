"""Master data for the benchmarks: a unit, warehouses and items, created through the ORM once.

Only ids leave these functions: holding ORM objects across the measured loops would keep them in
the session's identity map, where every commit expires them and every access reloads them, which
is a cost of the benchmark, not of the app.
"""

from __future__ import annotations

from app.extensions import db
from app.models.catalog import Item
from app.models.core import Unit
from app.models.stock import VALUATION_FIFO, Warehouse


def unit_id(code: str = "pcs") -> int:
    """The id of unit `code`, created if missing."""
    session = db.session
    u = session.query(Unit).filter_by(code=code).first()
    if u is None:
        u = Unit(code=code, name=code, decimals=0)
        session.add(u)
        session.commit()
    return u.id


def warehouse_id(code: str, valuation: str = VALUATION_FIFO) -> int:
    """A new warehouse's id."""
    wh = Warehouse(code=code, name=f"Warehouse {code}", valuation=valuation)
    db.session.add(wh)
    db.session.commit()
    return wh.id


def item_code(prefix: str, n: int) -> str:
    return f"{prefix}-{n:05d}"


def item_ids(prefix: str, count: int) -> list[int]:
    """Ids of `count` new stock items coded PREFIX-00001... in one transaction."""
    uid = unit_id()
    items = [Item(code=item_code(prefix, n), name=f"{prefix} item {n}", kind="component", unit_id=uid)
             for n in range(1, count + 1)]
    db.session.add_all(items)
    db.session.commit()
    ids = [it.id for it in items]
    db.session.expunge_all()
    return ids
