"""The router (pure): departments per district, fallbacks to the city, and the explanation."""

from __future__ import annotations

import pytest

from geo.locate import StreetShare
from geo.route import (
    ChiefRef,
    Department,
    FirstReceiver,
    ZoneHit,
    lead_first,
    route,
    share_labels,
)
from geo.rules import DutyRule, RuleMatch, WhistleType

RULE = DutyRule(
    line=9,
    category="E0401",
    zone=None,
    level="district",
    lead="cgzf",
    support=("nyj", "zz"),
    whistle_type=WhistleType.JOINT_ENFORCEMENT,
    sla_policy="huangpu",
    note="",
)
MATCH = RuleMatch(RULE, "职责清单第 9 行：…")
CATALOGUE = [
    Department("110102-cgzf", "西城区城管执法局", "cgzf", "110102"),
    Department("110106-cgzf", "丰台区城管执法局", "cgzf", "110106"),
    Department("110106-nyj", "丰台区农业农村局", "nyj", "110106"),
    Department("110000-nyj", "北京市农业农村局", "nyj", "110000"),
]
GW = StreetShare("110102020", "广安门外街道", "110102", 0.7)
TPQ = StreetShare("110106002", "太平桥街道", "110106", 0.3)


def test_each_district_summons_its_own_and_the_lead_streets_district_leads() -> None:
    got = route(
        streets=(GW, TPQ), match=MATCH, zones=(), catalogue=CATALOGUE, chief=None, generation=3
    )
    assert [(d.code, d.role, d.overall_lead) for d in got.departments] == [
        ("110102-cgzf", "lead", True),
        ("110000-nyj", "support", False),  # 西城 has none: the city's
        ("110106-cgzf", "lead", False),
        ("110106-nyj", "support", False),
    ]
    text = "\n".join(got.explanation)
    assert "跨街道：广安门外街道(110102020) 70%、太平桥街道(110106002) 30%" in text
    assert "跨区：110102、110106" in text
    assert "110102 区没有农业农村局(nyj)类部门，由市级 北京市农业农村局 承担" in text
    assert "部门目录中没有zz(zz)类部门，未能派出" in text  # an unknown kind keeps its code
    assert "总牵头部门：西城区城管执法局（首接负责）" in text
    assert got.generation == 3 and got.whistle_type == str(WhistleType.JOINT_ENFORCEMENT)


def test_one_street_with_a_zone_and_a_chief() -> None:
    chief = ChiefRef("王某", "街巷长", "广安门外大街", "street", 42.4)
    got = route(
        streets=(StreetShare(GW.code, GW.name, GW.district_code, 1.0),),
        match=MATCH,
        zones=(ZoneHit("R1", "river", "凉水河"),),
        catalogue=CATALOGUE,
        chief=chief,
        generation=3,
        facts=["点位 …"],
    )
    assert got.explanation[0] == "点位 …"
    assert "属地街道：广安门外街道(110102020)" in got.explanation
    assert "位于 river 区域 R1（凉水河）" in got.explanation
    assert got.explanation[-1] == "最近街巷：广安门外大街（42 米）→ 街巷长 王某"
    assert not got.joint and got.chief == chief


def test_escalation_summons_the_city_departments() -> None:
    got = route(
        streets=(GW, TPQ),
        match=MATCH,
        zones=(),
        catalogue=[*CATALOGUE, Department("110000-cgzf", "北京市城管执法局", "cgzf", None)],
        chief=None,
        generation=3,
        level="city",
    )
    assert [(d.code, d.role) for d in got.departments] == [
        ("110000-cgzf", "lead"),
        ("110000-nyj", "support"),
    ]


NEAR_GW = StreetShare("110102020", "广安门外街道", "110102", 0.5006)
NEAR_TPQ = StreetShare("110106002", "太平桥街道", "110106", 0.4994)


def test_the_street_that_received_the_report_leads_a_near_tie() -> None:
    received = FirstReceiver("110106002", tolerance=0.05)
    got = route(
        streets=(NEAR_GW, NEAR_TPQ),
        match=MATCH,
        zones=(),
        catalogue=CATALOGUE,
        chief=None,
        generation=3,
        received=received,
    )
    assert got.lead_street.code == "110106002"
    assert [d.code for d in got.departments if d.overall_lead] == ["110106-cgzf"]
    text = "\n".join(got.explanation)
    assert "太平桥街道(110106002) 49.9%、广安门外街道(110102020) 50.1%" in text
    assert "牵头街道 太平桥街道（首接负责：" in text and "不超过 5 个百分点" in text


@pytest.mark.parametrize(
    ("received", "lead"),
    [
        (None, "110102020"),  # no receiving street: the largest share leads
        (FirstReceiver("110106002", tolerance=0.30), "110102020"),  # 40 points apart
        (FirstReceiver("110106002", tolerance=0.40), "110106002"),  # just within
        (FirstReceiver("110102020", tolerance=0.40), "110102020"),  # already the largest
        (FirstReceiver("110101001", tolerance=0.40), "110102020"),  # not a party
    ],
)
def test_the_largest_share_leads_otherwise(received: FirstReceiver | None, lead: str) -> None:
    streets, by_receipt = lead_first((GW, TPQ), received)
    assert streets[0].code == lead
    assert by_receipt == (lead != "110102020")
    assert {s.code for s in streets} == {GW.code, TPQ.code}


def test_shares_read_whole_unless_two_would_read_the_same() -> None:
    assert share_labels((GW, TPQ)) == ["70%", "30%"]
    assert share_labels((NEAR_GW, NEAR_TPQ)) == ["50.1%", "49.9%"]
