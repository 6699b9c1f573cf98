"""The show page of a register with extra template context (command buttons, panels), and the
printed form of a document.

Several views replace FAB's show page to add buttons or panels computed from the item; they all
load it through the view's base filters (404 when it is hidden or gone), build FAB's show widgets
and render the view's show template. `show_page` is that body, once; the view passes what it adds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, request

from app.extensions import db
from app.views.base import pdf_response


def show_page(view: Any, pk: Any, extra: Callable[[Any], dict[str, Any]]) -> str:
    """FAB's show page of `pk` in `view`, with `extra(item)` added to the template context."""
    item = view.datamodel.get(pk, view._base_filters)
    if item is None:
        abort(404)
    widgets = view._show(pk)
    return view.render_template(view.show_template, pk=pk, title=view.show_title, widgets=widgets,
                                related_views=view._related_views, **extra(item))


def printed_form(render: Callable[..., tuple[bytes, str] | None], pk: int, model: type | None = None) -> Response:
    """Document `pk` printed by `render(session, pk, lang)` in the language the link asks for (?lang=ru|es|en,
    else the user's): 404 when `model` has no such row or the printer finds nothing to print."""
    if model is not None and db.session.get(model, pk) is None:
        abort(404)
    result = render(db.session, pk, request.args.get("lang"))
    if result is None:
        abort(404)
    return pdf_response(*result)
