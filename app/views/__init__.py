"""View registration: each bounded context registers its own views and APIs, in menu order."""

from __future__ import annotations


def register_views(appbuilder) -> None:
    from app.api import register_apis
    from app.translation_speed import install as quicker_gettext
    from app.views import (
        calculators,
        catalog,
        core,
        costing,
        crm,
        imports,
        jobs,
        kpi,
        mail,
        marketing,
        partners,
        planning,
        production,
        projects,
        proposals,
        purchasing,
        quality,
        sales,
        service,
        stock,
        stock_reports,
    )
    from app.views.dates import install as install_locale_dates
    from app.views.filter_cache import install as keep_search_filters
    from app.views.titles import translate_default_titles

    install_locale_dates()  # before any view builds its forms
    keep_search_filters()  # a register's search filters built once, not on every list request
    quicker_gettext()  # flask-babel's request state without proxy look-ups (app/translation_speed.py)
    kpi.register(appbuilder)  # the dashboard menu first: it is every role's home page
    partners.register(appbuilder)
    crm.register(appbuilder)
    sales.register(appbuilder)
    proposals.register(appbuilder)
    marketing.register(appbuilder)
    calculators.register(appbuilder)
    purchasing.register(appbuilder)
    service.register(appbuilder)
    stock.register(appbuilder)
    stock_reports.register(appbuilder)
    costing.register(appbuilder)  # cost corrections and accounting periods: under Stock
    production.register(appbuilder)
    planning.register(appbuilder)  # the material plan, capacity, forecast: under Production
    quality.register(appbuilder)
    projects.register(appbuilder)
    catalog.register(appbuilder)
    imports.register(appbuilder)
    core.register(appbuilder)
    jobs.register(appbuilder)
    mail.register(appbuilder)
    register_apis(appbuilder)
    translate_default_titles(appbuilder.baseviews)
