"""Marketing pages per role: lists, the live count of a rule, a campaign started from its card, results, RFM."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.marketing import Campaign, Segment
from app.services.marketing.stats import rebuild_all
from tests.marketing.builders import client, goods, order


def test_sales_builds_a_segment_and_starts_a_campaign(app, login_as):
    robot = goods("ROBOT")
    ana = client("Ana")
    order(ana, date.today() - timedelta(days=40), [(robot, 1, "1000")])
    order(ana, date.today() - timedelta(days=30), [(robot, 1, "1000")])
    db.session.commit()
    rebuild_all(db.session)
    db.session.commit()
    web = login_as("Sales")
    rules = f'[{{"kind": "bought_item", "item_id": {robot.id}}}]'
    assert web.post("/segmentview/count", data=rules).json == {"count": 1}
    assert web.post("/segmentview/count", data='[{"kind": "astrology"}]').status_code == 422
    resp = web.post("/segmentview/add", data={"name": "Robot buyers", "rules_text": rules, "active": "y"},
                    follow_redirects=True)
    assert resp.status_code == 200
    segment = db.session.query(Segment).one()
    assert segment.member_count == 1 and segment.rules == [{"kind": "bought_item", "item_id": robot.id}]
    campaign = Campaign(name="Spring", segment=segment, subject="Hi {contact}", body="Hello", holdout_pct=Decimal(0))
    db.session.add(campaign)
    db.session.commit()
    web.post(f"/campaignview/start/{campaign.id}", follow_redirects=True)
    db.session.refresh(campaign)
    assert campaign.state == "sending"
    for lang in ("ru", "es"):
        web.get(f"/lang/{lang}")
        for page in ("/segmentview/list/", "/promotionview/list/", "/campaignview/list/", "/optoutview/list/",
                     "/campaignrecipientview/list/", f"/campaignview/results/{campaign.id}", "/marketing/rfm/"):
            assert web.get(page).status_code == 200, page
    assert "Ana" in web.get("/marketing/rfm/").get_data(as_text=True)  # due: every 10 days, last 30 days ago
    assert 'id="home-call-this-week"' in web.get("/").get_data(as_text=True)
    assert login_as("Warehouse").get("/campaignview/list/").status_code == 403
