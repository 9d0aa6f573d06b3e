"""The register geocoder: each caller perturbation, interpolation, unknown, ambiguous, reverse.

Two registers: a hand-made one whose positions are laid out here in EPSG:4548 metres (so
expected positions are computed independently of the geocoder), and the demo city's.
"""

from __future__ import annotations

import doctest
import re
import time

import pandas as pd
import pytest
from pyproj import Transformer

import geo.geocode
from geo.geocode import MATCH_THRESHOLD, Candidate, Geocoder
from grids.addresses import area_names, demo_register
from grids.demo import build_demo_city

TO_M = Transformer.from_crs(4326, 4548, always_xy=True)
TO_LL = Transformer.from_crs(4548, 4326, always_xy=True)
X0, Y0 = TO_M.transform(116.39, 39.91)
XC, GW = "110102", "110102020"  # 西城区, 广安门外街道
FT, TPQ = "110106", "110106002"  # 丰台区, 太平桥街道
NAMES = {XC: "西城区", GW: "广安门外街道", GW + "001": "鸭子桥社区", FT: "丰台区",
         TPQ: "太平桥街道", TPQ + "001": "西铁营村"}  # fmt: skip


def _entry(text: str, kind: str, x: float, y: float, street: str, **parts: object) -> dict:
    lon, lat = TO_LL.transform(X0 + x, Y0 + y)
    return {"id": f"T-{text}", "text": text, "kind": kind,
            "road": "", "number": None, "suffix": "", "side": "", "name": "", "building": None,
            "group": None, "lon": lon, "lat": lat, "grid_code": street + "001001",
            "community_code": street + "001", "street_code": street, "district_code": street[:6],
            **parts}  # fmt: skip


def _plate(road: str, number: int, x: float, street: str = GW, suffix: str = "") -> dict:
    side = "odd" if number % 2 else "even"
    y = 12.0 if side == "odd" else -12.0
    return _entry(f"{road}{suffix}{number}号", "plate", x, y, street,
                  road=road, number=number, side=side, suffix=suffix)  # fmt: skip


def _small_register() -> pd.DataFrame:
    rows = [_plate("瑞庆街", n, x) for n, x in ((1, 0), (3, 30), (9, 120))]
    rows += [_plate("瑞庆街", n, x) for n, x in ((2, 0), (4, 30), (6, 60), (8, 90), (10, 120),
                                               (12, 150))]  # fmt: skip
    rows += [_plate("瑞庆巷", 12, 2000.0, TPQ), _plate("瑞庆巷", 14, 2030.0, TPQ)]
    # 嘉泰大街 runs north-south across 瑞庆街 at x = 64 m, doors 12 m either side of it
    rows += [_entry(f"嘉泰大街{n}号", "plate", 64 + (12 if n % 2 else -12), y, GW, road="嘉泰大街",
                    number=n, side="odd" if n % 2 else "even")
             for n, y in ((1, -75), (2, -75), (3, -45), (4, -45), (5, 45), (6, 45), (7, 75))]  # fmt: skip
    rows += [
        _entry("瑞庆街11号院", "compound", 150, 12, GW, road="瑞庆街", number=11, side="odd"),
        *(_entry(f"瑞庆街11号院{b}号楼", "building", 150 + 20 * b, 60, GW, road="瑞庆街",
                 number=11, side="odd", building=b) for b in (1, 2)),
        _entry("康乐小区", "compound", 500, 500, GW, name="康乐小区"),
        *(_entry(f"康乐小区{b}号楼", "building", 500 + 25 * b, 500, GW, name="康乐小区",
                 building=b) for b in (1, 2)),
        _entry("玉桃园小学", "poi", 800, 0, GW, name="玉桃园小学"),
        _entry("黄寺大街24号商务楼", "poi", 1200, 600, GW, name="黄寺大街24号商务楼"),
        *(_entry(f"西铁营村1组{h}号", "village", 3000 + 18 * h, 0, TPQ, name="西铁营村",
                 group=1, number=h) for h in (1, 2, 3)),
    ]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def small() -> Geocoder:
    return Geocoder(_small_register(), area_names=NAMES)


def _xy(candidate: Candidate) -> tuple[float, float]:
    x, y = TO_M.transform(candidate.lon, candidate.lat)
    return x - X0, y - Y0


def _best(geocoder: Geocoder, text: str) -> Candidate:
    result = geocoder.geocode(text)
    assert result.status == "matched", (text, result)
    return result.candidates[0]


