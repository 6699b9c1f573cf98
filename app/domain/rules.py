"""Compatibility rules of a configurable product model, as pure logic (no Flask, no SQLAlchemy).

A model is a tree: option groups at the top, options in groups, and groups nested under options
(a group under an option counts only while that option is chosen). Rules:

- requires: option A needs option B chosen too ("Option 'Lidar' requires 'Processor Pro'");
- excludes: A and B can't be chosen together (the rule works both ways);
- max_qty: at most N of option A (or of all options of group G) when option B is chosen, or always
  without B ("at most 4 boards with processor X").

`check` answers what the configurator shows after every click: the effective selection (options in
inactive groups dropped), every violation with the rule that raised it, and for each option the
reasons it can't be chosen now (so the page disables it and says why) and the largest quantity it
may take. Messages are English msgids with parameters, translated at the edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

ONE, MANY, QTY = "one", "many", "qty"
REQUIRES, EXCLUDES, MAX_QTY = "requires", "excludes", "max_qty"

MSG_REQUIRES = "Option '%(option)s' requires '%(target)s'"
MSG_EXCLUDES = "Option '%(option)s' excludes '%(target)s'"
MSG_MAX_WITH = "At most %(limit)s of '%(option)s' with '%(target)s' (chosen: %(qty)s)"
MSG_MAX = "At most %(limit)s of '%(option)s' (chosen: %(qty)s)"
MSG_CHOOSE_ONE = "Choose an option in '%(group)s'"
MSG_ONLY_ONE = "Only one option can be chosen in '%(group)s'"
MSG_MIN = "Choose at least %(min)s in '%(group)s'"
MSG_MAX_GROUP = "Choose at most %(max)s in '%(group)s'"
MSG_OPTION_MAX = "At most %(max)s of '%(option)s'"
MSG_BAD_QTY = "The quantity of '%(option)s' must be a whole number, 0 or more"
MSG_UNKNOWN = "Unknown option %(option)s"
MESSAGES = (MSG_REQUIRES, MSG_EXCLUDES, MSG_MAX_WITH, MSG_MAX, MSG_CHOOSE_ONE, MSG_ONLY_ONE, MSG_MIN,
            MSG_MAX_GROUP, MSG_OPTION_MAX, MSG_BAD_QTY, MSG_UNKNOWN)


@dataclass(frozen=True)
class OptionSpec:
    id: int
    group_id: int
    name: str
    max_qty: int | None = None
    default: bool = False


@dataclass(frozen=True)
class GroupSpec:
    id: int
    name: str
    kind: str = ONE
    min_select: int = 0
    max_select: int | None = None
    parent_option_id: int | None = None
    options: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    id: int
    kind: str
    option_id: int | None = None
    target_id: int | None = None
    group_id: int | None = None
    limit: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    groups: Mapping[int, GroupSpec]
    options: Mapping[int, OptionSpec]
    rules: tuple[RuleSpec, ...] = ()

    def depth(self) -> int:
        """Levels of nesting: 1 when no group hangs under an option."""
        def level(group: GroupSpec) -> int:
            if group.parent_option_id is None:
                return 1
            return 1 + level(self.groups[self.options[group.parent_option_id].group_id])
        return max((level(g) for g in self.groups.values()), default=0)


@dataclass(frozen=True)
class Violation:
    """A broken rule: which rule (id, or None for a group's own limits), the message and its parameters."""

    kind: str
    msgid: str
    params: dict
    rule_id: int | None = None
    option_ids: tuple[int, ...] = ()

    def render(self, translate=None) -> str:
        text = translate(self.msgid) if translate else self.msgid
        try:
            return text % self.params
        except (KeyError, ValueError, TypeError):
            return text


@dataclass
class Check:
    """What the configurator shows: the effective selection, violations, blocked options and limits."""

    selection: dict[int, int]
    violations: list[Violation] = field(default_factory=list)
    blocked: dict[int, list[Violation]] = field(default_factory=dict)
    inactive: set[int] = field(default_factory=set)  # options whose group hangs under an unchosen option
    limits: dict[int, int] = field(default_factory=dict)  # option -> the most it may take now

    @property
    def ok(self) -> bool:
        return not self.violations


def default_selection(spec: ModelSpec) -> dict[int, int]:
    """The options marked as default, one of each."""
    return {o.id: 1 for o in spec.options.values() if o.default}


def normalise(spec: ModelSpec, raw: Mapping) -> tuple[dict[int, int], list[Violation]]:
    """Turn a selection from the page ({"12": "2"}) into option id -> whole quantity, with problems."""
    out: dict[int, int] = {}
    problems: list[Violation] = []
    for key, value in raw.items():
        try:
            opt_id = int(key)
        except (TypeError, ValueError):
            problems.append(Violation("input", MSG_UNKNOWN, {"option": str(key)[:40]}))
            continue
        option = spec.options.get(opt_id)
        if option is None:
            problems.append(Violation("input", MSG_UNKNOWN, {"option": opt_id}))
            continue
        qty = _whole(value)
        if qty is None or qty < 0:
            problems.append(Violation("input", MSG_BAD_QTY, {"option": option.name}, option_ids=(opt_id,)))
            continue
        if qty:
            out[opt_id] = qty
    return out, problems


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        text = str(value).strip()
        number = int(text) if text.lstrip("-").isdigit() else None
    except (TypeError, ValueError):
        return None
    return number


def effective(spec: ModelSpec, selection: Mapping[int, int]) -> tuple[dict[int, int], set[int]]:
    """The chosen options that count (their group is active), and the options of inactive groups."""
    active_groups: set[int] = set()
    inactive: set[int] = set()
    pending = [g for g in spec.groups.values() if g.parent_option_id is None]
    children: dict[int, list[GroupSpec]] = {}
    for g in spec.groups.values():
        if g.parent_option_id is not None:
            children.setdefault(g.parent_option_id, []).append(g)
    while pending:
        group = pending.pop()
        active_groups.add(group.id)
        for opt_id in group.options:
            for child in children.get(opt_id, ()):
                if selection.get(opt_id, 0) > 0:
                    pending.append(child)
    for opt in spec.options.values():
        if opt.group_id not in active_groups:
            inactive.add(opt.id)
    chosen = {k: v for k, v in selection.items() if v > 0 and k in spec.options and k not in inactive}
    return chosen, inactive


def check(spec: ModelSpec, selection: Mapping[int, int]) -> Check:
    """Every rule and group limit against the selection, plus what each option may do next."""
    chosen, inactive = effective(spec, selection)
    result = Check(chosen, inactive=inactive)
    _group_limits(spec, chosen, inactive, result)
    for rule in spec.rules:
        if rule.kind == REQUIRES:
            _requires(spec, rule, chosen, inactive, result)
        elif rule.kind == EXCLUDES:
            _excludes(spec, rule, chosen, inactive, result)
        elif rule.kind == MAX_QTY:
            _max_qty(spec, rule, chosen, inactive, result)
    return result


def _name(spec: ModelSpec, opt_id: int | None) -> str:
    option = spec.options.get(opt_id) if opt_id is not None else None
    return option.name if option else str(opt_id)


def _block(result: Check, opt_id: int, violation: Violation) -> None:
    result.blocked.setdefault(opt_id, []).append(violation)


def _group_limits(spec: ModelSpec, chosen: dict[int, int], inactive: set[int], result: Check) -> None:
    for group in spec.groups.values():
        if group.options and group.options[0] in inactive:
            continue
        picked = [o for o in group.options if o in chosen]
        if group.kind == QTY:
            total = sum(chosen[o] for o in picked)
            for o in picked:
                cap = spec.options[o].max_qty
                if cap is not None and chosen[o] > cap:
                    result.violations.append(Violation("group", MSG_OPTION_MAX, {"max": cap, "option": _name(spec, o)},
                                                       option_ids=(o,)))
            for o in group.options:
                cap = spec.options[o].max_qty
                if cap is not None:
                    result.limits[o] = cap
                if group.max_select is not None:
                    room = group.max_select - (total - chosen.get(o, 0))
                    result.limits[o] = min(result.limits.get(o, room), room)
            count = total
        else:
            count = len(picked)
            if group.kind == ONE and count > 1:
                result.violations.append(Violation("group", MSG_ONLY_ONE, {"group": group.name},
                                                   option_ids=tuple(picked)))
        if count < group.min_select:
            msgid = MSG_CHOOSE_ONE if group.kind == ONE else MSG_MIN
            result.violations.append(Violation("group", msgid, {"group": group.name, "min": group.min_select}))
        if group.kind != ONE and group.max_select is not None and count > group.max_select:
            result.violations.append(Violation("group", MSG_MAX_GROUP, {"group": group.name, "max": group.max_select},
                                               option_ids=tuple(picked)))


def _requires(spec: ModelSpec, rule: RuleSpec, chosen: dict[int, int], inactive: set[int], result: Check) -> None:
    if rule.option_id is None or rule.target_id is None:
        return
    violation = Violation(REQUIRES, MSG_REQUIRES, {"option": _name(spec, rule.option_id),
                                                   "target": _name(spec, rule.target_id)},
                          rule.id, (rule.option_id, rule.target_id))
    if rule.target_id in chosen:
        return
    if rule.option_id in chosen:
        result.violations.append(violation)
    if rule.option_id not in inactive:
        _block(result, rule.option_id, violation)


def _excludes(spec: ModelSpec, rule: RuleSpec, chosen: dict[int, int], inactive: set[int], result: Check) -> None:
    a, b = rule.option_id, rule.target_id
    if a is None or b is None:
        return
    violation = Violation(EXCLUDES, MSG_EXCLUDES, {"option": _name(spec, a), "target": _name(spec, b)}, rule.id,
                          (a, b))
    if a in chosen and b in chosen:
        result.violations.append(violation)
    if a in chosen and b not in inactive:
        _block(result, b, violation)
    if b in chosen and a not in inactive:
        _block(result, a, violation)


def _max_qty(spec: ModelSpec, rule: RuleSpec, chosen: dict[int, int], inactive: set[int], result: Check) -> None:
    if rule.limit is None or (rule.option_id is None and rule.group_id is None):
        return
    if rule.target_id is not None and rule.target_id not in chosen:
        return
    if rule.option_id is not None:
        subjects = (rule.option_id,)
        label = _name(spec, rule.option_id)
    else:
        group = spec.groups.get(rule.group_id)
        if group is None:
            return
        subjects, label = group.options, group.name
    qty = sum(chosen.get(o, 0) for o in subjects)
    params = {"limit": rule.limit, "option": label, "qty": qty}
    msgid = MSG_MAX
    if rule.target_id is not None:
        params["target"] = _name(spec, rule.target_id)
        msgid = MSG_MAX_WITH
    violation = Violation(MAX_QTY, msgid, params, rule.id, tuple(subjects))
    if qty > rule.limit:
        result.violations.append(violation)
    for o in subjects:
        if o in inactive:
            continue
        room = rule.limit - (qty - chosen.get(o, 0))
        result.limits[o] = min(result.limits.get(o, room), room)
        if room <= 0 and o not in chosen:
            _block(result, o, violation)
