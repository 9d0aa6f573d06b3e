"""Address text as callers say it, made comparable: normalised, then split into its parts.

``normalize`` folds widths (NFKC), traditional forms (號 → 号), punctuation, noise words
(附近, 对面, 北京市 …), road aliases from ``data/address_aliases.csv`` (广外 → 广安门外) and
Chinese numerals before address units (十二号 → 12号, 三单元 → 3单元, 9条 → 九条).
``split_address`` cuts a normalised text into the administrative prefix (from the
register's own area names, see ``admin_forms``), the head (a road, compound, place or
village name), the door number with its 甲/乙/之N suffix, 号院, building, unit and room.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.cn_numerals import arabic_after, arabic_before, int_to_ordinal
from geo.datafile import DataFileError

ALIASES_PATH = Path(__file__).resolve().parents[1] / "data" / "address_aliases.csv"
ALIAS_COLUMNS = ("alias", "canonical")

_TRADITIONAL = str.maketrans("號樓區門條單東廣華園裡衛醫學場內", "号楼区门条单东广华园里卫医学场内")
_PUNCTUATION = re.compile(r"[\s,，。.、;；:：!！?？\"'“”‘’()（）\[\]【】<>《》/\\|·~`]+")
NOISE_WORDS = (
    "北京市", "北京", "附近", "对面", "旁边", "边上", "门口", "门前", "周边", "一带", "这边",
    "那边", "斜对过", "对过", "十字路口", "交叉口", "交口", "路口", "里面", "后面", "前面",
    "隔壁", "我家在", "我家", "家住", "位于", "就在", "大概", "左右",
)  # fmt: skip
_NOISE = re.compile("|".join(sorted(map(re.escape, NOISE_WORDS), key=len, reverse=True)))
_SIDE_NOISE = re.compile(r"(?<=[号院楼室])[东南西北]侧$|(?<=[号院楼室])[东南西北]{1,2}角$")
_HYPHEN_SUB = re.compile(r"(\d+)[-－—](\d+)号")
_TRAILING_SUB = re.compile(r"(\d+)号之(\d+)")
_ALLEY_ORDINAL = re.compile(r"(?<!\d)(\d{1,2})条")
_ROAD_GENERICS = ("大街", "街", "路", "胡同", "巷", "条", "桥", "里", "门", "道", "口")
_ADMIN_GENERICS = ("区", "街道", "办事处", "地区", "镇", "乡", "政府", "社区", "村")
_UNIT_MARKERS = "之|号|栋|幢|座|单元|室|组|队|门|户|层"

_VILLAGE = re.compile(r"^(?P<head>.*?村)(?P<group>\d+)(?:组|队|社)(?:(?P<number>\d+)号)?")
_PLATE = re.compile(
    r"(?P<pre>[甲乙丙丁戊])?(?P<number>\d+)(?:之(?P<sub>\d+))?号(?!楼)(?P<yuan>院)?"
)
_BUILDING = re.compile(r"(?P<building>\d+)(?:号楼|号?栋|号?幢|号?座|楼(?=\d+(?:单元|门)))")
_UNIT = re.compile(r"(?P<unit>\d+)(?:单元|门)")
_ROOM = re.compile(r"(?P<room>\d+)(?:室|号房|户)?$")


def read_aliases(path: Path = ALIASES_PATH) -> dict[str, str]:
    """The alias → canonical rows of an aliases CSV; a wrong row raises ``DataFileError``.

    Refused: a missing column, an empty value, an alias equal to its canonical form, an
    alias given twice, and an alias whose canonical form is itself an alias (a chain).
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [cell.strip() for cell in next(reader, [])]
        for column in ALIAS_COLUMNS:
            if column not in header:
                raise _alias_error(path, 1, column, f"missing column {column!r}")
        at = {column: header.index(column) for column in ALIAS_COLUMNS}
        aliases: dict[str, str] = {}
        lines: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = {c: (cells[i].strip() if i < len(cells) else "") for c, i in at.items()}
            _check_alias(path, line, row, lines)
            aliases[row["alias"]] = row["canonical"]
            lines[row["alias"]] = line
    for alias, canonical in aliases.items():
        if canonical in aliases:
            raise _alias_error(
                path, lines[alias], "canonical", f"{canonical!r} is itself an alias (a chain)"
            )
    return aliases


