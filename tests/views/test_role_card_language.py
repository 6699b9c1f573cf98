"""The card of a built-in role names it in the reader's language, as the roles list does (FAB's role card
printed the stored English name "Public" on a Spanish page)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("lang", "word"), [("es", "Público (sin sesión)"), ("ru", "Гость (без входа)")])
def test_a_built_in_roles_card_names_it_in_the_readers_language(app, login_as, lang, word):
    role = app.appbuilder.sm.find_role("Public")
    c = login_as("Admin")
    c.get(f"/lang/{lang}")
    html = c.get(f"/roles/show/{role.id}").get_data(as_text=True)
    assert word in html
    assert ">Public<" not in html.replace(" ", "").replace("\n", "")
