"""Knowledge base: Markdown shown safely, the article in the reader's language, attachments, links to requests.

Article text is Markdown (markdown-it-py, raw HTML off) and the HTML it gives is sanitised again with nh3
(an allow-list: no scripts, no event attributes, links only to http(s), mailto and the page itself), so an
article can never carry script into the browser of the person reading it.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem
from app.models.base import current_locale
from app.models.quality import KbArticle, KbAttachment, KbRequestLink
from app.services.base import current_actor, unit_of_work
from app.services.quality.kb_search import Hit, search, suggest

MAX_ATTACHMENT = 10 * 1024 * 1024
ALLOWED_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
                "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img", "del", "s"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"style"}, "td": {"style"},
                      "ol": {"start"}}


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> Markup:
    """Markdown as sanitised HTML, safe to put into a page."""
    import nh3

    html = _markdown().render(text or "")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def localized_text(article: KbArticle, locale: str | None = None) -> tuple[str, str]:
    """(title, body) in the reader's language, else in the language the article has."""
    locale = locale or current_locale()
    title = getattr(article, f"title_{locale}", "") or article.title or article.title_ru or article.title_es
    body = getattr(article, f"body_{locale}", "") or article.body or article.body_ru or article.body_es
    return title, body


def snippet(body: str, length: int = 160) -> str:
    plain = " ".join((body or "").replace("#", " ").replace("*", " ").split())
    return plain if len(plain) <= length else plain[:length].rsplit(" ", 1)[0] + "…"


def found_articles(session: Session, hits: list[Hit], locale: str | None = None) -> list[dict]:
    """Hits as the page and the API show them: id, title and a snippet in the reader's language, score."""
    if not hits:
        return []
    rows = {a.id: a for a in session.scalars(select(KbArticle).where(KbArticle.id.in_([h.article_id for h in hits])))}
    out = []
    for h in hits:
        art = rows.get(h.article_id)
        if art is None:
            continue
        title, body = localized_text(art, locale)
        out.append({"id": art.id, "title": title, "snippet": snippet(body), "score": round(h.score, 4),
                    "category": art.category.label(locale) if art.category else ""})
    return out


def search_articles(session: Session, query: str, limit: int = 20, category_id: int | None = None) -> list[dict]:
    return found_articles(session, search(session, query, limit, category_id=category_id))


def suggest_articles(session: Session, typed: str, limit: int = 5) -> list[dict]:
    return found_articles(session, suggest(session, typed, limit))


def add_attachment(session: Session, article_id: int, filename: str, mimetype: str, data: bytes) -> KbAttachment:
    problems = []
    if not filename:
        problems.append(Problem("Choose a file", field="file"))
    if len(data) > MAX_ATTACHMENT:
        problems.append(Problem("The file is larger than %(mb)s MB", {"mb": MAX_ATTACHMENT // 1024 // 1024},
                                field="file"))
    if problems:
        raise DomainError(problems)
    with unit_of_work(session):
        article = session.get(KbArticle, article_id)
        if article is None:
            raise DomainError("Article %(id)s does not exist", id=article_id)
        att = KbAttachment(article=article, filename=filename[-200:], mimetype=(mimetype or "")[:100] or
                           "application/octet-stream", size=len(data), data=data)
        session.add(att)
        session.flush()
        return att


def link_to_request(session: Session, article_id: int, request_id: int) -> KbRequestLink:
    """Record that an article answered a service request (once per pair)."""
    try:
        from app.models.service import ServiceRequest
    except ImportError as exc:
        raise DomainError("The service desk is not available") from exc
    with unit_of_work(session):
        problems = []
        if session.get(KbArticle, article_id) is None:
            problems.append(Problem("Article %(id)s does not exist", {"id": article_id}, field="article_id"))
        if session.get(ServiceRequest, request_id) is None:
            problems.append(Problem("Service request %(id)s does not exist", {"id": request_id}, field="request_id"))
        if problems:
            raise DomainError(problems)
        link = session.scalar(select(KbRequestLink).where(KbRequestLink.article_id == article_id,
                                                          KbRequestLink.request_id == request_id))
        if link is None:
            link = KbRequestLink(article_id=article_id, request_id=request_id, created_by=current_actor().username)
            session.add(link)
            session.flush()
        return link


def articles_of_request(session: Session, request_id: int) -> list[KbArticle]:
    q = (select(KbArticle).join(KbRequestLink, KbRequestLink.article_id == KbArticle.id)
         .where(KbRequestLink.request_id == request_id).order_by(KbRequestLink.id))
    return list(session.scalars(q))


def for_request(session: Session, request_id: int, limit: int = 5) -> tuple[list[dict], list[dict]]:
    """(linked, suggested) articles of a service request: suggestions from its subject and description, the
    linked ones left out of them."""
    try:
        from app.models.service import ServiceRequest
    except ImportError:
        return [], []
    req = session.get(ServiceRequest, request_id)
    if req is None:
        return [], []
    linked = [a.id for a in articles_of_request(session, request_id)]
    shown = found_articles(session, [Hit(i, 0.0) for i in linked])
    hits = [h for h in suggest(session, f"{req.subject} {req.description or ''}", limit + len(linked))
            if h.article_id not in linked][:limit]
    return shown, found_articles(session, hits)
