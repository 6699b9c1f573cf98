"""REST API of the client base: partners and contacts (saved through the service), addresses, bank accounts, tags.

Creating or changing a partner goes through app.services.partners.save_partner: a look-alike answers
409 with the partners found (send "confirm_duplicate": true to save anyway), bad input 422.
`POST /api/v1/partner/<id>/merge {"merge_id": n}` merges partner n into <id>.
"""

from __future__ import annotations

import dataclasses

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext
from marshmallow import Schema, fields, validate

from app.api import params as p
from app.api import spec
from app.api.base import FabrikaApi, possible_pk, refusal
from app.api.versioned import opened_version
from app.domain.errors import DomainError
from app.extensions import db
from app.models.partners import Partner, PartnerAddress, PartnerBankAccount, Tag
from app.permissions import ACTION_WRITE, CRUD, RESOURCE_PARTNER
from app.services.partners import DuplicatePartner, PartnerInput, merge_partners, save_partner
from app.views.base import FabrikaInterface

PARTNER_COLUMNS = ["id", "kind", "name", "legal_name", "company.id", "company.name", "position", "tax_id", "tax_id2",
                   "phone", "email", "website", "is_customer", "is_supplier", "is_carrier", "manager.id", "source",
                   "language", "note", "active", "merged_into.id"]
RESULT_COLUMNS = ["id", "kind", "name", "legal_name", "company_id", "position", "tax_id", "tax_id2", "phone", "email",
                  "website", "is_customer", "is_supplier", "is_carrier", "manager_id", "source", "language", "note",
                  "active", "merged_into_id"]
INPUT_FIELDS = [f.name for f in dataclasses.fields(PartnerInput) if f.name != "clear"]
BOOL_FIELDS = {"is_customer", "is_supplier", "is_carrier", "active"}


def _text(column) -> fields.String:
    return fields.String(validate=validate.Length(max=p.size(column)) if p.size(column) else None)


class PartnerInputSchema(Schema):
    """A partner as create and change read it (services.partners.PartnerInput); absent fields stay as they are."""

    name = _text(Partner.name)
    kind = fields.String(validate=validate.OneOf(["company", "person"]))
    legal_name = _text(Partner.legal_name)
    company_id = fields.Integer(allow_none=True)
    position = _text(Partner.position)
    tax_id = _text(Partner.tax_id)
    tax_id2 = _text(Partner.tax_id2)
    phone = _text(Partner.phone)
    email = _text(Partner.email)
    website = _text(Partner.website)
    is_customer = fields.Boolean()
    is_supplier = fields.Boolean()
    is_carrier = fields.Boolean()
    manager_id = fields.Integer(allow_none=True)
    source = _text(Partner.source)
    language = _text(Partner.language)
    note = fields.String()
    active = fields.Boolean()
    tag_ids = fields.List(fields.Integer())
    confirm_duplicate = fields.Boolean(metadata={"description": "save although look-alike partners exist"})


class _Api(FabrikaApi):
    class_permission_name = RESOURCE_PARTNER


