"""Per-user preferences: the interface language, remembered across sessions."""

from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.models.audit import UserPreference
from app.services.base import unit_of_work


def set_locale(user_id: int, locale: str) -> bool:
    if locale not in current_app.config["LANGUAGES"]:
        return False
    with unit_of_work(db.session):
        pref = db.session.query(UserPreference).filter_by(user_id=user_id).first()
        if pref is None:
            db.session.add(UserPreference(user_id=user_id, locale=locale))
        else:
            pref.locale = locale
    return True
