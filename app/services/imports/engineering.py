"""Import kinds of engineering: bills of materials and routings, one row per line / operation.

Rows of the same item and version make one BOM (routing); when that version is stored, its lines
(operations) are replaced by the file's, and the preview shows each row against the stored line.
Cycles (A in B in A) are refused after writing, inside the use case, so nothing stays.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.production import Bom, BomLine, Routing, RoutingOperation, WorkCenter
from app.permissions import RESOURCE_ENGINEERING
from app.services.imports import lookups
from app.services.imports.core import MSG_DUPLICATE, Field, Kind, Plan, Row, compare
from app.services.imports.writing import first_seen
from app.services.job_messages import N_


class _VersionedImport(Kind):
    """Rows grouped by (item, version) into one parent whose children the file replaces."""

    streams = False  # a version's lines are replaced as a whole: every row of it first

    resource = RESOURCE_ENGINEERING
    parent: type = Bom
    child_key = ""  # the child's identifying column: a BOM line's component, an operation's seq

    def stored_children(self, session: Session) -> dict[tuple[int, str], dict[Any, dict[str, Any]]]:
        raise NotImplementedError

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        parents = {(item, version): pid for pid, item, version in session.execute(
            select(self.parent.id, self.parent.item_id, self.parent.version))}
        return {"items": lookups.item_ids(session), "units": lookups.units(session), "parents": parents,
                "children": self.stored_children(session), "centres": lookups.by_names(session, WorkCenter)}

    def plan_of(self, ctx: dict[str, Any], row: Row, child: Any, values: dict[str, Any]) -> Plan:
        item, version = row.lookup("item", ctx["items"]), row.text("version") or "1"
        plan = Plan(row.line, f"{row.text('item')} v{version}", values=values, extra=(item, version))
        if item is not None and child is not None and (
                first := first_seen(ctx, (item, version, child), row.line)) is not None:
            row.problem(MSG_DUPLICATE, self.child_key, value=row.text(self.child_key), first=first)
        plan.target = ctx["parents"].get((item, version))
        if plan.target is not None:
            old = ctx["children"].get((item, version), {}).get(child)
            if old is None:
                plan.changes.append((self.field_map()[self.child_key].msgid, "", str(row.text(self.child_key))))
            else:
                compare(plan, old, {k: values[k] for k in old}, self.field_map())
        return plan

    def write_parents(self, session: Session, plans: list[Plan], build_child) -> tuple[int, int]:
        """Create or empty each (item, version) named, then add the file's children in file order."""
        from app.services.production.engineering import version_problems  # its package maps models on import

        groups: dict[tuple[int, str], list[Plan]] = {}
        for plan in plans:
            groups.setdefault(plan.extra, []).append(plan)
        created = changed = 0
        fresh: list[Any] = []
        for (item, version), rows in groups.items():
            parent = session.get(self.parent, rows[0].target) if rows[0].target is not None else None
            if parent is None:
                parent = self.parent(item_id=item, version=version, name="")
                session.add(parent)
                created += 1
            elif any(p.changes for p in rows):
                changed += 1
            self.fill_parent(parent, rows)
            self.children_of(parent)[:] = [build_child(n, p) for n, p in enumerate(rows, start=1)]
            if rows[0].target is None:
                fresh.append(parent)
        session.flush()
        problems = [pr for parent in fresh for pr in version_problems(session, self.parent, parent)]
        if problems:  # a second version valid on the same days as a stored one: refused as on the pages
            raise DomainError(problems)
        return created, changed

    def fill_parent(self, parent: Any, rows: list[Plan]) -> None:
        pass

    def children_of(self, parent: Any) -> list:
        raise NotImplementedError


