"""Segments on hand-built histories: each rule, negation, combination; membership follows posted orders."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import ItemGroup
from app.models.marketing import ClientStats, SegmentMember
from app.models.partners import Tag
from app.models.sales import SO_DRAFT
from app.services.marketing import segments as seg
from app.services.marketing.stats import rebuild_all
from tests.marketing.builders import client, goods, order

TODAY = date(2026, 12, 1)


@pytest.fixture
def history(app):
    kits = ItemGroup(code="KITS", name="Kits")
    db.session.add(kits)
    robot, kit, acc = goods("ROBOT"), goods("KIT", kits), goods("ACC", kits)
    ana = client("Ana", language="es", city="Madrid")
    boris = client("Boris", city="Kazan")
    vera = client("Vera", language="en", city="Kazan")
    gleb = client("Gleb")  # never bought
    order(ana, date(2026, 10, 1), [(robot, 1, "1000"), (acc, 2, "200")])
    order(boris, date(2026, 3, 1), [(robot, 2, "2000")])
    order(boris, date(2026, 4, 1), [(kit, 1, "100")])
    order(vera, date(2026, 11, 20), [(kit, 3, "300")])
    order(gleb, date(2026, 11, 25), [(robot, 9, "9000")], state=SO_DRAFT)  # a draft is no purchase
    tag = Tag(name="schools")
    boris.tags.append(tag)
    db.session.commit()
    rebuild_all(db.session, TODAY)
    db.session.commit()
    return {"robot": robot, "kit": kit, "acc": acc, "kits": kits, "tag": tag,
            "ana": ana.id, "boris": boris.id, "vera": vera.id, "gleb": gleb.id}


def _who(h, rules):
    names = {v: k for k, v in h.items() if k in ("ana", "boris", "vera", "gleb")}
    got = db.session.execute(seg._base([seg.Partner.id]).where(seg.condition(rules, TODAY))).scalars()
    return sorted(names[i] for i in got)


def test_each_rule_on_a_hand_built_history(history):
    h = history
    assert _who(h, [{"kind": "bought_item", "item_id": h["robot"].id}]) == ["ana", "boris"]
    assert _who(h, [{"kind": "bought_group", "group_id": h["kits"].id}]) == ["ana", "boris", "vera"]
    # bought a robot but not the accessory
    assert _who(h, [{"kind": "bought_item", "item_id": h["robot"].id},
                    {"kind": "bought_item", "item_id": h["acc"].id, "not": True}]) == ["boris"]
    assert _who(h, [{"kind": "no_order_months", "months": 6}]) == ["boris", "gleb"]
    assert _who(h, [{"kind": "region", "text": "kazan"}]) == ["boris", "vera"]
    assert _who(h, [{"kind": "language", "language": "es"}]) == ["ana"]
    assert _who(h, [{"kind": "tag", "tag_id": h["tag"].id}]) == ["boris"]
    # 2100 + 1200 of 3600: the clients up to 80 % of revenue are A, the next up to 95 % B
    assert _who(h, [{"kind": "abc", "classes": "A"}]) == ["ana", "boris"]
    assert _who(h, [{"kind": "abc", "classes": "B"}]) == ["vera"]
    assert _who(h, [{"kind": "rfm", "f": 4}]) == ["boris"]  # the only client with more than one order
    assert _who(h, [{"kind": "open_service_request", "not": True}]) == ["ana", "boris", "gleb", "vera"]


def test_stats_and_usual_interval(history):
    boris = db.session.get(ClientStats, history["boris"])
    assert (boris.orders, boris.revenue, boris.interval_days) == (2, 2100, 31)
    assert boris.next_due == date(2026, 5, 2)
    assert db.session.get(ClientStats, history["gleb"]) is None


def test_bad_rules_are_named():
    with pytest.raises(DomainError) as err:
        seg.validate_rules([{"kind": "bought_item"}, {"kind": "astrology"}])
    assert len(err.value.problems) == 2
    assert all(p.field == "rules" for p in err.value.problems)


def test_membership_follows_a_confirmed_order_in_the_same_transaction(history):
    h = history
    robots = seg.save_segment(db.session, None, "Robot buyers", [{"kind": "bought_item", "item_id": h["robot"].id}])
    db.session.commit()
    assert robots.member_count == 2
    vera = db.session.get(seg.Partner, h["vera"])
    order(vera, date.today(), [(h["robot"], 1, "1000")])
    db.session.commit()  # the hook re-evaluates Vera just before this commit
    members = set(db.session.scalars(seg.select(SegmentMember.partner_id).where(SegmentMember.segment_id == robots.id)))
    assert members == {h["ana"], h["boris"], h["vera"]}
    db.session.refresh(robots)
    assert robots.member_count == 3
    assert db.session.get(ClientStats, h["vera"]).orders == 2
    assert seg.count(db.session, robots.rules) == 3
    # a full re-evaluation with other rules: Ana and Vera leave, Boris stays, Gleb (no order) joins
    robots.rules = [{"kind": "no_order_months", "months": 6}]
    assert seg.evaluate(db.session, robots, TODAY) == 2
    db.session.commit()
    assert seg.member_ids(db.session, robots.id) == sorted([h["boris"], h["gleb"]])
    assert robots.member_count == 2
