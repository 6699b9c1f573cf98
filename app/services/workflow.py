"""Performing a document transition, and the names of states where they are shown.

`transition` is the one function that moves a document to its next state: the caller has locked and
re-read the document (lock first, then re-read, then check); this checks the transition against the
document type's declaration (app/domain/documents.py), marks the audit row, sets the state and
stamps who and when. The label helpers give lists, cards, PDFs and the API the same translated words.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _lazy
from sqlalchemy.orm import Session

from app.domain.errors import Problem
from app.domain.workflow import Transition, Workflow
from app.models.base import utcnow
from app.services import audit
from app.services.base import current_actor


def doc_label(doc: Any) -> str:
    """How a document is named in messages: its number (a TCP's with the version), else its id."""
    return str(getattr(doc, "label", None) or getattr(doc, "number", None) or f"#{doc.id}")


def check(wf: Workflow, doc: Any, action: str) -> Transition:
    """Refuse (DomainError in words) unless `action` is allowed in the document's state."""
    return wf.check(doc.state, action, doc_label(doc))


def refused(wf: Workflow, doc: Any, action: str) -> list[Problem]:
    """[] when `action` is allowed, else its refusal: to collect with the other problems of a command."""
    return [] if wf.allows(doc.state, action) else wf.refusal(doc.state, action, doc_label(doc))


def transition(session: Session, wf: Workflow, doc: Any, action: str, target: str | None = None) -> Transition:
    """Move the locked `doc` by `action`: check, audit row, state, who / when stamps.

    `target` is the state the service chose, for transitions declared with a computed target.
    """
    t = check(wf, doc, action)
    new_state = t.target if t.target is not None else target
    audit.transition(session, t.action, doc)
    if new_state is not None:
        doc.state = new_state
    if t.stamp and hasattr(type(doc), f"{t.stamp}_at"):
        setattr(doc, f"{t.stamp}_at", utcnow())
        setattr(doc, f"{t.stamp}_by", current_actor().username)
    after_transition(session, wf, t.action, doc)
    return t


def after_transition(session: Session, wf: Workflow, action: str, doc: Any, item_ids: set[int] | None = None) -> None:
    """What follows every transition: business processes (events) and planning's net change (dirty items).

    `transition` calls it; a service that writes a transition's rows itself (stock posting, on the
    driver) calls it too, so both reach the same hooks. `item_ids`: the items the document moves when
    the caller has them (its lines may not be loaded on `doc`).
    """
    for hook in _hooks():
        hook(session, wf.doc_type, action, doc, item_ids)


@cache
def _hooks() -> tuple:
    """The after-transition hooks, imported on first use (their modules import this one)."""
    from app.services.planning import dirty  # demand or supply moved: the next plan looks at these items
    from app.services.projects.processes import on_transition  # business processes start from events

    def processes(session: Session, doc_type: str, action: str, doc: Any, _item_ids: set[int] | None) -> None:
        on_transition(session, doc_type, action, doc)

    return processes, dirty.on_transition


def state_label(wf: Workflow, state: str) -> str:
    """The state's name in the current user's language."""
    return gettext(wf.label(state)) if state in wf.states else state


def lazy_state_labels(wf: Workflow) -> dict[str, Any]:
    """{state: lazy name}: for formatters and choices declared at import time."""
    return {state: _lazy(msgid) for state, msgid in wf.states.items()}


def state_choices(wf: Workflow) -> list[tuple[str, Any]]:
    """(code, lazy name) pairs for select boxes and filters."""
    return list(lazy_state_labels(wf).items())
