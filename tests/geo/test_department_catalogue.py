"""Reading data/departments.csv: each department row is checked, and a wrong one names file,
line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import get_settings
from geo.datafile import DataFileError
from geo.rules import CatalogueDepartment, read_departments

HEADER = "code,name,kind,level,district_code"
DISTRICT = "110102-cgzf,北京市西城区城市管理综合行政执法局,cgzf,district,110102"
CITY = "110000-cgzf,北京市城市管理综合行政执法局,cgzf,city,"


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "departments.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_the_shipped_catalogue_reads() -> None:
    departments = read_departments(get_settings().data_dir / "departments.csv")
    assert len(departments) == len({d.code for d in departments}) > 40
    assert {d.level for d in departments} == {"district", "city"}
    assert all((d.level == "city") == (d.district_code is None) for d in departments)


def test_rows_become_departments(tmp_path: Path) -> None:
    departments = read_departments(write(tmp_path, "# the city's own", CITY, "", DISTRICT))
    assert departments == [
        CatalogueDepartment("110000-cgzf", "北京市城市管理综合行政执法局", "cgzf", "city", None),
        CatalogueDepartment(
            "110102-cgzf", "北京市西城区城市管理综合行政执法局", "cgzf", "district", "110102"
        ),
    ]


@pytest.mark.parametrize(
    ("bad", "field", "text"),
    [
        (",某局,cgzf,district,110102", "code", "code is empty"),
        ("110102-x,,cgzf,district,110102", "name", "name is empty"),
        ("110102-x,某局,,district,110102", "kind", "kind is empty"),
        ("110102-x,某局,cgzf,county,110102", "level", "level must be district or city"),
        ("110102-x,某局,cgzf,district,", "district_code", "6-digit district code"),
        ("110102-x,某局,cgzf,district,11010", "district_code", "6-digit district code"),
        ("110102-x,某局,cgzf,district,１１０１０２", "district_code", "6-digit district code"),
        ("110000-x,某局,cgzf,city,110102", "district_code", "has no district code"),
        (DISTRICT, "code", "duplicate department code '110102-cgzf'"),
    ],
)
def test_a_wrong_row_names_file_line_and_field(
    tmp_path: Path, bad: str, field: str, text: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        read_departments(write(tmp_path, "# comment", DISTRICT, bad))
    assert caught.value.column == field
    assert caught.value.line == 4  # the header, the comment, the good row, then this one
    assert text in str(caught.value)
    assert str(caught.value).startswith(f"departments.csv line 4, column {field}:")


def test_a_missing_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        read_departments(write(tmp_path, CITY, header="code,name,kind,level"))
    assert caught.value.column == "district_code"
