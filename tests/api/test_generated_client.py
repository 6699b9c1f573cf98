"""A Python client generated from our OpenAPI document (openapi-python-client) calls real flows.

If the document left out a path parameter, named a body the endpoint does not read, or described an
answer wrongly, the generator would produce no function, a function without the argument, or a parser
that fails on the real answer. The client talks to the app in-process (httpx's WSGI transport).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests import factories as f
from tests.api.test_stock_api import token
from tests.calculators.factories_calculators import builtin_calculators
from tests.purchasing import factories_purchasing as pf
from tests.sales import factories_sales as fs

PACKAGE = "fabrika_client"


_GENERATED: dict[str, Path] = {}  # generated once per run: the document is the same for every test


def _generate(client, headers: dict, tmp_path_factory) -> Path:
    if "dir" not in _GENERATED:
        where = tmp_path_factory.mktemp("client")
        spec = client.get("/api/v1/_openapi", headers=headers).json
        (where / "openapi.json").write_text(json.dumps(spec))
        (where / "config.yaml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
        generator = Path(sys.executable).parent / "openapi-python-client"
        done = subprocess.run([str(generator), "generate", "--path", "openapi.json", "--meta", "none", "--config",
                               "config.yaml", "--output-path", PACKAGE], cwd=where, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Warning" not in done.stdout, done.stdout  # every operation and schema was understood
        _GENERATED["dir"] = where
    return _GENERATED["dir"]


@pytest.fixture
def generated(app, client, tmp_path_factory):
    """The client package generated from the document the app serves, and a client signed in as admin."""
    headers = token(client, "Admin")
    where = str(_generate(client, headers, tmp_path_factory))
    sys.path.insert(0, where)
    try:
        package = importlib.import_module(PACKAGE)
        api = package.AuthenticatedClient(base_url="http://localhost", token=headers["Authorization"].split()[1],
                                          httpx_args={"transport": httpx.WSGITransport(app=app)})
        yield package, api
    finally:
        sys.path.remove(where)
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_create_and_post_a_receipt(generated):
    _, api = generated
    wh = f.warehouse()
    it = f.item("MB-1")
    models = _module("models")
    draft = _module("api.stock_document_api.post_api_v1_stock_document_draft").sync(client=api, body=(
        models.StockDocumentDraft(doc_type=models.StockDocumentDraftDocType.RECEIPT, warehouse_id=wh.id,
                                  lines=[models.StockDocumentLineInput(item_id=it.id, qty="5", unit_cost=12.5)])))
    assert isinstance(draft, models.DocumentState) and draft.state == "draft"
    posted = _module("api.stock_document_api.post_api_v1_stock_document_pk_post").sync(draft.id, client=api)
    assert posted.state == "posted" and posted.number
    refused = _module("api.stock_document_api.post_api_v1_stock_document_pk_post").sync(draft.id, client=api)
    assert isinstance(refused, models.Refusal) and refused.errors[0].message


def test_create_and_confirm_an_order(generated):
    _, api = generated
    pf.company()
    wh = f.warehouse()
    robot = fs.priced_item("ROBOT", "24900")
    fs.stock(wh, robot, 5)
    buyer = fs.client("Robokids")
    models = _module("models")
    created = _module("api.sales_order_api.post_api_v1_sales_order_draft").sync(client=api, body=(
        models.SalesOrderDraft(partner_id=buyer.id, lines=[models.SalesOrderLineInput(qty=2, item_id=robot.id)])))
    assert isinstance(created, models.SalesOrderCreated), created
    confirmed = _module("api.sales_order_api.post_api_v1_sales_order_pk_confirm").sync(
        created.id, client=api, body=models.ConfirmBody())
    assert isinstance(confirmed, models.DocumentState) and confirmed.state == "confirmed"


def test_run_a_calculator(generated):
    _, api = generated
    door = builtin_calculators()["DOOR"]
    models = _module("models")
    run = _module("api.calculator_api.post_api_v1_calculator_pk_run")
    result = run.sync(door, client=api, body=models.CalculatorRunBody(
        inputs=models.CalculatorRunBodyInputs.from_dict({"material": "oak"})))
    assert result.to_dict()["cost"] == "11980"
    refused = run.sync(door, client=api, body=models.CalculatorRunBody(
        inputs=models.CalculatorRunBodyInputs.from_dict({"height": "1"})))
    assert isinstance(refused, models.Refusal) and refused.message == ["height: must be at least 1900 mm"]
