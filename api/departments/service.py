"""Load and query the department and category catalogues."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.departments.models import Category, Department
from api.errors import InvalidInput


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_departments(path: Path) -> list[dict[str, str | None]]:
    """Read and check data/departments.csv (unique codes, known levels)."""
    rows: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for line, row in enumerate(_read_csv(path), start=2):
        code = row["code"].strip()
        if code in seen:
            raise InvalidInput(
                f"{path.name} line {line}: duplicate department code {code}", field="code"
            )
        if row["level"] not in ("district", "city"):
            raise InvalidInput(
                f"{path.name} line {line}: level must be district or city", field="level"
            )
        seen.add(code)
        rows.append({**row, "code": code, "district_code": row["district_code"] or None})
    return rows


def read_categories(path: Path) -> list[dict[str, str | None]]:
    """Read and check data/categories.csv (unique codes, parents exist)."""
    rows = _read_csv(path)
    codes = [r["code"] for r in rows]
    for line, row in enumerate(rows, start=2):
        if codes.count(row["code"]) > 1:
            raise InvalidInput(
                f"{path.name} line {line}: duplicate category code {row['code']}", field="code"
            )
        if row["parent_code"] and row["parent_code"] not in codes:
            raise InvalidInput(
                f"{path.name} line {line}: unknown parent category {row['parent_code']}",
                field="parent_code",
            )
    return [{**r, "parent_code": r["parent_code"] or None} for r in rows]


def load_catalogues(*, session: Session, data_dir: Path) -> tuple[int, int]:
    """Upsert departments and categories from ``data_dir``; return their counts."""
    departments = read_departments(data_dir / "departments.csv")
    categories = read_categories(data_dir / "categories.csv")
    for model, rows in ((Department, departments), (Category, categories)):
        stmt = insert(model).values(rows)
        columns = {c: stmt.excluded[c] for c in rows[0] if c != "code"}
        session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=columns))
    return len(departments), len(categories)


def list_departments(*, session: Session, district_code: str | None = None) -> list[Department]:
    """Departments, optionally those of one district."""
    stmt = select(Department).order_by(Department.code)
    if district_code is not None:
        stmt = stmt.where(Department.district_code == district_code)
    return list(session.scalars(stmt))


def list_categories(*, session: Session) -> list[Category]:
    """The category catalogue, ordered by code."""
    return list(session.scalars(select(Category).order_by(Category.code)))
