"""Generations (MapIt style), loading levels, subdivided parts, reading back."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.geography.models import Area, AreaPart, Generation
from api.geography.service import (
    active_generation,
    areas_geojson,
    count_areas,
    load_levels,
    read_level,
)
from geo.codes import Level
from tests.factories import box, four_streets, frame, two_districts


def _load(session: Session, level: Level, gdf: gpd.GeoDataFrame, description: str = "test") -> int:
    return load_levels(session=session, frames={level: gdf}, description=description).id


def _features(collection: dict[str, object]) -> list[dict[str, Any]]:
    """The features of a FeatureCollection built by ``areas_geojson``."""
    features = collection["features"]
    assert isinstance(features, list)
    return features


def test_each_import_makes_a_new_generation_and_carries_other_levels(db_session: Session) -> None:
    g1 = _load(db_session, Level.DISTRICT, two_districts())
    g2 = _load(db_session, Level.STREET, four_streets())
    assert g2 == g1 + 1 == active_generation(session=db_session)
    assert count_areas(session=db_session) == {"district": 2, "street": 4}
    assert count_areas(session=db_session, generation=g1) == {"district": 2}
    # re-import districts: old rows retire at g2, new rows start at g3; streets carry over
    g3 = _load(db_session, Level.DISTRICT, two_districts())
    assert count_areas(session=db_session, generation=g3) == {"district": 2, "street": 4}
    xicheng = db_session.execute(
        select(Area.generation_low, Area.generation_high)
        .where(Area.code == "110102")
        .order_by(Area.generation_low)
    ).all()
    assert [tuple(r) for r in xicheng] == [(g1, g2), (g3, g3)]
    streets = db_session.scalars(select(Area.generation_high).where(Area.level == "street")).all()
    assert set(streets) == {g3}


def test_old_generations_stay_readable(db_session: Session) -> None:
    g1 = _load(db_session, Level.DISTRICT, two_districts())
    moved = frame(
        Level.DISTRICT,
        [("110102", "西城区", box(0.4, 0, 1, 1)), ("110106", "丰台区", box(0, 0, 0.4, 1))],
    )
    g2 = _load(db_session, Level.DISTRICT, moved)
    old = read_level(session=db_session, level=Level.DISTRICT, generation=g1)
    new = read_level(session=db_session, level=Level.DISTRICT)
    old_x = old.set_index("code").loc["110102", "area_m2"]
    new_x = new.set_index("code").loc["110102", "area_m2"]
    assert new_x > old_x * 1.1
    assert g2 == g1 + 1


def test_area_is_computed_in_metres(db_session: Session) -> None:
    _load(db_session, Level.DISTRICT, two_districts())
    got = read_level(session=db_session, level=Level.DISTRICT)
    # independent check with PostGIS geography
    for code, area in zip(got["code"], got["area_m2"], strict=True):
        expected = db_session.scalar(
            text("SELECT ST_Area(geom::geography) FROM areas WHERE code = :c"), {"c": code}
        )
        assert abs(area - expected) / expected < 0.005


def test_subdivided_parts_cover_each_area_exactly(db_session: Session) -> None:
    wiggly = frame(Level.DISTRICT, [("110102", "西城区", box(0, 0, 1, 1).buffer(0.002, 64))])
    gen = load_levels(
        session=db_session, frames={Level.DISTRICT: wiggly}, description="t", max_vertices=16
    ).id
    parts = db_session.scalar(select(func.count()).select_from(AreaPart))
    assert parts is not None and parts > 4
    diff = db_session.scalar(
        text(
            "SELECT ST_Area(ST_SymDifference(a.geom, ST_Union(p.geom))::geography) "
            "FROM areas a JOIN area_parts p ON p.area_id = a.id "
            "WHERE a.generation_low = :g GROUP BY a.id, a.geom"
        ),
        {"g": gen},
    )
    assert diff is not None and diff < 1.0
    assert db_session.scalar(select(func.count()).select_from(Generation)) == 1


def test_geojson_filters_by_bbox(db_session: Session) -> None:
    _load(db_session, Level.DISTRICT, two_districts())
    _load(db_session, Level.STREET, four_streets())
    east = (116.30 + 0.0234 * 0.8, 39.881, 116.30 + 0.0234 * 0.9, 39.882)
    got = areas_geojson(session=db_session, level=Level.STREET, bbox=east)
    assert [f["properties"]["code"] for f in _features(got)] == ["110102021"]
    everything = areas_geojson(session=db_session, level=Level.STREET)
    assert len(_features(everything)) == 4 and not everything["truncated"]
    limited = areas_geojson(session=db_session, level=Level.STREET, limit=3)
    assert len(_features(limited)) == 3 and limited["truncated"]
