"""The workflow kernel: one declaration per document type, one refusal in words, states that match the models."""

from __future__ import annotations

import pytest

from app.domain import documents as docs
from app.domain.errors import DomainError
from app.domain.workflow import MSG_NOT_ALLOWED, Transition, workflow


def test_every_declared_transition_names_states_of_its_workflow():
    with pytest.raises(ValueError, match="unknown states"):
        workflow("x", "X", "R", {"draft": "Draft"}, Transition("post", "Posting", ("draft",), "posted", "post"))
    for wf in docs.WORKFLOWS.values():
        assert wf.initial in wf.states, wf.doc_type
        for t in wf.transitions.values():
            assert set(t.sources) <= set(wf.states) and (t.target is None or t.target in wf.states)


@pytest.mark.parametrize(("wf", "state", "action", "allowed"), [
    (docs.SALES_ORDER, "draft", "confirm", True),
    (docs.SALES_ORDER, "confirmed", "confirm", False),
    (docs.SALES_ORDER, "shipped", "cancel", False),
    (docs.SALES_ORDER, "in_fulfilment", "ship", True),
    (docs.STOCK_DOCUMENT, "posted", "post", False),
    (docs.STOCK_DOCUMENT, "posted", "cancel", True),
    (docs.PURCHASE_ORDER, "partial", "close", True),
    (docs.PURCHASE_ORDER, "partial", "cancel", False),
    (docs.PROPOSAL, "approved", "convert", True),
    (docs.PROPOSAL, "converted", "email", False),
    (docs.PRODUCTION_ORDER, "done", "reopen", True),
    (docs.PRODUCTION_ORDER, "cancelled", "cancel", False),
])
def test_allows_reads_the_declaration(wf, state, action, allowed):
    assert wf.allows(state, action) is allowed


def test_a_refusal_names_the_document_its_state_the_action_and_where_it_is_possible():
    with pytest.raises(DomainError) as exc:
        docs.PURCHASE_ORDER.check("received", "cancel", "PO-7")
    [problem] = exc.value.problems
    assert problem.msgid == MSG_NOT_ALLOWED
    assert problem.render() == ("Purchase order PO-7 is “Received in full”: “Cancelling” is possible only in these "
                                "states: Draft, Sent, Confirmed")
    # every word is a msgid translated with the message
    shout = problem.render(lambda s: s.upper() if "%(" not in s else s)
    assert "PURCHASE ORDER PO-7" in shout and "“RECEIVED IN FULL”" in shout and "DRAFT, SENT, CONFIRMED" in shout


def test_a_declared_hint_says_what_to_do_instead():
    with pytest.raises(DomainError) as exc:
        docs.PROPOSAL.check("sent", "edit", "TCP-1 v1")
    assert exc.value.messages()[1] == "Revise proposal TCP-1 v1 to make a new version, and change that one"


def test_the_buttons_of_a_state_come_in_declaration_order():
    assert [t.action for t in docs.SALES_ORDER.actions_from("draft")] == ["edit", "confirm", "invoice", "cancel"]
    assert docs.SALES_ORDER_OPEN == ("confirmed", "in_fulfilment")


def test_declared_states_are_the_models_states():
    from app.models import production, proposals, purchasing, sales
    from app.models.base import DocState

    assert tuple(docs.SALES_ORDER.states) == sales.SO_STATES
    assert tuple(docs.PURCHASE_REQUEST.states) == purchasing.REQUEST_STATES
    assert tuple(docs.PURCHASE_ORDER.states) == purchasing.ORDER_STATES
    assert tuple(docs.PROPOSAL.states) == proposals.PROPOSAL_STATES
    assert tuple(docs.PRODUCTION_ORDER.states) == production.ORDER_STATES
    assert tuple(docs.STOCK_DOCUMENT.states) == DocState.ALL
