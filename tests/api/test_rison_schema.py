"""FAB's ?q= validation through app/api/rison_schema.py: the same verdicts and messages, one validator per schema."""

from __future__ import annotations

import flask_appbuilder.api as fab_api
import jsonschema
import pytest
from flask_appbuilder.api.schemas import get_list_schema

from app.api import rison_schema


@pytest.mark.parametrize("instance", [{"page_size": "bad"}, {"columns": 3}, {"filters": [{"col": "x"}]}])
def test_refusals_match_jsonschema(instance):
    with pytest.raises(jsonschema.ValidationError) as ours:
        rison_schema.validate(instance=instance, schema=get_list_schema)
    with pytest.raises(jsonschema.ValidationError) as theirs:
        jsonschema.validate(instance=instance, schema=get_list_schema)
    assert str(ours.value).split("\n", 1)[0] == str(theirs.value).split("\n", 1)[0]


def test_valid_arguments_pass_and_the_validator_is_kept(app):
    rison_schema.validate(instance={"page_size": 50, "page": 0}, schema=get_list_schema)
    assert rison_schema._validator(get_list_schema) is rison_schema._validator(get_list_schema)
    assert fab_api.jsonschema.validate is rison_schema.validate  # installed by register_apis


def test_the_api_answers_a_bad_argument_with_400(app, login_as):
    resp = login_as("Warehouse").get("/api/v1/warehouse/?q=(page_size:bad)")
    assert resp.status_code == 400 and "page_size" in resp.get_json()["message"][0]
