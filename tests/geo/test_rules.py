"""Duty rules: the shipped file, the matching order and every refusal on load."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from api.deadlines.sla import read_policies
from geo.datafile import DataFileError
from geo.rules import (
    ZONE_PRIORITY,
    DutyRule,
    NoDutyRule,
    RuleSet,
    UnknownCategory,
    WhistleType,
    load_rules,
    load_shipped_rules,
)

DATA = Path(__file__).resolve().parents[2] / "data"
POLICIES = read_policies(DATA / "sla_policies.csv")
HEADER = "category,zone,level,lead,support,whistle_type,sla_policy,note"
JINHAIHU = [("river", "swj"), ("farmland", "nyj"), ("forest", "ylj")]


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_shipped_rules(DATA, sla_policies=POLICIES)


def write_rules(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    """A rules file with ``header`` on line 1 and ``lines`` from line 2."""
    path = tmp_path / "duty_rules.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def load_tmp(path: Path) -> RuleSet:
    return load_rules(
        path,
        categories_path=DATA / "categories.csv",
        departments_path=DATA / "departments.csv",
        sla_policies=POLICIES,
    )


def refusal(tmp_path: Path, *lines: str, header: str = HEADER) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        load_tmp(write_rules(tmp_path, *lines, header=header))
    return info.value


# --- the shipped file -------------------------------------------------------------------------


def test_shipped_rules_load_and_cover_every_top_level_category(shipped: RuleSet) -> None:
    top_level = {
        line.split(",")[0]
        for line in (DATA / "categories.csv").read_text(encoding="utf-8").splitlines()[1:]
        if line.split(",")[2] == ""
    }
    district_top = {r.category for r in shipped if r.level == "district" and r.zone is None}
    assert top_level and top_level <= district_top
    assert any(r.level == "city" for r in shipped)
    sla_names = {"huangpu", "maanshan", "emergency"}
    assert {r.sla_policy for r in shipped} == sla_names


@pytest.mark.parametrize("category", ["E0601", "E0602"])
@pytest.mark.parametrize(("zone", "lead"), JINHAIHU)
def test_jinhaihu_place_picks_the_lead_police_and_land_cooperate(
    shipped: RuleSet, category: str, zone: str, lead: str
) -> None:
    got = shipped.match(category=category, zones=[zone])
    assert got.lead == lead
    assert {"ga", "ghzy"} <= set(got.support)
    assert got.rule.whistle_type is WhistleType.JOINT_ENFORCEMENT
    assert got.rule.zone == zone


@pytest.mark.parametrize("category", ["E0601", "E0602"])
def test_jinhaihu_without_a_zone_land_resources_leads(shipped: RuleSet, category: str) -> None:
    got = shipped.match(category=category)
    assert (got.lead, got.support) == ("ghzy", ("ga",))
    assert got.rule.zone is None


def test_shipped_enforcement_and_emergency_rules(shipped: RuleSet) -> None:
    for code in ("E0303", "E0304"):
        got = shipped.match(category=code)
        assert got.lead == "cgzf" and set(got.support) == {"ghzy", "zjw"}
        assert got.rule.whistle_type is WhistleType.JOINT_ENFORCEMENT
    assert shipped.match(category="E0401").lead == "cgzf"
    garbage = shipped.match(category="E0101")
    assert (garbage.lead, garbage.support) == ("csglw", ("cgzf",))
    for code in ("E05", "E0501", "E0503"):
        emergency = shipped.match(category=code).rule
        assert (emergency.whistle_type, emergency.sla_policy) == (
            WhistleType.EMERGENCY,
            "emergency",
        )


def test_shipped_sub_category_beats_top_level_and_zone_beats_zoneless(shipped: RuleSet) -> None:
    assert shipped.match(category="E04").lead == "cgzf"
    assert shipped.match(category="E0404").lead == "ga"  # 乱停车: its own rule
    assert shipped.match(category="E0403").rule.category == "E04"  # 店外经营: inherits
    assert shipped.match(category="E0603").lead == "cgzf"
    assert shipped.match(category="E0603", zones=["river"]).lead == "swj"


def test_shipped_city_level_differs_from_district_level(shipped: RuleSet) -> None:
    district = shipped.match(category="E0303", level="district")
    city = shipped.match(category="E0303", level="city")
    assert (district.lead, city.lead) == ("cgzf", "ghzy")
    assert city.rule.level == "city" and city.rule.line != district.rule.line
    with pytest.raises(NoDutyRule, match=r"占道经营 \(E0401\).*city"):
        shipped.match(category="E0401", level="city")


# --- matching order on a small hand-written file ----------------------------------------------

ORDER_RULES = (
    "E06,,district,sthj,ghzy,综合执法哨,huangpu,",  # line 2
    "E06,river,district,swj,ghzy,综合执法哨,huangpu,",  # line 3
    "E0601,,district,ghzy,ga,综合执法哨,huangpu,",  # line 4
    "E0601,farmland,district,nyj,ga ghzy,综合执法哨,huangpu,",  # line 5
    "E0601,forest,district,ylj,ga;ghzy,综合执法哨,huangpu,",  # line 6
    "E0602,river,district,swj,ga,综合执法哨,huangpu,",  # line 7
    "E0601,river,city,swj,ga,综合执法哨,maanshan,",  # line 8
)


@pytest.fixture
def ordered(tmp_path: Path) -> RuleSet:
    return load_tmp(write_rules(tmp_path, *ORDER_RULES))


def test_sub_category_rule_beats_a_zone_rule_of_its_parent(ordered: RuleSet) -> None:
    got = ordered.match(category="E0601", zones=["river"])
    assert (got.rule.line, got.lead) == (4, "ghzy")
    # without a rule of its own the sub-category inherits the parent's zone rule
    assert ordered.match(category="E0603", zones=["river"]).rule.line == 3
    assert ordered.match(category="E0603").rule.line == 2


def test_zone_rule_beats_zoneless_rule_of_the_same_category(ordered: RuleSet) -> None:
    assert ordered.match(category="E0601", zones=["farmland"]).rule.line == 5
    assert ordered.match(category="E0601").rule.line == 4


def test_sub_category_with_only_zone_rules_falls_back_to_its_parent(ordered: RuleSet) -> None:
    assert ordered.match(category="E0602", zones=["river"]).rule.line == 7
    got = ordered.match(category="E0602", zones=["farmland"])
    assert (got.rule.category, got.rule.line) == ("E06", 2)
    assert "按上级类别 资源环境(E06)" in got.reason


@pytest.mark.parametrize(
    "zones", [["farmland", "forest"], ["forest", "farmland"], ("farmland", "forest", "forest")]
)
def test_several_zones_pick_by_priority_whatever_the_order(
    ordered: RuleSet, zones: list[str]
) -> None:
    assert ZONE_PRIORITY.index("forest") < ZONE_PRIORITY.index("farmland")
    assert ordered.match(category="E0601", zones=zones).lead == "ylj"


def test_river_outranks_every_other_zone(shipped: RuleSet) -> None:
    assert ZONE_PRIORITY[0] == "river"
    for zones in (["farmland", "river"], ["forest", "river"], ["forest", "farmland", "river"]):
        assert shipped.match(category="E0602", zones=zones).lead == "swj"


def test_level_is_strict_no_fallback_between_tiers(ordered: RuleSet) -> None:
    assert ordered.match(category="E0601", zones=["river"], level="city").rule.line == 8
    with pytest.raises(NoDutyRule) as info:
        ordered.match(category="E0601", zones=["forest"], level="city")
    assert (info.value.category, info.value.level) == ("E0601", "city")
    assert "非法采矿 (E0601)" in str(info.value)


def test_no_rule_on_the_whole_chain_is_a_lookup_error(ordered: RuleSet) -> None:
    with pytest.raises(LookupError, match=r"暴露垃圾 \(E0101\).*district"):
        ordered.match(category="E0101")


def test_unknown_category_zone_or_level_in_match(ordered: RuleSet) -> None:
    with pytest.raises(UnknownCategory, match="'X99'"):
        ordered.match(category="X99")
    assert not issubclass(UnknownCategory, LookupError)  # distinct from "no rule"
    with pytest.raises(ValueError, match="zone kind 'lake'"):
        ordered.match(category="E0601", zones=["lake"])
    with pytest.raises(ValueError, match="level 'street'"):
        ordered.match(category="E0601", level="street")


def test_reason_names_line_category_zone_and_lead(shipped: RuleSet) -> None:
    got = shipped.match(category="E0601", zones=["river"])
    assert got.reason.startswith(f"职责清单第 {got.rule.line} 行：")
    for part in ("非法采矿(E0601)", "位于河道区域", "由区级部门办理：水务局主责", "公安", "配合"):
        assert part in got.reason
    for code in ("river", "swj", "ga", "district"):  # names, not internal codes
        assert code not in got.reason
    zoneless = shipped.match(category="E0601", zones=[])
    assert "河道" not in zoneless.reason and "规划自然资源主责" in zoneless.reason
    assert "不限区域" in zoneless.reason


def test_reason_line_numbers_count_comments_and_blank_lines(tmp_path: Path) -> None:
    path = write_rules(
        tmp_path,
        "# 金海湖",
        "",
        "E0601,river,district,swj,ga ghzy,综合执法哨,huangpu,河道",  # line 4
    )
    got = load_tmp(path).match(category="E0601", zones=["river"])
    assert got.rule.line == 4 and got.reason.startswith("职责清单第 4 行：")
    assert got.rule.note == "河道"


def test_ruleset_can_be_built_without_files() -> None:
    class Cat:
        def __init__(self, name: str, parent_code: str | None) -> None:
            self.name, self.parent_code = name, parent_code

    rule = DutyRule(
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
    rules = RuleSet(
        [rule],
        categories={"A": Cat("甲", None), "A1": Cat("甲一", "A")},
        department_names={"x": "X"},
    )
    reason = rules.match(category="A1").reason
    assert reason.endswith("：X主责") and "甲一(A1)，不限区域" in reason
    with pytest.raises(DataFileError, match="unknown department kind 'y'"):
        RuleSet(
            [rule, replace(rule, line=2, category="A", lead="y")],
            categories={"A": Cat("甲", None), "A1": Cat("甲一", "A")},
            department_names={"x": "X"},
        )


# --- refusals on load -------------------------------------------------------------------------

GOOD = "E0601,river,district,swj,ga ghzy,综合执法哨,huangpu,ok"


@pytest.mark.parametrize(
    ("bad", "field", "text"),
    [
        ("E9999,,district,cgzf,,综合执法哨,huangpu,", "category", "unknown category code 'E9999'"),
        ("E0601,river,district,swjj,ga,综合执法哨,huangpu,", "lead", "department kind 'swjj'"),
        ("E0601,river,district,swj,ga gaa,综合执法哨,huangpu,", "support", "kind 'gaa'"),
        ("E0601,lake,district,swj,ga,综合执法哨,huangpu,", "zone", "zone kind 'lake'"),
        ("E0601,river,street,swj,ga,综合执法哨,huangpu,", "level", "level 'street'"),
        ("E0601,river,district,swj,ga,吹哨,huangpu,", "whistle_type", "whistle type '吹哨'"),
        ("E0601,river,district,swj,ga,综合执法哨,tongzhou,", "sla_policy", "policy 'tongzhou'"),
        ("E0601,river,district,swj,ga;swj,综合执法哨,huangpu,", "support", "also listed"),
        ("E0601,river,district,swj,ga ga,综合执法哨,huangpu,", "support", "twice"),
        ("E0601,river,district,,ga,综合执法哨,huangpu,", "lead", "lead is empty"),
        ("E0601,river,district,swj,ga,综合执法哨,huangpu,note,extra", "note", "9 values"),
    ],
)
def test_bad_value_names_file_line_and_field(
    tmp_path: Path, bad: str, field: str, text: str
) -> None:
    error = refusal(tmp_path, "# comment", GOOD, bad)
    assert (error.line, error.column) == (4, field)
    assert str(error).startswith(f"duty_rules.csv line 4, column {field}: ")
    assert text in str(error)


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    error = refusal(tmp_path, GOOD, "E0602,river,district,swj,ga,综合执法哨,huangpu,", GOOD)
    assert (error.line, error.column) == (4, "category")
    assert "duplicate" in str(error) and "line 2" in str(error)


def test_same_category_and_zone_at_another_level_is_not_a_duplicate(tmp_path: Path) -> None:
    rules = load_tmp(write_rules(tmp_path, GOOD, GOOD.replace("district", "city")))
    assert len(rules) == 2


@pytest.mark.parametrize("missing", ["category", "lead", "sla_policy", "support"])
def test_missing_required_column(tmp_path: Path, missing: str) -> None:
    header = ",".join(c for c in HEADER.split(",") if c != missing)
    error = refusal(tmp_path, "# nothing yet", header=header)
    assert (error.line, error.column) == (1, missing)
    assert f"missing column '{missing}'" in str(error)


def test_header_after_comments_and_unknown_column(tmp_path: Path) -> None:
    error = refusal(tmp_path, header="# 职责清单\n" + HEADER + ",owner")
    assert (error.line, error.column) == (2, "owner")
    # the note column may be left out
    no_note = HEADER.rsplit(",", 1)[0]
    rules = load_tmp(write_rules(tmp_path, GOOD.rsplit(",", 1)[0], header=no_note))
    assert next(iter(rules)).note == ""


def test_empty_file_is_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, header="# only a comment")
    assert error.column == "category"


def test_catalogue_errors_name_their_own_file(tmp_path: Path) -> None:
    categories = tmp_path / "categories.csv"
    categories.write_text("code,name,parent_code\nE01,a,\nE01,b,\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"^categories.csv line 3, column code: ") as info:
        load_rules(
            write_rules(tmp_path, GOOD),
            categories_path=categories,
            departments_path=DATA / "departments.csv",
            sla_policies=POLICIES,
        )
    assert info.value.column == "code"


def test_a_duplicate_sla_policy_is_refused_by_its_one_reader(tmp_path: Path) -> None:
    sla = tmp_path / "sla_policies.csv"
    row = "huangpu,a,2d,2d,5wd"
    sla.write_text(f"name,description,acknowledge,on_site,resolve\n{row}\n{row}\n", "utf-8")
    with pytest.raises(DataFileError, match=r"^sla_policies.csv line 3, column name: "):
        read_policies(sla)
