"""The in-process locator and the PostGIS locator give identical answers (Hypothesis), on the
demo city and on a slice of the whole city (``city_db_url``)."""

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


NEAR = {"110102", "110106"}  # the demo city's boundary points lie near the 西城/丰台 line


@pytest.fixture(scope="module")
def locator(city_db_url: str) -> Locator:
    from api.db.session import engine_for

    with Session(engine_for(city_db_url)) as session:
        return load_locator(session=session)


@pytest.fixture(scope="module")
def bounds(locator: Locator) -> tuple[float, float, float, float]:
    """The city's districts' bounding box."""
    minx, miny, maxx, maxy = shapely.total_bounds(locator.index[Level.DISTRICT].geoms)
    return float(minx), float(miny), float(maxx), float(maxy)


@pytest.fixture(scope="module")
def boundary_points(locator: Locator, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Vertices and edge points of streets and cells near the 西城/丰台 line (the demo city),
    or anywhere (the slice)."""
    rng = np.random.default_rng(11)
    districts = {str(c) for c in locator.index[Level.DISTRICT].codes}
    box = shapely.box(116.30, 39.87, 116.34, 39.91) if districts >= NEAR else shapely.box(*bounds)
    geoms: list[BaseGeometry] = []
    for level in (Level.STREET, Level.GRID):
        index = locator.index[level]
        near = index.tree.query(box)
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


Bounds = tuple[float, float, float, float]


def _at(bounds: Bounds, fx: float, fy: float) -> tuple[float, float]:
    """The point at fractions (fx, fy) of ``bounds``, a little beyond them at 0 and 1."""
    minx, miny, maxx, maxy = bounds
    return minx + (maxx - minx) * (1.04 * fx - 0.02), miny + (maxy - miny) * (1.04 * fy - 0.02)


FRACTION = st.floats(0, 1)


@EXAMPLES
@given(fx=FRACTION, fy=FRACTION, accuracy=st.one_of(st.none(), st.floats(1, 400)))
def test_random_points_agree(
    city_session: Session,
    locator: Locator,
    bounds: Bounds,
    fx: float,
    fy: float,
    accuracy: float | None,
) -> None:
    lon, lat = _at(bounds, fx, fy)
    _same(_in_process(locator, lon, lat, accuracy), _postgis(city_session, lon, lat, accuracy))


def test_points_on_vertices_and_edges_agree(
    city_session: Session, locator: Locator, boundary_points: np.ndarray
) -> None:
    for lon, lat in boundary_points:
        a = _in_process(locator, float(lon), float(lat), None)
        b = _postgis(city_session, float(lon), float(lat), None)
        _same(a, b)


@EXAMPLES
@given(
    fx=FRACTION,
    fy=FRACTION,
    w=st.floats(0.0002, 0.01),
    h=st.floats(0.0002, 0.01),
    line=st.booleans(),
)
def test_random_footprints_agree(
    city_session: Session,
    locator: Locator,
    bounds: Bounds,
    fx: float,
    fy: float,
    w: float,
    h: float,
    line: bool,
) -> None:
    lon, lat = _at(bounds, fx, fy)
    geom = (
        shapely.LineString([(lon, lat), (lon + w, lat + h)])
        if line
        else shapely.box(lon, lat, lon + w, lat + h)
    )
    try:
        a = locator.locate_footprint(geom)
    except OutsideJurisdiction:
        with pytest.raises(OutsideJurisdiction):
            pg.locate_footprint(session=city_session, geom=geom)
        return
    b = pg.locate_footprint(session=city_session, geom=geom)
    assert [s.code for s in a.streets] == [s.code for s in b.streets]
    for x, y in zip(a.streets, b.streets, strict=True):
        assert x.share == pytest.approx(y.share, abs=1e-6)
