"""Locate points and footprints with PostGIS, by the same rules as ``geo.locate``.

Points are tested against the subdivided ``area_parts`` (an area is the union of its parts);
footprint shares are measured on the full area geometry, as the in-process locator does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from api.db.geometry import to_ewkb_hex
from api.geography.service import active_generation
from geo.codes import CODE_LENGTH, Level
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

IN_GENERATION = "a.generation_low <= :gen AND a.generation_high >= :gen"

POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"

# The nearest district of a point {p} in generation {gen} (for a position outside them all),
# when {also} holds; alone for footprints and inside the point lookup.
_NEAREST_SQL = (
    "SELECT a.code, a.name, ST_Distance(ST_Transform(a.geom, 4548), ST_Transform({p}, 4548)) "
    "AS d FROM areas a WHERE {also} a.level = 'district' AND a.generation_low <= {gen} "
    "AND a.generation_high >= {gen} ORDER BY d, a.code LIMIT 1"
)
_NEAREST_DISTRICT = text(_NEAREST_SQL.format(p=POINT, gen=":gen", also=""))

_SHARES = text(
    "WITH ll AS (SELECT ST_GeomFromEWKB(decode(:geom, 'hex')) AS g) "
    "SELECT a.code, a.name, {measure}(ST_Transform(ST_Intersection(a.geom, ll.g), 4548)) AS size "
    f"FROM areas a, ll WHERE a.level = 'street' AND {IN_GENERATION} "
    "AND ST_Intersects(a.geom, ll.g) ORDER BY a.code"
)


def _generation(session: Session, generation: int | None) -> int:
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        raise LookupError("no boundaries are loaded")
    return gen


def _outside(session: Session, lon: float, lat: float, gen: int) -> OutsideJurisdiction:
    row = session.execute(_NEAREST_DISTRICT, {"lon": lon, "lat": lat, "gen": gen}).one()
    return OutsideJurisdiction(nearest_code=row.code, nearest_name=row.name, distance_m=row.d)


_PREFIXES = ", ".join(f"left(d.code, {n})" for n in sorted(set(CODE_LENGTH.values())))

# One round trip for a point: the generation, the deepest area within the edge tolerance
# (smallest code first among equals), the names up its hierarchy and, with an accuracy, the
# streets the disc reaches with their areas (a single street reached takes the whole disc, so
# the intersection is only computed when the disc crosses a boundary) and, only for a point
# outside every area, the nearest district and its distance. Callers may add
# columns that use ``g.gen``, ``pt.p`` and ``deepest`` (see ``api.routing.service``).
# The point and disc tests run on the subdivided ``area_parts`` only: an area is the union of
# its parts, so the distance to the area is the smallest distance to a part, and small parts
# are cheap to test where a district's full outline is not. ``+ 0`` keeps the planner on the
# code index for the names (the generation index would match every area of the generation).
_POINT_SQL = f"""
WITH g AS (SELECT COALESCE(CAST(:gen AS integer), (SELECT max(id) FROM generations)) AS gen),
pt AS (SELECT {POINT} AS p),
deepest AS (
  SELECT a.code FROM area_parts p JOIN areas a ON a.id = p.area_id, g, pt
  WHERE a.generation_low <= g.gen AND a.generation_high >= g.gen
  AND ST_DWithin(p.geom, pt.p, :eps)
  ORDER BY length(a.code) DESC, a.code LIMIT 1
),
disc AS (
  SELECT ST_Transform(ST_Buffer(ST_Transform(pt.p, 4548), CAST(:r AS float8),
         'quad_segs={DISC_QUAD_SEGS}'), 4326) AS d
  FROM pt WHERE CAST(:r AS float8) > 0
),
hit AS (
  SELECT a.code, a.name, a.geom FROM areas a, g
  WHERE a.level = 'street' AND a.generation_low <= g.gen AND a.generation_high >= g.gen
  AND a.id IN (SELECT p.area_id FROM area_parts p, disc WHERE ST_Intersects(p.geom, disc.d))
)
SELECT g.gen,
  (SELECT code FROM deepest) AS code,
  (SELECT json_agg(json_build_array(a.level, a.code, a.name)) FROM areas a, deepest d
   WHERE a.code = ANY(ARRAY[{_PREFIXES}])
   AND a.generation_low + 0 <= g.gen AND a.generation_high + 0 >= g.gen) AS areas,
  (SELECT json_agg(json_build_array(h.code, h.name, CASE WHEN (SELECT count(*) FROM hit) = 1
     THEN 1.0 ELSE ST_Area(ST_Transform(ST_Intersection(h.geom, disc.d), 4548)) END)
     ORDER BY h.code) FROM hit h, disc) AS shares,
  (SELECT json_build_array(n.code, n.name, n.d) FROM ({
    _NEAREST_SQL.format(p="pt.p", gen="g.gen", also="NOT EXISTS (SELECT 1 FROM deepest) AND")
}) n) AS nearest
  {{extra}}
