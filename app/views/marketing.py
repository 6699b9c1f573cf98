"""Marketing pages: segments (with the live count of a rule), promotions, campaigns and their results,
opt-outs, the RFM analysis with "who to call this week", and the public unsubscribe page.

Pages parse input and call app.services.marketing; the REST API (app/api/marketing.py) calls the same.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Response, abort, current_app, jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from app.domain.errors import DomainError
from app.extensions import csrf, db
from app.models.marketing import CAMPAIGN_STATES, Campaign, CampaignRecipient, OptOut, Promotion, Segment
from app.permissions import ACTION_READ, ACTION_RUN, CRUD, RESOURCE_MARKETING
from app.services.marketing import campaigns as cmp
from app.services.marketing import segments as seg
from app.services.marketing.analysis import call_this_week, rfm_groups
from app.services.marketing.labels import CAMPAIGN_STATE_LABELS, GROUP_LABELS, RECIPIENT_STATE_LABELS, SOURCE_LABELS
from app.services.marketing.results import campaign_results
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    choice_field,
    fmt_date,
    fmt_money,
    interface,
    run_command,
)
from app.views.labels import COMMON_LABELS
from app.views.show import show_page
from app.views.titles import titles

CAT = "MarketingMenu"

LABELS = COMMON_LABELS | {
    "rules": _l("Rules"), "rules_text": _l("Rules"), "member_count": _l("Clients"), "evaluated_at": _l("Evaluated"),
    "date_from": _l("From"), "date_to": _l("To"), "discount_pct": _l("Discount, %"), "item": _l("Item"),
    "group": _l("Item group"), "segment": _l("Segment"), "partner": _l("Client"), "priority": _l("Priority"),
    "floor_margin_pct": _l("Floor margin, %"), "promotion": _l("Offer (promotion)"),
    "subject": _l("Subject (English)"), "subject_ru": _l("Subject (Russian)"), "subject_es": _l("Subject (Spanish)"),
    "body": _l("Text (English)"), "body_ru": _l("Text (Russian)"), "body_es": _l("Text (Spanish)"),
    "call_list": _l("Call list for the managers"), "holdout_pct": _l("Holdout, %"), "seed": _l("Draw seed"),
    "cost": _l("Campaign cost"), "per_run": _l("Letters per minute"), "started_at": _l("Started"),
    "finished_at": _l("Finished"), "period_days": _l("Results window, days"), "campaign": _l("Campaign"),
    "email": _l("E-mail"), "queued_at": _l("Queued"), "at": _l("Opted out at"), "source": _l("How"),
    "note": _l("Note"),
}
TEMPLATE_HELP = _l("Placeholders: {contact}, {name}, {last_purchase}, {last_order_date}, {offer}, {discount}, "
                   "{unsubscribe_url}")


def _rules_field() -> TextAreaField:
    return TextAreaField(_l("Rules"), description=_l(
        'Build the conditions above; the box keeps them as JSON, e.g. [{"kind": "bought_item", "item_id": 3}, '
        '{"kind": "no_order_months", "months": 6, "not": true}]; {"kind": "any", "rules": [...]}: any of them.'),
        render_kw={"rows": 6, "data-count-url": "/segmentview/count"})


def _parse_rules(text: str) -> list:
    try:
        rules = json.loads(text or "[]")
    except ValueError as exc:
        raise ValueError(gettext("The rules are not valid JSON: %(error)s", error=str(exc))) from exc
    try:
        return seg.validate_rules(rules)
    except DomainError as exc:
        raise ValueError(" ".join(exc.messages(gettext))) from exc


@titles(_l("Segments"), _l("Segment"), _l("New segment"), _l("Edit segment"))
class SegmentView(BaseModelView):
    datamodel = interface(Segment)
    class_permission_name = RESOURCE_MARKETING
    method_permission_name = CRUD | {"count": ACTION_READ, "choices": ACTION_READ}
    list_columns = ["name", "member_count", "evaluated_at", "active"]
    show_columns = ["name", "name_ru", "name_es", "rules", "member_count", "evaluated_at", "active"]
    add_columns = edit_columns = ["name", "name_ru", "name_es", "rules_text", "active"]
    search_columns = ["name", "active"]
    add_form_extra_fields = edit_form_extra_fields = {"rules_text": _rules_field()}
    add_template = "fabrika/marketing_segment_add.html"
    edit_template = "fabrika/marketing_segment_edit.html"
    label_columns = LABELS
    formatters_columns = {"rules": lambda v: json.dumps(v, ensure_ascii=False)}
    base_order = ("name", "asc")

    def prefill_form(self, form, pk) -> None:
        item = self.datamodel.get(pk)
        form.rules_text.data = json.dumps(item.rules or [], ensure_ascii=False)

    def pre_add(self, item: Segment) -> None:
        item.rules = _parse_rules(getattr(item, "rules_text", ""))

    pre_update = pre_add

    def post_add(self, item: Segment) -> None:
        seg.evaluate(db.session, item)
        db.session.commit()

    post_update = post_add

    @expose("/choices")
    @has_access_api
    def choices(self) -> Response:
        """The rule builder's kinds, words and pickers in the reader's language."""
        from app.views.marketing_builder import builder_choices

        return jsonify(builder_choices(db.session))

    @expose("/count", methods=["POST"])
    @has_access_api
    def count(self) -> Response:
        """How many clients the rules being edited select now (the form shows it as you type)."""
        try:
            rules = json.loads(request.get_data(as_text=True) or "[]")
            return jsonify({"count": seg.count(db.session, rules)})
        except (ValueError, DomainError) as exc:
            messages = exc.messages(gettext) if isinstance(exc, DomainError) else [gettext("Not valid JSON")]
            return jsonify({"errors": messages}), 422


@titles(_l("Promotions"), _l("Promotion"), _l("New promotion"), _l("Edit promotion"))
class PromotionView(BaseModelView):
    datamodel = interface(Promotion)
    class_permission_name = RESOURCE_MARKETING
    list_columns = ["name", "date_from", "date_to", "discount_pct", "item", "group", "segment", "partner",
                    "priority", "active"]
    add_columns = edit_columns = show_columns = [
        "name", "name_ru", "name_es", "date_from", "date_to", "discount_pct", "item", "group", "segment", "partner",
        "priority", "floor_margin_pct", "active"]
    search_columns = ["name", "date_from", "date_to", "item", "group", "segment", "partner", "active"]
    label_columns = LABELS
    description_columns = {
        "priority": _l("When two promotions give the same discount, the higher priority wins; discounts never add up"),
        "floor_margin_pct": _l("The discount is cut so the price keeps this margin over the item's standard cost")}
    base_order = ("date_from", "desc")

    def pre_add(self, item: Promotion) -> None:
        from app.services.marketing.promotions import validate

        try:
            validate(item)
        except DomainError as exc:
            raise ValueError(" ".join(exc.messages(gettext))) from exc

    pre_update = pre_add


def fmt_campaign_state(value: Any) -> str:
    return str(CAMPAIGN_STATE_LABELS.get(value, value or ""))


@titles(_l("Campaigns"), _l("Campaign"), _l("New campaign"), _l("Edit campaign"))
class CampaignView(BaseModelView):
    datamodel = interface(Campaign)
    class_permission_name = RESOURCE_MARKETING
    method_permission_name = CRUD | {"start": ACTION_RUN, "send": ACTION_RUN, "results": ACTION_READ}
    list_columns = ["name", "segment", "promotion", "state", "holdout_pct", "started_at", "finished_at"]
    add_columns = edit_columns = [
        "name", "name_ru", "name_es", "segment", "promotion", "subject", "subject_ru", "subject_es", "body", "body_ru",
        "body_es", "call_list", "holdout_pct", "seed", "cost", "per_run", "period_days"]
    show_columns = ["name", "segment", "promotion", "state", "subject", "subject_ru", "subject_es", "body", "body_ru",
                    "body_es", "call_list", "holdout_pct", "seed", "cost", "per_run", "period_days", "started_at",
                    "finished_at"]
    search_columns = ["name", "segment", "state", "started_at"]
    label_columns = LABELS
    description_columns = {"body": TEMPLATE_HELP, "body_ru": TEMPLATE_HELP, "body_es": TEMPLATE_HELP}
    formatters_columns = {"state": fmt_campaign_state}
    search_form_extra_fields = {
        "state": choice_field(_l("State"), [(s, CAMPAIGN_STATE_LABELS[s]) for s in CAMPAIGN_STATES])}
    show_template = "fabrika/marketing_campaign_show.html"
    base_order = ("id", "desc")

    def pre_update(self, item: Campaign) -> None:
        if item.state != "draft":
            raise ValueError(gettext("The campaign has already started"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return show_page(self, pk, lambda item: {"item": item})

    @expose("/start/<int:pk>", methods=["POST"])
    @has_access
    def start(self, pk: int) -> Response:
        return run_command(lambda: cmp.start_campaign(db.session, pk),
                           lambda c: gettext("Campaign started: mail leaves with the scheduler, %(n)s per run",
                                             n=c.per_run), url_for(".show", pk=pk))

    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send(self, pk: int) -> Response:
        """Write the next batch of letters to the outbox now (what the job does every minute)."""
        return run_command(lambda: cmp.send_batch(db.session, pk),
                           lambda n: gettext("%(n)s letters written to the outbox", n=n), url_for(".show", pk=pk))

    @expose("/results/<int:pk>")
    @has_access
    def results(self, pk: int) -> str:
        campaign = db.session.get(Campaign, pk) or abort(404)
        try:
            figures = campaign_results(db.session, pk)
        except DomainError as exc:
            figures, error = None, " ".join(exc.messages(gettext))
        else:
            error = ""
        return self.render_template("fabrika/marketing_results.html", campaign=campaign, r=figures, error=error,
                                    progress=cmp.progress(db.session, pk), fmt_money=fmt_money, fmt_date=fmt_date,
                                    state_labels=RECIPIENT_STATE_LABELS | {"sent": CAMPAIGN_STATE_LABELS["sent"]},
                                    title=gettext("Campaign results"))


@titles(_l("Campaign recipients"), _l("Campaign recipient"))
class CampaignRecipientView(ReadOnlyModelView):
    datamodel = interface(CampaignRecipient)
    class_permission_name = RESOURCE_MARKETING
    list_columns = show_columns = ["campaign", "partner", "group", "state", "email", "queued_at"]
    search_columns = ["campaign", "partner", "group", "state"]
    label_columns = LABELS | {"group": _l("Group")}
    formatters_columns = {"group": lambda v: str(GROUP_LABELS.get(v, v)),
                          "state": lambda v: str(RECIPIENT_STATE_LABELS.get(v, v))}
    base_order = ("id", "desc")


@titles(_l("Opt-outs"), _l("Opt-out"), _l("New opt-out"), _l("Edit opt-out"))
class OptOutView(BaseModelView):
    datamodel = interface(OptOut)
    class_permission_name = RESOURCE_MARKETING
    list_columns = ["partner", "at", "source", "note"]
    add_columns = edit_columns = ["partner", "note"]
    show_columns = ["partner", "at", "source", "note"]
    search_columns = ["partner", "at", "source"]
    label_columns = LABELS
    formatters_columns = {"source": lambda v: str(SOURCE_LABELS.get(v, v))}
    base_order = ("at", "desc")

    def pre_add(self, item: OptOut) -> None:
        item.source = "manual"


class RfmView(BaseView):
    """The clients by RFM group (chart and table) and who to call this week."""

    route_base = "/marketing/rfm"
    class_permission_name = RESOURCE_MARKETING
    method_permission_name = {"index": ACTION_READ}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self) -> str:
        groups = rfm_groups(db.session)
        calls = call_this_week(db.session, date.today())
        chart = {"labels": [str(g.label) for g in groups], "values": [g.clients for g in groups]}
        return self.render_template("fabrika/marketing_rfm.html", groups=groups, calls=calls, chart=chart,
                                    fmt_money=fmt_money, title=gettext("RFM analysis"))


class UnsubscribeView(BaseView):
    """The public unsubscribe page: GET asks, POST (the button, or a mail provider's one-click) records it."""

    route_base = "/marketing/unsubscribe"
    default_view = "ask"

    @expose("/<token>", methods=["GET"])
    def ask(self, token: str) -> str:
        try:
            cmp.read_token(token)
        except DomainError:
            abort(400)
        return self.render_template("fabrika/marketing_unsubscribe.html", token=token, done=False)

    @expose("/<token>", methods=["POST"])
    def confirm(self, token: str) -> Response | str:
        from app.services.base import run_use_case

        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        try:
            run_use_case(db.session, lambda: cmp.unsubscribe(db.session, token, "one_click" if one_click else "link"))
        except DomainError:
            abort(400)
        return self.render_template("fabrika/marketing_unsubscribe.html", token=token, done=True)


def home_calls() -> list:
    """The home dashboard's "who to call this week": a sales user's own clients (all for a director), when
    the user may read marketing; an empty list hides the panel."""
    from flask_login import current_user

    sm = current_app.appbuilder.sm
    if not current_user.is_authenticated or not sm.has_access(f"can_{ACTION_READ}", RESOURCE_MARKETING):
        return []
    mine = call_this_week(db.session, date.today(), manager_id=current_user.id, limit=10)
    return mine or call_this_week(db.session, date.today(), limit=10)


def register(appbuilder) -> None:
    current_app.jinja_env.globals["marketing_calls_this_week"] = home_calls  # the home dashboard's panel
    csrf.exempt(UnsubscribeView.confirm)  # a mail provider's one-click POST carries no form token (RFC 8058)
    appbuilder.add_view(SegmentView, "Segments", label=_l("Segments"), icon="fa-filter", category=CAT,
                        category_label=_l("Marketing"), category_icon="fa-bullhorn")
    appbuilder.add_view(PromotionView, "Promotions", label=_l("Promotions"), icon="fa-tags", category=CAT)
    appbuilder.add_view(CampaignView, "Campaigns", label=_l("Campaigns"), icon="fa-envelope-o", category=CAT)
    appbuilder.add_view(CampaignRecipientView, "Campaign recipients", label=_l("Campaign recipients"),
                        icon="fa-users", category=CAT)
    appbuilder.add_view(OptOutView, "Opt-outs", label=_l("Opt-outs"), icon="fa-ban", category=CAT)
    appbuilder.add_view(RfmView, "RFM analysis", label=_l("RFM analysis"), icon="fa-bar-chart", category=CAT)
    appbuilder.add_view_no_menu(UnsubscribeView)