class BomsImport(_VersionedImport):
    key = "boms"
    label = _l("Bills of materials")
    parent = Bom
    child_key = "component"
    fields = (
        Field("item", _l("Item code"), required=True, example="N-DRIVE"),
        Field("version", _l("Version"), example="1"),
        Field("output_qty", _l("Output quantity"), "qty", example="1"),
        Field("component", _l("Component code"), required=True, example="MOT-12"),
        Field("qty", _l("Quantity"), "qty", required=True, example="2"),
        Field("unit", _l("Unit")),
        Field("scrap_pct", _l("Scrap, %"), "qty", example="0,5"),
    )

    def stored_children(self, session: Session) -> dict[tuple[int, str], dict[Any, dict[str, Any]]]:
        out: dict[tuple[int, str], dict[Any, dict[str, Any]]] = {}
        for item, version, component, qty, scrap in session.execute(
                select(Bom.item_id, Bom.version, BomLine.item_id, BomLine.qty, BomLine.scrap_pct)
                .join(BomLine, BomLine.bom_id == Bom.id)):
            out.setdefault((item, version), {})[component] = {"qty": qty, "scrap_pct": scrap}
        return out

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        component = row.lookup("component", ctx["items"])
        qty = row.number("qty")
        if qty is not None and qty <= 0:
            row.problem(N_("%(field)s must be positive"), "qty")
        values = {"component": component, "qty": qty, "scrap_pct": row.number("scrap_pct"),
                  "unit_id": row.lookup("unit", ctx["units"]), "output_qty": row.number("output_qty")}
        return self.plan_of(ctx, row, component, values)

    def fill_parent(self, parent: Any, rows: list[Plan]) -> None:
        output = rows[0].values["output_qty"]
        parent.output_qty = output if output is not None else (parent.output_qty or 1)

    def children_of(self, parent: Any) -> list:
        return parent.lines

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        from app.services.production.engineering import cycle_problem

        self.write_parents(session, plans, lambda n, p: BomLine(
            line_no=n, item_id=p.values["component"], qty=p.values["qty"], unit_id=p.values["unit_id"],
            scrap_pct=p.values["scrap_pct"] or 0))
        problems = [cycle_problem(session, p.extra[0], p.values["component"], line_no=p.line) for p in plans]
        if any(problems):
            raise DomainError([p for p in problems if p is not None])
        return ""


class RoutingsImport(_VersionedImport):
    key = "routings"
    label = _l("Routings")
    parent = Routing
    child_key = "seq"
    fields = (
        Field("item", _l("Item code"), required=True, example="N-DRIVE"),
        Field("version", _l("Version"), example="1"),
        Field("seq", _l("Step"), "int", required=True, example="10"),
        Field("operation", _l("Operation"), required=True, example="Assembly"),
        Field("work_center", _l("Work centre"), required=True, example="ASM"),
        Field("setup_minutes", _l("Setup, min"), "qty", example="15"),
        Field("run_minutes", _l("Run per unit, min"), "qty", example="4,5"),
    )

    def stored_children(self, session: Session) -> dict[tuple[int, str], dict[Any, dict[str, Any]]]:
        out: dict[tuple[int, str], dict[Any, dict[str, Any]]] = {}
        for item, version, seq, name, setup, run in session.execute(
                select(Routing.item_id, Routing.version, RoutingOperation.seq, RoutingOperation.name,
                       RoutingOperation.setup_minutes, RoutingOperation.run_minutes)
                .join(RoutingOperation, RoutingOperation.routing_id == Routing.id)):
            out.setdefault((item, version), {})[seq] = {"operation": name, "setup_minutes": setup,
                                                         "run_minutes": run}
        return out

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        seq = row.number("seq")
        values = {"seq": int(seq) if seq is not None else None, "operation": row.text("operation"),
                  "work_center_id": row.lookup("work_center", ctx["centres"]),
                  "setup_minutes": row.number("setup_minutes"), "run_minutes": row.number("run_minutes")}
        for key in ("setup_minutes", "run_minutes"):
            if values[key] is not None and values[key] < 0:
                row.problem(N_("%(field)s cannot be negative"), key)
        return self.plan_of(ctx, row, values["seq"], values)

    def children_of(self, parent: Any) -> list:
        return parent.operations

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        self.write_parents(session, plans, lambda n, p: RoutingOperation(
            seq=p.values["seq"], name=p.values["operation"], work_center_id=p.values["work_center_id"],
            setup_minutes=p.values["setup_minutes"] or 0, run_minutes=p.values["run_minutes"] or 0))
        return ""
