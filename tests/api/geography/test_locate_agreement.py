"""The in-process locator and the PostGIS locator give identical answers (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from api.geography import locate as pg
from api.geography.service import load_locator
from geo.codes import Level
from geo.locate import Locator, OutsideJurisdiction, PointLocation

# A located point, or ("outside", nearest district code, distance in metres).
Answer = PointLocation | tuple[str, str, float]

EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def locator(demo_db_url: str) -> Locator:
    from api.db.session import engine_for

    with Session(engine_for(demo_db_url)) as session:
        return load_locator(session=session)


@pytest.fixture(scope="module")
def boundary_points(locator: Locator) -> np.ndarray:
    """Vertices and edge points of streets and cells near the 西城/丰台 line."""
    rng = np.random.default_rng(11)
    geoms: list[BaseGeometry] = []
    for level in (Level.STREET, Level.GRID):
        index = locator.index[level]
        near = index.tree.query(shapely.box(116.30, 39.87, 116.34, 39.91))
        geoms.extend(index.geoms[near])
    rings = shapely.boundary(np.array(geoms, dtype=object))
    vertices = shapely.get_coordinates(rings)
    picked = vertices[rng.choice(len(vertices), size=150, replace=False)]
    along = shapely.line_interpolate_point(
        rings[rng.choice(len(rings), size=150)], rng.uniform(0, 1, 150), normalized=True
    )
    return np.vstack([picked, shapely.get_coordinates(along)])


def _in_process(locator: Locator, lon: float, lat: float, accuracy: float | None) -> Answer:
    try:
        return locator.locate_point(lon, lat, accuracy_m=accuracy)
    except OutsideJurisdiction as exc:
        return ("outside", exc.nearest_code, round(exc.distance_m, 3))


def _postgis(session: Session, lon: float, lat: float, accuracy: float | None) -> Answer:
    try:
        return pg.locate_point(session=session, lon=lon, lat=lat, accuracy_m=accuracy)
    except OutsideJurisdiction as exc:
        return ("outside", exc.nearest_code, round(exc.distance_m, 3))


def _same(a: Answer, b: Answer) -> None:
    if isinstance(a, tuple) or isinstance(b, tuple):
        assert a == b
        return
    assert (a.district, a.street, a.community, a.grid) == (
        b.district,
        b.street,
        b.community,
        b.grid,
    )
    assert a.ambiguous == b.ambiguous
    assert [c.code for c in a.candidates] == [c.code for c in b.candidates]
    for x, y in zip(a.candidates, b.candidates, strict=True):
        assert x.share == pytest.approx(y.share, abs=1e-6)


@EXAMPLES
@given(
    lon=st.floats(116.05, 116.47),
    lat=st.floats(39.76, 39.98),
    accuracy=st.one_of(st.none(), st.floats(1, 400)),
)
def test_random_points_agree(
    demo_session: Session, locator: Locator, lon: float, lat: float, accuracy: float | None
) -> None:
    _same(_in_process(locator, lon, lat, accuracy), _postgis(demo_session, lon, lat, accuracy))


def test_points_on_vertices_and_edges_agree(
    demo_session: Session, locator: Locator, boundary_points: np.ndarray
) -> None:
    for lon, lat in boundary_points:
        a = _in_process(locator, float(lon), float(lat), None)
        b = _postgis(demo_session, float(lon), float(lat), None)
        _same(a, b)


@EXAMPLES
@given(
    lon=st.floats(116.25, 116.40),
    lat=st.floats(39.85, 39.93),
    w=st.floats(0.0002, 0.01),
    h=st.floats(0.0002, 0.01),
    line=st.booleans(),
)
def test_random_footprints_agree(
    demo_session: Session,
    locator: Locator,
    lon: float,
    lat: float,
    w: float,
    h: float,
    line: bool,
) -> None:
    geom = (
        shapely.LineString([(lon, lat), (lon + w, lat + h)])
        if line
        else shapely.box(lon, lat, lon + w, lat + h)
    )
    try:
        a = locator.locate_footprint(geom)
    except OutsideJurisdiction:
        with pytest.raises(OutsideJurisdiction):
            pg.locate_footprint(session=demo_session, geom=geom)
        return
    b = pg.locate_footprint(session=demo_session, geom=geom)
    assert [s.code for s in a.streets] == [s.code for s in b.streets]
    for x, y in zip(a.streets, b.streets, strict=True):
        assert x.share == pytest.approx(y.share, abs=1e-6)