# --- the hand-made register ----------------------------------------------------------------


def test_an_exact_plate(small: Geocoder) -> None:
    best = _best(small, "瑞庆街9号")
    assert (best.text, best.level, best.score) == ("瑞庆街9号", "plate", 100.0)
    assert _xy(best) == pytest.approx((120.0, 12.0), abs=0.01)
    assert (best.street, best.district) == (GW, XC)


@pytest.mark.parametrize(
    ("said", "text", "x"), [("瑞庆街5号", "瑞庆街5号", 60.0), ("瑞庆街七号", "瑞庆街7号", 90.0)]
)
def test_a_missing_number_is_interpolated_between_its_side_neighbours(
    small: Geocoder, said: str, text: str, x: float
) -> None:
    # the odd side has 3 at x=30 and 9 at x=120: 5 is a third of the way, 7 two thirds;
    # uncertain by half the gap (the even side's 4 and 6 are on the other side, y=-12)
    best = _best(small, said)
    assert (best.text, best.level) == (text, "plate")
    assert _xy(best) == pytest.approx((x, 12.0), abs=0.01)
    assert best.uncertainty_m == pytest.approx(45.0, abs=0.01)
    assert best.matched["between"] == "3号-9号"


def test_a_number_past_the_last_on_its_side_is_not_extrapolated(small: Geocoder) -> None:
    # the odd side ends at 11 (a 号院): 13 has no upper neighbour to interpolate towards
    best = _best(small, "瑞庆街十三号")
    assert (best.text, best.level) == ("瑞庆街", "road")


def test_an_unknown_number_falls_back_to_the_road(small: Geocoder) -> None:
    best = _best(small, "瑞庆街99号")
    assert (best.text, best.level) == ("瑞庆街", "road")
    # doors span x = 0 … 150 m: half the length, around the middle
    assert best.uncertainty_m == pytest.approx(75.0, abs=1.0)
    assert abs(_xy(best)[0] - 75.0) <= 30.0
    assert best.score < 100.0


def test_a_road_alone_is_road_level(small: Geocoder) -> None:
    best = _best(small, "瑞庆街附近")
    assert (best.text, best.level, best.score) == ("瑞庆街", "road", 100.0)


@pytest.mark.parametrize(
    "text",
    ["光明路5号", "今天天气很好", "", "12号", "上海市黄浦区南京东路100号", "四川省广安市前锋区"],
)
def test_nothing_like_the_register_is_unknown(small: Geocoder, text: str) -> None:
    result = small.geocode(text)
    assert (result.status, result.candidates) == ("unknown", [])


def test_a_wrong_character_in_a_short_name_is_taken_when_the_door_confirms_it(
    small: Geocoder,
) -> None:
    # 瑞青街 is one character away from 瑞庆街, which has a 9号: taken, below full marks
    best = _best(small, "瑞青街9号")
    assert best.text == "瑞庆街9号"
    assert MATCH_THRESHOLD <= best.score < 100.0
    # the street it is in, named, makes it likelier still
    named = _best(small, "广安门外街道瑞青街9号")
    assert named.text == "瑞庆街9号"
    assert best.score < named.score < 100.0


def test_a_wrong_character_in_a_short_name_and_a_door_it_lacks_is_unknown(
    small: Geocoder,
) -> None:
    # two guesses (the name and a number past the road's doors) are no answer
    assert small.geocode("瑞青街99号").status == "unknown"
    # two wrong characters of three are not a typo
    assert small.geocode("瑞青巷9号").status == "unknown"


def test_close_rivals_are_ambiguous(small: Geocoder) -> None:
    result = small.geocode("瑞庆路12号")
    assert result.status == "ambiguous"
    assert {c.text for c in result.candidates[:2]} == {"瑞庆街12号", "瑞庆巷12号"}


def test_a_number_missing_on_the_road_said_but_on_its_namesake_is_ambiguous(
    small: Geocoder,
) -> None:
    # 瑞庆街 has no 14 (its even side ends at 12); 瑞庆巷, the same name but the generic, has
    result = small.geocode("瑞庆街14号")
    assert result.status == "ambiguous"
    assert {c.text for c in result.candidates[:2]} == {"瑞庆街", "瑞庆巷14号"}
    # when the road said has the number, its namesake is no rival
    assert _best(small, "瑞庆街12号").text == "瑞庆街12号"


