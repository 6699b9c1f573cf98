"""Domain errors that carry every problem found, as translatable message ids.

Services validate a whole document before writing anything and raise one DomainError listing all
problems, so a user fixes everything in one go. Messages are babel msgids with %(name)s
placeholders; they are translated at the edge (view, API) where the user's locale is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: a msgid, its parameters, and where (field / line)."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    line: int | None = None

    def render(self, translate=None) -> str:
        """Return the message, translated by `translate` (a gettext) when given."""
        text = translate(self.msgid) if translate else self.msgid
        try:
            params = {k: _word(v, translate) for k, v in self.params.items()}
            text = text % params  # always: a msgid's "%%" must come out as "%"
        except (KeyError, ValueError, TypeError):
            pass
        if self.line is not None:
            prefix = translate("Line %(line)s") if translate else "Line %(line)s"
            text = f"{prefix % {'line': self.line}}: {text}"
        return text


class Word(str):
    """A parameter that is itself a msgid (a state, an action, a document's name): translated with the
    message, so "Order SO-1 is “Cancelled”" reads in the user's language."""


class Words(tuple):
    """Several msgids shown as one parameter, joined with commas after translation."""


def _word(value: Any, translate) -> Any:
    if isinstance(value, Words):
        return ", ".join(_word(w, translate) for w in value)
    if isinstance(value, Word):
        return translate(value) if translate else str(value)
    return plain_number(value)


class DomainError(Exception):
    """A business rule refused the operation; nothing was written."""

    def __init__(self, problems: list[Problem] | Problem | str, **params: Any) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, params)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(p.render() for p in self.problems))

    def messages(self, translate=None) -> list[str]:
        """All problems as user-facing strings."""
        return [p.render(translate) for p in self.problems]


class InsufficientStock(DomainError):
    """Raised when a FIFO issue asks for more than the lots hold (batch warehouses)."""

    def __init__(self, item: str, requested: Any, available: Any, line: int | None = None) -> None:
        self.item, self.requested, self.available = item, requested, available
        super().__init__(
            [
                Problem(
                    "Insufficient stock of %(item)s: requested %(requested)s, available %(available)s",
                    {"item": item, "requested": requested, "available": available},
                    line=line,
                )
            ]
        )


def plain_number(value: Any) -> Any:
    """6.000000 -> 6, 2.500000 -> 2.5: quantities in messages as people write them."""
    from decimal import Decimal

    if isinstance(value, Decimal) and value.is_finite():
        text = format(value.normalize(), "f")
        return text
    return value


class Collector:
    """Gathers problems while validating, then raises them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, msgid: str, line: int | None = None, field: str | None = None, **params: Any) -> None:
        from app.domain.numbers import FIELD_MESSAGES, FIELD_WORDS

        if field in FIELD_WORDS and msgid in FIELD_MESSAGES and "field" not in params:
            # a number refused on a line names its field too: "Line 2: Quantity must be a number, not “x”"
            msgid, params = FIELD_MESSAGES[msgid], {**params, "field": Word(FIELD_WORDS[field])}
        self.problems.append(Problem(msgid, params, field=field, line=line))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DomainError(self.problems)

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)
