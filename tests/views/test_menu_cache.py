"""The navbar menu kept per user, roles and language (app/views/menu_cache.py): built once, never shown
to another user or in another language, rebuilt when the user's roles change."""

from __future__ import annotations

import pytest

from app.views import menu_cache


@pytest.fixture
def cached(app, monkeypatch):
    """The cache on, empty, and a count of the menus actually rendered."""
    monkeypatch.setitem(app.config, "MENU_CACHE_SECONDS", 60)
    monkeypatch.setattr(menu_cache, "_cache", {})
    renders: list[int] = []
    real = menu_cache._render

    def counting(menu):
        renders.append(1)
        return real(menu)

    monkeypatch.setattr(menu_cache, "_render", counting)
    return renders


def test_a_user_gets_the_menu_built_once_and_others_their_own(cached, login_as):
    sales = login_as("Sales")
    first = sales.get("/partnerview/list/").get_data(as_text=True)
    sales.get("/salesorderview/list/")
    assert len(cached) == 1  # the second page reused the first page's menu
    assert "/salesorderview/list/" in first
    warehouse = login_as("Warehouse").get("/").get_data(as_text=True)
    assert len(cached) == 2
    assert "/receiptview/list/" in warehouse and "/dealview/list/" not in warehouse


def test_another_language_is_another_menu(cached, login_as):
    sales = login_as("Sales")
    sales.get("/lang/en")
    english = sales.get("/").get_data(as_text=True)
    sales.get("/lang/es")
    spanish = sales.get("/").get_data(as_text=True)
    assert len(cached) == 2
    assert "Customer orders" in english and "Pedidos de clientes" in spanish


def test_a_new_role_shows_at_once(cached, app, login_as, session):
    sm = app.appbuilder.sm
    sales = login_as("Sales")
    assert "/receiptview/list/" not in sales.get("/").get_data(as_text=True)
    user = sm.find_user(username="sales")
    warehouse = sm.find_role("Warehouse")
    user.roles.append(warehouse)
    session.commit()
    try:
        assert "/receiptview/list/" in sales.get("/").get_data(as_text=True)
        assert len(cached) == 2
    finally:  # the users and roles outlive a test on PostgreSQL (the reset keeps them): give the role back
        user = sm.find_user(username="sales")
        user.roles.remove(warehouse)
        session.commit()
