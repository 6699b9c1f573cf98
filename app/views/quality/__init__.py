"""Quality and knowledge-base pages: complaints, actions, causes, defect analysis, recall list; articles, search."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CAT_QUALITY = "QualityMenu"
CAT_KB = "KnowledgeMenu"


def register(appbuilder) -> None:
    from app.views.quality.complaints import ComplaintView, CorrectiveActionView, DefectCauseView
    from app.views.quality.kb import KbArticleView, KbCategoryView, KbSearchView, KbTagView
    from app.views.quality.pages import QualityAnalysisView, RecallView

    q = dict(category=CAT_QUALITY)
    appbuilder.add_view(ComplaintView, "Complaints", label=_l("Complaints"), icon="fa-exclamation-triangle",
                        category=CAT_QUALITY, category_label=_l("Quality"), category_icon="fa-check-square-o")
    appbuilder.add_view(CorrectiveActionView, "Corrective actions", label=_l("Corrective and preventive actions"),
                        icon="fa-wrench", **q)
    appbuilder.add_view(QualityAnalysisView, "Defect analysis", label=_l("Defect analysis"), icon="fa-bar-chart",
                        **q)
    appbuilder.add_view(RecallView, "Recall list", label=_l("Recall list"), icon="fa-sitemap", **q)
    appbuilder.add_view(DefectCauseView, "Defect causes", label=_l("Defect causes"), icon="fa-list", **q)
    k = dict(category=CAT_KB)
    appbuilder.add_view(KbSearchView, "Knowledge search", label=_l("Search"), icon="fa-search", category=CAT_KB,
                        category_label=_l("Knowledge base"), category_icon="fa-book")
    appbuilder.add_view(KbArticleView, "Articles", label=_l("Articles"), icon="fa-file-text-o", **k)
    appbuilder.add_view(KbCategoryView, "Knowledge sections", label=_l("Sections"), icon="fa-folder-o", **k)
    appbuilder.add_view(KbTagView, "Knowledge tags", label=_l("Tags"), icon="fa-tags", **k)
