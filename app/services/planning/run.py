"""Running the plan, storing only what changed, and firming planned orders into real documents.

`run_plan` loads (app.services.planning.load), plans (engine) and writes the difference: a planned
order whose item, kind and due week are unchanged keeps its row (updated only when its quantity,
start or pegs moved), new ones are added, vanished ones deleted; capacity rows likewise. Firming goes
through the production service (draft production orders) and the purchasing service's demand path
(`upsert_demand`, the one the logistics analysis and the reorder runs use), keyed by source "mrp"
and the item and due date, so firming the same need twice updates one line instead of adding one.
A firmed need then counts as supply on the next run (open order, open request line): its planned
order is gone and nothing is asked twice.

Net change: events mark items (app.services.planning.dirty); a run with a previous plan of the same
week, horizon and levelling plans only the marked items and what lies below them, and writes only
their rows (app.services.planning.store); without a previous plan, or with `full`, every item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.base import utcnow
from app.models.planning import RUN_DONE, RUN_FAILED, CapacityLoad, PlannedOrder, PlanRun
from app.services.base import unit_of_work
from app.services.planning import dirty, engine
from app.services.planning.load import Weeks, load
from app.services.planning.store import RunSummary, store

SOURCE = "mrp"
DEFAULT_WEEKS = 26
_last: dict[str, object] = {}  # this process's previous result, for net-change runs


def _progress(session: Session, run_id: int, percent: int) -> None:
    with unit_of_work(session):
        session.get(PlanRun, run_id).progress = percent


def run_plan(session: Session, today: date | None = None, weeks: int = DEFAULT_WEEKS, trigger: str = "manual",
             username: str = "", level: bool = True, changed: set[int] | None = None,
             full: bool = False) -> RunSummary:
    """Plan and store. Net change when a previous plan of the same week, horizon and levelling exists
    (this process's when it is the last finished run, else rebuilt from the stored plan: a restart does
    not force a full run): only the changed items and their components are recomputed. The changed items
    are `changed` when given, else the ones events marked (app.services.planning.dirty), whose marks
    this run clears. `full`, or no previous plan: every item."""
    on = today or date.today()
    with unit_of_work(session):
        run = PlanRun(trigger=trigger, username=username, stats={})
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        read, structure_changed = dirty.pending(session) if changed is None else (set(), False)
        marked = set(read)
        data = load(session, on, weeks, level)
        _progress(session, run_id, 40)
        previous = None if full else _previous(session, on, weeks, level)
        if previous is not None and structure_changed:
            previous.structure = None  # a BOM changed: parents and levels are worked out again
            marked |= _pegged_below(previous, marked)  # and components it no longer uses lose its demand
        result = engine.plan(data, previous, (marked if changed is None else changed) if previous else None)
        _progress(session, run_id, 70)
        with unit_of_work(session):
            summary = store(session, Weeks(on, weeks), data, result, run_id)
            dirty.clear(session, read)
            run = session.get(PlanRun, run_id)
            run.state, run.progress, run.finished_at = RUN_DONE, 100, utcnow()
            run.stats = {"items": len(data.items), "recomputed": result.recomputed, "planned": summary.planned,
                         "created": summary.created, "updated": summary.updated, "removed": summary.removed,
                         "overloaded": sum(len(w) for w in summary.overloaded.values()),
                         "reschedule": reschedule_json(result, Weeks(on, weeks)),
                         "basis": [Weeks(on, weeks).first.isoformat(), weeks, level]}
        _last.update(key=(on, weeks, level), result=result, run=run_id)
        return summary
    except Exception as exc:
        session.rollback()
        with unit_of_work(session):
            run = session.get(PlanRun, run_id)
            run.state, run.finished_at, run.message = RUN_FAILED, utcnow(), str(exc)[:2000]
        raise


def _pegged_below(previous: engine.PlanResult, roots: set[int]) -> set[int]:
    """The items whose planned orders were pegged, directly or through others, to the roots' orders in the
    previous plan: a BOM edit may have dropped them from the structure, not from the plan."""
    children: dict[int, set[int]] = {}
    for item_id, orders in previous.orders.items():
        for po in orders:
            for origin in po.pegs:
                parent = engine.parse_parent(origin)
                if parent is not None:
                    children.setdefault(parent[0], set()).add(item_id)
    out, stack = set(), list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


def _previous(session: Session, on: date, weeks: int, level: bool) -> engine.PlanResult | None:
    """The last finished run's result: this process's copy when that run was ours (another process may
    have planned since), else rebuilt from the stored rows."""
    last = session.scalar(select(PlanRun.id).where(PlanRun.state == RUN_DONE).order_by(PlanRun.id.desc()).limit(1))
    if last is not None and _last.get("run") == last and _last.get("key") == (on, weeks, level):
        return _last["result"]
    return restore(session, Weeks(on, weeks), level)


def restore(session: Session, grid: Weeks, level: bool) -> engine.PlanResult | None:
    """The previous result rebuilt from what the last finished run stored, when it was planned for the same
    day, horizon and levelling: its planned orders with their pegs (a parent's plan back to its week), the
    capacity load and the reschedule messages. None: plan in full."""
    from decimal import Decimal

    from app.models.planning import PlannedOrder

    run = session.scalar(select(PlanRun).where(PlanRun.state == RUN_DONE).order_by(PlanRun.id.desc()).limit(1))
    if run is None or (run.stats or {}).get("basis") != [grid.first.isoformat(), grid.count, level]:
        return None
    result = engine.PlanResult(weeks=grid.count)
    for r in session.execute(select(PlannedOrder.item_id, PlannedOrder.kind, PlannedOrder.due_date,
                                    PlannedOrder.start_date, PlannedOrder.qty, PlannedOrder.pegs, PlannedOrder.late,
                                    PlannedOrder.moved_weeks)):
        pegs = {_peg_back(k, grid): Decimal(v) for k, v in (r.pegs or {}).items()}
        result.orders.setdefault(r.item_id, []).append(engine.PlannedOrder(
            r.item_id, r.kind, grid.index(r.due_date), grid.index(r.start_date), r.qty, pegs, r.late, r.moved_weeks))
    for wc, week, minutes in session.execute(select(CapacityLoad.work_center_id, CapacityLoad.week_start,
                                                    CapacityLoad.load_minutes)):
        result.load.setdefault(wc, [engine.ZERO] * grid.count)[grid.index(week)] = minutes
    for m in run.stats.get("reschedule", []):
        need = grid.index(date.fromisoformat(m["need"])) if m["need"] else None
        result.messages.setdefault(m["item_id"], []).append(
            engine.Reschedule(m["item_id"], m["ref"], grid.index(date.fromisoformat(m["due"])), need))
    return result


def _peg_back(key: str, grid: Weeks) -> str:
    """A stored peg key back to the engine's: "@<item>:<Monday>" -> "@<item>:<week index>"."""
    if not key.startswith(engine.PARENT):
        return key
    item, _, due = key[1:].partition(":")
    return engine.parent_ref(int(item), grid.index(date.fromisoformat(due)))


MAX_MESSAGES = 500  # kept with the run for the plan page; more is a plan to redo, not a list to read


def reschedule_json(result: engine.PlanResult, grid: Weeks) -> list[dict[str, object]]:
    """The run's reschedule messages as JSON: the open order, its item, its due week and the week it is
    needed (None: not needed within the horizon)."""
    return [{"ref": m.ref, "item_id": m.item_id, "due": grid.monday(m.week).isoformat(),
             "need": None if m.need_week is None else grid.monday(m.need_week).isoformat()}
            for m in result.reschedule_messages()[:MAX_MESSAGES]]


# --- firming ----------------------------------------------------------------------------------------


@dataclass
class FirmResult:
    production: list[str] = field(default_factory=list)  # production order numbers / ids
    requests: list[str] = field(default_factory=list)  # purchase request numbers touched


def _warehouse(session: Session) -> int:
    from app.models.purchasing import PurchasingSettings
    from app.models.stock import Warehouse

    wh = session.scalar(select(PurchasingSettings.warehouse_id).limit(1))
    wh = wh or session.scalar(select(Warehouse.id).where(Warehouse.active.is_(True)).order_by(Warehouse.id))
    if wh is None:
        raise DomainError("Create a warehouse first")
    return wh


def describe_pegs(pegs: dict[str, str]) -> str:
    """The pegs in short words for a note: "SO-7: 5, forecast: 3" (parent plans shown as the plan)."""
    return ", ".join(f"{k if not k.startswith(engine.PARENT) else 'MRP'}: {v}" for k, v in pegs.items())


def firm(session: Session, planned_ids: list[int], today: date | None = None) -> FirmResult:
    """Turn planned orders into draft production orders and purchase request lines (one transaction)."""
    from app.services.production import OrderInput, active_bom, create_order
    from app.services.purchasing import best_offers
    from app.services.purchasing.requests import (
        load_unit_places,
        new_context,
        refresh_totals,
        serialize_demand,
        upsert_demand,
    )

    on = today or date.today()
    out = FirmResult()
    with unit_of_work(session):
        rows = list(session.scalars(select(PlannedOrder).where(PlannedOrder.id.in_(planned_ids))
                                    .order_by(PlannedOrder.due_date, PlannedOrder.id)))
        if not rows:
            raise DomainError("Choose the planned orders to firm")
        wh = _warehouse(session)
        dirty.mark(session, {r.item_id for r in rows}, "firm")  # now supply: the next plan nets it
        buys = [r for r in rows if r.kind == engine.BUY]
        if buys:
            serialize_demand(session)
            ctx = new_context(on)
            offers = best_offers(session, {r.item_id for r in buys}, on, {r.item_id: r.qty for r in buys})
            known = _known_lines(session, buys, wh)
            load_unit_places(session, ctx, {r.item_id for r in buys})  # once: no query (and flush) per line
            for r in buys:
                ref = f"{r.item_id}:{r.due_date.isoformat()}"
                reason = {"kind": SOURCE, "due": r.due_date.isoformat(), "qty": str(r.qty),
                          "formula": f"MRP {r.due_date:%d.%m.%Y}: {describe_pegs(r.pegs)}"}
                line = upsert_demand(session, ctx, item_id=r.item_id, need=r.qty, warehouse_id=wh, reason=reason,
                                     source=SOURCE, source_ref=ref, need_by=r.due_date,
                                     offer=offers.get(r.item_id), drafts_only=False, known=known.get(ref, []))
                if line is not None:
                    out.requests.append(ref)
                session.delete(r)
            refresh_totals(session, ctx.stats.touched)
        for r in rows:
            if r.kind != engine.MAKE:
                continue
            bom = active_bom(session, r.item_id, on)
            mo = create_order(session, OrderInput(item_id=r.item_id, qty=r.qty, component_warehouse_id=wh,
                                                  bom_id=bom.id if bom else None,
                                                  order_date=on, planned_start=r.start_date, planned_end=r.due_date,
                                                  note=f"MRP: {describe_pegs(r.pegs)}"[:2000]))
            out.production.append(mo.number or f"#{mo.id}")
            session.delete(r)
    return out


def _known_lines(session: Session, buys: list[PlannedOrder], wh: int) -> dict[str, list]:
    """The request lines the plan made before for these needs, fetched at once (none is asked twice)."""
    from sqlalchemy.orm import selectinload

    from app.models.purchasing import REQ_CANCELLED, REQ_DRAFT, PurchaseRequest, PurchaseRequestLine

    refs = [f"{r.item_id}:{r.due_date.isoformat()}" for r in buys]
    out: dict[str, list] = {ref: [] for ref in refs}
    for chunk in range(0, len(refs), 500):
        for ln in session.scalars(select(PurchaseRequestLine).join(PurchaseRequest)
                                  .where(PurchaseRequestLine.source == SOURCE,
                                         PurchaseRequestLine.source_ref.in_(refs[chunk:chunk + 500]),
                                         PurchaseRequest.state != REQ_CANCELLED, PurchaseRequest.warehouse_id == wh)
                                  .options(selectinload(PurchaseRequestLine.request))):
            out[ln.source_ref].append(ln)
    for lines in out.values():
        lines.sort(key=lambda ln: (ln.request.state != REQ_DRAFT, ln.id))
    return out
