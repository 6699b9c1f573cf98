"""Compatibility rules on a 3-level model: requires, excludes, quantity limits, groups, nesting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain import rules as r

# Level 1: processor (one of Std / Pro), boards (quantities), sensors (many of).
# Level 2: under Pro, an "accelerator" group (one of NPU / GPU).
# Level 3: under NPU, a "firmware" group (one of Basic / Vision).
STD, PRO, BOARD_A, BOARD_B, LIDAR, SONAR, NPU, GPU, FW_BASIC, FW_VISION = range(1, 11)
G_CPU, G_BOARDS, G_SENSORS, G_ACCEL, G_FW = range(101, 106)


def spec(*rules: r.RuleSpec) -> r.ModelSpec:
    groups = {
        G_CPU: r.GroupSpec(G_CPU, "Processor", r.ONE, 1, None, None, (STD, PRO)),
        G_BOARDS: r.GroupSpec(G_BOARDS, "Boards", r.QTY, 0, 6, None, (BOARD_A, BOARD_B)),
        G_SENSORS: r.GroupSpec(G_SENSORS, "Sensors", r.MANY, 0, 2, None, (LIDAR, SONAR)),
        G_ACCEL: r.GroupSpec(G_ACCEL, "Accelerator", r.ONE, 1, None, PRO, (NPU, GPU)),
        G_FW: r.GroupSpec(G_FW, "Firmware", r.ONE, 1, None, NPU, (FW_BASIC, FW_VISION)),
    }
    names = {STD: "Processor Std", PRO: "Processor Pro", BOARD_A: "Board A", BOARD_B: "Board B", LIDAR: "Lidar",
             SONAR: "Sonar", NPU: "NPU", GPU: "GPU", FW_BASIC: "Basic firmware", FW_VISION: "Vision firmware"}
    group_of = {o: g.id for g in groups.values() for o in g.options}
    options = {o: r.OptionSpec(o, group_of[o], names[o], max_qty=4 if o in (BOARD_A, BOARD_B) else None,
                               default=o == STD) for o in names}
    return r.ModelSpec(groups, options, tuple(rules))


def messages(check: r.Check) -> list[str]:
    return [v.render() for v in check.violations]


def test_the_model_has_three_levels():
    assert spec().depth() == 3


def test_requires_names_the_rule_and_blocks_the_option_until_the_target_is_chosen():
    s = spec(r.RuleSpec(1, r.REQUIRES, LIDAR, PRO))
    res = r.check(s, {STD: 1, LIDAR: 1})
    assert messages(res) == ["Option 'Lidar' requires 'Processor Pro'"]
    assert res.violations[0].rule_id == 1
    assert [v.render() for v in r.check(s, {STD: 1}).blocked[LIDAR]] == ["Option 'Lidar' requires 'Processor Pro'"]
    ok = r.check(s, {PRO: 1, NPU: 1, FW_BASIC: 1, LIDAR: 1})
    assert ok.ok and LIDAR not in ok.blocked


def test_excludes_works_both_ways():
    s = spec(r.RuleSpec(2, r.EXCLUDES, LIDAR, SONAR))
    assert messages(r.check(s, {STD: 1, LIDAR: 1, SONAR: 1})) == ["Option 'Lidar' excludes 'Sonar'"]
    assert r.check(s, {STD: 1, SONAR: 1}).blocked[LIDAR][0].render() == "Option 'Lidar' excludes 'Sonar'"
    assert r.check(s, {STD: 1, LIDAR: 1}).blocked[SONAR][0].rule_id == 2


def test_quantity_limit_applies_only_with_its_condition():
    s = spec(r.RuleSpec(3, r.MAX_QTY, BOARD_A, STD, limit=2))
    assert messages(r.check(s, {STD: 1, BOARD_A: 3})) == ["At most 2 of 'Board A' with 'Processor Std' (chosen: 3)"]
    assert r.check(s, {STD: 1, BOARD_A: 1}).limits[BOARD_A] == 2
    assert r.check(s, {PRO: 1, NPU: 1, FW_BASIC: 1, BOARD_A: 3}).ok


def test_a_group_wide_quantity_limit_counts_every_option_of_the_group():
    s = spec(r.RuleSpec(4, r.MAX_QTY, None, STD, group_id=G_BOARDS, limit=4))
    res = r.check(s, {STD: 1, BOARD_A: 3, BOARD_B: 2})
    assert messages(res) == ["At most 4 of 'Boards' with 'Processor Std' (chosen: 5)"]
    full = r.check(s, {STD: 1, BOARD_A: 4})
    assert full.limits[BOARD_B] == 0
    assert BOARD_B in full.blocked


def test_group_limits_and_option_caps():
    res = r.check(spec(), {STD: 1, PRO: 1, BOARD_A: 5, BOARD_B: 2, LIDAR: 1, SONAR: 1})
    assert "Only one option can be chosen in 'Processor'" in messages(res)
    assert "At most 4 of 'Board A'" in messages(res)
    assert "Choose at most 6 in 'Boards'" in messages(res)
    assert messages(r.check(spec(), {})) == ["Choose an option in 'Processor'"]


def test_nested_groups_count_only_under_a_chosen_option():
    s = spec(r.RuleSpec(5, r.REQUIRES, FW_VISION, LIDAR))
    # with Std chosen, the accelerator and firmware groups are inactive: their picks are dropped
    res = r.check(s, {STD: 1, NPU: 1, FW_VISION: 1})
    assert res.ok and NPU not in res.selection and FW_VISION in res.inactive
    # Pro chosen: level 2 must be chosen, then level 3, and the level-3 rule applies
    assert messages(r.check(s, {PRO: 1})) == ["Choose an option in 'Accelerator'"]
    assert messages(r.check(s, {PRO: 1, NPU: 1})) == ["Choose an option in 'Firmware'"]
    assert messages(r.check(s, {PRO: 1, NPU: 1, FW_VISION: 1})) == ["Option 'Vision firmware' requires 'Lidar'"]
    assert r.check(s, {PRO: 1, NPU: 1, FW_VISION: 1, LIDAR: 1}).ok


def test_normalise_refuses_unknown_options_and_bad_quantities():
    sel, problems = r.normalise(spec(), {"1": "1", "3": "2", "4": "0", "99": 1, "5": "-1", "6": "x"})
    assert sel == {STD: 1, BOARD_A: 2}
    assert [p.render() for p in problems] == [
        "Unknown option 99", "The quantity of 'Lidar' must be a whole number, 0 or more",
        "The quantity of 'Sonar' must be a whole number, 0 or more"]


def test_default_selection():
    assert r.default_selection(spec()) == {STD: 1}


ALL_RULES = (r.RuleSpec(1, r.REQUIRES, LIDAR, PRO), r.RuleSpec(2, r.EXCLUDES, LIDAR, SONAR),
             r.RuleSpec(3, r.MAX_QTY, BOARD_A, STD, limit=2), r.RuleSpec(4, r.REQUIRES, FW_VISION, LIDAR))


@given(st.dictionaries(st.sampled_from(range(1, 11)), st.integers(0, 6), max_size=10))
def test_check_agrees_with_the_rules_it_reports(selection):
    s = spec(*ALL_RULES)
    res = r.check(s, selection)
    chosen = res.selection
    assert set(chosen) <= set(selection) and not set(chosen) & res.inactive
    broken = {v.rule_id for v in res.violations if v.rule_id}
    assert (1 in broken) == (LIDAR in chosen and PRO not in chosen)
    assert (2 in broken) == (LIDAR in chosen and SONAR in chosen)
    assert (3 in broken) == (STD in chosen and chosen.get(BOARD_A, 0) > 2)
    assert (4 in broken) == (FW_VISION in chosen and LIDAR not in chosen)
    for opt, reasons in res.blocked.items():
        assert opt not in res.inactive and all(v.rule_id in (1, 2, 3, 4) for v in reasons)
