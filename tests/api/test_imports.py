"""Validated imports into PostGIS: every rejection writes nothing; clean files do."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pytest
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.geography.imports import import_level
from api.geography.models import Area, AreaPart, Generation
from api.geography.service import load_levels, read_level
from geo.codes import Level
from grids.boundaries import read_boundaries
from tests.conftest import real_districts_or_skip
from tests.grids.geometries import (
    BOW_TIE,
    CHILD_EAST_LONG,
    CHILD_WEST,
    EAST_NEIGHBOUR,
    OVERLAPPING_EAST,
    PARENT,
    RING_OF_EIGHT,
    SQUARE,
    boundary_frame,
)


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model))
        for model in (Generation, Area, AreaPart)
    )


def _districts(*features: tuple[str, BaseGeometry | None]) -> gpd.GeoDataFrame:
    return boundary_frame(*features)


REJECTIONS: dict[str, tuple[Level, Callable[[], gpd.GeoDataFrame], str]] = {
    "self-intersecting": (
        Level.DISTRICT, lambda: _districts(("110101", BOW_TIE)), "invalid_geometry"
    ),
    "overlap": (
        Level.DISTRICT,
        lambda: _districts(("110101", SQUARE), ("110102", OVERLAPPING_EAST)),
        "overlap",
    ),
    "gap": (
        Level.DISTRICT,
        lambda: _districts(*[(f"1101{i:02d}", g) for i, g in enumerate(RING_OF_EIGHT, 1)]),
        "gap",
    ),
    "duplicate code": (
        Level.DISTRICT,
        lambda: _districts(("110101", SQUARE), ("110101", EAST_NEIGHBOUR)),
        "duplicate_code",
    ),
    "bad code": (Level.DISTRICT, lambda: _districts(("11010", SQUARE)), "bad_code"),
    "code prefix": (
        Level.STREET,
        lambda: boundary_frame(("110102001", CHILD_WEST), parent_code=["110101"]),
        "code_prefix",
    ),
    "outside parent": (
        Level.STREET,
        lambda: boundary_frame(("110101001", CHILD_WEST), ("110101002", CHILD_EAST_LONG)),
        "outside_parent",
    ),
    "missing parent": (
        Level.STREET, lambda: boundary_frame(("110109001", CHILD_WEST)), "missing_parent"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_each_rejection_writes_nothing(db_session: Session, case: str) -> None:
    level, make, kind = REJECTIONS[case]
    if level is Level.STREET:
        parent = boundary_frame(("110101", PARENT))
        parent["parent_code"] = None
        load_levels(session=db_session, frames={Level.DISTRICT: parent}, description="parent")
    before = _counts(db_session)
    report, generation = import_level(session=db_session, frame=make(), level=level, source=case)
    assert not report.ok
    assert generation is None
    assert kind in {p.kind for p in report.errors()}
    assert _counts(db_session) == before


def test_check_only_validates_but_writes_nothing(db_session: Session) -> None:
    frame = _districts(("110101", SQUARE), ("110102", EAST_NEIGHBOUR))
    report, generation = import_level(
        session=db_session, frame=frame, level=Level.DISTRICT, source="t", check_only=True
    )
    assert report.ok and generation is None
    assert _counts(db_session) == (0, 0, 0)


def test_real_districts_import_with_the_fengtai_sliver_repaired(db_session: Session) -> None:
    path = real_districts_or_skip()
    frame = read_boundaries(path, level=Level.DISTRICT, code_field="adcode")
    report, generation = import_level(
        session=db_session, frame=frame, level=Level.DISTRICT, source=str(path)
    )
    assert report.ok and generation is not None
    repaired = [p for p in report.repairs() if p.code == "110106"]
    assert repaired, report.to_text()
    stored = read_level(session=db_session, level=Level.DISTRICT)
    assert sorted(stored["code"]) == ["110101", "110102", "110106"]
    assert not stored["synthetic"].any()
    # 西城 ≈ 50.6 km² in EPSG:4548 (SOURCE.md: 50.3 km²; official 50.70 km²)
    xicheng = stored.set_index("code").loc["110102", "area_m2"]
    assert 49.5e6 < xicheng < 51.5e6
