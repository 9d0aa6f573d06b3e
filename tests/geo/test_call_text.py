"""geo.call_text: the address and the complaint in a caller's words."""

from __future__ import annotations

import pytest

from geo.address_text import normalize
from geo.call_text import split_call

NAMES = {"西城区", "广安门外街道", "鸭子桥社区", "瑞庆街", "嘉泰大街", "平昌村"}


def _split(text: str) -> tuple[str, str, str]:
    parts = split_call(normalize(text), names=NAMES, longest=6)
    return parts.address, parts.complaint, parts.elsewhere


@pytest.mark.parametrize(
    ("said", "address", "complaint"),
    [
        ("西城区瑞庆街甲十二号门口垃圾桶满了", "西城区瑞庆街甲12号", "垃圾桶满了"),
        ("我家在瑞庆街12号院3号楼2单元501室，楼上漏水", "瑞庆街12号院3号楼2单元501室", "楼上漏水"),
        ("鸭子桥社区3号楼楼道里堆满杂物", "鸭子桥社区3号楼", "楼道里堆满杂物"),
        ("瑞庆街与嘉泰大街交叉口井盖没了", "瑞庆街与嘉泰大街", "井盖没了"),
        ("平昌村2组15号门前污水横流", "平昌村2组15号", "污水横流"),
        ("瑞庆衔12号垃圾没人收", "瑞庆衔12号", "垃圾没人收"),  # a typo: the words before 号
    ],
)
def test_the_address_and_the_complaint_are_cut_apart(
    said: str, address: str, complaint: str
) -> None:
    assert _split(said)[:2] == (address, complaint)


def test_no_address_leaves_the_whole_text_as_the_complaint() -> None:
    assert _split("井盖没了，晚上很危险") == ("", "井盖没了晚上很危险", "")


@pytest.mark.parametrize(
    ("said", "elsewhere"),
    [
        ("上海市浦东新区世纪大道100号垃圾", "上海市"),
        ("四川省广安市广安区建设路12号", "四川省"),
        ("河北省三河市燕郊镇某某路3号", "河北省"),
        ("石家庄市长安区中山路5号", "石家庄市"),
    ],
)
def test_a_place_outside_the_city_is_reported(said: str, elsewhere: str) -> None:
    assert _split(said)[2] == elsewhere


def test_a_supermarket_is_not_another_city() -> None:
    assert _split("瑞庆街12号的家乐福超市门口垃圾")[2] == ""
