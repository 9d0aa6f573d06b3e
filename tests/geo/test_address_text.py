"""Address text: numerals, widths, noise, aliases (and their file's refusals), the parts."""

from __future__ import annotations

import doctest
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import geo.address_text
import geo.cn_numerals
from geo.address_text import (
    ALIASES_PATH,
    Aliases,
    admin_forms,
    normalize,
    read_aliases,
    split_address,
    to_half_width,
)
from geo.cn_numerals import chinese_to_int, int_to_ordinal
from geo.datafile import DataFileError

SHIPPED = Aliases(read_aliases())
AREAS = {"110102": "西城区", "110102020": "广安门外街道", "110102020001": "鸭子桥社区居委会"}


@pytest.mark.parametrize(
    ("words", "value"),
    [("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十一", 21), ("一百零五", 105),
     ("两百", 200), ("一千零一", 1001), ("三零二", 302), ("一〇五", 105), ("五百二十", 520)],
)  # fmt: skip
def test_chinese_numerals(words: str, value: int) -> None:
    assert chinese_to_int(words) == value


@pytest.mark.parametrize("bad", ["", "12", "十二号"])
def test_not_a_numeral_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Chinese numeral"):
        chinese_to_int(bad)


def test_alley_ordinals() -> None:
    assert [int_to_ordinal(n) for n in (1, 2, 10, 11, 14, 20, 99)] == [
        "头", "二", "十", "十一", "十四", "二十", "九十九"]  # fmt: skip


def test_full_width_becomes_half_width() -> None:
    assert to_half_width("１２３号（Ａ）") == "123号(A)"


def test_traditional_forms_and_punctuation() -> None:
    assert normalize("瑞庆街 12號，3號樓") == "瑞庆街12号3号楼"


@pytest.mark.parametrize("noise", ["附近", "对面", "旁边", "门口", "边上", "斜对过"])
def test_noise_words_are_dropped(noise: str) -> None:
    assert normalize(f"北京市瑞庆街12号{noise}") == "瑞庆街12号"


def test_a_side_after_the_number_is_noise() -> None:
    assert normalize("瑞庆街12号东侧") == "瑞庆街12号"


def test_numbers_in_words_before_address_units() -> None:
    text = "瑞庆街一百零五号院三号楼二单元三零二室"
    assert normalize(text) == "瑞庆街105号院3号楼2单元302室"
    assert normalize("西铁营村三组十五号") == "西铁营村3组15号"


def test_numerals_inside_names_stay() -> None:
    # 四十 is followed by 条, not by an address unit: it is part of the alley's name
    assert normalize("东四十条甲二十二号") == "东四十条甲22号"
    assert normalize("西里二区社区") == "西里二区社区"


def test_alley_number_in_digits_becomes_its_ordinal() -> None:
    assert normalize("永安9条5号") == "永安九条5号"
    assert normalize("永安1条") == "永安头条"


@pytest.mark.parametrize("said", ["嘉泰大街12-1号", "嘉泰大街12号之一", "嘉泰大街十二之一号"])
def test_sub_numbers_take_one_spelling(said: str) -> None:
    assert normalize(said) == "嘉泰大街12之1号"


def test_aliases_from_the_shipped_file() -> None:
    assert normalize("广外街道", aliases=SHIPPED) == "广安门外街道"
    assert normalize("裕福胡同儿3号", aliases=SHIPPED) == "裕福胡同3号"
    assert normalize("广外街道") == "广外街道"  # no table, no replacement


def test_longest_alias_wins() -> None:
    aliases = Aliases({"居委会": "社区", "社区居委会": "社区"})
    assert normalize("鸭子桥社区居委会", aliases=aliases) == "鸭子桥社区"


def test_parts_of_a_door_plate() -> None:
    parts = split_address(normalize("瑞庆街甲12号院3号楼2单元501室"))
    assert (parts.head, parts.suffix, parts.number, parts.yuan) == ("瑞庆街", "甲", 12, True)
    assert (parts.building, parts.unit, parts.room) == (3, 2, 501)


@pytest.mark.parametrize(
    "said", ["锦安路68号5栋", "锦安路68号院5号楼", "锦安路68号院5幢", "锦安路68号院5楼2单元"]
)
def test_building_variants(said: str) -> None:
    parts = split_address(normalize(said))
    assert (parts.head, parts.number, parts.building) == ("锦安路", 68, 5)


def test_compound_building_without_a_door_number() -> None:
    parts = split_address("康乐小区3号楼1单元")
    assert (parts.head, parts.number, parts.building, parts.unit) == ("康乐小区", None, 3, 1)