def _check_alias(path: Path, line: int, row: dict[str, str], seen: dict[str, int]) -> None:
    """Refuse an empty, self-referencing or repeated alias row."""
    for column in ALIAS_COLUMNS:
        if not row[column]:
            raise _alias_error(path, line, column, "empty value")
        if _PUNCTUATION.search(row[column]):
            raise _alias_error(path, line, column, f"spaces or punctuation in {row[column]!r}")
    if row["alias"] == row["canonical"]:
        raise _alias_error(path, line, "canonical", "the same as the alias")
    if row["alias"] in seen:
        raise _alias_error(
            path, line, "alias", f"{row['alias']!r} repeats line {seen[row['alias']]}"
        )


def _alias_error(path: Path, line: int, column: str, message: str) -> DataFileError:
    return DataFileError(source=path.name, line=line, column=column, message=message)


class Aliases:
    """Alias replacement in one pass, longest alias first (广外 → 广安门外)."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.table = dict(aliases)
        ordered = sorted(self.table, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def apply(self, text: str) -> str:
        """``text`` with every alias replaced by its canonical form."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.table[m.group(0)], text)


NO_ALIASES = Aliases({})


def to_half_width(text: str) -> str:
    """Full-width letters, digits and punctuation as their ASCII forms (NFKC).

    >>> to_half_width("１２号（Ａ座）")
    '12号(A座)'
    """
    return unicodedata.normalize("NFKC", text)


def normalize(text: str, *, aliases: Aliases = NO_ALIASES) -> str:
    """A caller's address text in the register's spelling, noise and punctuation removed.

    >>> normalize("北京市 广外大街 甲一百零五號 附近", aliases=Aliases({"广外": "广安门外"}))
    '广安门外大街甲105号'
    >>> normalize("永安9条３号院二号楼")
    '永安九条3号院2号楼'
    """
    out = to_half_width(text).translate(_TRADITIONAL)
    out = _HYPHEN_SUB.sub(r"\1之\2号", out)
    out = _PUNCTUATION.sub("", out)
    out = _NOISE.sub("", out)
    out = aliases.apply(out)
    out = arabic_before(out, markers=_UNIT_MARKERS)
    out = arabic_after(out, markers="之")
    out = _TRAILING_SUB.sub(r"\1之\2号", out)
    out = _ALLEY_ORDINAL.sub(lambda m: _ordinal_or_digits(m.group(1)), out)
    out = _SIDE_NOISE.sub("", out)
    return out.strip("的在")


def _ordinal_or_digits(digits: str) -> str:
    value = int(digits)
    return (int_to_ordinal(value) if 1 <= value <= 99 else digits) + "条"


@dataclass(frozen=True)
class AddressParts:
    """A normalised address cut into parts; absent parts are None (``admin``: codes found,
    ``rest``: the text after them)."""

    text: str
    admin: tuple[str, ...] = ()
    rest: str = ""
    head: str = ""
    number: int | None = None
    suffix: str = ""
    yuan: bool = False
    building: int | None = None
    unit: int | None = None
    room: int | None = None
    group: int | None = None


def admin_forms(names: Mapping[str, str], *, aliases: Aliases = NO_ALIASES) -> dict[str, str]:
    """The normalised ways callers name each area (code → name) → the area's code.

    Districts also go without 区 (西城), streets without 街道 (广安门外) or with 街道办事处,
    communities as 社区 (居委会 dropped). A village (村) keeps its full name only.

    >>> forms = admin_forms({"110102": "西城区", "110102020": "广安门外街道",
    ...                      "110102020001": "鸭子桥社区居委会"})
    >>> forms["西城"], forms["广安门外"], forms["广安门外街道办事处"], forms["鸭子桥社区"]
    ('110102', '110102020', '110102020', '110102020001')
    """
    forms: dict[str, str] = {}
    for code, name in sorted(names.items()):
        base = normalize(name, aliases=aliases)
        variants = {base}
        if len(code) == 6 and base.endswith("区") and len(base) > 2:
            variants.add(base[:-1])
        elif len(code) == 9 and base.endswith("街道"):
            variants |= {base[:-2], base + "办事处", base[:-2] + "地区"}
        elif len(code) == 9 and base.endswith(("镇", "乡")):
            variants.add(base + "政府")
        elif len(code) == 12 and base.endswith("居委会"):
            stem = base.removesuffix("居委会").removesuffix("社区")
            variants |= {stem + "社区", stem + "社区居委会"}
        for variant in variants:
            forms.setdefault(variant, code)
    return forms


