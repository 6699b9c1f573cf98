"""The rule builder's backend: an "any" group of conditions (negatable, inside and out), the same for the whole
base and one client; its validation; the builder's choices in the reader's language."""

from __future__ import annotations

import pytest

from app.domain.errors import DomainError
from app.extensions import db
from app.services.marketing import segments as seg
from tests.marketing.test_segments import _who, history  # noqa: F401 - the hand-built history fixture


def test_any_group_of_conditions(history):  # noqa: F811
    h = history
    spanish_or_school = [{"kind": "language", "language": "es"}, {"kind": "tag", "tag_id": h["tag"].id}]
    assert _who(h, [{"kind": "any", "rules": spanish_or_school}]) == ["ana", "boris"]
    assert _who(h, [{"kind": "any", "rules": spanish_or_school, "not": True}]) == ["gleb", "vera"]
    no_robot = {"kind": "bought_item", "item_id": h["robot"].id, "not": True}
    assert _who(h, [{"kind": "any", "rules": [{"kind": "language", "language": "es"}, no_robot]}]) == [
        "ana", "gleb", "vera"]
    # one client after its order is judged by the same rules as the whole base
    segment = seg.save_segment(db.session, None, "Spanish or schools", [{"kind": "any", "rules": spanish_or_school}])
    db.session.commit()
    assert segment.member_count == 2
    assert segment.id in seg.evaluate_client(db.session, h["boris"])
    assert segment.id not in seg.evaluate_client(db.session, h["vera"])


def test_an_empty_or_bad_any_group_is_named():
    with pytest.raises(DomainError) as err:
        seg.validate_rules([{"kind": "any", "rules": []}, {"kind": "any", "rules": [{"kind": "tag"}]}])
    texts = err.value.messages(lambda m: m)
    assert texts == ["Rule 1: give rules", "Rule 2.1: give tag_id"]


def test_builder_choices_in_the_readers_language(history, login_as):  # noqa: F811
    h = history
    h["kits"].name_es = "Kits (es)"
    db.session.commit()
    web = login_as("Sales")
    web.get("/lang/es")
    got = web.get("/segmentview/choices").json
    assert ["bought_group", "Compró del grupo de artículos"] in got["kinds"]
    assert [h["kits"].id, "Kits (es)"] in got["groups"]
    assert [h["tag"].id, "schools"] in got["tags"]
    assert got["words"]["any"] == "alguna de estas condiciones"
    assert login_as("Warehouse").get("/segmentview/choices").status_code in (302, 401, 403)
