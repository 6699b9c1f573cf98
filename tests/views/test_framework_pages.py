"""Framework pages in the reader's language (issue 14, item 3): 403 inside the layout, titles, permissions.

- A signed-in user who opens a page their role lacks gets a 403 page in their language, inside the
  app's layout (the menu they may use, a way back), not Werkzeug's bare English "Forbidden".
- No add / edit / card page keeps FAB's English fallback title ("Add Pricing Rule").
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale

FORBIDDEN = {
    "ru": ("Доступ запрещён", "Ваша роль не даёт доступа к этой странице"),
    "es": ("Acceso denegado", "Su rol no da acceso a esta página"),
}


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_403_is_translated_and_has_the_menu(login_as, lang):
    sales = login_as("Sales")
    sales.get(f"/lang/{lang}")
    resp = sales.get("/users/list/", headers={"Referer": "http://localhost/partnerview/list/"})
    assert resp.status_code == 403
    page = resp.get_data(as_text=True)
    title, message = FORBIDDEN[lang]
    assert title in page and message in page
    assert "Forbidden" not in page
    assert 'class="navbar' in page, "the app's menu is on the page"
    assert "/logout/" in page
    assert 'href="http://localhost/partnerview/list/"' in page, "back to the page the user came from"


def test_403_for_an_api_client_is_json(login_as):
    resp = login_as("Sales").get("/users/list/", headers={"Accept": "application/json"})
    assert resp.status_code == 403
    assert resp.is_json and resp.get_json()["message"]


def test_a_foreign_referrer_is_not_the_way_back(login_as):
    resp = login_as("Sales").get("/users/list/", headers={"Referer": "https://evil.example/x"})
    assert resp.status_code == 403
    assert "evil.example" not in resp.get_data(as_text=True)


def _fab_english(title) -> bool:
    return type(title) is str and title.startswith(("Add ", "Edit ", "Show ", "List "))


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_no_page_keeps_fab_english_fallback_titles(app, lang):
    """Every page view's list / card / add / edit title is a translated string."""
    left = []
    with app.test_request_context(), force_locale(lang):
        for view in app.appbuilder.baseviews:
            if type(view).__module__.startswith("app.api"):
                continue
            for attr in ("list_title", "show_title", "add_title", "edit_title"):
                title = getattr(view, attr, None)
                if title is not None and _fab_english(title):
                    left.append(f"{type(view).__name__}.{attr} = {title!r}")
    assert not left, left


@pytest.mark.parametrize(("lang", "path", "title"), [
    ("ru", "/pricingruleview/add", "Новое правило ценообразования"),
    ("es", "/pricingruleview/add", "Nueva regla de precios"),
    ("ru", "/optiongroupview/add", "Новая группа опций"),
    ("ru", "/modellineview/add", "Новая строка базовой комплектации"),
    ("es", "/compatibilityruleview/add", "Nueva regla de compatibilidad"),
])
def test_proposal_register_forms_are_titled_in_the_readers_language(login_as, lang, path, title):
    admin = login_as("Admin")
    admin.get(f"/lang/{lang}")
    page = admin.get(path).get_data(as_text=True)
    assert title in page
    assert "Add Pricing Rule" not in page and "Add Option Group" not in page


@pytest.mark.parametrize(("lang", "typed", "shown"), [
    ("ru", "07.12.2026", "07.12.2026"),
    ("es", "07/12/2026", "07/12/2026"),
    ("en", "2026-12-07", "2026-12-07"),
    ("ru", "2026-12-07", "07.12.2026"),  # ISO is understood in every language
])
def test_a_date_typed_in_the_locale_format_is_accepted(app, lang, typed, shown):
    from datetime import date

    from flask_wtf import FlaskForm

    from app.views.dates import LocaleDateField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        day = LocaleDateField("Day")

    with app.test_request_context(method="POST", data={"day": typed}), force_locale(lang):
        form = Form()
        assert form.validate(), form.errors
        assert form.day.data == date(2026, 12, 7)
        assert Form(formdata=None, data={"day": date(2026, 12, 7)}).day._value() == shown


@pytest.mark.parametrize(("lang", "typed", "message"), [
    ("ru", "12/07/2026", "«12/07/2026» — не дата: введите её в виде 07.12.2026"),
    ("es", "31/02/2026", "«31/02/2026» no es una fecha: escríbala como 07/12/2026"),
])
def test_a_date_in_another_format_is_refused_with_the_expected_format(app, lang, typed, message):
    from flask_wtf import FlaskForm

    from app.views.dates import LocaleDateField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        day = LocaleDateField("Day")

    with app.test_request_context(method="POST", data={"day": typed}), force_locale(lang):
        form = Form()
        assert not form.validate()
        assert form.day.errors == [message]
        assert form.day._value() == typed, "what the user typed stays in the field"


def test_every_date_column_of_the_forms_uses_the_locale_picker(login_as):
    admin = login_as("Admin")
    admin.get("/lang/es")
    page = admin.get("/dealview/add").get_data(as_text=True)
    assert 'data-date-language="es"' in page and 'data-date-format="dd/mm/yyyy"' in page
    assert 'data-date-week-start="1"' in page
    assert "js/fabrika_datepicker.js" in page


@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", ("Складские документы: проведение документов", "Заказы покупателей: просмотр")),
    ("es", ("Documentos de almacén: contabilizar documentos", "Pedidos de clientes: consulta")),
])
def test_permission_names_on_the_roles_pages_are_translated(login_as, session, lang, expected):
    from flask_appbuilder.security.sqla.models import Role

    admin = login_as("Admin")
    admin.get(f"/lang/{lang}")
    manager = session.query(Role).filter_by(name="Manager").one()
    for path in ("/roles/list/", f"/roles/show/{manager.id}", f"/roles/edit/{manager.id}"):
        page = admin.get(path).get_data(as_text=True)
        for words in expected:
            assert words in page, (path, words)
        assert " on Customer orders" not in page and "can read" not in page and "menu access" not in page, path


