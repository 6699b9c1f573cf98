"""The four page titles of a ModelView declared in one line, above the class.

Flask-AppBuilder reads `list_title`, `show_title`, `add_title` and `edit_title` as separate class
attributes; every register and document view of the app sets all of them, so each declaration
used to open with the same four lines. `@titles(...)` sets them from one call, in that order
(a read-only view passes the first two only), and leaves everything else to the class body.
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
