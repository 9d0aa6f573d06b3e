"""Where a case is, as the people sent there need it: the point to go to in WGS-84 and as the
phone map apps take it (GCJ-02 for 高德, BD-09 for 百度), the nearest named road with its
distance, and the nearest address of the register."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Literal

from geoalchemy2 import Geography
from sqlalchemy import cast, func, select, true
from sqlalchemy.orm import Session

from api.addresses.service import describe_positions
from api.cases.models import Case
from api.cases.schemas import LonLat, NearestRoad, SitePublic
from api.geography.models import Road
from geo.coords import CoordinateSystem, from_wgs84

# degrees that hold ``radius`` metres in any direction around Beijing (a degree of longitude
# is ~85 km at 40°N): the bounding-box test lets the GiST index narrow before ST_DWithin
_METRES_PER_DEGREE_AT_MOST = 80_000.0

Kind = Literal["point", "line", "polygon"]
KINDS: dict[str, Kind] = {"Point": "point", "LineString": "line", "Polygon": "polygon"}


def _lon_lat(lon: float, lat: float) -> LonLat:
    return LonLat(lon=round(lon, 7), lat=round(lat, 7))


def sites(
    *, session: Session, case_ids: Collection[int], road_radius_m: float
) -> dict[int, SitePublic]:
    """The site of each case in ``case_ids`` (by id), in one statement and one search of the
    address register.

    The point is the case's position (a footprint's representative point, inside it); the
    road is the nearest named one of the case's boundary generation within
    ``road_radius_m`` of the case's geometry (a footprint touching a road is 0 m from it)."""
    if not case_ids:
        return {}
    distance = func.ST_Distance(cast(Road.geom, Geography), cast(Case.geom, Geography))
    nearest = (
        select(Road.name.label("name"), Road.kind.label("kind"), distance.label("d"))
        .where(
            Road.generation_low <= Case.generation,
            Road.generation_high >= Case.generation,
            Road.geom.intersects(
                func.ST_Expand(Case.geom, road_radius_m / _METRES_PER_DEGREE_AT_MOST)
            ),
            func.ST_DWithin(cast(Road.geom, Geography), cast(Case.geom, Geography), road_radius_m),
        )
        .order_by(distance, Road.ref)
        .limit(1)
        .lateral("nearest")
    )
    rows = session.execute(
        select(
            Case.id,
            func.ST_X(Case.position),
            func.ST_Y(Case.position),
            func.ST_AsGeoJSON(Case.geom, 7),
            nearest.c.name,
            nearest.c.kind,
            nearest.c.d,
        )
        .outerjoin(nearest, true())
        .where(Case.id.in_(case_ids))
        .order_by(Case.id)
    ).all()
    addresses = describe_positions(session=session, points=[(r[1], r[2]) for r in rows])
    found = {}
    for (case_id, lon, lat, geometry, road, kind, d), address in zip(rows, addresses, strict=True):
        shape = json.loads(geometry)
        found[case_id] = SitePublic(
            kind=KINDS.get(shape["type"], "polygon"),
            point=_lon_lat(lon, lat),
            gcj02=_lon_lat(*from_wgs84(lon, lat, CoordinateSystem.GCJ02)),
            bd09=_lon_lat(*from_wgs84(lon, lat, CoordinateSystem.BD09)),
            road=None
            if road is None
            else NearestRoad(name=road, kind=kind, distance_m=round(d, 1)),
            address=address,
            geometry=shape,
        )
    return found
