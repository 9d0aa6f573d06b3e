"""The router (pure): which district leads, who stands in for a missing department, what the
routing carries over from the rule, and the order of its explanation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from geo.locate import StreetShare
from geo.route import Department, Routing, ZoneHit, route
from geo.rules import DutyRule, RuleMatch, WhistleType

RULE = DutyRule(
    line=9,
    category="E0401",
    zone=None,
    level="district",
    lead="cgzf",
    support=("nyj",),
    whistle_type=WhistleType.JOINT_ENFORCEMENT,
    sla_policy="huangpu",
    note="",
)
MATCH = RuleMatch(RULE, "职责清单第 9 行：占道经营")
XICHENG_CGZF = Department("110102-cgzf", "西城区城管执法局", "cgzf", "110102")
FENGTAI_CGZF = Department("110106-cgzf", "丰台区城管执法局", "cgzf", "110106")
FENGTAI_NYJ = Department("110106-nyj", "丰台区农业农村局", "nyj", "110106")
CITY_NYJ = Department("110000-nyj", "北京市农业农村局", "nyj", "110000")
CITY_CGZF = Department("110000-cgzf", "北京市城管执法局", "cgzf", "110000")
GW = StreetShare("110102020", "广安门外街道", "110102", 0.3)
TPQ = StreetShare("110106002", "太平桥街道", "110106", 0.7)
WEST = StreetShare("110106001", "西侧街道", "110106", 0.3)


def routed(
    *streets: StreetShare,
    catalogue: Sequence[Department],
    match: RuleMatch = MATCH,
    zones: Sequence[ZoneHit] = (),
    level: str = "district",
) -> Routing:
    return route(
        streets=streets,
        match=match,
        zones=zones,
        catalogue=catalogue,
        chief=None,
        generation=1,
        level=level,
    )


def test_the_lead_streets_district_leads_even_when_its_code_is_larger() -> None:
    # 太平桥 (丰台, 110106) has the larger share; 西城 (110102) has the smaller code
    got = routed(TPQ, GW, catalogue=[XICHENG_CGZF, FENGTAI_CGZF, FENGTAI_NYJ, CITY_NYJ])
    assert got.streets == (TPQ, GW) and got.lead_street == TPQ and got.joint
    assert [(d.code, d.role, d.overall_lead) for d in got.departments] == [
        ("110106-cgzf", "lead", True),
        ("110106-nyj", "support", False),
        ("110102-cgzf", "lead", False),
        ("110000-nyj", "support", False),
    ]
    text = "\n".join(got.explanation)
    assert "联合吹哨，牵头街道 太平桥街道（占比最大）" in text
    assert "跨区：110106、110102 各区部门同时报到，110106 区（牵头街道所在区）总牵头" in text
    assert "总牵头部门：丰台区城管执法局（首接负责）" in text


def test_two_streets_of_one_district_are_joint_but_not_cross_district() -> None:
    got = routed(TPQ, WEST, catalogue=[FENGTAI_CGZF, FENGTAI_NYJ])
    assert got.joint
    assert [d.code for d in got.departments] == ["110106-cgzf", "110106-nyj"]
    assert any(line.startswith("跨街道：") for line in got.explanation)
    assert not any(line.startswith("跨区：") for line in got.explanation)


def test_a_city_department_standing_in_for_two_districts_is_summoned_once() -> None:
    got = routed(TPQ, GW, catalogue=[XICHENG_CGZF, FENGTAI_CGZF, CITY_NYJ])
    assert [(d.code, d.role) for d in got.departments] == [
        ("110106-cgzf", "lead"),
        ("110000-nyj", "support"),
        ("110102-cgzf", "lead"),
    ]
    text = "\n".join(got.explanation)
    for district in ("110106", "110102"):
        assert f"{district} 区没有农业农村局(nyj)类部门，由市级 北京市农业农村局 承担" in text


@pytest.mark.parametrize("city_code", ["", None], ids=["empty", "none"])
def test_a_city_department_without_a_district_code_stands_in(city_code: str | None) -> None:
    """The shipped catalogue leaves the city departments' district_code empty."""
    city = replace(CITY_NYJ, district_code=city_code)
    got = routed(GW, catalogue=[XICHENG_CGZF, city])
    assert [(d.code, d.district_code) for d in got.departments] == [
        ("110102-cgzf", "110102"),
        ("110000-nyj", None),
    ]
    assert "110102 区没有农业农村局(nyj)类部门，由市级 北京市农业农村局 承担" in got.explanation


def test_a_district_with_its_own_departments_has_no_stand_in_note() -> None:
    got = routed(TPQ, catalogue=[FENGTAI_CGZF, FENGTAI_NYJ, CITY_NYJ, CITY_CGZF])
    assert [d.code for d in got.departments] == ["110106-cgzf", "110106-nyj"]
    assert not any("由市级" in line for line in got.explanation)


def test_escalation_to_the_city_has_no_stand_in_note() -> None:
    got = routed(TPQ, GW, catalogue=[FENGTAI_CGZF, CITY_NYJ, CITY_CGZF], level="city")
    assert [(d.code, d.overall_lead) for d in got.departments] == [
        ("110000-cgzf", True),
        ("110000-nyj", False),
    ]
    assert not any("没有" in line for line in got.explanation)


def test_whistle_type_and_sla_policy_come_from_the_rule() -> None:
    rule = replace(RULE, whistle_type=WhistleType.KEY_TASK, sla_policy="maanshan")
    got = routed(TPQ, catalogue=[FENGTAI_CGZF], match=RuleMatch(rule, "…"))
    assert (got.whistle_type, got.sla_policy) == ("重点工作哨", "maanshan")


def test_zones_in_code_order_then_the_rules_reason() -> None:
    river = ZoneHit("R1", "river", "凉水河")
    farmland = ZoneHit("F1", "farmland", "金海湖农田")
    got = routed(TPQ, catalogue=[FENGTAI_CGZF], zones=[river, farmland])
    assert got.zones == (farmland, river)
    assert got.explanation[:4] == (
        "属地街道：太平桥街道(110106002)",
        "位于 farmland 区域 F1（金海湖农田）",
        "位于 river 区域 R1（凉水河）",
        "职责清单第 9 行：占道经营",
    )


def test_a_routing_needs_a_street() -> None:
    with pytest.raises(ValueError, match="at least one street"):
        routed(catalogue=[FENGTAI_CGZF])
