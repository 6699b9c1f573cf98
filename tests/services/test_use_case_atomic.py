"""One transaction per use case: converting a TCP and acting on an order's logistics analysis are atomic.

A failure is injected after each step of the two use cases (the step's own writes done, then an
error); afterwards every table holds exactly the rows it held before, and the use case can then be
run to the end. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from flask_appbuilder import Model
from sqlalchemy import func, select

from app.extensions import db
from app.models.proposals import Proposal
from app.services import proposals as svc
from app.services.base import in_unit_of_work, keep_on_rollback, savepoint, unit_of_work
from app.services.proposals import InstalmentInput, ProposalInput
from app.services.sales import confirm_order
from app.services.sales.analysis import run_analysis
from tests.proposals import factories_proposals as fp
from tests.sales import factories_sales as fs
from tests.services.test_sales_analysis import plant  # noqa: F401  (fixture)


class Injected(RuntimeError):
    """The failure a step raises after doing its own writes."""


def row_counts() -> dict[str, int]:
    """Rows per table: what a rolled-back use case must leave exactly as it was."""
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Model.metadata.sorted_tables}


def fail_after(monkeypatch, target: str) -> None:
    """Make `module:function` do its work, then raise."""
    module_path, name = target.split(":")
    module = __import__(module_path, fromlist=[name])
    real = getattr(module, name)

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise Injected(target)

    monkeypatch.setattr(module, name, failing)


CONVERSION_STEPS = [
    "app.services.production:create_bom",
    "app.services.production:create_routing",
    "app.services.sales:create_order",
    "app.services.sales:confirm_order",
    "app.services.sales:create_invoice",
    "app.services.production:create_order",
]


@pytest.fixture
def approved_proposal(app):
    from app.models.production import WorkCenter
    from app.services.production import OperationInput, RoutingInput, create_routing

    robot = fp.robot()
    o = robot.options
    wc = db.session.scalar(select(WorkCenter.id))
    create_routing(db.session, RoutingInput(robot.items["ROBOT"].id, operations=[  # the base model's routing
        OperationInput(10, "assemble", wc, "10", "45")]))
    p = svc.save_proposal(db.session, ProposalInput(
        robot.partner.id, robot.model.id, qty="2", currency_id=robot.currency_id,
        selection={o["std"].id: 1, o["board"].id: 2}, instalments=[InstalmentInput("100")]))
    svc.send_proposal(db.session, p.id)
    svc.approve_proposal(db.session, p.id)
    return p.id


@pytest.mark.parametrize("step", CONVERSION_STEPS)
def test_conversion_leaves_nothing_behind_when_a_step_fails(approved_proposal, monkeypatch, step):
    before = row_counts()
    fail_after(monkeypatch, step)
    with pytest.raises(Injected):
        svc.convert_proposal(db.session, approved_proposal)
    db.session.expire_all()
    assert row_counts() == before
    assert db.session.get(Proposal, approved_proposal).state == "approved"
    monkeypatch.undo()
    done = svc.convert_proposal(db.session, approved_proposal)  # nothing half-made stands in the way
    assert done.state == "converted" and done.sales_order_id and done.invoice_id and done.production_order_id


def test_conversion_makes_every_document_in_one_commit(approved_proposal, monkeypatch):
    commits = []
    monkeypatch.setattr(db.session, "commit", lambda real=db.session.commit: (commits.append(1), real())[1])
    svc.convert_proposal(db.session, approved_proposal)
    assert len(commits) == 1


ANALYSIS_STEPS = [
    "app.services.sales.analysis:top_up_reservations",
    "app.services.purchasing.requests:follow_need",
    "app.services.production:create_order",
    "app.services.production:release_order",
]


@pytest.mark.parametrize("step", ANALYSIS_STEPS)
def test_acting_on_the_analysis_leaves_nothing_behind_when_a_step_fails(plant, session, monkeypatch, step):  # noqa: F811
    wh, it = plant
    order = fs.order(fs.client(), [(it["robot"], 4), (it["case"], 3, "80")], warehouse_id=wh.id)
    confirm_order(session, order.id)
    session.commit()
    before = row_counts()
    fail_after(monkeypatch, step)
    with pytest.raises(Injected):
        run_analysis(session, order.id)
    session.expire_all()
    assert row_counts() == before
    monkeypatch.undo()
    done = run_analysis(session, order.id)
    assert done.created  # the whole analysis runs once nothing fails


def test_a_nested_scope_joins_and_only_the_outermost_commits(app):
    commits = []
    real = db.session.commit
    db.session.commit = lambda: (commits.append(1), real())[1]
    try:
        with unit_of_work(db.session):
            with unit_of_work(db.session):
                assert in_unit_of_work(db.session)
            assert commits == []
        assert commits == [1] and not in_unit_of_work(db.session)
    finally:
        del db.session.commit


def test_a_savepoint_undoes_only_the_refused_step(app):
    from app.models.core import Unit

    with unit_of_work(db.session):
        db.session.add(Unit(code="kept", name="kept"))
        with pytest.raises(Injected), savepoint(db.session):
            db.session.add(Unit(code="undone", name="undone"))
            db.session.flush()
            raise Injected("refused")
    codes = set(db.session.scalars(select(Unit.code)))
    assert "kept" in codes and "undone" not in codes


def test_a_record_kept_on_rollback_is_written_after_the_use_case_fails(app):
    from app.models.core import Unit

    with pytest.raises(Injected), unit_of_work(db.session):
        db.session.add(Unit(code="lost", name="lost"))
        keep_on_rollback(db.session, lambda s: s.add(Unit(code="kept", name="kept")))
        raise Injected("the server refused")
    codes = set(db.session.scalars(select(Unit.code)))
    assert "kept" in codes and "lost" not in codes
