"""Synthetic name pools for the demo city's roads and street-and-alley chiefs (all invented).

Names are drawn with a caller-supplied ``numpy.random.Generator`` so they are deterministic;
``taken`` keeps them unique across the whole city.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ROAD_HEADS = "安宝长大德东福富广和宏华吉嘉金锦景康乐礼隆明南宁平庆仁瑞盛顺泰文西祥新兴永裕正"
ROAD_TAILS = "安昌成春丰福和华惠吉康乐林宁平庆仁荣瑞盛寿顺泰祥兴秀义元章"
STREET_SUFFIXES = ("街", "路", "大街")
ALLEY_SUFFIXES = ("胡同", "巷", "条")
ORDINALS = "头二三四五六七八九十"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
GIVEN_NAMES = (
    "建国", "建华", "国强", "志强", "秀英", "桂英", "丽华", "玉兰", "海涛", "红梅",
    "永刚", "晓东", "文静", "春生", "淑珍", "德明", "立新", "卫东", "雪梅", "振华",
    "金凤", "宏伟", "俊杰", "慧敏", "志刚", "桂兰", "建军", "晓燕", "凤英", "海燕",
)  # fmt: skip
CHIEF_TITLES = ("街巷长（科级）", "街巷长（处级）")
JOINT_ALLEY_NAME = "界址胡同"

_MAX_DRAWS = 10_000


def _pick(rng: np.random.Generator, pool: str | tuple[str, ...]) -> str:
    """One element of ``pool``, drawn with ``rng``."""
    return pool[int(rng.integers(len(pool)))]


def _unique(draw: Callable[[], str], taken: set[str]) -> str:
    """Call ``draw`` until it yields a name not in ``taken``; record and return it."""
    for _ in range(_MAX_DRAWS):
        name = draw()
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("synthetic name pool exhausted")


def _road_stem(rng: np.random.Generator) -> str:
    """Two distinct auspicious characters, e.g. 永康."""
    head = _pick(rng, ROAD_HEADS)
    tail = _pick(rng, ROAD_TAILS.replace(head, ""))
    return head + tail


def _road_candidate(rng: np.random.Generator, kind: str) -> str:
    """A candidate name for a road of ``kind`` ("street" or "alley")."""
    stem = _road_stem(rng)
    if kind == "street":
        return stem + _pick(rng, STREET_SUFFIXES)
    suffix = _pick(rng, ALLEY_SUFFIXES)
    return stem + (_pick(rng, ORDINALS) + suffix if suffix == "条" else suffix)


def road_name(rng: np.random.Generator, kind: str, taken: set[str]) -> str:
    """A synthetic road name (街/路/大街 streets, 胡同/巷/条 alleys), unique in ``taken``."""
    if kind not in ("street", "alley"):
        raise ValueError(f"unknown road kind {kind!r}")
    return _unique(lambda: _road_candidate(rng, kind), taken)


def person_name(rng: np.random.Generator, taken: set[str]) -> str:
    """A synthetic three-character person name such as 王建国, unique in ``taken``."""
    return _unique(lambda: _pick(rng, SURNAMES) + _pick(rng, GIVEN_NAMES), taken)


def chief_title(rng: np.random.Generator) -> str:
    """A chief's title: mostly section level (科级), about one in five division level (处级)."""
    return CHIEF_TITLES[1] if rng.random() < 0.2 else CHIEF_TITLES[0]
