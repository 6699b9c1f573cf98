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


# FAB's fallback titles (BaseCRUDView._init_titles): plain English text built from the model's class name.
_FAB_DEFAULT_PREFIXES = {"add_title": "Add ", "edit_title": "Edit ", "show_title": "Show "}


def _fallback(attr: str, what: Any) -> Any:
    """A translated title made from the view's list title, for a form or card the view leaves unnamed."""
    from flask_babel import lazy_gettext as _l

    if attr == "add_title":
        return _l("%(what)s: new record", what=what)
    if attr == "edit_title":
        return _l("%(what)s: editing", what=what)
    return _l("%(what)s: card", what=what)


def translate_default_titles(views: Any) -> list[str]:
    """Replace FAB's English fallback titles ("Add Pricing Rule") left on any view by translated ones.

    A view that names its forms (`@titles`) keeps its names; one that does not would show the
    model's English class name on its add, edit and card pages in every language. Returns the
    "View.attr" names it replaced (for tests and to spot views worth naming properly).
    """
    replaced: list[str] = []
    for view in views:
        what = getattr(view, "list_title", None)
        if what is None or type(what) is str:
            continue  # an API, or a view whose list is unnamed too: nothing translated to build on
        for attr, prefix in _FAB_DEFAULT_PREFIXES.items():
            title = getattr(view, attr, None)
            if type(title) is str and title.startswith(prefix):
                setattr(view, attr, _fallback(attr, what))
                replaced.append(f"{type(view).__name__}.{attr}")
    return replaced