def test_a_named_district_settles_the_rivals(small: Geocoder) -> None:
    assert _best(small, "丰台区瑞庆路12号").text == "瑞庆巷12号"
    assert _best(small, "西城区瑞庆路12号").text == "瑞庆街12号"


def test_a_district_the_entry_is_not_in_costs_points(small: Geocoder) -> None:
    right, wrong = _best(small, "西城区瑞庆街9号"), _best(small, "丰台区瑞庆街9号")
    assert right.text == wrong.text == "瑞庆街9号"
    assert right.score == 100.0
    assert wrong.score < right.score
    assert right.matched["district"] == "西城区"
    assert "district" not in wrong.matched


def test_an_area_alone_is_that_level(small: Geocoder) -> None:
    best = _best(small, "广外街道")
    assert (best.text, best.level, best.street, best.district) == ("广安门外街道", "street", GW, XC)
    assert best.community == best.grid == ""  # a street answer names no finer area


@pytest.mark.parametrize("said", ["瑞庆街与嘉泰大街交叉口", "瑞庆街和嘉泰大街路口附近"])
def test_two_roads_that_meet_are_a_crossing(small: Geocoder, said: str) -> None:
    best = _best(small, said)
    assert (best.text, best.kind, best.level) == ("瑞庆街与嘉泰大街交叉口", "crossing", "road")
    # the nearest doors: 瑞庆街6号 (60, -12) and 嘉泰大街4号 (52, -45), 34 m apart (the
    # next pair, 瑞庆街8号 and 嘉泰大街3号, is 35.8 m apart); at least 30 m uncertain
    assert _xy(best) == pytest.approx((56.0, -28.5), abs=0.01)
    assert best.uncertainty_m == pytest.approx(30.0)
    assert best.matched == {"road": "瑞庆街", "crossing": "嘉泰大街"}


def test_two_roads_that_do_not_meet_are_ambiguous(small: Geocoder) -> None:
    result = small.geocode("瑞庆街与瑞庆巷交叉口")
    assert result.status == "ambiguous"
    assert {c.text for c in result.candidates} == {"瑞庆街", "瑞庆巷"}


def test_a_missing_suffix_plate_gives_its_base_number(small: Geocoder) -> None:
    best = _best(small, "瑞庆街甲9号")
    assert best.text == "瑞庆街9号"
    assert best.matched["number"] == "9"
    assert best.score < 100.0


@pytest.mark.parametrize(
    "text", ["瑞庆街11号院2号楼", "瑞庆街11号2栋", "瑞庆街十一号院二号楼三单元五零一室"]
)
def test_yuan_and_building_variants(small: Geocoder, text: str) -> None:
    best = _best(small, text)
    assert best.text == "瑞庆街11号院2号楼"
    assert best.matched["building"] == "2"


def test_unit_and_room_are_reported(small: Geocoder) -> None:
    best = _best(small, "瑞庆街11号院2号楼3单元501室")
    assert (best.matched["unit"], best.matched["room"]) == ("3", "501")


def test_a_compound_building_and_a_missing_building(small: Geocoder) -> None:
    assert _best(small, "康乐小区2号楼").text == "康乐小区2号楼"
    missing = _best(small, "康乐小区9号楼")
    assert (missing.text, missing.level) == ("康乐小区", "compound")
    assert missing.score < 100.0


def test_a_place_with_noise(small: Geocoder) -> None:
    best = _best(small, "北京市玉桃园小学门口对面")
    assert (best.text, best.level) == ("玉桃园小学", "poi")


def test_a_place_whose_name_holds_a_door_number(small: Geocoder) -> None:
    best = _best(small, "黄寺大街二十四号商务楼门口")
    assert (best.text, best.level, best.score) == ("黄寺大街24号商务楼", "poi", 100.0)


def test_a_village_house_in_words(small: Geocoder) -> None:
    best = _best(small, "西铁营村一组二号")
    assert (best.text, best.level) == ("西铁营村1组2号", "plate")


def test_a_village_group_without_a_house_is_community_level(small: Geocoder) -> None:
    best = _best(small, "西铁营村1组")
    assert (best.text, best.level, best.community, best.grid) == (
        "西铁营村1组",
        "community",
        TPQ + "001",
        "",
    )
    # the houses sit 18 m apart around x = 3036 m
    assert abs(_xy(best)[0] - 3036.0) <= 18.0