def test_village_form() -> None:
    parts = split_address("西铁营村3组15号")
    assert (parts.head, parts.group, parts.number) == ("西铁营村", 3, 15)


def test_a_community_form_without_its_committee_needs_no_aliases_file() -> None:
    forms = admin_forms({"110102020001": "鸭子桥社区居委会", "110102020002": "红居街居委会"})
    assert forms["鸭子桥社区"] == forms["鸭子桥社区居委会"] == "110102020001"
    assert forms["红居街社区"] == "110102020002"


def test_admin_forms_of_each_level() -> None:
    forms = admin_forms(AREAS, aliases=SHIPPED)
    assert forms["西城区"] == forms["西城"] == "110102"
    assert forms["广安门外街道"] == forms["广安门外街道办事处"] == forms["广安门外"] == "110102020"
    assert forms["鸭子桥社区"] == "110102020001"


def test_admin_prefix_is_taken_top_down() -> None:
    forms = admin_forms(AREAS, aliases=SHIPPED)
    parts = split_address(normalize("西城区广外街道瑞庆街12号", aliases=SHIPPED), forms=forms)
    assert parts.admin == ("110102", "110102020")
    assert (parts.head, parts.number) == ("瑞庆街", 12)


def test_a_short_form_before_a_road_generic_is_a_road_name() -> None:
    forms = admin_forms(AREAS)
    parts = split_address("广安门外大街甲305号", forms=forms)
    assert parts.admin == ()
    assert parts.head == "广安门外大街"


def test_a_short_form_before_unknown_text_is_kept() -> None:
    forms = admin_forms(AREAS)
    assert split_address("西城瑞庆街12号", forms=forms).admin == ()
    known = split_address("西城瑞庆街12号", forms=forms, protected=frozenset({"瑞庆街"}))
    assert known.admin == ("110102",)


def test_a_protected_name_is_not_an_area() -> None:
    forms = {"鸭子桥社区": "110102020001"}
    parts = split_address("鸭子桥社区医院", forms=forms, protected=frozenset({"鸭子桥社区医院"}))
    assert parts.admin == ()
    assert parts.head == "鸭子桥社区医院"


def test_shipped_aliases_read() -> None:
    aliases = read_aliases(ALIASES_PATH)
    assert aliases["广外"] == "广安门外"
    assert all(alias != canonical for alias, canonical in aliases.items())


def _aliases_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aliases.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("alias\n广外\n", 1, "canonical", "missing column"),
        ("alias,canonical\n广外,广安门外\n,宣武门外\n", 3, "alias", "empty value"),
        ("alias,canonical\n广外,\n", 2, "canonical", "empty value"),
        ("alias,canonical\n广外,广外\n", 2, "canonical", "the same as the alias"),
        ("alias,canonical\n广外,广安门外\n\n广外,广安门内\n", 4, "alias", "repeats line 2"),
        ("alias,canonical\n广 外,广安门外\n", 2, "alias", "spaces or punctuation"),
        ("alias,canonical\n宣外,广外\n广外,广安门外\n", 2, "canonical", "a chain"),
    ],
)
def test_a_wrong_aliases_row_is_refused_naming_line_and_column(
    tmp_path: Path, text: str, line: int, column: str, words: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        read_aliases(_aliases_file(tmp_path, text))
    error = caught.value
    assert (error.source, error.line, error.column) == ("aliases.csv", line, column)
    assert f"aliases.csv line {line}, column {column}: " in str(error)
    assert words in str(error)


@pytest.mark.parametrize("module", [geo.address_text, geo.cn_numerals])
def test_the_docstring_examples(module: ModuleType) -> None:
    failed, tried = doctest.testmod(module)
    assert tried > 0 and failed == 0


_PIECES = ["瑞庆街", "广外", "大街", "胡同儿", "九条", "7条", "十二", "一百零五", "３", "12", "-",
           "号", "號", "号院", "号楼", "栋", "单元", "室", "之一", "甲", "附近", "对面", "北京市",
           " ", "，", "村", "组", "东侧", "的"]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=10))
def test_normalizing_twice_changes_nothing(pieces: list[str]) -> None:
    once = normalize("".join(pieces), aliases=SHIPPED)
    assert normalize(once, aliases=SHIPPED) == once


@given(st.integers(min_value=1, max_value=9999))
def test_every_number_said_positionally_or_digit_by_digit_reads_back(n: int) -> None:
    digits = "零一二三四五六七八九"
    assert chinese_to_int("".join(digits[int(d)] for d in str(n))) == n
    said, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(said)
            continue
        said += ("零" if zero else "") + digits[d] + unit
        zero = False
    assert chinese_to_int(said) == n