def split_address(
    text: str, *, forms: Mapping[str, str] | None = None, protected: frozenset[str] = frozenset()
) -> AddressParts:
    """Cut a normalised address into admin codes, head, number, 号院, building, unit, room.

    ``forms`` (from ``admin_forms``) are stripped from the front while one matches, unless
    a ``protected`` name (a road or place of the register) as long or longer starts there.

    >>> parts = split_address("瑞庆街甲12号院3号楼2单元501室")
    >>> parts.head, parts.suffix, parts.number, parts.yuan, parts.building, parts.unit, parts.room
    ('瑞庆街', '甲', 12, True, 3, 2, 501)
    """
    admin, rest = _strip_admin(text, forms or {}, protected)
    village = _VILLAGE.match(rest)
    if village:
        number = village.group("number")
        return AddressParts(
            text=text,
            admin=admin,
            rest=rest,
            head=village.group("head"),
            group=int(village.group("group")),
            number=int(number) if number else None,
        )
    plate = _PLATE.search(rest)
    if plate is not None:
        head, tail = rest[: plate.start()], rest[plate.end() :]
        suffix = plate.group("pre") or (f"之{plate.group('sub')}" if plate.group("sub") else "")
        number, yuan = int(plate.group("number")), bool(plate.group("yuan"))
    else:
        building_at = _BUILDING.search(rest)
        cut = building_at.start() if building_at else len(rest)
        head, tail, suffix, number, yuan = rest[:cut], rest[cut:], "", None, False
    building, unit, room = _inner_parts(tail)
    return AddressParts(
        text=text,
        admin=admin,
        rest=rest,
        head=head.strip("的"),
        number=number,
        suffix=suffix,
        yuan=yuan,
        building=building,
        unit=unit,
        room=room,
    )


def _strip_admin(
    text: str, forms: Mapping[str, str], protected: frozenset[str]
) -> tuple[tuple[str, ...], str]:
    """Admin codes named at the front of ``text`` and what follows them."""
    codes: list[str] = []
    rest = text
    longest = max(map(len, forms), default=0)
    while rest:
        found = next(
            (rest[:n] for n in range(min(longest, len(rest)), 1, -1) if rest[:n] in forms), None
        )
        if found is None or _protected_at(rest, len(found), protected):
            break
        after = rest[len(found) :]
        if codes and len(forms[found]) <= len(codes[-1]):
            break  # areas are named top down: a second street is part of a name
        if after.startswith(_ROAD_GENERICS):  # 广安门外 + 大街: a road's name
            break
        if not found.endswith(_ADMIN_GENERICS) and not _named_next(after, forms, protected):
            break  # a short form (西城, 广外) only before another area or a known name
        codes.append(forms[found])
        rest = after
    return tuple(codes), rest


def _named_next(rest: str, forms: Mapping[str, str], protected: frozenset[str]) -> bool:
    """True when ``rest`` is empty or starts with an area form or a protected name."""
    return not rest or any(
        rest[:n] in forms or rest[:n] in protected for n in range(2, len(rest) + 1)
    )


def _protected_at(rest: str, cut: int, protected: frozenset[str]) -> bool:
    """True when a protected name at least ``cut`` long starts ``rest``."""
    return any(rest[:n] in protected for n in range(len(rest), cut - 1, -1))


def _inner_parts(tail: str) -> tuple[int | None, int | None, int | None]:
    """Building, unit and room numbers in what follows the door number."""
    building = _BUILDING.search(tail)
    after = tail[building.end() :] if building else tail
    unit = _UNIT.search(after)
    after_unit = after[unit.end() :] if unit else after
    room = _ROOM.search(after_unit) if (unit or building) else None
    return (
        int(building.group("building")) if building else None,
        int(unit.group("unit")) if unit else None,
        int(room.group("room")) if room else None,
    )


__all__ = [
    "ALIASES_PATH",
    "NOISE_WORDS",
    "AddressParts",
    "Aliases",
    "admin_forms",
    "normalize",
    "read_aliases",
    "split_address",
    "to_half_width",
]
