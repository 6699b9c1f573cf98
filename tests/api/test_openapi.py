"""The OpenAPI document says exactly what each endpoint reads and answers (issue 13, item 3)."""

from __future__ import annotations

import re

import pytest

from tests import factories as f
from tests.api.test_stock_api import token

OURS = re.compile(r"^/api/v1/(?!security/|openapi/|menu/|_openapi)")
WRITES = ("post", "put")


@pytest.fixture
def document(app, client) -> dict:
    return client.get("/api/v1/_openapi", headers=token(client, "Admin")).json


def _operations(document: dict):
    for path, ops in document["paths"].items():
        if OURS.match(path):
            for method, op in ops.items():
                yield path, method, op


def test_every_path_parameter_is_declared(document):
    missing = [f"{m} {p} {{{name}}}" for p, m, op in _operations(document) for name in re.findall(r"{(\w+)}", p)
               if name not in {x["name"] for x in op.get("parameters", []) if x.get("in") == "path"}]
    assert missing == []


def test_every_error_is_documented_with_the_refusal_schema(document):
    refusal = {"$ref": "#/components/schemas/Refusal"}
    for name in ("Refused", "BadRequest", "NotFound", "MethodNotAllowed", "Unavailable", "ServerError"):
        assert document["components"]["responses"][name]["content"]["application/json"]["schema"] == refusal
    for path, method, op in _operations(document):
        codes = set(op["responses"])
        assert {"400", "405", "422", "500", "503"} <= codes, (method, path, codes)
        assert "404" in codes or "{" not in path, (method, path)


def test_request_bodies_have_real_schemas(document):
    bare = [f"{m} {p}" for p, m, op in _operations(document) if m in WRITES
            for schema in [op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")]
            if schema is not None and "$ref" not in schema and not schema.get("properties")]
    assert bare == []
    draft = document["components"]["schemas"]["StockDocumentDraft"]["properties"]
    assert draft["doc_date"]["format"] == "date" and draft["warehouse_id"]["type"] == "integer"


def test_the_deal_create_names_what_it_reads(app, client, document):
    body = document["paths"]["/api/v1/deal/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    fields = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"partner_id", "stage_id"} <= set(fields) and not {"partner", "stage"} & set(fields)
    info = client.get("/api/v1/deal/_info", headers=token(client, "Admin")).json
    assert {"partner_id", "stage_id"} <= {c["name"] for c in info["add_columns"]}


def test_the_warehouse_list_returns_each_rows_id(app, client):
    wh = f.warehouse()
    rows = client.get("/api/v1/warehouse/", headers=token(client, "Admin")).json["result"]
    assert rows[0]["id"] == wh.id
