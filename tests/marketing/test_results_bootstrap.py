"""The bootstrap interval of a campaign's added margin on synthetic histories: given beside the normal one when
few clients bought (the margins are skewed), seeded (the same figures every time), Decimal, inside what any
resample can give; not given when many bought and the margins are symmetric."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.services.marketing.results import GroupFigures, _compare, bootstrap_interval, skewed

D = Decimal
DAY = date(2026, 3, 1)


def _group(margins: list[str]) -> GroupFigures:
    values = [D(m) for m in margins]
    return GroupFigures(clients=len(values), buyers=sum(1 for v in values if v), margin=sum(values, D(0)),
                        per_client=values)


def test_few_buyers_get_a_seeded_bootstrap_interval_that_never_goes_below_zero():
    # 200 clients mailed, 3 bought (one big order); 50 held out, none bought
    target = _group(["12000.00", "800.00", "450.50"] + ["0"] * 197)
    holdout = _group(["0"] * 50)
    assert skewed(target, holdout)
    r = _compare(target, holdout, DAY, DAY, D("1000.00"), seed=7)
    assert r.margin_increment == D("13250.50")
    # the normal interval reaches below zero, which no resample can: no client has a negative margin
    assert r.margin_low < 0
    assert isinstance(r.boot_low, Decimal) and r.boot_low >= 0
    assert r.boot_low < r.margin_increment < r.boot_high <= D("13250.50") * 3
    assert r.boot_high == r.boot_high.quantize(D("0.01"))
    # seeded: the same campaign gives the same interval, another seed another
    again = _compare(_group(["12000.00", "800.00", "450.50"] + ["0"] * 197), _group(["0"] * 50), DAY, DAY,
                     D("1000.00"), seed=7)
    assert (again.boot_low, again.boot_high) == (r.boot_low, r.boot_high)
    assert bootstrap_interval(target, holdout, 8) != (r.boot_low, r.boot_high)


def test_a_hand_checkable_bootstrap():
    # every target client has 10.00, every held-out client 4.00: each resample gives (10 - 4) x 5 = 30.00
    low, high = bootstrap_interval(_group(["10.00"] * 5), _group(["4.00"] * 3), seed=1)
    assert (low, high) == (D("30.00"), D("30.00"))


def test_many_buyers_with_symmetric_margins_keep_the_normal_interval_alone():
    target = _group([str(100 + (n % 7)) for n in range(60)])
    holdout = _group([str(98 + (n % 5)) for n in range(40)])
    assert not skewed(target, holdout)
    r = _compare(target, holdout, DAY, DAY, D(0))
    assert (r.boot_low, r.boot_high) == (None, None)
    assert r.margin_low < r.margin_increment < r.margin_high
