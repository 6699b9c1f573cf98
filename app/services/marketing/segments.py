"""Segments: rules over the client history compiled to SQL, membership stored and kept current.

A segment's rules are a list of conditions that must all hold; each may be negated ("not": true), so
"bought a robot but not the accessory kit" is two conditions. Every rule becomes one SQL predicate
over the partner and its ClientStats row, so the full re-evaluation of a segment is one
DELETE + INSERT ... SELECT (no rows through Python), and re-evaluating one client after its order
is one SELECT with a column per segment.
"""

from __future__ import annotations

import calendar
import json
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, literal, not_, or_, select, text, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.domain.errors import Collector, DomainError
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.marketing import ClientStats, Segment, SegmentMember
from app.models.partners import Partner, PartnerAddress, partner_tag
from app.models.sales import SalesOrder, SalesOrderLine
from app.services.marketing.stats import counted_orders

RULE_KINDS = ("bought_item", "bought_group", "no_order_months", "abc", "rfm", "region", "tag", "manager",
              "language", "open_service_request", "any")
#: {"kind": "any", "rules": [...]}: at least one of its conditions holds (the builder's "match any");
#: the segment's list itself is "all of", so the stored format stays a list of conditions
ANY = "any"
MSG_UNKNOWN_RULE = "Unknown rule %(kind)s"
MSG_RULE_VALUE = "Rule %(n)s: give %(value)s"
MSG_RULES_LIST = "Rules must be a list of conditions"


def months_ago(today: date, months: int) -> date:
    """The same day `months` months back (the month's last day when it has fewer days)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


def _int(rule: dict, key: str) -> int | None:
    try:
        value = int(rule.get(key))
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def _bought(item_condition: Any, one_client: bool) -> Any:
    """"Bought X": for the whole base, the buyers of X as one uncorrelated subquery (read once through the
    item index); for one client, its own orders' lines (through the client index), so neither walks the
    other's side per row. `item_id + 0` keeps the database from choosing the item index for one client."""
    lines = (select(SalesOrder.partner_id).select_from(SalesOrderLine)
             .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id).where(counted_orders()))
    if not one_client:
        return Partner.id.in_(lines.where(item_condition(SalesOrderLine.item_id)))
    return exists(lines.where(SalesOrder.partner_id == Partner.id, item_condition(SalesOrderLine.item_id + 0)))


def _open_request() -> Any:
    from app.models.service import ServiceRequest

    return exists(select(literal(1)).select_from(ServiceRequest).where(
        ServiceRequest.partner_id == Partner.id, ServiceRequest.state.notin_(("resolved", "closed"))))


REQUIRED = {"bought_item": "item_id", "bought_group": "group_id", "no_order_months": "months", "abc": "classes",
            "region": "text", "tag": "tag_id", "manager": "user_id", "language": "language"}


def _predicate(rule: dict, today: date, one_client: bool = False) -> Any:
    """One condition as SQL over Partner and ClientStats (outer-joined)."""
    kind = rule.get("kind")
    if kind == ANY:
        subs = [_predicate(r, today, one_client) for r in rule.get("rules") or []]
        parts = [not_(p) if r.get("not") else p for r, p in zip(rule.get("rules") or [], subs, strict=True)]
        return or_(*parts) if parts else true()
    if kind == "bought_item":
        item_id = _int(rule, "item_id")
        return _bought(lambda col: col == item_id, one_client)
    if kind == "bought_group":
        group = select(Item.id).where(Item.group_id == _int(rule, "group_id"))
        return _bought(lambda col: col.in_(group), one_client)
    if kind == "no_order_months":
        since = months_ago(today, _int(rule, "months") or 0)
        return or_(ClientStats.last_order.is_(None), ClientStats.last_order < since)
    if kind == "abc":
        return ClientStats.abc_class.in_(list(str(rule.get("classes", "")).upper()))
    if kind == "rfm":
        parts = [getattr(ClientStats, f"{k}_score") >= _int(rule, k) for k in ("r", "f", "m") if _int(rule, k)]
        return and_(ClientStats.orders > 0, *parts)
    if kind == "region":
        text = f"%{str(rule.get('text', '')).strip().lower()}%"
        return exists(select(literal(1)).select_from(PartnerAddress).where(
            PartnerAddress.partner_id == Partner.id,
            or_(func.lower(PartnerAddress.city).like(text), func.lower(PartnerAddress.country).like(text),
                func.lower(PartnerAddress.address).like(text))))
    if kind == "tag":
        return exists(select(literal(1)).select_from(partner_tag).where(
            partner_tag.c.partner_id == Partner.id, partner_tag.c.tag_id == _int(rule, "tag_id")))
    if kind == "manager":
        return Partner.manager_id == _int(rule, "user_id")
    if kind == "language":
        return Partner.language == str(rule.get("language", ""))
    if kind == "open_service_request":
        return _open_request()
    raise DomainError(MSG_UNKNOWN_RULE, kind=kind)


