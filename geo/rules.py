"""Duty rules (职责清单 / 呼应事项清单): which department kind leads a whistle, as data.

File format (``data/duty_rules.csv``, UTF-8, a BOM is tolerated): a header line, then one rule
per line. Lines whose first non-blank character is ``#`` and blank lines are ignored but counted,
so the line numbers in errors and reasons are the ones an editor shows. Columns:

``category``
    A code from ``data/categories.csv``. A parent code (``E06``) covers its sub-categories
    (``E0601`` …) that have no rule of their own at that level.
``zone``
    Empty (any place) or a land-use zone kind: ``river``, ``farmland``, ``forest``.
``level``
    ``district`` or ``city``: which tier of departments is summoned.
``lead``
    One department kind (``swj``); the kinds are those in ``data/departments.csv``.
``support``
    Cooperating kinds separated by spaces or ``;`` (also ``；``/``、``); may be empty; must not
    repeat a kind or the lead.
``whistle_type``
    ``综合执法哨``, ``重点工作哨`` or ``应急处置哨``.
``sla_policy``
    A name from ``data/sla_policies.csv``.
``note``
    Free text; the column may be left out.

At most one rule per (category, zone, level). Anything else is refused on load with a
:class:`geo.datafile.DataFileError` naming the file, the line and the column.

Matching (:meth:`RuleSet.match`) for a category, the zone kinds a case lies in and a level
considers only rules of that level and takes the first rule found in this order:

1. the category itself, then its parent, then the parent's parent … (the most specific
   category with a usable rule wins, even over a zone rule of its parent);
2. within one category, a rule for one of the given zones beats the zone-less rule; when the
   case lies in several zones the priority is :data:`ZONE_PRIORITY`
   (``river`` > ``forest`` > ``farmland``), whatever order the zones are given in.

A category with no rule at that level on its whole chain raises :class:`NoDutyRule` (a
``LookupError``); there is no silent fallback from city to district. An unknown category,
zone kind or level raises :class:`UnknownCategory` / ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from geo.datafile import DataFileError, records

ZONE_PRIORITY: tuple[str, ...] = ("river", "forest", "farmland")
"""Land-use zone kinds, highest priority first, for a case lying in several zones."""

ZONE_NAMES: dict[str, str] = {"river": "河道", "forest": "山林", "farmland": "农田"}
LEVELS: tuple[str, ...] = ("district", "city")
LEVEL_NAMES: dict[str, str] = {"district": "区级", "city": "市级"}

KIND_NAMES: dict[str, str] = {
    "cgzf": "城管执法",
    "csglw": "城管委",
    "zjw": "住建委",
    "fgj": "房管局",
    "swj": "水务局",
    "ylj": "园林绿化局",
    "jtw": "交通委",
    "ga": "公安",
    "ghzy": "规划自然资源",
    "sthj": "生态环境",
    "scjg": "市场监管",
    "nyj": "农业农村局",
}
"""Short display names of department kinds; a kind not listed shows its city department's name."""

COLUMNS: tuple[str, ...] = (
    "category",
    "zone",
    "level",
    "lead",
    "support",
    "whistle_type",
    "sla_policy",
    "note",
)
REQUIRED_COLUMNS: tuple[str, ...] = COLUMNS[:-1]
_REQUIRED_VALUES = ("category", "level", "lead", "whistle_type", "sla_policy")
_SUPPORT_SEPARATORS = re.compile(r"[\s;；、]+")


class WhistleType(StrEnum):
    """The three kinds of whistle a street can blow."""

    JOINT_ENFORCEMENT = "综合执法哨"
    KEY_TASK = "重点工作哨"
    EMERGENCY = "应急处置哨"


class UnknownCategory(ValueError):
    """``match`` was given a category code that is not in the catalogue."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown category code {code!r}")
        self.code = code


class NoDutyRule(LookupError):
    """No rule covers the category (nor any of its parents) at that level."""

    def __init__(self, *, category: str, name: str, level: str) -> None:
        super().__init__(
            f"no duty rule for {name} ({category}) or its parent categories "
            f"at {level} level ({LEVEL_NAMES.get(level, level)})"
        )
        self.category = category
        self.level = level


class CategoryLike(Protocol):
    """Anything with a category's name and parent code (the CSV row, the ORM row)."""

    @property
    def name(self) -> str: ...

    @property
    def parent_code(self) -> str | None: ...


@dataclass(frozen=True)
class Category:
    """One row of ``data/categories.csv``."""

    code: str
    name: str
    parent_code: str | None
    kind: str


@dataclass(frozen=True)
class DutyRule:
    """One line of the duty rules file."""

    line: int
    category: str
    zone: str | None
    level: str
    lead: str
    support: tuple[str, ...]
    whistle_type: WhistleType
    sla_policy: str
    note: str = ""

    @property
    def key(self) -> tuple[str, str | None, str]:
        """The (category, zone, level) that must be unique in a rule set."""
        return (self.category, self.zone, self.level)


