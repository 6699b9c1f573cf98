"""Demo data: the Robokids story in ru / es / en, loaded only into an empty database.

Each bounded context contributes a loader (registered in DEMO_LOADERS, in order); this module owns
the base registers, the company and one user per role.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models.core import Company, Currency, CurrencyRate, Unit
from app.security import ROLE_NAMES
from app.services.base import SYSTEM, acting_as, unit_of_work

DEMO_PASSWORD = "demo1234"  # documented in README; demo users exist only in demo databases
# "module:function" of each context's loader, in order (resolved at call time: no import side effects)
DEMO_LOADERS: list[str] = [
    "app.services.demo_partners:load",
    "app.services.demo_stock:load",
    "app.services.demo_service:load",  # the Robokids warranty repair: the two processors the order misses
    "app.services.demo_production:load",
    "app.services.demo_purchasing:load",
    "app.services.demo_imports:load",  # dealer prices moved in from a spreadsheet, a min/max file waiting
    "app.services.demo_calculators:load",
    "app.services.demo_sales:load",
    "app.services.demo_proposals:load",
    "app.services.demo_quality:load",  # complaints traced to Robokids, knowledge-base articles
    "app.services.demo_projects:load",  # the Robokids order as a project; the "Order confirmed" process
    "app.services.demo_marketing:load",  # a campaign to the schools that bought robot kits, with its offer
    "app.services.demo_planning:load",  # the forecast and the material plan over the Robokids order
    "app.services.demo_costing:load",  # the carrier's freight invoice landed on the processors' receipt
    "app.services.demo_kpi:load",  # last: its first computation reads what the others posted
]

UNITS = [
    ("pcs", "piece", "шт", "ud", 0), ("set", "set", "компл", "juego", 0), ("kg", "kilogram", "кг", "kg", 3),
    ("m", "metre", "м", "m", 3), ("m2", "square metre", "м²", "m²", 3), ("l", "litre", "л", "l", 3),
    ("h", "hour", "ч", "h", 2), ("box", "box", "кор", "caja", 0),
]


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Company))


def load_base() -> None:
    rub = Currency(code="RUB", name="Russian rouble", name_ru="Российский рубль", name_es="Rublo ruso", symbol="₽",
                   decimals=2)
    eur = Currency(code="EUR", name="Euro", name_ru="Евро", name_es="Euro", symbol="€", decimals=2)
    usd = Currency(code="USD", name="US dollar", name_ru="Доллар США", name_es="Dólar estadounidense", symbol="$",
                   decimals=2)
    db.session.add_all([rub, eur, usd])
    for code, name, ru, es, decimals in UNITS:
        db.session.add(Unit(code=code, name=name, name_ru=ru, name_es=es, decimals=decimals))
    db.session.flush()
    today = date.today()
    db.session.add_all([
        CurrencyRate(currency=eur, on_date=today, rate=Decimal("98.5000")),
        CurrencyRate(currency=usd, on_date=today, rate=Decimal("91.2000")),
        CurrencyRate(currency=rub, on_date=today, rate=Decimal("1")),
    ])
    db.session.add(Company(
        name="RoboFabrika", name_ru="РобоФабрика", name_es="RoboFábrica", legal_name="RoboFabrika LLC",
        legal_name_ru="ООО «РобоФабрика»", legal_name_es="RoboFábrica S. R. L. (OOO)", tax_id="7701234567",
        tax_id2="770101001", registration_no="1187746123456", address="7 Tverskaya St., Moscow 125009, Russia",
        address_ru="125009, г. Москва, ул. Тверская, д. 7", address_es="C/ Tverskaya 7, 125009 Moscú, Rusia",
        phone="+7 495 123-45-67", email="office@robofabrika.example", bank_name="ПАО «Сбербанк»",
        bank_bic="044525225", bank_account="40702810938000012345", bank_corr_account="30101810400000000225",
        base_currency=rub,
    ))


def ensure_role_users() -> list[str]:
    sm = current_app.appbuilder.sm
    made = []
    for role_name in ROLE_NAMES:
        if role_name == "Admin":
            continue
        username = role_name.lower()
        if sm.find_user(username=username):
            continue
        role = sm.find_role(role_name)
        sm.add_user(username, role_name, "Demo", f"{username}@robofabrika.example", role, DEMO_PASSWORD)
        made.append(username)
    return made


def ensure_admin(password: str | None = None) -> tuple[str, str, bool]:
    """Create `admin` once; the generated password is printed and kept in the instance folder."""
    sm = current_app.appbuilder.sm
    if sm.find_user(username="admin"):
        return "admin", "", False
    password = password or secrets.token_urlsafe(9)
    sm.add_user("admin", "Admin", "Fabrika", "admin@robofabrika.example", sm.find_role("Admin"), password)
    path = os.path.join(current_app.instance_path, "admin_password.txt")
    os.makedirs(current_app.instance_path, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    return "admin", password, True


def _resolve(path: str) -> Callable[[], None]:
    import importlib

    module, func = path.split(":")
    return getattr(importlib.import_module(module), func)


def load_demo(force: bool = False) -> str:
    """Load the demo story into an empty database; return a one-line summary."""
    if not force and not is_empty():
        return "Demo data: database not empty, nothing loaded"
    with acting_as(SYSTEM):
        # FAB commits its own user rows, so the users come first; then the story is one unit of work:
        # a loader that fails leaves an empty database to load again, never half a demo
        users = ensure_role_users()  # before the loaders: demo deals and activities have managers
        with unit_of_work(db.session):
            load_base()
            for path in DEMO_LOADERS:
                _resolve(path)()
    return f"Demo data loaded; users {', '.join(users) or '-'} (password {DEMO_PASSWORD})"
