"""REST API of the client base: partners and contacts (saved through the service), addresses, bank accounts, tags.

Creating or changing a partner goes through app.services.partners.save_partner: a look-alike answers
409 with the partners found (send "confirm_duplicate": true to save anyway), bad input 422.
`POST /api/v1/partner/<id>/merge {"merge_id": n}` merges partner n into <id>.
"""

from __future__ import annotations

from dataclasses import fields

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext

from app.api.base import FabrikaApi
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
INPUT_FIELDS = {f.name for f in fields(PartnerInput)} - {"clear"}


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

    def _input(self, body: dict) -> PartnerInput:
        data = PartnerInput(**{k: v for k, v in body.items() if k in INPUT_FIELDS})
        data.clear = tuple(k for k in ("company_id", "manager_id") if k in body and body[k] is None)
        if self.fixed_kind:
            data.kind = self.fixed_kind
        return data

    def _save(self, pk: int | None):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Request is not JSON")
        try:
            partner = save_partner(db.session, self._input(body), pk,
                                   confirm_duplicate=bool(body.get("confirm_duplicate")))
        except DuplicatePartner as exc:
            return self.response(409, message=exc.messages(gettext),
                                 duplicates=[{"id": d.partner_id, "name": d.name, "reason": d.reason}
                                             for d in exc.duplicates])
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except TypeError as exc:
            return self.response_400(message=str(exc))
        return self.response(201 if pk is None else 200, id=partner.id,
                             result={c: getattr(partner, c) for c in RESULT_COLUMNS})

    def post_headless(self):
        return self._save(None)

    def put_headless(self, pk):
        if self.datamodel.get(pk, self._base_filters) is None:
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
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    merge_id: {type: integer}
          responses:
            200: {description: merged}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        try:
            result = merge_partners(db.session, pk, int(body.get("merge_id")))
        except DomainError as exc:
            return self.response(422, message=exc.messages(gettext))
        except (TypeError, ValueError):
            return self.response_400(message="merge_id")
        return self.response(200, id=result.kept.id, merged_id=result.merged_id, moved=result.moved)


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
