"""Locate points and footprints with PostGIS, by the same rules as ``geo.locate``.

Points are tested against the subdivided ``area_parts`` (an area is the union of its parts);
footprint shares are measured on the full area geometry, as the in-process locator does.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db.geometry import to_ewkb_hex
from api.db.statements import Query, rows, sql_file
from api.geography.service import active_generation
from geo.codes import Level
from geo.crs import METRIC_SRID
from geo.locate import (
    DISC_QUAD_SEGS,
    EDGE_TOLERANCE_DEG,
    AreaRef,
    FootprintLocation,
    OutsideJurisdiction,
    PointLocation,
    StreetShare,
    rank_shares,
)

# Raw SQL here: PostGIS functions in metric projections read more plainly as SQL than as Core.

# The nearest district of a point, for a position outside every district.
_NEAREST_DISTRICT = text(
    "SELECT a.code, a.name, ST_Distance(ST_Transform(a.geom, :metric_srid), "
    "ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :metric_srid)) AS d "
    "FROM areas a WHERE a.level = 'district' AND a.generation_low <= :gen "
    "AND a.generation_high >= :gen ORDER BY d, a.code LIMIT 1"
)

# The streets a geometry (EWKB) overlaps, with the area (:lengths false) or the length
# (:lengths true) of the overlap in metres.
_SHARES = text(
    "WITH ll AS (SELECT ST_GeomFromEWKB(decode(:geom, 'hex')) AS g), "
    "part AS (SELECT a.code, a.name, ST_Transform(ST_Intersection(a.geom, ll.g), :metric_srid) "
    "AS m FROM areas a, ll WHERE a.level = 'street' AND a.generation_low <= :gen "
    "AND a.generation_high >= :gen AND ST_Intersects(a.geom, ll.g)) "
    "SELECT code, name, CASE WHEN :lengths THEN ST_Length(m) ELSE ST_Area(m) END AS size "
    "FROM part ORDER BY code"
)

# A disc of :r metres around a point, drawn in the metric projection, as EWKB.
_DISC = text(
    "SELECT encode(ST_AsEWKB(ST_Transform(ST_Buffer(ST_Transform("
    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :metric_srid), :r, :quad), 4326)), 'hex')"
)


def _generation(session: Session, generation: int | None) -> int:
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        raise LookupError("no boundaries are loaded")
    return gen


def _outside(session: Session, lon: float, lat: float, gen: int) -> OutsideJurisdiction:
    row = session.execute(
        _NEAREST_DISTRICT, {"lon": lon, "lat": lat, "gen": gen, "metric_srid": METRIC_SRID}
    ).one()
    return OutsideJurisdiction(nearest_code=row.code, nearest_name=row.name, distance_m=row.d)


# the whole point lookup (see the file)
POINT_SQL = ("api.geography", "point.sql")


def point_query(lon: float, lat: float, accuracy_m: float | None, generation: int | None) -> Query:
    """The point lookup of ``lon``/``lat``; its row becomes a location with ``point_location``."""
    radius = float(accuracy_m) if accuracy_m and accuracy_m > 0 else 0.0
    return Query(
        sql_file(*POINT_SQL),
        {
            "lon": lon,
            "lat": lat,
            "gen": generation,
            "eps": EDGE_TOLERANCE_DEG,
            "r": radius,
            "quad": f"quad_segs={DISC_QUAD_SEGS}",
            "metric_srid": METRIC_SRID,
        },
    )


def point_location(session: Session, row: Any, lon: float, lat: float) -> PointLocation:
    """The location a ``point_query`` row describes; ``OutsideJurisdiction`` (with the
    nearest district, read then) when outside every area."""
    if row.gen is None:
        raise LookupError("no boundaries are loaded")
    if row.code is None:
        raise _outside(session, lon, lat, row.gen)
    refs: dict[str, AreaRef] = {level: AreaRef(code, name) for level, code, name in row.areas}
    candidates: tuple[StreetShare, ...] = ()
    if row.shares:
        total = float(sum(size for _, _, size in row.shares))
        if total > 0:
            candidates = rank_shares(
                [StreetShare(c, n, c[:6], float(size) / total) for c, n, size in row.shares]
            )
    return PointLocation(
        lon=lon,
        lat=lat,
        district=refs[Level.DISTRICT],
        street=refs.get(Level.STREET),
        community=refs.get(Level.COMMUNITY),
        grid=refs.get(Level.GRID),
        generation=row.gen,
        ambiguous=len(candidates) > 1,
        candidates=candidates,
    )


def locate_point(
    *,
    session: Session,
    lon: float,
    lat: float,
    accuracy_m: float | None = None,
    generation: int | None = None,
) -> PointLocation:
    """One point: an area per level and, with an accuracy, the candidate streets."""
    (row,) = rows(session, point_query(lon, lat, accuracy_m, generation))
    return point_location(session, row, lon, lat)


def _shares(session: Session, ewkb_hex: str, lengths: bool, gen: int) -> tuple[StreetShare, ...]:
    found = session.execute(
        _SHARES, {"geom": ewkb_hex, "gen": gen, "lengths": lengths, "metric_srid": METRIC_SRID}
    ).all()
    total = float(sum(r.size for r in found))
    if total <= 0:
        return ()
    return rank_shares(
        [StreetShare(r.code, r.name, r.code[:6], float(r.size) / total) for r in found]
    )


def disc_shares(
    *, session: Session, lon: float, lat: float, radius_m: float, generation: int | None = None
) -> tuple[StreetShare, ...]:
    """Streets reached by the accuracy disc, with their share of its covered area."""
    gen = _generation(session, generation)
    disc = session.scalar(
        _DISC,
        {
            "lon": lon,
            "lat": lat,
            "r": radius_m,
            "quad": f"quad_segs={DISC_QUAD_SEGS}",
            "metric_srid": METRIC_SRID,
        },
    )
    return _shares(session, str(disc), False, gen)


def locate_footprint(
    *, session: Session, geom: BaseGeometry, generation: int | None = None
) -> FootprintLocation:
    """Streets a line or polygon (lon/lat) overlaps, with length or area shares."""
    gen = _generation(session, generation)
    ewkb_hex = to_ewkb_hex(geom)
    lengths = geom.geom_type in ("LineString", "MultiLineString")
    streets = _shares(session, ewkb_hex, lengths, gen)
    if not streets:
        centroid = geom.centroid
        raise _outside(session, float(centroid.x), float(centroid.y), gen)
    return FootprintLocation(streets=streets, generation=gen)


def as_dict(location: PointLocation) -> dict[str, Any]:
    """The /api/locate response body of a point location."""
    return {
        "position": {"lon": location.lon, "lat": location.lat},
        "district": _ref(location.district),
        "street": _ref(location.street),
        "community": _ref(location.community),
        "grid": {"code": location.grid.code} if location.grid else None,
        "generation": location.generation,
        "ambiguous": location.ambiguous,
        "candidates": [
            {"code": c.code, "name": c.name, "share": c.share} for c in location.candidates
        ],
    }


def _ref(ref: AreaRef | None) -> dict[str, str] | None:
    return None if ref is None else {"code": ref.code, "name": ref.name}