def test_reverse_names_side_and_distance(small: Geocoder) -> None:
    lon, lat = TO_LL.transform(X0 + 830.0, Y0)
    found = small.reverse(lon, lat)
    assert found is not None
    assert found.text == "玉桃园小学东侧约30米"
    assert found.distance_m == pytest.approx(30.0, abs=0.01)
    lon, lat = TO_LL.transform(X0 + 800.0 - 21.0, Y0 + 21.0)
    northwest = small.reverse(lon, lat)
    assert northwest is not None and northwest.text == "玉桃园小学西北侧约30米"


def test_reverse_at_the_entry_is_the_entry(small: Geocoder) -> None:
    lon, lat = TO_LL.transform(X0 + 2000.0, Y0 - 12.0 + 2.0)
    found = small.reverse(lon, lat)
    assert found is not None and found.text == "瑞庆巷12号"


@pytest.mark.parametrize(("metres", "found"), [(95.0, True), (105.0, False)])
def test_reverse_reaches_100_metres(small: Geocoder, metres: float, found: bool) -> None:
    lon, lat = TO_LL.transform(X0 + 800.0, Y0 - metres)
    answer = small.reverse(lon, lat)
    assert (answer is not None) is found
    if answer is not None:
        assert answer.text == "玉桃园小学南侧约100米"
    assert small.reverse(lon, lat, max_m=200.0) is not None


def test_reverse_far_outside_the_metric_zone_finds_nothing(small: Geocoder) -> None:
    assert small.reverse(25.1, -0.006) is None  # EPSG:4548 has no metres there (inf)


def test_reverse_many_points_at_once_answers_as_one_by_one(small: Geocoder) -> None:
    points = [TO_LL.transform(X0 + x, Y0 + y) for x, y in ((830.0, 0.0), (0.0, 14.0),
                                                          (800.0, -105.0))]  # fmt: skip
    points.append((25.1, -0.006))  # beyond the metric zone
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    many = small.reverse_many(lons, lats)
    assert many == [small.reverse(lon, lat) for lon, lat in points]
    assert [None if r is None else r.text for r in many] == [
        "玉桃园小学东侧约30米", "瑞庆街1号", None, None]  # fmt: skip
    assert small.reverse_many([], []) == []


def test_a_register_with_only_some_columns_and_blanks() -> None:
    frame = pd.DataFrame({"text": ["瑞庆街12号", "玉桃园小学"], "kind": ["plate", "poi"],
                          "road": ["瑞庆街", None], "name": [None, "玉桃园小学"],
                          "number": [12, None], "lon": [116.39, 116.40], "lat": [39.91, 39.91]})  # fmt: skip
    geocoder = Geocoder(frame)
    assert _best(geocoder, "瑞庆街12号").text == "瑞庆街12号"
    assert _best(geocoder, "玉桃园小学").level == "poi"
    assert set(geocoder.index.roads) == {"瑞庆街"}  # a blank road is no road named "None"


def test_an_empty_register_knows_nothing() -> None:
    geocoder = Geocoder(pd.DataFrame({"text": [], "kind": [], "lon": [], "lat": []}))
    assert geocoder.geocode("瑞庆街12号").status == "unknown"
    assert geocoder.reverse(116.39, 39.91) is None
    assert geocoder.reverse_many([116.39], [39.91]) == [None]


# --- one character wrong, missing or extra: the door, building or 号院 says which name ----


def _typo_register() -> pd.DataFrame:
    """Roads and compounds whose names differ in one character, in two streets."""
    rows = [_plate("兴春路", n, 30.0 * n) for n in (1, 3, 5, 37)]
    rows += [_plate("兴和路", n, 3000.0 + 30.0 * n, TPQ) for n in (1, 9)]
    rows += [_entry("兴元路5号院", "compound", 5000, 12, TPQ, road="兴元路", number=5,
                    side="odd")]  # fmt: skip
    for name, x, buildings in (("望源花园", 800, (1, 2)), ("望佳花园", 1600, (1,))):
        rows.append(_entry(name, "compound", x, 400, GW, name=name))
        rows += [_entry(f"{name}{b}号楼", "building", x + 20 * b, 400, GW, name=name,
                        building=b) for b in buildings]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def typos() -> Geocoder:
    return Geocoder(_typo_register(), area_names=NAMES)


