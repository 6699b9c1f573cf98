"""Import kinds of the catalog: items (with their groups, units and prices) and price lists."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.catalog import Item, ItemGroup, PriceList, PriceListItem, UnitConversion
from app.models.core import Unit
from app.permissions import RESOURCE_CATALOG
from app.services.imports import lookups
from app.services.imports.core import MSG_DUPLICATE, Field, Kind, Plan, Row, compare, words
from app.services.imports.writing import first_seen, upsert
from app.services.job_messages import N_
from app.services.vocabulary import ITEM_KIND_LABELS, TRACKING_LABELS

MSG_BASE_UNIT = N_("%(field)s: “%(value)s” is the item's own unit")
ITEM_COLUMNS = ("name", "name_ru", "name_es", "kind", "unit_id", "group_id", "barcode", "sale_price",
                "standard_cost", "weight", "tracking")


def _blank(text: str) -> str | None:
    """An empty optional cell leaves the stored value as it is."""
    return text or None


class ItemsImport(Kind):
    key = "items"
    label = _l("Items")
    resource = RESOURCE_CATALOG
    fields = (
        Field("code", _l("Code"), required=True, example="MOT-12"),
        Field("name", _l("Name"), required=True, example="Motor 12 V"),
        Field("name_ru", _l("Name (Russian)"), example="Мотор 12 В"),
        Field("name_es", _l("Name (Spanish)"), example="Motor 12 V"),
        Field("kind", _l("Kind"), example="component"),
        Field("unit", _l("Unit"), required=True, example="pcs"),
        Field("group", _l("Group"), example="PARTS"),
        Field("barcode", _l("Barcode")),
        Field("sale_price", _l("Sale price"), "money", example="1 234,50"),
        Field("standard_cost", _l("Standard cost"), "money", example="420"),
        Field("weight", _l("Weight"), "qty", example="0,35"),
        Field("tracking", _l("Tracking"), example="lots"),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        units = lookups.units(session)
        groups = lookups.groups(session)
        stored = {code.lower(): {"id": iid, **dict(zip(ITEM_COLUMNS, rest, strict=True))}
                  for iid, code, *rest in session.execute(select(Item.id, Item.code, *(
                      getattr(Item, c) for c in ITEM_COLUMNS)))}
        return {"units": units, "groups": groups, "unit_codes": _codes(session, Unit),
                "group_codes": _codes(session, ItemGroup), "items": stored, "kinds": words(ITEM_KIND_LABELS),
                "tracking": words(TRACKING_LABELS), "new_groups": {}}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        code = row.text("code")
        plan = Plan(row.line, code)
        if code and (first := first_seen(ctx, code.lower(), row.line)) is not None:
            row.problem(MSG_DUPLICATE, "code", value=code, first=first)
        values = {
            "code": code, "name": row.text("name"), "name_ru": _blank(row.text("name_ru")),
            "name_es": _blank(row.text("name_es")), "kind": row.lookup("kind", ctx["kinds"]),
            "unit_id": row.lookup("unit", ctx["units"]), "barcode": _blank(row.text("barcode")),
            "sale_price": row.number("sale_price"), "standard_cost": row.number("standard_cost"),
            "weight": row.number("weight"), "tracking": row.lookup("tracking", ctx["tracking"]),
        }
        group = row.text("group")
        if group:
            values["group_id"] = ctx["groups"].get(group.lower())
            if values["group_id"] is None:
                plan.extra = group  # a group the catalog does not have yet: created with the items
        stored = ctx["items"].get(code.lower())
        plan.values = values
        if stored is not None:
            plan.target = stored["id"]
            shown = _shown_ids(ctx)
            compare(plan, {k: shown(k, stored.get(k)) for k in values if k != "code"},
                    {k: shown(k, v) for k, v in values.items() if k != "code"}, self.field_map() | _ID_FIELDS)
        if plan.extra:
            plan.changes.append(("Group", "", plan.extra))
        return plan

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        made: dict[str, int] = ctx.setdefault("_made_groups", {})  # across the batches of one import
        for plan in plans:
            if plan.extra and plan.extra.lower() not in made:
                group = ItemGroup(code=plan.extra[:32], name=plan.extra[:200])
                session.add(group)
                session.flush()
                made[plan.extra.lower()] = group.id
            if plan.extra:
                plan.values["group_id"] = made[plan.extra.lower()]
            if plan.target is None:
                plan.values.setdefault("kind", "component")
                plan.values["kind"] = plan.values["kind"] or "component"
                plan.values["tracking"] = plan.values["tracking"] or "lots"
        upsert(session, Item, plans, progress=ctx.get("_progress"))
        return ""


def _codes(session: Session, model: type) -> dict[int, str]:
    return dict(session.execute(select(model.id, model.code)).all())


def _shown_ids(ctx: dict[str, Any]):
    """The unit and group ids of an item compared as the codes the preview shows."""
    names = {"unit_id": ctx["unit_codes"], "group_id": ctx["group_codes"]}
    return lambda key, value: names[key].get(value, value) if key in names else value


#: the id columns an upsert compares, named as their file columns
_ID_FIELDS = {"unit_id": Field("unit", _l("Unit")), "group_id": Field("group", _l("Group"))}


class PriceListsImport(Kind):
    """Rows of price list / item / price; a price list named in the file that does not exist is created."""

    key = "price_lists"
    label = _l("Price lists")
    resource = RESOURCE_CATALOG
    fields = (
        Field("price_list", _l("Price list"), required=True, example="Retail"),
        Field("currency", _l("Currency"), example="RUB"),
        Field("item", _l("Item code"), required=True, example="ROBOT-STD"),
        Field("price", _l("Price"), "money", required=True, example="24 900,00"),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        prices = {(pl, item): (pid, price) for pid, pl, item, price in session.execute(select(
            PriceListItem.id, PriceListItem.price_list_id, PriceListItem.item_id, PriceListItem.price))}
        return {"lists": lookups.by_names(session, PriceList), "items": lookups.item_ids(session),
                "currencies": lookups.currencies(session), "prices": prices}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        name, item = row.text("price_list"), row.lookup("item", ctx["items"])
        plan = Plan(row.line, f"{name} / {row.text('item')}")
        price = row.number("price")
        list_id = ctx["lists"].get(name.lower())
        currency = row.lookup("currency", ctx["currencies"])
        plan.extra = (name, currency)
        if item is not None and (first := first_seen(ctx, f"{name.lower()}\x00{item}", row.line)) is not None:
            row.problem(MSG_DUPLICATE, "item", value=row.text("item"), first=first)
        plan.values = {"item_id": item, "price": price}
        stored = ctx["prices"].get((list_id, item))
        if stored is not None:
            plan.target = stored[0]
            compare(plan, {"price": stored[1]}, {"price": price}, self.field_map())
        return plan

    def apply(self, session: Session, ctx: dict[str, Any], plans: list[Plan]) -> str:
        base = _base_currency(session)
        for plan in plans:
            name = plan.extra[0]
            if name.lower() not in ctx["lists"]:
                price_list = PriceList(name=name[:200], currency_id=plan.extra[1] or base)
                session.add(price_list)
                session.flush()
                ctx["lists"][name.lower()] = price_list.id
            if plan.target is None:
                plan.values["price_list_id"] = ctx["lists"][name.lower()]
        upsert(session, PriceListItem, plans, progress=ctx.get("_progress"))
        return ""


def _base_currency(session: Session) -> int | None:
    from app.models.core import Company

    return session.scalar(select(Company.base_currency_id).limit(1))



class UnitConversionsImport(Kind):
    """Items' alternative units: 1 unit of the item = factor base units (a box of 10: factor 10)."""

    key = "unit_conversions"
    model = UnitConversion
    label = _l("Unit conversions")
    resource = RESOURCE_CATALOG
    fields = (
        Field("item", _l("Item code"), required=True, example="MOT-12"),
        Field("unit", _l("Unit"), required=True, example="box"),
        Field("factor", _l("Base units in one"), "qty", required=True, example="10"),
    )

    def context(self, session: Session, on_date: date | None) -> dict[str, Any]:
        stored = {(i, u): (cid, factor) for cid, i, u, factor in session.execute(select(
            UnitConversion.id, UnitConversion.item_id, UnitConversion.unit_id, UnitConversion.factor))}
        base = dict(session.execute(select(Item.id, Item.unit_id)).all())
        return {"items": lookups.item_ids(session), "units": lookups.units(session), "stored": stored, "base": base}

    def check(self, session: Session, ctx: dict[str, Any], row: Row) -> Plan:
        item, unit = row.lookup("item", ctx["items"]), row.lookup("unit", ctx["units"])
        factor = row.number("factor")
        if factor is not None and factor <= 0:
            row.problem(N_("%(field)s must be positive"), "factor")
        if item and unit and ctx["base"].get(item) == unit:
            row.problem(MSG_BASE_UNIT, "unit", value=row.text("unit"))
        plan = Plan(row.line, f"{row.text('item')}: {row.text('unit')}",
                    values={"item_id": item, "unit_id": unit, "factor": factor})
        if item and unit and (first := first_seen(ctx, (item, unit), row.line)) is not None:
            row.problem(MSG_DUPLICATE, "unit", value=row.text("unit"), first=first)
        stored = ctx["stored"].get((item, unit))
        if stored is not None:
            plan.target = stored[0]
            compare(plan, {"factor": stored[1]}, {"factor": factor}, self.field_map())
        return plan

