"""The outbox page: every e-mail sent from Fabrika, its state and error, its attachments, a retry."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.domain.documents import OUTBOX_MESSAGE
from app.extensions import db
from app.models.mail import OutboxAttachment, OutboxMessage
from app.permissions import ACTION_READ, ACTION_WRITE, READ_ONLY, RESOURCE_OUTBOX
from app.services.workflow import lazy_state_labels
from app.views.base import ReadOnlyModelView, fmt_date, interface, run_command

MAIL_STATE_LABELS = lazy_state_labels(OUTBOX_MESSAGE)


def fmt_mail_state(value: Any) -> Markup:
    return Markup('<span class="mail-%s">%s</span>') % (value, MAIL_STATE_LABELS.get(value, value))


class OutboxView(ReadOnlyModelView):
    datamodel = interface(OutboxMessage)
    class_permission_name = RESOURCE_OUTBOX
    method_permission_name = READ_ONLY | {"retry": ACTION_WRITE, "attachment": ACTION_READ}
    include_route_methods = {"list", "show", "export", "retry", "attachment"}
    list_title = show_title = _l("Outbox")
    list_columns = ["created_at", "state", "recipients", "subject", "partner", "user", "sent_at", "attempts"]
    show_columns = ["created_at", "state", "sender", "recipients", "subject", "body", "attachment_links",
                    "partner", "entity", "entity_id", "user", "sent_at", "attempts", "error"]
    search_columns = ["created_at", "state", "recipients", "subject", "partner", "entity"]
    base_order = ("id", "desc")
    label_columns = {
        "created_at": _l("Created"), "state": _l("State"), "sender": lazy_pgettext("e-mail", "From"),
        "recipients": lazy_pgettext("e-mail", "To"),
        "subject": _l("Subject"), "body": _l("Text"), "partner": _l("Partner"), "user": _l("User"),
        "sent_at": _l("Sent at"), "attempts": _l("Attempts"), "error": _l("Error"), "entity": _l("Document type"),
        "entity_id": _l("Document"), "attachment_links": _l("Attachments"),
    }
    formatters_columns = {"state": fmt_mail_state, "created_at": fmt_date, "sent_at": fmt_date}

    @expose("/retry/<int:pk>", methods=["POST"])
    @has_access
    def retry(self, pk: int) -> Response:
        """Send a failed (or stuck queued) message again."""
        from app.services.mail import retry_mail

        return run_command(lambda: retry_mail(db.session, pk), lambda _m: gettext("Message sent"),
                           url_for(".show", pk=pk))

    @expose("/attachment/<int:pk>")
    @has_access
    def attachment(self, pk: int) -> Response:
        att = db.session.get(OutboxAttachment, pk) or abort(404)
        resp = Response(att.content, mimetype=att.mimetype)
        resp.headers["Content-Disposition"] = f'attachment; filename="{att.filename}"'
        return resp


def register(appbuilder) -> None:
    appbuilder.add_view(OutboxView, "Outbox", label=_l("Outbox"), icon="fa-envelope", category="Setup")

