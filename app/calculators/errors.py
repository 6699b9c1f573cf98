"""Errors of the calculator language: one CalcError listing every problem, each with its line and name.

A calculator's author reads "Line 3 (area): unknown name 'widht'", so a problem carries the formula
line and the name being computed (or the parameter / output it belongs to). Messages are plain
English msgids with %(name)s placeholders, translated where they are shown (view, API), like every
DomainError; app/services/calculators/messages.py lists them for extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.errors import DomainError, Problem, plain_number


@dataclass(frozen=True)
class CalcProblem(Problem):
    """A Problem that also names what was being computed: a formula line's name, a parameter, an output."""

    target: str | None = None

    def render(self, translate=None) -> str:
        text = translate(self.msgid) if translate else self.msgid
        try:
            text = text % {k: plain_number(v) for k, v in self.params.items()}
        except (KeyError, ValueError, TypeError):
            pass
        if self.line is not None:
            prefix = translate("Line %(line)s") if translate else "Line %(line)s"
            prefix = prefix % {"line": self.line}
            if self.target:
                prefix = f"{prefix} ({self.target})"
            return f"{prefix}: {text}"
        if self.target:
            return f"{self.target}: {text}"
        return text


class CalcError(DomainError):
    """A calculator definition or evaluation was refused; every problem is listed."""


class Fail(Exception):
    """Raised inside evaluation with a msgid; the runner adds the line and name and makes a CalcError."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def problem(msgid: str, line: int | None = None, target: str | None = None, **params: Any) -> CalcProblem:
    return CalcProblem(msgid, params, line=line, target=target)
