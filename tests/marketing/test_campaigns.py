"""Campaigns: holdout draw, opt-outs honoured across campaigns, letters per language, SMTP headers, results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from email import message_from_bytes

from sqlalchemy import select

from app.extensions import db
from app.models.crm import Activity
from app.models.mail import OutboxMessage
from app.models.marketing import GROUP_HOLDOUT, Campaign, CampaignRecipient
from app.services.marketing import campaigns as cmp
from app.services.marketing.results import campaign_results
from app.services.marketing.segments import save_segment
from tests.marketing.builders import client, goods, order
from tests.purchasing import factories_purchasing as pf

D = Decimal


def _campaign(segment, **kw) -> Campaign:
    c = Campaign(name="Robot kits", segment=segment, subject="Hello {contact}", subject_ru="Привет, {contact}",
                 body="You bought {last_purchase} on {last_order_date}. Offer: {offer}",
                 body_ru="Вы купили {last_purchase}", **kw)
    db.session.add(c)
    db.session.commit()
    return c


def test_holdout_draw_is_reproducible():
    ids = range(1, 1001)
    first = cmp.draw_holdout(ids, D(10), 42)
    assert len(first) == 100 and first == cmp.draw_holdout(reversed(ids), D(10), 42)
    assert first != cmp.draw_holdout(ids, D(10), 43)


def test_unsubscribe_is_honoured_across_campaigns_and_letters_carry_the_headers(app, smtp_server):
    controller, handler = smtp_server
    pf.company(smtp_host="127.0.0.1", smtp_port=controller.port, mail_from="news@robofabrika.example")
    robot = goods("ROBOT")
    ana, boris = client("Ana", language="ru"), client("Boris", language="en")
    order(ana, date(2026, 10, 1), [(robot, 1, "1000")])
    order(boris, date(2026, 10, 2), [(robot, 1, "1000")])
    db.session.commit()
    segment = save_segment(db.session, None, "Robots", [{"kind": "bought_item", "item_id": robot.id}])
    first = _campaign(segment, holdout_pct=D(0), call_list=True)
    cmp.start_campaign(db.session, first.id)
    assert cmp.send_batch(db.session, first.id) == 2
    db.session.commit()
    mails = {m.partner_id: m for m in db.session.scalars(select(OutboxMessage))}
    assert mails[ana.id].subject == "Привет, Ana" and "Вы купили ROBOT" in mails[ana.id].body
    assert mails[boris.id].subject == "Hello Boris" and "on 2026-10-02" in mails[boris.id].body
    calls = db.session.scalars(select(Activity)).all()
    assert sorted(a.partner_id for a in calls) == sorted([ana.id, boris.id]) and calls[0].kind == "call"
    # delivered to the local SMTP server with the one-click unsubscribe headers
    from app.services.mail import retry_mail

    retry_mail(db.session, mails[boris.id].id)
    got = message_from_bytes(handler.messages[-1].content)
    link = got["List-Unsubscribe"].strip("<>")
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/marketing/unsubscribe/" in link and link in got.get_payload(decode=True).decode()
    # Boris clicks (one-click POST): never mailed again, by this campaign or the next
    token = link.rsplit("/", 1)[1]
    client_http = app.test_client()
    one_click = client_http.post(f"/marketing/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    second = _campaign(segment, holdout_pct=D(0))
    second.name = "Second"
    db.session.commit()
    cmp.start_campaign(db.session, second.id)
    assert cmp.send_batch(db.session, second.id) == 1
    db.session.commit()
    states = dict(db.session.execute(select(CampaignRecipient.partner_id, CampaignRecipient.state)
                                     .where(CampaignRecipient.campaign_id == second.id)).all())
    assert states == {ana.id: "queued", boris.id: "opted_out"}
    assert client_http.post("/marketing/unsubscribe/forged").status_code == 400


def test_results_against_the_holdout_to_the_kopek(app):
    robot = goods("ROBOT")
    people = [client(f"C{n}") for n in range(10)]
    for p in people:
        order(p, date(2026, 1, 1), [(robot, 1, "100")])
    db.session.commit()
    segment = save_segment(db.session, None, "All", [{"kind": "bought_item", "item_id": robot.id}])
    campaign = _campaign(segment, holdout_pct=D(20), seed=7, cost=D("50.00"))
    cmp.start_campaign(db.session, campaign.id)
    campaign.started_at = datetime(2026, 3, 1, 9, 0)
    db.session.commit()
    groups = dict(db.session.execute(select(CampaignRecipient.partner_id, CampaignRecipient.group)).all())
    held = sorted(p for p, g in groups.items() if g == GROUP_HOLDOUT)
    target = sorted(p for p, g in groups.items() if g != GROUP_HOLDOUT)
    assert len(held) == 2
    by_id = {p.id: p for p in people}
    # two target clients buy (margin 333.33 and 100.00), one held-out client buys (margin 50.00)
    order(by_id[target[0]], date(2026, 3, 5), [(robot, 3, "1000.00")], shipped_cost={"ROBOT": "666.67"})
    order(by_id[target[1]], date(2026, 3, 6), [(robot, 1, "300.00")], shipped_cost={"ROBOT": "200.00"})
    order(by_id[held[0]], date(2026, 3, 7), [(robot, 1, "150.00")], shipped_cost={"ROBOT": "100.00"})
    order(by_id[target[2]], date(2026, 6, 1), [(robot, 1, "999.00")])  # after the window: not counted
    db.session.commit()
    r = campaign_results(db.session, campaign.id, today=date(2026, 12, 1))
    assert (r.target.clients, r.target.orders, r.target.revenue, r.target.margin) == (8, 2, D("1300.00"), D("433.33"))
    assert (r.holdout.clients, r.holdout.orders, r.holdout.revenue, r.holdout.margin) == (2, 1, D("150.00"), D("50.00"))
    # increment = (433.33 / 8 - 50 / 2) x 8 = 233.33; revenue (1300 / 8 - 150 / 2) x 8 = 700
    assert (r.margin_increment, r.revenue_increment) == (D("233.33"), D("700.00"))
    assert r.roi == D("3.6666")  # (233.33 - 50) / 50
    assert r.margin_low < r.margin_increment < r.margin_high
