"""The start page: a signed-in user's role dashboard (app/views/kpi.py); the sign-in invitation otherwise."""

from __future__ import annotations

from flask_appbuilder import IndexView, expose
from flask_login import current_user

from app.permissions import ACTION_READ, RESOURCE_KPI, perm


class HomeView(IndexView):
    index_template = "fabrika/index.html"

    @expose("/")
    def index(self):
        if current_user.is_authenticated and self.appbuilder.sm.has_access(perm(ACTION_READ), RESOURCE_KPI):
            from app.views.kpi import render_dashboard

            return render_dashboard(self)
        return self.render_template(self.index_template, appbuilder=self.appbuilder)
