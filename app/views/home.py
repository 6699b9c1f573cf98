"""The start page: who you are, and the next actions your role can take."""

from __future__ import annotations

from flask_appbuilder import IndexView, expose


class HomeView(IndexView):
    index_template = "fabrika/index.html"

    @expose("/")
    def index(self):
        return self.render_template(self.index_template, appbuilder=self.appbuilder)