def validate_rules(rules: Any) -> list[dict]:
    """The rules as stored (a list of dicts), or a DomainError naming each bad condition."""
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise DomainError(MSG_RULES_LIST)
    problems = Collector()
    _check_rules(rules, problems)
    problems.raise_if_any()
    return rules


def _check_rules(rules: list, problems: Collector, prefix: str = "") -> None:
    """Each condition's kind and value; an "any" group's conditions numbered inside it (2.1, 2.2)."""
    for n, rule in enumerate(rules, start=1):
        kind, number = rule.get("kind"), f"{prefix}{n}"
        if kind not in RULE_KINDS:
            problems.add(MSG_UNKNOWN_RULE, field="rules", kind=kind)
            continue
        if kind == ANY:
            inner = rule.get("rules")
            if not isinstance(inner, list) or not inner or not all(isinstance(r, dict) for r in inner):
                problems.add(MSG_RULE_VALUE, field="rules", n=number, value="rules")
            else:
                _check_rules(inner, problems, f"{number}.")
            continue
        need = REQUIRED.get(kind)
        if need and rule.get(need) in (None, ""):
            problems.add(MSG_RULE_VALUE, field="rules", n=number, value=need)


def condition(rules: list[dict], today: date | None = None, one_client: bool = False) -> Any:
    """All the segment's rules as one SQL condition, on top of "an active customer, not merged"."""
    today = today or date.today()
    parts = [Partner.is_customer.is_(True), Partner.active.is_(True), Partner.merged_into_id.is_(None)]
    for rule in rules:
        pred = _predicate(rule, today, one_client)
        parts.append(not_(pred) if rule.get("not") else pred)
    return and_(*parts) if parts else true()


def _base(columns) -> Any:
    return select(*columns).select_from(Partner).outerjoin(ClientStats, ClientStats.partner_id == Partner.id)


def count(session: Session, rules: list[dict], today: date | None = None) -> int:
    """How many clients the rules select now: the figure shown while a rule is edited."""
    validate_rules(rules)
    return session.scalar(_base([func.count()]).where(condition(rules, today))) or 0


def _rewrite(session: Session, segment_id: int, wanted: Any) -> int:
    """SQLite: delete every member, insert the selected clients; returns the rows inserted.

    Writing only the difference was measured slower on SQLite (the rules ran twice, and its rows are cheap
    to rewrite)."""
    session.execute(delete(SegmentMember).where(SegmentMember.segment_id == segment_id))
    pick = wanted.with_only_columns(literal(segment_id), Partner.id)
    inserted = session.execute(insert(SegmentMember).from_select(["segment_id", "partner_id"], pick)).rowcount
    if inserted is None or inserted < 0:  # a driver that does not count the rows of INSERT ... SELECT
        inserted = session.scalar(select(func.count()).select_from(SegmentMember).where(
            SegmentMember.segment_id == segment_id)) or 0
    return inserted


def _difference(session: Session, segment_id: int, wanted: Any) -> int:
    """PostgreSQL: one statement that selects the clients once (a CTE), deletes the members who left and
    inserts the new ones; returns the segment's size.

    Rewriting every row cost ~4x the rules themselves there (each inserted row checks both foreign keys
    and updates two indexes), while a re-evaluation usually changes a few members."""
    wanted = wanted.cte("wanted")
    member = SegmentMember.__table__
    current = member.alias("current_member")
    gone = delete(member).where(member.c.segment_id == segment_id, ~exists(select(literal(1)).where(
        wanted.c.partner_id == member.c.partner_id))).returning(member.c.partner_id).cte("gone")
    fresh = (select(literal(segment_id), wanted.c.partner_id)
             .where(~exists(select(literal(1)).select_from(current).where(
                 current.c.segment_id == segment_id, current.c.partner_id == wanted.c.partner_id))))
    # a client's own re-evaluation committed meanwhile may have inserted the same member
    new = (pg_insert(member).from_select(["segment_id", "partner_id"], fresh).on_conflict_do_nothing()
           .returning(member.c.partner_id).cte("new"))
    # both writes run to completion though only counted here (PostgreSQL runs every data-modifying CTE)
    sizes = select(select(func.count()).select_from(wanted).scalar_subquery(),
                   select(func.count()).select_from(gone).scalar_subquery(),
                   select(func.count()).select_from(new).scalar_subquery())
    # Rows just bulk-written (a campaign's tagged clients, a fresh segment) have no statistics yet; estimated
    # at one row, the anti-joins were planned as nested loops over the CTE: 10,000 x 10,000 = 37 s. Hash and
    # merge joins are linear whatever the estimates, so nested loops are off for this statement only.
    previous = session.scalar(text("SELECT current_setting('enable_nestloop')"))
    session.execute(text("SELECT set_config('enable_nestloop', 'off', true)"))
    size = session.execute(sizes).one()[0]  # on an error the rollback restores the setting
    session.execute(text("SELECT set_config('enable_nestloop', :v, true)"), {"v": previous})
    return size


