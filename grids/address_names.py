"""Synthetic names for the demo register's compounds and places (all invented).

Drawn with a caller-supplied ``numpy.random.Generator``; ``taken`` keeps them unique
across the city, so a name alone finds one entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

COMPOUND_HEADS = "碧翠丹枫桂海和华佳锦景丽隆绿美明荣瑞润盛书松天桐望温馨欣秀雅怡远悦云紫"
COMPOUND_TAILS = "安苑晨春馨晖佳景兰林茂鸣宁秋泉荣森韵水松庭湾霞星阳怡园源云"
COMPOUND_SUFFIXES = ("小区", "家园", "花园", "嘉园", "北里", "南里", "西里", "东里", "公寓")
PLACE_KINDS: tuple[tuple[str, str], ...] = (
    ("小学", "school"),
    ("中学", "school"),
    ("幼儿园", "school"),
    ("菜市场", "market"),
    ("农贸市场", "market"),
    ("超市", "market"),
    ("社区卫生服务站", "hospital"),
    ("医院", "hospital"),
    ("公园", "park"),
    ("广场", "park"),
    ("大厦", "office"),
    ("商务楼", "office"),
)
_DOOR_NUMBER = re.compile(r"号|[0-9]")
_COMMUNITY_ENDINGS = re.compile(r"(社区居委会|居委会|社区|村委会|村)$")


_MAX_DRAWS = 10_000


def _unique(draw: Callable[[], str], taken: set[str]) -> str:
    """Call ``draw`` until it yields a name not in ``taken``; record and return it."""
    for _ in range(_MAX_DRAWS):
        name = draw()
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("synthetic name pool exhausted")


def community_stem(name: str) -> str:
    """A community's name without its 社区/居委会/村 ending (玉桃园社区居委会 → 玉桃园)."""
    return _COMMUNITY_ENDINGS.sub("", name)


def compound_name(rng: np.random.Generator, taken: set[str]) -> str:
    """A residential compound name such as 翠安家园, unique in ``taken``."""

    def draw() -> str:
        head = COMPOUND_HEADS[int(rng.integers(len(COMPOUND_HEADS)))]
        tail = COMPOUND_TAILS.replace(head, "")[int(rng.integers(len(COMPOUND_TAILS) - 1))]
        return head + tail + COMPOUND_SUFFIXES[int(rng.integers(len(COMPOUND_SUFFIXES)))]

    return _unique(draw, taken)


def place_name(rng: np.random.Generator, stem: str, taken: set[str]) -> tuple[str, str]:
    """A place (name, category) named after ``stem`` (玉桃园小学, school), unique in ``taken``.

    When every kind of place is taken for ``stem``, or the stem holds a door number (a
    community named after a 号院), a drawn compound stem is used instead.
    """
    order = rng.permutation(len(PLACE_KINDS))
    usable = _DOOR_NUMBER.search(stem) is None
    for i in order[: len(order) if usable else 0]:
        suffix, category = PLACE_KINDS[int(i)]
        if stem + suffix not in taken:
            taken.add(stem + suffix)
            return stem + suffix, category
    suffix, category = PLACE_KINDS[int(order[0])]
    name = _unique(lambda: compound_name(rng, set())[:2] + suffix, taken)
    return name, category