def test_a_replaced_character_finds_the_one_road_with_that_door(typos: Geocoder) -> None:
    # 兴富路 is one character from 兴春路, 兴和路 and 兴元路; only 兴春路 has a 37号
    best = _best(typos, "兴富路37号")
    assert best.text == "兴春路37号"
    assert MATCH_THRESHOLD <= best.score < 100.0


def test_roads_one_character_away_that_all_have_the_door_are_ambiguous(typos: Geocoder) -> None:
    result = typos.geocode("兴富路1号")
    assert result.status == "ambiguous"
    assert {c.text for c in result.candidates[:2]} == {"兴春路1号", "兴和路1号"}


def test_the_door_that_reads_as_said_comes_first(typos: Geocoder) -> None:
    # 兴春路5号 is a plate, 兴元路5号院 a compound: 号院 said, the compound first
    result = typos.geocode("兴富路5号院")
    assert [c.text for c in result.candidates[:2]] == ["兴元路5号院", "兴春路5号"]
    assert result.candidates[0].score > result.candidates[1].score
    # a plain number said: the plate reads as said, the 号院 (院 dropped) a point behind
    result = typos.geocode("兴富路5号")
    assert result.status == "ambiguous"
    assert [c.text for c in result.candidates[:2]] == ["兴春路5号", "兴元路5号院"]
    assert result.candidates[0].score == result.candidates[1].score + 1.0


def test_a_replaced_character_finds_the_compound_with_that_building(typos: Geocoder) -> None:
    # 望金花园 is one character from both; only 望源花园 has a 2号楼
    best = _best(typos, "望金花园2号楼")
    assert (best.text, best.level) == ("望源花园2号楼", "compound")


@pytest.mark.parametrize(
    ("said", "text"),
    [("兴春大路37号", "兴春路37号"),  # a character too many
     ("望源园2号楼", "望源花园2号楼"),  # a character missing
     ("兴春路三十七号", "兴春路37号")],  # a control: said right, numbers in words
)  # fmt: skip
def test_a_missing_or_extra_character(typos: Geocoder, said: str, text: str) -> None:
    assert _best(typos, said).text == text


def test_a_named_street_settles_a_typo_between_streets(typos: Geocoder) -> None:
    # both 兴春路 (广外) and 兴和路 (太平桥) have a 1号; the street named picks one
    assert _best(typos, "太平桥街道兴富路1号").text == "兴和路1号"
    assert _best(typos, "广安门外街道兴富路1号").text == "兴春路1号"


def test_two_character_names_are_not_typo_tolerant() -> None:
    geocoder = Geocoder(pd.DataFrame([_plate("春路", 1, 0.0)]), area_names=NAMES)
    assert geocoder.index.one_edit("夏路") == []
    assert geocoder.geocode("夏路1号").status == "unknown"


# --- the demo register ---------------------------------------------------------------------


Demo = tuple[Geocoder, pd.DataFrame, dict[str, str]]


@pytest.fixture(scope="module")
def demo() -> Demo:
    city = build_demo_city(cell_area_m2=40_000)
    register = demo_register(city)
    names = area_names(city)
    return Geocoder(register, area_names=names), register, names


def _sample(
    register: pd.DataFrame, kind: str, *, n: int = 6, where: str | None = None
) -> pd.DataFrame:
    rows = register[register["kind"] == kind]
    if where is not None:
        rows = rows[rows["street_code"] == where]
    return rows.sample(n=n, random_state=7)


def _finds(geocoder: Geocoder, text: str, row: pd.Series) -> None:
    best = _best(geocoder, text)
    assert best.text == row["text"], text
    assert best.grid == row["grid_code"]


def _words(text: str) -> str:
    digits = "零一二三四五六七八九"

    def say(n: int) -> str:  # up to 999, the way callers say it
        hundreds, rest = divmod(n, 100)
        tens, ones = divmod(rest, 10)
        out = digits[hundreds] + "百" if hundreds else ""
        if tens:
            out += ("" if tens == 1 and not hundreds else digits[tens]) + "十"
        elif hundreds and ones:
            out += "零"
        return out + (digits[ones] if ones else "")

    return re.sub(r"\d+", lambda m: say(int(m.group(0))), text)


@pytest.mark.parametrize("kind", ["plate", "building", "compound", "poi", "village"])
def test_demo_entries_as_written(demo: Demo, kind: str) -> None:
    geocoder, register, _ = demo
    for _, row in _sample(register, kind).iterrows():
        _finds(geocoder, row["text"], row)