def test_permission_names_stay_fab_english_outside_requests(app, session):
    """Logs and the shell keep FAB's own form, which tells a developer the internal names."""
    from flask_appbuilder.security.sqla.models import PermissionView

    pv = session.query(PermissionView).join(PermissionView.permission).filter_by(name="can_read").first()
    assert repr(pv).startswith("can read on ")


def _top_level_entries(page: str) -> list[str]:
    """The navbar's top-level entries on the left (the direct <li> of the first ul.nav.navbar-nav)."""
    import re

    left = page.split('<ul class="nav navbar-nav">', 1)[1].split('<ul class="nav navbar-nav navbar-right">', 1)[0]
    depth, tops = 0, []
    for match in re.finditer(r"<li\b[^>]*>|</li>|<ul\b[^>]*>|</ul>", left):
        tag = match.group(0)
        if tag.startswith("<ul"):
            depth += 1
        elif tag == "</ul>":
            depth -= 1
        elif tag.startswith("<li") and depth == 0:
            tops.append(tag)
    return tops


@pytest.mark.parametrize("role", ["Admin", "Manager", "Sales", "Warehouse"])
def test_the_menu_is_a_few_groups_with_every_entry_still_there(app, login_as, role):
    client = login_as(role)
    client.get("/lang/ru")
    page = client.get("/dealview/list/" if role != "Warehouse" else "/itemview/list/").get_data(as_text=True)
    tops = _top_level_entries(page)
    assert 1 < len(tops) <= 6, tops
    assert 'data-group="sales"' in page or role == "Warehouse"
    with app.test_request_context():
        from flask_login import login_user

        user = app.appbuilder.sm.find_user(username=role.lower())
        login_user(user)
        sm = app.appbuilder.sm
        expected = {item.get_url() for category in app.appbuilder.menu.get_list()
                    for item in category.childs or [] if item.name != "-"
                    and sm.has_access("menu_access", item.name) and sm.has_access("menu_access", category.name)}
    missing = [url for url in expected if f'href="{url}"' not in page]
    assert not missing, missing


@pytest.mark.parametrize(("lang", "cancel", "no_results"), [("ru", "Отмена", "Ничего не найдено"),
                                                           ("es", "Cancelar", "No se encontraron resultados")])
def test_fab_widgets_speak_the_readers_language(login_as, lang, cancel, no_results):
    """The delete confirmation's buttons and select2's messages (search boxes, the clear button)."""
    admin = login_as("Admin")
    admin.get(f"/lang/{lang}")
    page = admin.get("/dealview/list/").get_data(as_text=True)
    assert f'data-dismiss="modal">{cancel}</button>' in page
    assert ">Cancel<" not in page
    i18n = page.split('<script type="application/json" id="fabrika-i18n">', 1)[1].split("</script>", 1)[0]
    import json

    messages = json.loads(i18n)["select2"]
    assert messages["noResults"] == no_results
    assert "Remove all items" not in messages.values()


def test_the_user_statistics_chart_is_translated(login_as):
    admin = login_as("Admin")
    admin.get("/lang/ru")
    page = admin.get("/userstatschartview/chart/").get_data(as_text=True)
    assert "Число входов" in page
    assert "Login Count" not in page
    assert "google_charts.js" not in page and "vendor/chart.umd.min.js" in page, "drawn offline, no CDN"


def test_role_names_are_shown_in_the_readers_language(login_as):
    admin = login_as("Admin")
    admin.get("/lang/ru")
    roles = admin.get("/roles/list/").get_data(as_text=True)
    assert "<td>Руководитель</td>" in roles and "<td>Manager</td>" not in roles
    users = admin.get("/users/list/").get_data(as_text=True)
    assert "Руководитель" in users and "[Manager]" not in users
    form = admin.get("/users/add").get_data(as_text=True)
    assert ">Экономист</option>" in form
    assert "Группа пользователей в приложении" in form


@pytest.mark.parametrize(("lang", "typed", "expected"), [
    ("ru", "08.12.2026 14:30", (2026, 12, 8, 14, 30)),
    ("es", "08/12/2026 9:05", (2026, 12, 8, 9, 5)),
    ("ru", "08.12.2026", (2026, 12, 8, 0, 0)),
    ("en", "2026-12-08T14:30:15", (2026, 12, 8, 14, 30, 15)),
])
def test_a_date_and_time_typed_in_the_locale_format_is_accepted(app, lang, typed, expected):
    from datetime import datetime

    from flask_wtf import FlaskForm

    from app.views.dates import LocaleDateTimeField

    class Form(FlaskForm):
        class Meta:
            csrf = False

        due = LocaleDateTimeField("Due")

    with app.test_request_context(method="POST", data={"due": typed}), force_locale(lang):
        form = Form()
        assert form.validate(), form.errors
        assert form.due.data == datetime(*expected)
    with app.test_request_context(method="POST", data={"due": "14:30 08.12.2026"}), force_locale("ru"):
        form = Form()
        assert not form.validate()
        assert form.due.errors == ["«14:30 08.12.2026» — не дата и время: введите их в виде 07.12.2026 09:30"]


def test_the_users_list_shows_words_not_python_values(login_as):
    admin = login_as("Admin")
    admin.get("/lang/es")
    page = admin.get("/users/list/").get_data(as_text=True)
    assert ">True<" not in page and "[Admin" not in page
    assert "Sí" in page and "Administrador" in page
