"""Knowledge-base pages: search, articles (Markdown in three languages, attachments), sections and tags,
and the suggestions endpoint a service request form calls while the user types.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, jsonify, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.quality import KbArticle, KbAttachment, KbCategory, KbTag
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, RESOURCE_KNOWLEDGE, perm
from app.services.quality import kb
from app.views.base import BaseModelView, fmt_date, interface, run_command
from app.views.labels import COMMON_LABELS
from app.views.partners import BlankChoiceMixin, EagerInterface, fmt_check
from app.views.show import show_page
from app.views.titles import titles

LABELS = COMMON_LABELS | {
    "title": _l("Title"), "title_ru": _l("Title (ru)"), "title_es": _l("Title (es)"), "body": _l("Text (en)"),
    "body_ru": _l("Text (ru)"), "body_es": _l("Text (es)"), "category": _l("Section"), "tags": _l("Tags"),
    "published": _l("Published"), "updated_at": _l("Updated"), "attachments": _l("Attachments"),
    "item": _l("Product"),
}


def fmt_tags(tags) -> str:
    return ", ".join(t.label() for t in tags or [])
SUGGEST_LIMIT = 5


@titles(_l("Knowledge-base sections"), _l("Section"), _l("New section"), _l("Edit section"))
class KbCategoryView(BaseModelView):
    datamodel = interface(KbCategory)
    class_permission_name = RESOURCE_KNOWLEDGE
    list_columns = add_columns = edit_columns = show_columns = ["code", "name", "name_ru", "name_es"]
    label_columns = LABELS
    base_order = ("code", "asc")


@titles(_l("Tags"), _l("Tag"), _l("New tag"), _l("Edit tag"))
class KbTagView(BaseModelView):
    datamodel = interface(KbTag)
    class_permission_name = RESOURCE_KNOWLEDGE
    list_columns = add_columns = edit_columns = show_columns = ["name", "name_ru", "name_es"]
    label_columns = LABELS
    base_order = ("name", "asc")


@titles(_l("Articles"), _l("Article"), _l("New article"), _l("Edit article"))
class KbArticleView(BlankChoiceMixin, BaseModelView):
    datamodel = EagerInterface(KbArticle, "category")
    class_permission_name = RESOURCE_KNOWLEDGE
    method_permission_name = CRUD | {"attach": ACTION_WRITE, "attachment": ACTION_READ, "link": ACTION_WRITE}
    show_template = "fabrika/kb_article_show.html"
    list_columns = ["title", "category", "item", "published", "updated_at"]
    add_columns = edit_columns = ["title", "title_ru", "title_es", "body", "body_ru", "body_es", "category", "tags",
                                  "item", "published"]
    show_columns = ["category", "tags", "item", "published", "updated_at"]  # the title heads the page
    search_columns = ["title", "title_ru", "title_es", "category", "tags", "published"]
    formatters_columns = {"published": fmt_check, "updated_at": fmt_date, "tags": fmt_tags}
    label_columns = LABELS
    base_order = ("updated_at", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        def extra(article: KbArticle) -> dict[str, Any]:
            title, body = kb.localized_text(article)
            return {"article": article, "article_title": title, "article_html": kb.render_markdown(body),
                    "can_write": self.appbuilder.sm.has_access(perm(ACTION_WRITE), RESOURCE_KNOWLEDGE)}

        return show_page(self, pk, extra)

    @expose("/attach/<int:pk>", methods=["POST"])
    @has_access
    def attach(self, pk: int) -> Response:
        upload = request.files.get("file")
        data = upload.read() if upload else b""
        name = (upload.filename if upload else "") or ""
        return run_command(lambda: kb.add_attachment(db.session, pk, name, upload.mimetype if upload else "", data),
                           lambda att: gettext("File %(name)s attached", name=att.filename),
                           url_for(".show", pk=pk))

    @expose("/link/<int:pk>/<int:request_id>", methods=["POST"])
    @has_access
    def link(self, pk: int, request_id: int) -> Response:
        """From a service request's page: this article answered the request."""
        return run_command(lambda: kb.link_to_request(db.session, pk, request_id),
                           lambda _link: gettext("Article linked to the request"),
                           url_for("ServiceRequestView.show", pk=request_id))

    @expose("/attachment/<int:pk>", methods=["GET"])
    @has_access
    def attachment(self, pk: int) -> Response:
        att = db.session.get(KbAttachment, pk) or abort(404)
        # never shown inline: an uploaded HTML or SVG file must not run as a page of this site
        return Response(att.data, mimetype="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{_ascii(att.filename)}"',
                                 "X-Content-Type-Options": "nosniff"})


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in name) or "file"


class KbSearchView(BaseView):
    """Search the knowledge base (every role), and suggestions for what a user types (JSON)."""

    route_base = "/kb"
    default_view = "index"
    class_permission_name = RESOURCE_KNOWLEDGE
    method_permission_name = {"index": ACTION_READ, "suggest": ACTION_READ, "for_request": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        query = (request.args.get("q") or "").strip()[:300]
        category = request.args.get("category", "")
        category_id = int(category) if category.isdigit() and len(category) < 10 else None
        results = kb.search_articles(db.session, query, 20, category_id) if query else []
        categories = list(db.session.scalars(select(KbCategory).order_by(KbCategory.code)))
        return self.render_template("fabrika/kb_search.html", title=_l("Knowledge base"), query=query,
                                    results=results, categories=categories, category_id=category_id)

    @expose("/suggest")
    @has_access_api
    def suggest(self) -> Response:
        """Articles for the text being typed (a service request's subject): [{id, title, snippet, url}]."""
        typed = (request.args.get("q") or "").strip()[:300]
        rows = kb.suggest_articles(db.session, typed, SUGGEST_LIMIT) if len(typed) >= 3 else []
        for row in rows:
            row["url"] = url_for("KbArticleView.show", pk=row["id"])
        return jsonify(results=rows)

    @expose("/request/<int:request_id>")
    @has_access_api
    def for_request(self, request_id: int) -> Response:
        """The articles linked to a service request and those suggested for its subject and description."""
        linked, suggested = kb.for_request(db.session, request_id, SUGGEST_LIMIT)
        can_link = self.appbuilder.sm.has_access(perm(ACTION_WRITE), RESOURCE_KNOWLEDGE)
        for row in linked + suggested:
            row["url"] = url_for("KbArticleView.show", pk=row["id"])
        for row in suggested if can_link else []:
            row["link_url"] = url_for("KbArticleView.link", pk=row["id"], request_id=request_id)
        return jsonify(linked=linked, suggested=suggested)
