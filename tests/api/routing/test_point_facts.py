"""The one-statement point lookup agrees with the separate queries it replaces."""

from __future__ import annotations

import random

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.config import Settings
from api.deadlines.sla import read_policies
from api.errors import InvalidInput
from api.geography import locate as pg
from api.routing.service import catalogue, nearest_chief, point_facts, route_case, zones_at
from geo.coords import CoordinateSystem
from geo.route import route
from geo.rules import RuleSet, load_shipped_rules


def _points(session: Session, count: int, seed: int) -> list[tuple[float, float]]:
    """Random points near roads (chiefs), in land-use zones and anywhere in the city."""
    rng = random.Random(seed)
    chosen: list[tuple[float, float]] = []
    for table in ("roads", "land_use_zones"):
        rows = session.execute(
            text(f"SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM {table}) q")
        ).all()
        chosen += [(float(x), float(y)) for x, y in rng.sample(rows, min(len(rows), count // 4))]
    minx, miny, maxx, maxy = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) e FROM areas WHERE level = 'district') q"
        )
    ).one()
    while len(chosen) < count:
        chosen.append((rng.uniform(minx, maxx), rng.uniform(miny, maxy)))
    # jitter the road points off the line by up to ~100 m so the chief distance varies
    return [(x + rng.uniform(-1e-3, 1e-3), y + rng.uniform(-1e-3, 1e-3)) for x, y in chosen]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    data_dir = Settings().data_dir
    return load_shipped_rules(data_dir, sla_policies=read_policies(data_dir / "sla_policies.csv"))


def test_point_facts_match_the_separate_lookups(demo_session: Session, rules: RuleSet) -> None:
    full = catalogue(session=demo_session)
    compared = outside = 0
    for lon, lat in _points(demo_session, 160, seed=11):
        accuracy = random.Random(lon).choice([None, 15.0, 80.0, 400.0])
        try:
            expected = pg.locate_point(session=demo_session, lon=lon, lat=lat, accuracy_m=accuracy)
        except pg.OutsideJurisdiction as exc:
            with pytest.raises(pg.OutsideJurisdiction) as got:
                point_facts(
                    session=demo_session,
                    lon=lon,
                    lat=lat,
                    accuracy_m=accuracy,
                    generation=None,
                    chief_radius_m=150.0,
                )
            assert got.value.nearest_code == exc.nearest_code
            outside += 1
            continue
        found = point_facts(
            session=demo_session,
            lon=lon,
            lat=lat,
            accuracy_m=accuracy,
            generation=None,
            chief_radius_m=150.0,
        )
        assert found.located == expected
        point = shapely.Point(lon, lat)
        gen = expected.generation
        assert found.zones == zones_at(session=demo_session, geom=point, generation=gen)
        assert found.chief == nearest_chief(
            session=demo_session, geom=point, generation=gen, radius_m=150.0
        )
        district = expected.district.code
        assert found.catalogue == [
            d for d in full if d.district_code in (None, "", "110000", district)
        ]
        compared += 1
    assert compared > 100 and outside > 0  # the sample reaches both branches


def test_routing_with_the_narrowed_catalogue_equals_the_full_one(
    demo_session: Session, rules: RuleSet
) -> None:
    full = catalogue(session=demo_session)
    categories = sorted({r.category for r in rules if r.level == "district"})
    checked = 0
    for i, (lon, lat) in enumerate(_points(demo_session, 80, seed=5)):
        category = categories[i % len(categories)]
        try:
            routing, located = route_case(
                session=demo_session,
                geom=shapely.Point(lon, lat),
                crs=CoordinateSystem.WGS84,
                category=category,
                rules=rules,
            )
        except InvalidInput:  # outside every district: covered above
            continue
        assert located is not None and located.street is not None
        assert [s.code for s in routing.streets] == [located.street.code]
        match = rules.match(category=category, zones=[z.kind for z in routing.zones])
        reference = route(
            streets=routing.streets,
            match=match,
            zones=routing.zones,
            catalogue=full,
            chief=routing.chief,
            generation=routing.generation,
            facts=[],
            level="district",
        )
        assert reference.departments == routing.departments
        assert reference.whistle_type == routing.whistle_type
        checked += 1
    assert checked > 30