FROM g, pt
"""


@lru_cache(maxsize=8)
def point_statement(extra: tuple[str, ...] = ()) -> TextClause:
    """The one-statement point lookup, with ``extra`` output columns appended."""
    return text(_POINT_SQL.format(extra="".join(f", {column}" for column in extra)))


def point_params(
    lon: float, lat: float, accuracy_m: float | None, generation: int | None
) -> dict[str, Any]:
    """The parameters of ``point_statement``."""
    radius = float(accuracy_m) if accuracy_m and accuracy_m > 0 else 0.0
    return {"lon": lon, "lat": lat, "gen": generation, "eps": EDGE_TOLERANCE_DEG, "r": radius}


def point_location(row: Any, lon: float, lat: float) -> PointLocation:
    """The location a ``point_statement`` row describes (a row with ``gen``, ``code``,
    ``areas``, ``shares`` and ``nearest`` attributes; raises when outside every area)."""
    if row.gen is None:
        raise LookupError("no boundaries are loaded")
    if row.code is None:
        code, name, distance = row.nearest
        raise OutsideJurisdiction(nearest_code=code, nearest_name=name, distance_m=distance)
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
    row = session.execute(point_statement(), point_params(lon, lat, accuracy_m, generation)).one()
    return point_location(row, lon, lat)


def _shares(session: Session, ewkb_hex: str, measure: str, gen: int) -> tuple[StreetShare, ...]:
    rows = session.execute(
        text(_SHARES.text.format(measure=measure)), {"geom": ewkb_hex, "gen": gen}
    ).all()
    total = float(sum(r.size for r in rows))
    if total <= 0:
        return ()
    return rank_shares(
        [StreetShare(r.code, r.name, r.code[:6], float(r.size) / total) for r in rows]
    )


def disc_shares(
    *, session: Session, lon: float, lat: float, radius_m: float, generation: int | None = None
) -> tuple[StreetShare, ...]:
    """Streets reached by the accuracy disc, with their share of its covered area."""
    gen = _generation(session, generation)
    disc = session.scalar(
        text(
            "SELECT encode(ST_AsEWKB(ST_Transform(ST_Buffer(ST_Transform("
            f"{POINT}, 4548), :r, 'quad_segs={DISC_QUAD_SEGS}'), 4326)), 'hex')"
        ),
        {"lon": lon, "lat": lat, "r": radius_m},
    )
    return _shares(session, str(disc), "ST_Area", gen)


def locate_footprint(
    *, session: Session, geom: BaseGeometry, generation: int | None = None
) -> FootprintLocation:
    """Streets a line or polygon (lon/lat) overlaps, with length or area shares."""
    gen = _generation(session, generation)
    ewkb_hex = to_ewkb_hex(geom)
    measure = "ST_Length" if geom.geom_type in ("LineString", "MultiLineString") else "ST_Area"
    streets = _shares(session, ewkb_hex, measure, gen)
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