def evaluate(session: Session, segment: Segment, today: date | None = None) -> int:
    """Rebuild one segment's membership in SQL (no rows through Python); returns its size."""
    wanted = _base([Partner.id.label("partner_id")]).where(condition(segment.rules or [], today))
    write = _difference if session.get_bind().dialect.name == "postgresql" else _rewrite
    segment.member_count = write(session, segment.id, wanted)
    segment.evaluated_at = utcnow()
    return segment.member_count


def evaluate_all(session: Session, today: date | None = None) -> dict[int, int]:
    """Every active segment rebuilt (the nightly job: rules on time, such as "no order in 6 months")."""
    segments = session.scalars(select(Segment).where(Segment.active.is_(True)).order_by(Segment.id)).all()
    out = {s.id: evaluate(session, s, today) for s in segments}
    session.flush()
    return out


#: the rules a client's orders, shipments and invoices can change; the others (region, tag, manager, language,
#: open service request) follow the client's card, not its history
HISTORY_KINDS = frozenset({"bought_item", "bought_group", "no_order_months", "abc", "rfm"})
_ONE_CLIENT: dict[tuple, Any] = {}  # the one-client SELECT per (day, segments and their rules), built once


def _uses_history(rules: list) -> bool:
    return any(r.get("kind") in HISTORY_KINDS or (r.get("kind") == ANY and _uses_history(r.get("rules") or []))
               for r in rules)


def _one_client_select(segments: list, today: date | None) -> Any:
    """One SELECT with a column per segment for the client bound as :pid, kept while the rules and the day
    stay the same: building the statement (and its cache key) cost more than running it."""
    day = today or date.today()
    key = (day, tuple((sid, json.dumps(rules or [], sort_keys=True)) for sid, rules in segments))
    stmt = _ONE_CLIENT.get(key)
    if stmt is None:
        if len(_ONE_CLIENT) > 32:
            _ONE_CLIENT.clear()
        cols = [condition(rules or [], day, one_client=True).label(f"s{sid}") for sid, rules in segments]
        stmt = _ONE_CLIENT[key] = _base(cols).where(Partner.id == bindparam("pid"))
    return stmt


def evaluate_client(session: Session, partner_id: int, today: date | None = None,
                    history_only: bool = False) -> set[int]:
    """Re-evaluate one client against the active segments in one SELECT; returns its segment ids among them.

    `history_only` (after its orders changed): only the segments with a rule its history can change."""
    segments = session.execute(select(Segment.id, Segment.rules).where(Segment.active.is_(True))
                               .order_by(Segment.id)).all()
    if history_only:
        segments = [(sid, rules) for sid, rules in segments if _uses_history(rules or [])]
    if not segments:
        return set()
    row = session.execute(_one_client_select(segments, today), {"pid": partner_id}).first()
    wanted = {sid for (sid, _), hit in zip(segments, row or (), strict=False) if hit}
    have = set(session.scalars(select(SegmentMember.segment_id).where(SegmentMember.partner_id == partner_id)))
    active = {sid for sid, _ in segments}
    gone, new = (have & active) - wanted, wanted - have
    if gone:
        session.execute(delete(SegmentMember).where(SegmentMember.partner_id == partner_id,
                                                    SegmentMember.segment_id.in_(sorted(gone))))
    if new:
        session.execute(insert(SegmentMember), [{"segment_id": s, "partner_id": partner_id} for s in sorted(new)])
    for sid in gone | new:
        session.execute(Segment.__table__.update().where(Segment.id == sid).values(
            member_count=Segment.member_count + (1 if sid in new else -1)))
    return wanted


def save_segment(session: Session, segment: Segment | None, name: str, rules: Any, *, name_ru: str = "",
                 name_es: str = "", active: bool = True) -> Segment:
    """Create or change a segment and evaluate it at once."""
    rules = validate_rules(rules)
    if not (name or "").strip():
        raise DomainError("Give the segment a name")
    if segment is None:
        segment = Segment()
        session.add(segment)
    segment.name, segment.name_ru, segment.name_es = name.strip(), name_ru or "", name_es or ""
    segment.rules, segment.active = rules, active
    session.flush()
    evaluate(session, segment)
    return segment


def member_ids(session: Session, segment_id: int) -> list[int]:
    return list(session.scalars(select(SegmentMember.partner_id).where(SegmentMember.segment_id == segment_id)
                                .order_by(SegmentMember.partner_id)))