@dataclass(frozen=True)
class RuleMatch:
    """The rule that decided a case and a readable reason naming its line."""

    rule: DutyRule
    reason: str

    @property
    def lead(self) -> str:
        """The lead department kind."""
        return self.rule.lead

    @property
    def support(self) -> tuple[str, ...]:
        """The cooperating department kinds."""
        return self.rule.support


class RuleSet:
    """Validated duty rules indexed by (category, zone, level)."""

    def __init__(
        self,
        rules: Sequence[DutyRule],
        *,
        categories: Mapping[str, CategoryLike],
        department_names: Mapping[str, str],
        sla_policies: Collection[str] | None = None,
        source: str = "duty rules",
    ) -> None:
        self._categories = categories
        self._names = department_names
        self._by_key: dict[tuple[str, str | None, str], DutyRule] = {}
        for rule in rules:
            self._check(rule, sla_policies=sla_policies, source=source)
            self._by_key[rule.key] = rule
        self.rules: tuple[DutyRule, ...] = tuple(rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[DutyRule]:
        return iter(self.rules)

    def kind_name(self, kind: str) -> str:
        """The display name of a department kind."""
        return self._names.get(kind, kind)

    def match(
        self, *, category: str, zones: Collection[str] = (), level: str = "district"
    ) -> RuleMatch:
        """The most specific rule for a category, the zones a case lies in and a level."""
        if category not in self._categories:
            raise UnknownCategory(category)
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        unknown = sorted(set(zones) - set(ZONE_PRIORITY))
        if unknown:
            raise ValueError(
                f"unknown zone kind {unknown[0]!r}; expected one of {', '.join(ZONE_PRIORITY)}"
            )
        ordered_zones = [z for z in ZONE_PRIORITY if z in zones]
        for code in self._chain(category):
            for zone in (*ordered_zones, None):
                rule = self._by_key.get((code, zone, level))
                if rule is not None:
                    return RuleMatch(rule, self._reason(rule, category, zones=ordered_zones))
        raise NoDutyRule(category=category, name=self._categories[category].name, level=level)

    def _chain(self, category: str) -> Iterator[str]:
        """The category and its ancestors, nearest first (stops on a cycle)."""
        seen: set[str] = set()
        code: str | None = category
        while code is not None and code in self._categories and code not in seen:
            seen.add(code)
            yield code
            code = self._categories[code].parent_code or None

    def _reason(self, rule: DutyRule, category: str, *, zones: Sequence[str]) -> str:
        """E.g. ``职责清单第 12 行：非法采矿(E0601)，位于河道区域，由区级部门办理：水务局主责，
        公安、规划自然资源配合`` (read by command-centre staff: names, not internal codes;
        the category keeps its standard code)."""
        what = f"{self._categories[category].name}({category})"
        if rule.category != category:
            what += f"，按上级类别 {self._categories[rule.category].name}({rule.category})"
        if rule.zone is not None:
            where = f"，位于{ZONE_NAMES[rule.zone]}区域"
        elif zones:
            named = "、".join(ZONE_NAMES.get(z, z) for z in zones)
            where = f"，不限区域（{named}区域无专门规则）"
        else:
            where = "，不限区域"
        text = (
            f"职责清单第 {rule.line} 行：{what}{where}，由{LEVEL_NAMES[rule.level]}部门办理："
            f"{self.kind_name(rule.lead)}主责"
        )
        if rule.support:
            helpers = "、".join(self.kind_name(k) for k in rule.support)
            text += f"，{helpers}配合"
        return text

    def _check(self, rule: DutyRule, *, sla_policies: Collection[str] | None, source: str) -> None:
        """Refuse a rule that names something unknown or repeats another rule's key."""

        def fail(field: str, message: str) -> DataFileError:
            return DataFileError(source=source, line=rule.line, column=field, message=message)

        if rule.category not in self._categories:
            raise fail("category", f"unknown category code {rule.category!r}")
        if rule.zone is not None and rule.zone not in ZONE_PRIORITY:
            raise fail(
                "zone",
                f"unknown zone kind {rule.zone!r} (expected {', '.join(ZONE_PRIORITY)} or empty)",
            )
        if rule.level not in LEVELS:
            raise fail("level", f"unknown level {rule.level!r} (expected {' or '.join(LEVELS)})")
        if rule.lead not in self._names:
            raise fail("lead", f"unknown department kind {rule.lead!r}")
        seen: set[str] = set()
        for kind in rule.support:
            if kind not in self._names:
                raise fail("support", f"unknown department kind {kind!r}")
            if kind == rule.lead:
                raise fail("support", f"lead {kind!r} is also listed in support")
            if kind in seen:
                raise fail("support", f"department kind {kind!r} listed twice in support")
            seen.add(kind)
        if not isinstance(rule.whistle_type, WhistleType):
            raise fail("whistle_type", _whistle_message(str(rule.whistle_type)))
        if sla_policies is not None and rule.sla_policy not in sla_policies:
            raise fail(
                "sla_policy",
                f"unknown SLA policy {rule.sla_policy!r} (expected one of "
                f"{', '.join(sorted(sla_policies))})",
            )
        other = self._by_key.get(rule.key)
        if other is not None:
            zone = rule.zone or "any zone"
            raise fail(
                "category",
                f"duplicate rule for ({rule.category}, {zone}, {rule.level}); "
                f"line {other.line} has the same category, zone and level",
            )


def load_rules(
    path: Path, *, categories_path: Path, departments_path: Path, sla_policies: Collection[str]
) -> RuleSet:
    """Read, check and index a duty rules file against the catalogues it refers to and the
    names of the SLA policies in force (``api.deadlines.sla.read_policies`` reads their file)."""
    categories = read_categories(categories_path)
    names = read_department_kinds(departments_path)
    rules = list(_parse_rules(path))
    return RuleSet(
        rules,
        categories=categories,
        department_names=names,
        sla_policies=sla_policies,
        source=path.name,
    )


def load_shipped_rules(data_dir: Path, *, sla_policies: Collection[str]) -> RuleSet:
    """The rules in ``data_dir``/duty_rules.csv with the catalogues beside them."""
    return load_rules(
        data_dir / "duty_rules.csv",
        categories_path=data_dir / "categories.csv",
        departments_path=data_dir / "departments.csv",
        sla_policies=sla_policies,
    )


def read_categories(path: Path) -> dict[str, Category]:
    """The category catalogue by code (unique codes, parents exist)."""
    rows = list(records(path, required=("code", "name", "parent_code")))
    codes = {row["code"] for _, row in rows}
    out: dict[str, Category] = {}
    for line, row in rows:
        code, parent = row["code"], row["parent_code"] or None
        if not code:
            raise DataFileError(source=path.name, line=line, column="code", message="empty code")
        if code in out:
            raise DataFileError(
                source=path.name, line=line, column="code", message=f"duplicate code {code!r}"
            )
        if parent is not None and parent not in codes:
            raise DataFileError(
                source=path.name,
                line=line,
                column="parent_code",
                message=f"unknown parent category {parent!r}",
            )
        out[code] = Category(code, row["name"], parent, row.get("kind", ""))
    return out


@dataclass(frozen=True)
class CatalogueDepartment:
    """One row of ``data/departments.csv``."""

    code: str
    name: str
    kind: str
    level: str
    district_code: str | None


_DISTRICT_CODE = re.compile(r"[0-9]{6}")


def read_departments(path: Path) -> list[CatalogueDepartment]:
    """The department catalogue: unique codes, a name and kind each, a district department
    with its 6-digit district code and a city one without."""
    out: list[CatalogueDepartment] = []
    seen: set[str] = set()
    columns = ("code", "name", "kind", "level", "district_code")
    for line, row in records(path, required=columns):

        def fail(field: str, message: str, line: int = line) -> DataFileError:
            return DataFileError(source=path.name, line=line, column=field, message=message)

        for column in ("code", "name", "kind"):
            if not row[column]:
                raise fail(column, f"{column} is empty")
        code, level, district = row["code"], row["level"], row["district_code"]
        if code in seen:
            raise fail("code", f"duplicate department code {code!r}")
        if level not in ("district", "city"):
            raise fail("level", f"level must be district or city, not {level!r}")
        if level == "district" and not _DISTRICT_CODE.fullmatch(district):
            raise fail("district_code", "a district department needs its 6-digit district code")
        if level == "city" and district:
            raise fail("district_code", "a city department has no district code")
        seen.add(code)
        out.append(CatalogueDepartment(code, row["name"], row["kind"], level, district or None))
    return out


def read_department_kinds(path: Path) -> dict[str, str]:
    """Department kinds in ``departments.csv`` (read and checked by ``read_departments``) with
    their display names: a short name of ``KIND_NAMES``, else the city department's, else the
    first department's."""
    full: dict[str, str] = {}
    for department in read_departments(path):
        if department.kind not in full or department.level == "city":
            full[department.kind] = department.name
    return {kind: KIND_NAMES.get(kind, name) for kind, name in full.items()}


def _parse_rules(path: Path) -> Iterator[DutyRule]:
    """Turn each data line of a rules file into a DutyRule (references are checked later)."""
    for line, row in records(path, required=REQUIRED_COLUMNS, allowed=COLUMNS):

        def fail(field: str, message: str, line: int = line) -> DataFileError:
            return DataFileError(source=path.name, line=line, column=field, message=message)

        for column in _REQUIRED_VALUES:
            if not row[column]:
                raise fail(column, f"{column} is empty")
        try:
            whistle = WhistleType(row["whistle_type"])
        except ValueError:
            raise fail("whistle_type", _whistle_message(row["whistle_type"])) from None
        yield DutyRule(
            line=line,
            category=row["category"],
            zone=row["zone"] or None,
            level=row["level"],
            lead=row["lead"],
            support=tuple(k for k in _SUPPORT_SEPARATORS.split(row["support"]) if k),
            whistle_type=whistle,
            sla_policy=row["sla_policy"],
            note=row.get("note", ""),
        )


def _whistle_message(value: str) -> str:
    expected = ", ".join(w.value for w in WhistleType)
    return f"unknown whistle type {value!r} (expected one of {expected})"
