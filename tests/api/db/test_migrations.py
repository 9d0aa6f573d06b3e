"""Migrations: up/down/up on a fresh database, GiST on every geometry, models match."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

import api.models  # noqa: F401
from api.db.base import Base
from api.db.migrate import downgrade, upgrade


def _geometry_columns(url: str) -> set[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT f_table_name, f_geometry_column FROM geometry_columns"))
        cols = {(r[0], r[1]) for r in rows}
    engine.dispose()
    return cols


# Geometry columns that are only read, never searched (migration 0004 dropped their indexes:
# each new report paid for two GiST inserts that no query used).
NOT_SEARCHED = {("cases", "position"), ("reports", "geom")}


def test_every_searched_geometry_column_has_a_gist_index(
    make_database: Callable[[str], str],
) -> None:
    url = make_database("gist")
    engine = create_engine(url)
    with engine.connect() as conn:
        indexes = conn.execute(
            text("SELECT tablename, indexdef FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'")
        ).all()
    engine.dispose()
    geometry = _geometry_columns(url)
    assert {"areas", "area_parts", "roads", "land_use_zones"} <= {t for t, _ in geometry}
    assert geometry >= NOT_SEARCHED
    for table, column in geometry:
        names = (f"({column})", f'("{column}")')  # keywords such as position are quoted
        indexed = any(t == table and any(n in d for n in names) for t, d in indexes)
        assert indexed == ((table, column) not in NOT_SEARCHED), (table, column)


def test_downgrade_and_upgrade_again(make_database: Callable[[str], str]) -> None:
    url = make_database("updown")
    downgrade(url, "base")
    assert _geometry_columns(url) == set()
    upgrade(url)
    assert ("areas", "geom") in _geometry_columns(url)


def test_models_and_migrations_agree(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name == "spatial_ref_sys")
        ]
    engine.dispose()
    assert diff == []
