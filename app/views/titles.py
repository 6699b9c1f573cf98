"""The page titles and the one-form columns of a ModelView, declared above the class.

Flask-AppBuilder reads `list_title`, `show_title`, `add_title` and `edit_title` as separate class
attributes; every register and document view of the app sets all of them, so each declaration
used to open with the same four lines. `@titles(...)` sets them from one call, in that order
(a read-only view passes the first two only), and leaves everything else to the class body.
`@one_form(...)` is the small register whose list, card, add and edit forms show the same columns.
"""

from __future__ import annotations

from typing import Any, TypeVar

V = TypeVar("V", bound=type)


def titles(list_title: Any, show_title: Any, add_title: Any = None, edit_title: Any = None):
    """Class decorator: the list, card, add-form and edit-form titles (lazy strings) of a view."""

    def apply(cls: V) -> V:
        cls.list_title, cls.show_title = list_title, show_title
        if add_title is not None:
            cls.add_title = add_title
        if edit_title is not None:
            cls.edit_title = edit_title
        return cls

    return apply


def one_form(*columns: str):
    """Class decorator: the same columns in the list, the card and both forms of a small register."""

    def apply(cls: V) -> V:
        cls.list_columns = cls.add_columns = cls.edit_columns = cls.show_columns = list(columns)
        return cls

    return apply
