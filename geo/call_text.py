"""A caller's words cut into the address and the complaint (pure, for the 12345 intake).

The text is normalised as an address is (``geo.address_text.normalize``: widths, numerals,
noise words such as 北京市, 附近, 门口). The address is the first run of names the register
knows — area names (西城区, 广安门外街道, 鸭子桥社区), road, compound, place and village names
— joined at most by 与/和/的, followed by its door number, 号院, building, unit and room.
When no name is known, the words before a door number (…12号) are taken, so that a
misspelt road can still be matched fuzzily. A province or another city named before the
address (上海市…, 四川省广安市…) is reported, not matched.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

_CONNECTORS = "与和跟及的"
_TAIL = re.compile(
    r"(?:[甲乙丙丁戊]?\d+(?:之\d+)?号(?!楼)院?|\d+(?:组|队|社)(?:\d+号)?)"
    r"(?:\d+(?:号楼|号?栋|号?幢|号?座))?(?:\d+(?:单元|门))?(?:\d+(?:室|号房|户))?"
)
_BUILDING_TAIL = re.compile(r"\d+(?:号楼|号?栋|号?幢|号?座)(?:\d+(?:单元|门))?(?:\d+(?:室|户))?")
_BARE_PLATE = re.compile(r"[\u4e00-\u9fff]{2,8}?[甲乙丙丁戊]?\d+(?:之\d+)?号(?:院|\d+号楼)?")
ELSEWHERE = re.compile(
    r"[\u4e00-\u9fff]{2,7}?(?:省|自治区|特别行政区)"
    r"|(?:上海|天津|重庆)市"
    r"|[\u4e00-\u9fff]{2,3}市(?=[\u4e00-\u9fff]{1,6}?[区县旗])"
)


@dataclass(frozen=True)
class CallParts:
    """The normalised words, the address found in them (``""``: none), the complaint (the
    rest) and a place outside the city named before the address (``""``: none)."""

    text: str
    address: str
    complaint: str
    elsewhere: str
    start: int = 0
    end: int = 0


def split_call(text: str, *, names: Collection[str], longest: int) -> CallParts:
    """The address and the complaint in normalised ``text``; ``names`` are the register's
    road, place and area spellings (normalised), ``longest`` the length of the longest.

    >>> parts = split_call("西城区瑞庆街甲12号的垃圾桶满了", names={"西城区", "瑞庆街"}, longest=3)
    >>> parts.address, parts.complaint
    ('西城区瑞庆街甲12号', '垃圾桶满了')
    >>> split_call("上海市浦东新区世纪大道100号", names={"瑞庆街"}, longest=3).elsewhere
    '上海市'
    """
    start, end = _named_run(text, names, longest)
    if start < 0:
        bare = _BARE_PLATE.search(text)
        start, end = (bare.start(), bare.end()) if bare else (-1, -1)
    else:
        tail = _TAIL.match(text, end) or _BUILDING_TAIL.match(text, end)
        end = tail.end() if tail else end
    foreign = ELSEWHERE.search(text)
    elsewhere = foreign.group(0) if foreign and (start < 0 or foreign.start() <= start) else ""
    if start < 0:
        return CallParts(text, "", text, elsewhere)
    complaint = (text[:start] + text[end:]).strip(_CONNECTORS)
    return CallParts(text, text[start:end], complaint, elsewhere, start, end)


def _named_run(text: str, names: Collection[str], longest: int) -> tuple[int, int]:
    """Start and end of the first run of known names (-1, -1 when there is none)."""
    start = end = -1
    at = 0
    while at < len(text):
        size = _name_at(text, at, names, longest)
        if size and start < 0:
            start = at
        if size:
            end = at = at + size
            continue
        if start >= 0:
            joined = text[at] in _CONNECTORS and _name_at(text, at + 1, names, longest)
            if not joined:
                break
            at += 1
            continue
        at += 1
    return start, end


def _name_at(text: str, at: int, names: Collection[str], longest: int) -> int:
    """Length of the longest name starting at ``at`` (0: none)."""
    for size in range(min(longest, len(text) - at), 1, -1):
        if text[at : at + size] in names:
            return size
    return 0


__all__ = ["ELSEWHERE", "CallParts", "split_call"]
