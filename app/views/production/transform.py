"""Disassembly and conversion documents: draft -> posted -> cancelled, with their output lines."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, g, redirect, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.domain.documents import TRANSFORMATION
from app.extensions import db
from app.models.production import DOC_CONVERSION, DOC_DISASSEMBLY, Transformation, TransformationLine
from app.permissions import ACTION_POST, CRUD, RESOURCE_PRODUCTION
from app.services.production import transform
from app.services.workflow import check
from app.views.base import BaseModelView, choice_field, interface, run_command
from app.views.production.common import LABELS, SHARE_CHOICES, ShowWithActions, action, fmt_order_state, guarded
from app.views.show import show_page
from app.views.titles import titles


@titles(_l("Output lines"), _l("Output line"), _l("Add output line"), _l("Edit output line"))
class TransformationLineView(BaseModelView):
    datamodel = interface(TransformationLine)
    class_permission_name = RESOURCE_PRODUCTION
    list_columns = ["line_no", "item", "qty", "share", "value"]
    add_columns = edit_columns = ["document", "item", "qty", "share"]
    show_columns = ["document", *list_columns]
    base_order = ("line_no", "asc")
    label_columns = LABELS
    page_size = 100

    def pre_add(self, item: TransformationLine) -> None:
        self._guard(item)
        item.line_no = 1 + max((ln.line_no for ln in item.document.lines if ln is not item), default=0)

    def pre_update(self, item: TransformationLine) -> None:
        self._guard(item)

    def pre_delete(self, item: TransformationLine) -> None:
        self._guard(item)

    def _guard(self, item: TransformationLine) -> None:
        doc = item.document
        if doc is None:
            raise ValueError(gettext("Only a draft document can be changed"))
        guarded(lambda: check(TRANSFORMATION, doc, "edit"))
        if item.qty is not None and item.qty <= 0:
            db.session.rollback()
            raise ValueError(gettext("Quantity must be positive"))


class _TransformationView(ShowWithActions):
    kind = DOC_DISASSEMBLY
    show_template = "fabrika/transformation_show.html"
    datamodel = interface(Transformation)
    class_permission_name = RESOURCE_PRODUCTION
    method_permission_name = CRUD | {"post_doc": ACTION_POST, "cancel_doc": ACTION_POST}
    related_views = [TransformationLineView]
    list_columns = ["number", "doc_date", "state", "warehouse", "item", "qty", "consumed_value"]
    add_columns = edit_columns = ["doc_date", "warehouse", "dest_warehouse", "item", "qty", "share_rule", "note"]
    show_columns = ["number", "doc_date", "state", "warehouse", "dest_warehouse", "item", "qty", "share_rule",
                    "consumed_value", "note", "posted_by", "posted_at", "cancelled_by", "cancelled_at"]
    search_columns = ["number", "doc_date", "state", "warehouse", "item"]
    label_columns = LABELS
    base_order = ("id", "desc")
    formatters_columns = {"state": fmt_order_state, "share_rule": lambda v: dict(SHARE_CHOICES).get(v, v)}
    add_form_extra_fields = edit_form_extra_fields = {
        "share_rule": choice_field(_l("Cost sharing"), SHARE_CHOICES, "standard"),
    }

    def __init__(self, **kwargs: Any) -> None:
        self.base_filters = [["kind", FilterEqual, self.kind]]
        super().__init__(**kwargs)

    def pre_add(self, item: Transformation) -> None:
        item.kind, item.state = self.kind, "draft"
        if item.qty is None or item.qty <= 0:
            db.session.rollback()
            raise ValueError(gettext("Quantity must be positive"))
        with db.session.no_autoflush:
            transform.prefill_from_bom(db.session, item)

    def post_add(self, item: Transformation) -> None:
        g.transformation_added = item.id

    def post_add_redirect(self) -> Response:
        """A saved header opens its draft (with the BOM's components as output lines), not the list."""
        added = getattr(g, "transformation_added", None)
        return redirect(url_for(f"{self.endpoint}.show", pk=added)) if added else super().post_add_redirect()

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """The document with what its cost sharing rule still misses, each item linked to its card."""
        def extra(item: Transformation) -> dict:
            gaps = transform.sharing_gaps(db.session, item) if TRANSFORMATION.allows(item.state, "post") else []
            return {"doc_actions": self._doc_actions(item), "sharing_gaps": [
                {"line": gap.line_no, "message": gettext(gap.msgid, item=gap.code),
                 "url": url_for("ItemView.show", pk=gap.item_id)} for gap in gaps]}

        return show_page(self, pk, extra)

    def pre_update(self, item: Transformation) -> None:
        self._guard(item)

    def pre_delete(self, item: Transformation) -> None:
        self._guard(item)

    def _guard(self, item: Transformation) -> None:
        guarded(lambda: check(TRANSFORMATION, item, "edit"))

    def _doc_actions(self, item: Transformation) -> list[dict]:
        if not self._can(ACTION_POST):
            return []
        if TRANSFORMATION.allows(item.state, "post"):
            return [action("post_doc", gettext("Post"), "fa-check", "btn-primary", "post",
                            gettext("Post this document? It moves stock."))]
        if TRANSFORMATION.allows(item.state, "cancel"):
            return [action("cancel_doc", gettext("Cancel posting"), "fa-undo", "btn-warning", "post",
                            gettext("Cancel this document? Reversal entries will be posted today."))]
        return []

    def _check_kind(self, pk: int) -> None:
        doc = db.session.get(Transformation, pk)
        if doc is None or doc.kind != self.kind:
            abort(404)

    @expose("/post/<int:pk>", methods=["POST"])
    @has_access
    def post_doc(self, pk: int) -> Response:
        self._check_kind(pk)
        return run_command(lambda: transform.post_transformation(db.session, pk),
                           lambda doc: gettext("Document %(number)s posted", number=doc.number),
                           url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        self._check_kind(pk)
        return run_command(lambda: transform.cancel_transformation(db.session, pk, date.today()),
                           lambda doc: gettext("Document %(number)s cancelled", number=doc.number),
                           url_for(f"{self.endpoint}.show", pk=pk))


@titles(_l("Disassemblies"), _l("Disassembly"), _l("New disassembly"), _l("Edit disassembly"))
class DisassemblyView(_TransformationView):
    kind = DOC_DISASSEMBLY
    description_columns = {"item": _l("Without output lines, the item's BOM components are used")}


@titles(_l("Conversions"), _l("Conversion"), _l("New conversion"), _l("Edit conversion"))
class ConversionView(_TransformationView):
    kind = DOC_CONVERSION

