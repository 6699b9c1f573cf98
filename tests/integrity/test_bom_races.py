"""Two users closing a BOM cycle at the same moment: one line is saved, the other refused with the path.

Threads on a real database (file SQLite by default, PostgreSQL with TEST_DATABASE_URL). Each thread
meets the other right before reading the BOM graph (tests/integrity/races.py): without a lock that
serialises structure changes both read a graph without the other's line and both save theirs.
Where-used names a cycle already stored instead of failing with a 500.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from app.domain import bom as dbom
from app.domain.errors import DomainError
from app.extensions import db
from app.models.production import Bom, BomLine
from app.services.production import engineering
from app.services.production.engineering import BomInput, BomLineInput, add_bom_line, create_bom, where_used
from tests import factories as f
from tests.integrity.races import meet_before
from tests.services.test_stock_concurrency import run_together


def _two_nodes():
    """Items D and E, each with a BOM of one bolt; D is used in the ROBOT."""
    bolt = f.item("BOLT")
    d, e, robot = f.item("D", kind="node"), f.item("E", kind="node"), f.item("ROBOT", kind="product")
    boms = {it.code: create_bom(db.session, BomInput(it.id, lines=[BomLineInput(bolt.id, "2")])).id
            for it in (d, e)}
    create_bom(db.session, BomInput(robot.id, lines=[BomLineInput(d.id, "1")]))
    db.session.commit()
    return d, e, boms, bolt


def test_two_lines_closing_a_cycle_at_once(app, monkeypatch):
    d, e, boms, bolt = _two_nodes()
    lines = [(boms["D"], e.id), (boms["E"], d.id)]  # D -> E and E -> D
    meet_before(monkeypatch, engineering, "reachable_graph", 2)

    results = run_together(app, 2, lambda k: add_bom_line(db.session, lines[k][0], BomLineInput(lines[k][1], "1")).id)

    assert Counter(kind for kind, _ in results) == {"ok": 1, "refused": 1}
    [(_, problems)] = [r for r in results if r[0] == "refused"]
    assert problems[0].msgid == dbom.MSG_CYCLE
    db.session.expire_all()
    edges = set(db.session.execute(select(Bom.item_id, BomLine.item_id).join(BomLine)).all())
    assert len(edges & {(d.id, e.id), (e.id, d.id)}) == 1
    assert {row.item for row in where_used(db.session, bolt.id)} >= {d.id, e.id}


def test_where_used_names_a_cycle_already_stored(app, login_as):
    d, e, boms, _ = _two_nodes()
    # a cycle stored before the checks were serialised (written here past the service on purpose)
    db.session.add_all([BomLine(bom_id=boms["D"], line_no=2, item_id=e.id, qty=Decimal(1)),
                        BomLine(bom_id=boms["E"], line_no=2, item_id=d.id, qty=Decimal(1))])
    db.session.commit()
    try:
        where_used(db.session, d.id)
    except DomainError as exc:
        assert exc.problems[0].msgid == dbom.MSG_CYCLE_FOUND
    else:
        raise AssertionError("where-used followed a cycle without naming it")
    page = login_as("Engineer").get(f"/bomview/whereused/{boms['D']}")
    assert page.status_code == 200
    assert "contain a cycle" in page.text and ("D → E → D" in page.text or "E → D → E" in page.text)
