"""Load and query the department and category catalogues."""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import String, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.deadlines.sla import read_policies
from api.departments.models import Category, Department
from api.errors import InvalidInput
from geo import rules
from geo.classify import read_keywords, sub_categories
from geo.datafile import DataFileError

CATEGORY_KINDS = ("event", "component")
CATALOGUE_CHANNEL = "gridwhistle_catalogue"  # notified when the catalogues are loaded


def _fits(
    model: type[Department] | type[Category], rows: list[dict[str, Any]], source: str
) -> None:
    """Refuse a value longer than its column."""
    limits = {
        c.name: c.type.length
        for c in model.__table__.columns
        if isinstance(c.type, String) and c.type.length is not None
    }
    for row in rows:
        for column, limit in limits.items():
            value = row.get(column)
            if value is not None and len(value) > limit:
                raise InvalidInput(
                    f"{source}: {column} of {row['code']!r} is longer than {limit} characters",
                    field=column,
                )


def read_catalogues(*, data_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The departments and categories of ``data_dir``, checked row by row and together with
    the duty rules beside them (a rule naming a kind no department has is refused here, not
    when a case is routed). InvalidInput names the file and the field (and line, where one)."""
    try:
        departments = [asdict(d) for d in rules.read_departments(data_dir / "departments.csv")]
        categories = rules.read_categories(data_dir / "categories.csv")
        policies = read_policies(data_dir / "sla_policies.csv")
        rules.load_shipped_rules(data_dir, sla_policies=policies)
    except DataFileError as exc:
        raise InvalidInput(str(exc), field=exc.column) from exc
    except OSError as exc:
        raise InvalidInput(f"{exc.filename}: {exc.strerror}", field="data_dir") from exc
    for category in categories.values():
        if category.kind not in CATEGORY_KINDS:
            raise InvalidInput(
                f"categories.csv: kind of {category.code!r} must be event or component, "
                f"not {category.kind!r}",
                field="kind",
            )
    rows = [asdict(c) for c in categories.values()]
    _fits(Department, departments, "departments.csv")
    _fits(Category, rows, "categories.csv")
    return departments, rows


def load_catalogues(*, session: Session, data_dir: Path) -> tuple[int, int]:
    """Upsert departments and categories from ``data_dir`` (checked first: nothing is written
    when a file is wrong) and tell the served apps on commit; return their counts."""
    departments, categories = read_catalogues(data_dir=data_dir)
    for model, rows in ((Department, departments), (Category, categories)):
        stmt = insert(model).values(rows)
        columns = {c: stmt.excluded[c] for c in rows[0] if c != "code"}
        session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_=columns))
    # served apps hear it when the transaction commits (api.routing.snapshot)
    session.execute(select(func.pg_notify(CATALOGUE_CHANNEL, "")))
    return len(departments), len(categories)


def list_departments(*, session: Session, district_code: str | None = None) -> list[Department]:
    """Departments, optionally those of one district."""
    stmt = select(Department).order_by(Department.code)
    if district_code is not None:
        stmt = stmt.where(Department.district_code == district_code)
    return list(session.scalars(stmt))


@lru_cache(maxsize=4)
def category_keywords(data_dir: Path) -> dict[str, tuple[str, ...]]:
    """The words callers use for each sub-category (``complaints/keywords.csv``, the
    classifier's keywords and synonyms), read once per process."""
    categories = sub_categories(rules.read_categories(data_dir / "categories.csv"))
    return read_keywords(data_dir / "complaints" / "keywords.csv", categories=categories)


def list_categories(*, session: Session) -> list[Category]:
    """The category catalogue, ordered by code."""
    return list(session.scalars(select(Category).order_by(Category.code)))
