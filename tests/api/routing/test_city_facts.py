"""The in-process facts of a point (``geo.facts``) agree with the PostGIS point lookup, on
the demo city and on a slice of the whole city."""

from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session

from api.geography import locate as pg
from api.routing.service import point_facts
from api.routing.snapshot import load_city_facts
from geo.facts import CityFacts, PointFacts
from tests.api.routing.test_point_facts import _points

RADIUS = 150.0


@pytest.fixture(scope="module")
def city(city_db_url: str) -> CityFacts:
    from api.db.session import engine_for

    with Session(engine_for(city_db_url)) as session:
        return load_city_facts(session=session)


def _postgis(
    session: Session, lon: float, lat: float, accuracy: float | None, radius: float = RADIUS
) -> PointFacts:
    return point_facts(
        session=session,
        lon=lon,
        lat=lat,
        accuracy_m=accuracy,
        generation=None,
        chief_radius_m=radius,
    )


def _same(got: PointFacts, expected: PointFacts) -> None:
    a, b = got.located, expected.located
    assert (a.district, a.street, a.community, a.grid, a.generation, a.ambiguous) == (
        b.district,
        b.street,
        b.community,
        b.grid,
        b.generation,
        b.ambiguous,
    )
    assert [c.code for c in a.candidates] == [c.code for c in b.candidates]
    for x, y in zip(a.candidates, b.candidates, strict=True):
        assert x.share == pytest.approx(y.share, abs=1e-6)
    assert got.zones == expected.zones
    assert got.catalogue == expected.catalogue
    if expected.chief is None:
        assert got.chief is None
        return
    assert got.chief is not None
    # PostGIS measures geography on the ellipsoid too; they differ by well under a centimetre
    assert got.chief.distance_m == pytest.approx(expected.chief.distance_m, abs=0.01)
    assert (got.chief.name, got.chief.street_or_alley, got.chief.title, got.chief.kind) == (
        expected.chief.name,
        expected.chief.street_or_alley,
        expected.chief.title,
        expected.chief.kind,
    )


def test_in_process_facts_match_postgis(city_session: Session, city: CityFacts) -> None:
    counts = {"compared": 0, "outside": 0, "chief": 0, "zones": 0, "ambiguous": 0}
    for lon, lat in _points(city_session, 240, seed=23):
        accuracy = random.Random(lon).choice([None, 15.0, 80.0, 400.0])
        try:
            expected = _postgis(city_session, lon, lat, accuracy)
        except pg.OutsideJurisdiction as exc:
            with pytest.raises(pg.OutsideJurisdiction) as got:
                city.at(lon, lat, accuracy_m=accuracy, chief_radius_m=RADIUS)
            assert got.value.nearest_code == exc.nearest_code
            assert got.value.distance_m == pytest.approx(exc.distance_m, abs=0.01)
            counts["outside"] += 1
            continue
        _same(city.at(lon, lat, accuracy_m=accuracy, chief_radius_m=RADIUS), expected)
        counts["compared"] += 1
        counts["chief"] += expected.chief is not None
        counts["zones"] += bool(expected.zones)
        counts["ambiguous"] += expected.located.ambiguous
    # the sample reaches every branch
    assert counts["compared"] > 150 and all(counts.values()), counts


def test_a_chief_just_inside_or_outside_the_radius(city_session: Session, city: CityFacts) -> None:
    """Around a road, the radius cut is the same on both sides (geodesic metres)."""
    checked = 0
    for lon, lat in _points(city_session, 60, seed=3)[:15]:  # the points near roads
        try:
            near = _postgis(city_session, lon, lat, None)
        except pg.OutsideJurisdiction:
            continue
        if near.chief is None:
            continue
        for radius in (near.chief.distance_m - 0.05, near.chief.distance_m + 0.05):
            expected = _postgis(city_session, lon, lat, None, radius)
            _same(city.at(lon, lat, accuracy_m=None, chief_radius_m=radius), expected)
        checked += 1
    assert checked > 5
