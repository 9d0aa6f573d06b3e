"""Duty rules and their catalogues as files: what the reader tolerates (a BOM, spaces, short
rows, separators, indented comments) and what it refuses in the catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.deadlines.sla import read_policies
from geo.datafile import DataFileError
from geo.rules import (
    RuleSet,
    load_rules,
    read_categories,
    read_department_kinds,
)

DATA = Path(__file__).resolve().parents[2] / "data"
POLICIES = read_policies(DATA / "sla_policies.csv")
HEADER = "category,zone,level,lead,support,whistle_type,sla_policy,note"


def load_text(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> RuleSet:
    path = tmp_path / "duty_rules.csv"
    path.write_text(text, encoding=encoding)
    return load_rules(
        path,
        categories_path=DATA / "categories.csv",
        departments_path=DATA / "departments.csv",
        sla_policies=POLICIES,
    )


def only_rule(rules: RuleSet) -> tuple[str, str | None, str, str, tuple[str, ...], str]:
    (rule,) = rules
    return (rule.category, rule.zone, rule.level, rule.lead, rule.support, rule.sla_policy)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- what the duty rules reader tolerates -------------------------------------------------------


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    rules = load_text(
        tmp_path,
        f"{HEADER}\nE0601,river,district,swj,ga,综合执法哨,huangpu,\n",
        encoding="utf-8-sig",
    )
    assert only_rule(rules) == ("E0601", "river", "district", "swj", ("ga",), "huangpu")


def test_spaces_around_names_and_values_are_stripped(tmp_path: Path) -> None:
    header = ", ".join(HEADER.split(","))
    rules = load_text(
        tmp_path, f"{header}\n E0601 , river , district , swj , ga ,综合执法哨, huangpu ,\n"
    )
    assert only_rule(rules) == ("E0601", "river", "district", "swj", ("ga",), "huangpu")


def test_a_row_without_its_trailing_note_loads(tmp_path: Path) -> None:
    rules = load_text(tmp_path, f"{HEADER}\nE0601,river,district,swj,ga,综合执法哨,huangpu\n")
    assert only_rule(rules) == ("E0601", "river", "district", "swj", ("ga",), "huangpu")
    assert next(iter(rules)).note == ""


def test_rows_of_empty_cells_are_skipped_but_counted(tmp_path: Path) -> None:
    """A spreadsheet saves its empty rows as commas."""
    text = f"{HEADER}\n,,,,,,,\n  ,  ,\nE0601,river,district,swj,ga,综合执法哨,huangpu,\n"
    rules = load_text(tmp_path, text)
    assert next(iter(rules)).line == 4


def test_an_indented_comment_is_a_comment(tmp_path: Path) -> None:
    text = f"{HEADER}\n   # 金海湖\nE0601,river,district,swj,ga,综合执法哨,huangpu,\n"
    rules = load_text(tmp_path, text)
    assert next(iter(rules)).line == 3


@pytest.mark.parametrize(
    "support",
    ["ga；ghzy", "ga、ghzy", "ga ; ghzy", " ga、 ghzy ；"],
    ids=["fullwidth-semicolon", "enumeration-comma", "spaced-semicolon", "mixed"],
)
def test_every_support_separator(tmp_path: Path, support: str) -> None:
    rules = load_text(
        tmp_path, f'{HEADER}\nE0601,river,district,swj,"{support}",综合执法哨,huangpu,\n'
    )
    assert next(iter(rules)).support == ("ga", "ghzy")


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as info:
        load_text(tmp_path, f"{HEADER},zone\n")
    assert (info.value.line, info.value.column) == (1, "zone")
    assert "twice" in str(info.value)


# --- the catalogues beside it ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "line", "field", "text"),
    [
        ("E01,市容环境,,event\n,无代码,,event\n", 3, "code", "empty code"),
        ("E01,市容环境,,event\nE01,又一个,,event\n", 3, "code", "duplicate code 'E01'"),
        (
            "E01,市容环境,,event\nE0101,暴露垃圾,E99,event\n",
            3,
            "parent_code",
            "parent category 'E99'",
        ),
    ],
    ids=["empty-code", "duplicate-code", "unknown-parent"],
)
def test_a_bad_category_is_refused(
    tmp_path: Path, rows: str, line: int, field: str, text: str
) -> None:
    path = write(tmp_path, "categories.csv", "code,name,parent_code,kind\n" + rows)
    with pytest.raises(DataFileError) as info:
        read_categories(path)
    assert (info.value.source, info.value.line, info.value.column) == (
        "categories.csv",
        line,
        field,
    )
    assert text in str(info.value)


def test_a_category_may_name_a_parent_defined_below_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "categories.csv",
        "code,name,parent_code,kind\nE0101,暴露垃圾,E01,\nE01,市容环境,,\n",
    )
    assert read_categories(path)["E0101"].parent_code == "E01"


def test_a_department_without_a_kind_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "departments.csv",
        "code,name,kind,level,district_code\n110000-cgzf,城管执法,cgzf,city,\nx,无类别,,district,110102\n",
    )
    with pytest.raises(DataFileError) as info:
        read_department_kinds(path)
    assert (info.value.line, info.value.column) == (3, "kind")


def test_a_kind_without_a_short_name_shows_its_city_departments_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "departments.csv",
        "code,name,kind,level,district_code\n"
        "110102-wlj,西城区文化和旅游局,wlj,district,110102\n"
        "110000-wlj,北京市文化和旅游局,wlj,city,\n"
        "110106-wlj,丰台区文化和旅游局,wlj,district,110106\n"
        "110102-mzj,西城区民政局,mzj,district,110102\n"
        "110102-cgzf,西城区城市管理综合行政执法局,cgzf,district,110102\n",
    )
    assert read_department_kinds(path) == {
        "wlj": "北京市文化和旅游局",
        "mzj": "西城区民政局",  # no city department: the first district's name
        "cgzf": "城管执法",  # a short name from KIND_NAMES
    }


def test_an_sla_policy_without_a_name_is_refused(tmp_path: Path) -> None:
    text = "name,description,acknowledge,on_site,resolve\nhuangpu,a,2d,2d,5wd\n,b,2d,2d,5wd\n"
    path = write(tmp_path, "sla_policies.csv", text)
    with pytest.raises(DataFileError) as info:
        read_policies(path)
    assert (info.value.line, info.value.column) == (3, "name")
