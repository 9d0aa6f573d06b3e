"""Duty rule matching at its edges: a category chain that loops or leaves the catalogue, the
reason naming the zones without a rule of their own, and a rule set built in code."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

import pytest

from api.deadlines.sla import read_policies
from geo.datafile import DataFileError
from geo.rules import DutyRule, NoDutyRule, RuleSet, WhistleType, load_rules

DATA = Path(__file__).resolve().parents[2] / "data"
POLICIES = read_policies(DATA / "sla_policies.csv")
HEADER = "category,zone,level,lead,support,whistle_type,sla_policy,note"
RULE = DutyRule(
    line=1,
    category="A1",
    zone=None,
    level="district",
    lead="x",
    support=(),
    whistle_type=WhistleType.KEY_TASK,
    sla_policy="p",
    note="",
)


@dataclass(frozen=True)
class Cat:
    name: str
    parent_code: str | None


@contextmanager
def at_most(seconds: int) -> Iterator[None]:
    """Fail instead of hanging when the block does not end in time."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_cycle_of_parents_ends_the_search() -> None:
    rules = RuleSet(
        [replace(RULE, level="city")],
        categories={"A1": Cat("甲一", "A"), "A": Cat("甲", "A1")},
        department_names={"x": "X"},
    )
    assert rules.match(category="A", level="city").rule.category == "A1"
    with at_most(5), pytest.raises(NoDutyRule):
        rules.match(category="A1", level="district")


def test_a_parent_missing_from_the_catalogue_ends_the_search() -> None:
    rules = RuleSet([RULE], categories={"A1": Cat("甲一", "A")}, department_names={"x": "X"})
    assert rules.match(category="A1").rule is RULE
    with pytest.raises(NoDutyRule):
        rules.match(category="A1", level="city")


def test_a_whistle_type_that_is_not_a_whistle_type_is_refused() -> None:
    with pytest.raises(DataFileError) as info:
        RuleSet(
            [replace(RULE, whistle_type="吹哨")],  # type: ignore[arg-type]
            categories={"A1": Cat("甲一", None)},
            department_names={"x": "X"},
        )
    assert info.value.column == "whistle_type"


@pytest.fixture
def e06_only(tmp_path: Path) -> RuleSet:
    path = tmp_path / "duty_rules.csv"
    path.write_text(f"{HEADER}\nE06,,district,sthj,ghzy,综合执法哨,huangpu,\n", encoding="utf-8")
    return load_rules(
        path,
        categories_path=DATA / "categories.csv",
        departments_path=DATA / "departments.csv",
        sla_policies=POLICIES,
    )


def test_reason_names_the_zones_without_a_rule_in_priority_order(e06_only: RuleSet) -> None:
    got = e06_only.match(category="E0603", zones=["farmland", "river", "farmland"])
    assert got.rule.zone is None
    assert "，不限区域（河道、农田区域无专门规则），由区级部门办理" in got.reason


def test_reason_without_zones_says_any_place_and_nothing_more(e06_only: RuleSet) -> None:
    got = e06_only.match(category="E0603", zones=[])
    assert "，不限区域，由区级部门办理" in got.reason
    assert "无专门规则" not in got.reason