def test_demo_with_district_and_street_in_front(demo: Demo) -> None:
    geocoder, register, names = demo
    for _, row in _sample(register, "plate").iterrows():
        prefix = names[row["district_code"]] + names[row["street_code"]]
        _finds(geocoder, prefix + row["text"], row)


def test_demo_abbreviated_street_in_front(demo: Demo) -> None:
    geocoder, register, _ = demo
    for _, row in _sample(register, "plate", where=GW).iterrows():
        _finds(geocoder, "广外" + row["text"], row)
        _finds(geocoder, "西城区广外街道" + row["text"], row)


@pytest.mark.parametrize("kind", ["plate", "building", "village"])
def test_demo_numbers_in_words(demo: Demo, kind: str) -> None:
    geocoder, register, _ = demo
    for _, row in _sample(register, kind).iterrows():
        said = _words(row["text"])
        assert not re.search(r"\d", said)
        _finds(geocoder, said, row)


def test_demo_yuan_said_otherwise(demo: Demo) -> None:
    geocoder, register, _ = demo
    buildings = register[(register["kind"] == "building") & (register["road"] != "")]
    for _, row in buildings.sample(n=6, random_state=3).iterrows():
        _finds(geocoder, row["text"].replace("号院", "号"), row)
        _finds(geocoder, re.sub(r"(\d+)号楼$", r"\1栋2单元301室", row["text"]), row)


@pytest.mark.parametrize("noise", ["附近", "对面", "旁边", "门口"])
def test_demo_noise_and_full_width(demo: Demo, noise: str) -> None:
    geocoder, register, _ = demo
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    for _, row in _sample(register, "plate", n=3).iterrows():
        _finds(geocoder, "北京市" + row["text"].translate(full_width) + noise, row)


def test_demo_typo_with_the_street_named(demo: Demo) -> None:
    geocoder, register, names = demo
    plates = register[(register["kind"] == "plate") & register["road"].str.len().ge(4)]
    known = set(register["road"])
    for _, row in plates.sample(n=8, random_state=11).iterrows():
        road = row["road"]
        typo = next(road.replace(road[1], ch, 1) for ch in "甲乙丙丁戊己庚辛" if
                    road.replace(road[1], ch, 1) not in known)  # fmt: skip
        said = names[row["street_code"]] + row["text"].replace(road, typo)
        result = geocoder.geocode(said)
        assert result.status in ("matched", "ambiguous")
        assert row["text"] in [c.text for c in result.candidates[:3]], said


def test_demo_typo_without_a_street_is_among_the_candidates(demo: Demo) -> None:
    # a three-character road has dozens of names at the same fuzzy ratio across the city:
    # every name one character away is weighed, and those with the door come first
    geocoder, register, _ = demo
    plates = register[(register["kind"] == "plate") & register["road"].str.len().eq(3)]
    known = set(register["road"]) | set(register["name"])
    for _, row in plates.sample(n=8, random_state=13).iterrows():
        road = row["road"]
        typo = next(t for ch in "甲乙丙丁戊己庚辛" if (t := ch + road[1:]) not in known)
        result = geocoder.geocode(row["text"].replace(road, typo, 1))
        assert result.status in ("matched", "ambiguous")
        assert row["text"] in [c.text for c in result.candidates], typo
        assert all(c.score <= result.candidates[0].score for c in result.candidates)


def test_demo_reverse_describes_the_nearest_plate(demo: Demo) -> None:
    geocoder, register, _ = demo
    for _, row in _sample(register, "plate", n=4).iterrows():
        found = geocoder.reverse(row["lon"], row["lat"])
        assert found is not None and found.text == row["text"]
        assert found.distance_m < 0.01


def test_demo_latency_is_small(demo: Demo) -> None:
    geocoder, register, _ = demo
    texts = [t + "附近" for t in register["text"].sample(n=200, random_state=5)]
    spent = []
    for text in texts:
        start = time.perf_counter()
        geocoder.geocode(text)
        spent.append(time.perf_counter() - start)
    spent.sort()
    # a loose bound: the 20 ms target is the benchmark's; a shared machine may be slower
    assert spent[int(0.99 * len(spent))] < 0.1


def test_the_docstring_examples() -> None:
    failed, tried = doctest.testmod(geo.geocode)
    assert tried > 0 and failed == 0
