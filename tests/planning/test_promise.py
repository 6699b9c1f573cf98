"""Capable-to-promise: the date follows the components' lead times and the work centres, with reasons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.extensions import db
from app.services.planning.promise import promise
from tests.planning.factories_planning import TODAY, robot
from tests.purchasing import factories_purchasing as fp

D = Decimal


def test_promise_moves_when_a_component_lead_time_changes(session):
    r = robot()
    sup = fp.supplier("ElektroKomp")
    chip_offer = fp.offer(sup, r.chip, "50", lead=10)
    for it in (r.pcb, r.case):
        fp.offer(sup, it, "20", lead=3)
    first = promise(session, {r.robot.id: D(10)}, TODAY)
    text = " ".join(first.text())
    assert "ElektroKomp" in text and (TODAY + timedelta(days=10)).strftime("%d.%m.%Y") in text
    assert "CELL" in text and "SMT" in text  # the boards, then the robots, each on its work centre
    assert first.date > TODAY + timedelta(days=10)
    chip_offer.lead_time_days = 24
    db.session.commit()
    later = promise(session, {r.robot.id: D(10)}, TODAY)
    assert later.date - first.date >= timedelta(days=14)
    assert promise(session, {r.robot.id: D(2)}, TODAY).date == TODAY  # two robots on the shelf


def test_a_busy_work_centre_pushes_the_date(session):
    from app.models.planning import CapacityLoad

    r = robot()
    sup = fp.supplier("ElektroKomp")
    for it in (r.chip, r.pcb, r.case):
        fp.offer(sup, it, "20", lead=1)
    free = promise(session, {r.robot.id: D(10)}, TODAY)
    week = TODAY  # a Monday: the cell is fully booked this week and the next
    for k in range(2):
        db.session.add(CapacityLoad(work_center_id=r.cell.id, week_start=week + timedelta(weeks=k),
                                    load_minutes=D(2700), capacity_minutes=D(2700)))
    db.session.commit()
    busy = promise(session, {r.robot.id: D(10)}, TODAY)
    assert busy.date >= TODAY + timedelta(weeks=2) > free.date
    assert any("fully booked" in t for t in busy.text())