class PartnerApi(_Api):
    resource_name = "partner"
    datamodel = FabrikaInterface(Partner)
    method_permission_name = CRUD | {"merge": ACTION_WRITE}
    list_columns = show_columns = PARTNER_COLUMNS
    search_columns = ["name", "kind", "tax_id", "phone_norm", "email_norm", "name_norm", "is_customer", "is_supplier",
                      "is_carrier", "manager", "company", "active"]
    order_columns = ["id", "name", "created_at"]
    fixed_kind: str | None = None
    # create and change read the service's PartnerInput (look-alikes answer 409 with the partners found)
    add_model_schema = edit_model_schema = PartnerInputSchema()
    add_columns = edit_columns = list(PartnerInputSchema._declared_fields)
    openapi_spec_methods = {
        "post": {"post": spec.command_doc(None, "PartnerSaved", 201, conflict=True)},
        "put": {"put": spec.command_doc(None, "PartnerSaved", 200, conflict=True)},
    }

    def _input(self, body: dict) -> PartnerInput:
        data = partner_input(body)
        data.clear = tuple(k for k in ("company_id", "manager_id") if k in body and body[k] is None)
        if self.fixed_kind:
            data.kind = self.fixed_kind
        data.opened_version = opened_version()  # If-Match: refused when the partner changed since
        return data

    def _save(self, pk: int | None):
        def use_case():
            body = p.json_body(required=True)
            confirm = p.flag(body.get("confirm_duplicate"), "confirm_duplicate")
            return save_partner(db.session, self._input(body), pk, confirm_duplicate=confirm)

        return self.command(use_case, lambda partner: {"id": partner.id, "result": {
            c: getattr(partner, c) for c in RESULT_COLUMNS}}, status=201 if pk is None else 200)

    def _refused(self, exc: DomainError):
        """A look-alike partner is 409 with the partners found (send "confirm_duplicate": true to save)."""
        if isinstance(exc, DuplicatePartner):
            return self.response(409, message=exc.messages(gettext), errors=refusal(exc),
                                 duplicates=[{"id": d.partner_id, "name": d.name, "reason": d.reason}
                                             for d in exc.duplicates])
        return super()._refused(exc)

    def post_headless(self):
        """Create through the partner register's service (look-alikes, normalised keys), not FAB's CRUD."""
        return self._save(None)

    def put_headless(self, pk):
        if not possible_pk(pk) or self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        return self._save(int(pk))

    @expose("/<int:pk>/merge", methods=["POST"])
    @protect()
    @safe
    def merge(self, pk: int):
        """Merge another partner into this one (this one is kept).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: '#/components/schemas/MergeBody'}
          responses:
            200:
              description: merged
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Merged'}
        """
        def use_case():
            merge_id = p.ident(p.json_body(required=True).get("merge_id"), "merge_id", required=True)
            return merge_partners(db.session, pk, merge_id)

        return self.command(use_case, lambda r: {"id": r.kept.id, "merged_id": r.merged_id, "moved": r.moved})


def partner_input(body: dict) -> PartnerInput:
    """The partner fields present in the body, each checked (texts against their columns), every problem at once."""
    present = [k for k in INPUT_FIELDS if k in body and body[k] is not None]
    values = p.collect(*[lambda k=k: _field(k, body[k]) for k in present])
    return PartnerInput(**dict(zip(present, values, strict=True)))


def _field(key: str, raw):
    if key in ("company_id", "manager_id"):
        return p.ident(raw, key)
    if key in BOOL_FIELDS:
        return p.flag(raw, key)
    if key == "tag_ids":
        if not isinstance(raw, list):
            raise p.refuse(p.MSG_LIST, key)
        return p.collect(*[lambda v=v: p.ident(v, key, Tag, required=True) for v in raw])
    return p.text(raw, key, max_len=p.size(getattr(Partner, key)))


class ContactApi(PartnerApi):
    resource_name = "contact"
    fixed_kind = "person"
    method_permission_name = CRUD
    base_filters = [["kind", FilterEqual, "person"]]
    include_route_methods = {"get", "get_list", "info", "post", "put", "delete"}


class PartnerAddressApi(_Api):
    resource_name = "partner_address"
    datamodel = FabrikaInterface(PartnerAddress)
    list_columns = ["id", "partner.id", "kind", "address", "city", "country", "is_default"]


class PartnerBankAccountApi(_Api):
    resource_name = "partner_bank_account"
    datamodel = FabrikaInterface(PartnerBankAccount)
    list_columns = ["id", "partner.id", "bank_name", "bic", "account", "corr_account", "currency.code", "is_default"]


class TagApi(_Api):
    resource_name = "tag"
    datamodel = FabrikaInterface(Tag)


APIS = (PartnerApi, ContactApi, PartnerAddressApi, PartnerBankAccountApi, TagApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
