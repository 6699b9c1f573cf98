"""The document workflow kernel: states, transitions and the one way a transition is refused.

Every document type declares its workflow once (app/domain/documents.py): the states with their
names, and per action the states it starts from, the state it leads to, the permission it needs
and which who/when columns it stamps. Services ask the workflow instead of writing their own `if`s,
views ask it which buttons to show, lists and printed forms take the state names from it. So a
transition that is not allowed is refused with the same words everywhere, in the user's language.

Pure Python: names are msgids, translated where they are shown (see errors.Word).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.errors import DomainError, Problem, Word, Words


def _l(msgid: str) -> str:
    """Marks a msgid for extraction (pybabel's `_l` keyword); translated where it is shown."""
    return msgid


MSG_NOT_ALLOWED = _l("%(document)s %(number)s is “%(state)s”: “%(action)s” is possible only in these states: "
                     "%(allowed)s")
MSG_UNKNOWN_ACTION = _l("“%(action)s” is not an action of %(document)s")


@dataclass(frozen=True)
class Transition:
    """One action: from which states, to which state, with which permission, stamping what.

    `target` None: the service decides the next state from the document's content (a receipt that
    is partial or complete). `stamp` "confirmed" writes confirmed_at / confirmed_by.
    """

    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    permission: str
    stamp: str | None = None
    hint: str | None = None  # what to do instead (a msgid with %(number)s), said after the refusal


@dataclass(frozen=True)
class Workflow:
    """A document type's states and transitions, read in one place."""

    doc_type: str
    name: str
    resource: str
    states: dict[str, str]
    transitions: dict[str, Transition] = field(default_factory=dict)
    initial: str = "draft"

    def __post_init__(self) -> None:
        for t in self.transitions.values():
            unknown = [s for s in (*t.sources, t.target) if s is not None and s not in self.states]
            if unknown:
                raise ValueError(f"{self.doc_type}.{t.action}: unknown states {unknown}")

    def label(self, state: str) -> str:
        """The state's name (a msgid); an unknown code comes back as it is rather than failing a page."""
        return self.states.get(state, state)

    def allows(self, state: str, action: str) -> bool:
        t = self.transitions.get(action)
        return t is not None and state in t.sources

    def actions_from(self, state: str) -> list[Transition]:
        """What can be done to a document in `state`, in declaration order (the buttons a page offers)."""
        return [t for t in self.transitions.values() if state in t.sources]

    def in_states(self, *actions: str) -> tuple[str, ...]:
        """The states from which any of `actions` is possible (for queries: "still cancellable")."""
        return tuple(s for s in self.states if any(self.allows(s, a) for a in actions))

    def refusal(self, state: str, action: str, number: object = "") -> list[Problem]:
        """Why `action` is refused in `state`, in words (and what to do instead, where declared)."""
        t = self.transitions.get(action)
        if t is None:
            return [Problem(MSG_UNKNOWN_ACTION, {"action": action, "document": Word(self.name)})]
        problems = [Problem(MSG_NOT_ALLOWED, {
            "document": Word(self.name), "number": number or "", "state": Word(self.label(state)),
            "action": Word(t.label), "allowed": Words(Word(self.label(s)) for s in t.sources)})]
        if t.hint:
            problems.append(Problem(t.hint, {"number": number or ""}))
        return problems

    def check(self, state: str, action: str, number: object = "") -> Transition:
        """The transition `action` from `state`, or a DomainError saying in words why not."""
        if not self.allows(state, action):
            raise DomainError(self.refusal(state, action, number))
        return self.transitions[action]


def workflow(doc_type: str, name: str, resource: str, states: dict[str, str], *transitions: Transition,
             initial: str = "draft") -> Workflow:
    """Declare a workflow: transitions listed in the order their buttons appear."""
    return Workflow(doc_type, name, resource, states, {t.action: t for t in transitions}, initial)
