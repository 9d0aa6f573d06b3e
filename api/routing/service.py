"""Locate and route cases with PostGIS, the duty rules and the department catalogue."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.roles import Actor, home_street
from api.db.geometry import to_ewkb_hex
from api.db.statements import rows
from api.deadlines.sla import read_policies
from api.departments.models import Department as DepartmentRow
from api.errors import Conflict, InvalidInput
from api.geography import locate as pg
from geo.coords import CoordinateSystem, geometry_to_wgs84, to_wgs84, valid_wgs84
from geo.crs import measurable
from geo.facts import PointFacts, departments_for
from geo.locate import OutsideJurisdiction, PointLocation, StreetShare
from geo.route import ChiefRef, Department, FirstReceiver, Routing, ZoneHit, route
from geo.rules import NoDutyRule, RuleSet, UnknownCategory, load_shipped_rules

# Raw SQL here: geography distances and bounding-box prefilters read more plainly as SQL.

# The zones a geometry (EWKB) lies in or touches, by code.
_ZONES = text(
    "SELECT z.code, z.kind, z.name FROM land_use_zones z "
    "WHERE z.generation_low <= :gen AND z.generation_high >= :gen "
    "AND ST_Intersects(z.geom, ST_GeomFromEWKB(decode(:g, 'hex'))) ORDER BY z.code"
)
# The nearest named road within :radius metres of a geometry (EWKB) and its chief (the
# bounding-box test, 1 degree >= 80 km here, lets the GiST index narrow the search).
_CHIEF = text(
    "WITH x AS (SELECT ST_GeomFromEWKB(decode(:g, 'hex')) AS g) "
    "SELECT r.name AS road, r.kind, c.name, c.title, "
    "ST_Distance(r.geom::geography, x.g::geography) AS d, r.ref "
    "FROM x, roads r JOIN chiefs c ON c.ref = r.chief_ref "
    "AND c.generation_low <= :gen AND c.generation_high >= :gen "
    "WHERE r.generation_low <= :gen AND r.generation_high >= :gen "
    "AND r.geom && ST_Expand(x.g, CAST(:radius AS float8) / 80000.0) "
    "AND ST_DWithin(r.geom::geography, x.g::geography, CAST(:radius AS float8)) "
    "ORDER BY d, r.ref LIMIT 1"
)


ROUTING_FILE = "routing.toml"


@lru_cache(maxsize=4)
def lead_tolerance_from(data_dir: Path) -> float:
    """The first-receiver tolerance of ``data_dir``/routing.toml as a fraction (5 points:
    0.05); ValueError names the file and the key."""
    path = data_dir / ROUTING_FILE
    try:
        points = tomllib.loads(path.read_text(encoding="utf-8"))["lead_tolerance_points"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: lead_tolerance_points: {exc}") from exc
    if isinstance(points, bool) or not isinstance(points, int | float) or not 0 <= points <= 50:
        raise ValueError(f"{path}: lead_tolerance_points: 0 to 50, got {points!r}")
    return float(points) / 100


def first_receiver(actor: Actor, tolerance: float) -> FirstReceiver | None:
    """The street that received ``actor``'s report, for the router's first-receiver rule."""
    street = home_street(actor)
    return None if street is None or tolerance <= 0 else FirstReceiver(street, tolerance)


@lru_cache(maxsize=4)
def rules_from(data_dir: Path) -> RuleSet:
    """The duty rules of ``data_dir`` (validated once per process)."""
    return load_shipped_rules(data_dir, sla_policies=read_policies(data_dir / "sla_policies.csv"))


def outside_error(exc: OutsideJurisdiction, field: str) -> InvalidInput:
    """The 422 for a position outside every district."""
    return InvalidInput(
        str(exc),
        field=field,
        message=(f"此位置不在本市任何区内：离最近的{exc.nearest_name}约 {exc.distance_m:,.0f} 米"),
        nearest_district={"code": exc.nearest_code, "name": exc.nearest_name},
        distance_m=round(exc.distance_m, 1),
    )


def position_in_wgs84(
    *, lon: float, lat: float, crs: CoordinateSystem, field: str
) -> tuple[float, float]:
    """A position given in ``crs`` in WGS-84; a 422 naming ``field`` when the conversion
    leaves the valid range (BD-09 near ±180°, ±90°)."""
    wlon, wlat = to_wgs84(lon, lat, crs)
    if not valid_wgs84(wlon, wlat):
        raise InvalidInput(
            f"({lon}, {lat}) in {crs.value} is ({wlon:.6f}, {wlat:.6f}) in WGS-84,"
            " outside ±180° longitude and ±90° latitude",
            field=field,
        )
    return wlon, wlat


def locate(
    *,
    session: Session,
    lon: float,
    lat: float,
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    accuracy_m: float | None = None,
    generation: int | None = None,
) -> PointLocation:
    """Locate one position given in ``crs`` (answers in WGS-84)."""
    wlon, wlat = position_in_wgs84(lon=lon, lat=lat, crs=crs, field="lon")
    if not measurable(wlon, wlat):
        raise InvalidInput(
            f"({wlon:.6f}, {wlat:.6f}) is outside every district, too far from the city to"
            " measure the distance",
            field="lon",
        )
    try:
        return pg.locate_point(
            session=session, lon=wlon, lat=wlat, accuracy_m=accuracy_m, generation=generation
        )
    except OutsideJurisdiction as exc:
        raise outside_error(exc, "lon") from exc
    except LookupError as exc:
        raise Conflict(str(exc)) from exc


def zones_at(*, session: Session, geom: BaseGeometry, generation: int) -> list[ZoneHit]:
    """Land-use zones the geometry lies in or touches."""
    found = session.execute(_ZONES, {"g": to_ewkb_hex(geom), "gen": generation}).all()
    return [ZoneHit(r.code, r.kind, r.name) for r in found]


def nearest_chief(
    *, session: Session, geom: BaseGeometry, generation: int, radius_m: float
) -> ChiefRef | None:
    """The nearest named street/alley within ``radius_m`` and its chief."""
    row = session.execute(
        _CHIEF, {"g": to_ewkb_hex(geom), "gen": generation, "radius": radius_m}
    ).first()
    if row is None:
        return None
    return ChiefRef(
        name=row.name, title=row.title, street_or_alley=row.road, kind=row.kind, distance_m=row.d
    )


def catalogue(*, session: Session) -> list[Department]:
    """The department catalogue as router input."""
    rows = session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
    return [Department(r.code, r.name, r.kind, r.district_code) for r in rows]


def point_facts(
    *,
    session: Session,
    lon: float,
    lat: float,
    accuracy_m: float | None,
    generation: int | None,
    chief_radius_m: float,
) -> PointFacts:
    """Locate a point (lon/lat) with its zones, nearest chief and candidate departments, as
    ``geo.facts.CityFacts.at`` does in memory (raises ``OutsideJurisdiction`` off the map)."""
    (row,) = rows(session, pg.point_query(lon, lat, accuracy_m, generation))
    located = pg.point_location(session, row, lon, lat)
    point = shapely.Point(lon, lat)
    return PointFacts(
        located=located,
        zones=zones_at(session=session, geom=point, generation=located.generation),
        chief=nearest_chief(
            session=session, geom=point, generation=located.generation, radius_m=chief_radius_m
        ),
        catalogue=departments_for(catalogue(session=session), located.district.code),
    )


def _point_facts_text(geom: shapely.Point, located: PointLocation) -> list[str]:
    assert located.street is not None
    grid = located.grid.code if located.grid else "—"
    community = located.community.name if located.community else "—"
    facts = [
        f"点位 ({geom.x:.6f}, {geom.y:.6f}) 位于网格 {grid}、{community}、"
        f"{located.street.name}、{located.district.name}"
    ]
    if located.ambiguous:
        shares = "、".join(f"{c.name} {c.share:.0%}" for c in located.candidates)
        facts.append(f"定位精度圆跨界：{shares}，按所在街道派单，请人工确认")
    return facts


def _checked(rules: RuleSet, category: str, level: str) -> None:
    """Refuse a category without a duty rule before anything is located."""
    try:
        rules.match(category=category, zones=(), level=level)
    except (UnknownCategory, NoDutyRule) as exc:
        raise InvalidInput(str(exc), field="category") from exc


def _input_facts(crs: CoordinateSystem) -> list[str]:
    return [] if crs is CoordinateSystem.WGS84 else [f"输入坐标系 {crs.value}，已转换为 WGS-84"]


def route_point(
    *,
    facts: Callable[[float, float], PointFacts],
    wgs: shapely.Point,
    crs: CoordinateSystem,
    category: str,
    rules: RuleSet,
    level: str = "district",
) -> tuple[Routing, PointLocation]:
    """Route a point (``wgs``, given in ``crs``) with its ``facts`` (``point_facts`` on a
    session, or ``geo.facts.CityFacts`` in memory); refuses an unknown category before
    anything is located."""
    _checked(rules, category, level)
    try:
        found = facts(wgs.x, wgs.y)
    except OutsideJurisdiction as exc:
        raise outside_error(exc, "geometry") from exc
    except LookupError as exc:
        raise Conflict(str(exc)) from exc
    located = found.located
    if located.street is None:
        raise Conflict("no streets are loaded for this position")
    street = StreetShare(located.street.code, located.street.name, located.district.code, 1.0)
    match = rules.match(category=category, zones=[z.kind for z in found.zones], level=level)
    routing = route(
        streets=(street,),
        match=match,
        zones=found.zones,
        catalogue=found.catalogue,
        chief=found.chief,
        generation=located.generation,
        facts=_input_facts(crs) + _point_facts_text(wgs, located),
        level=level,
    )
    return routing, located


def route_case(
    *,
    session: Session,
    geom: BaseGeometry,
    crs: CoordinateSystem,
    category: str,
    rules: RuleSet,
    accuracy_m: float | None = None,
    level: str = "district",
    generation: int | None = None,
    chief_radius_m: float = 150.0,
    received: FirstReceiver | None = None,
) -> tuple[Routing, PointLocation | None]:
    """Locate ``geom`` (given in ``crs``) and route it by the duty rules; ``received``: the
    street that received the report (it leads a near tie of a footprint across streets)."""
    wgs = geometry_to_wgs84(geom, crs)
    min_lon, min_lat, max_lon, max_lat = wgs.bounds
    if not (valid_wgs84(min_lon, min_lat) and valid_wgs84(max_lon, max_lat)):
        raise InvalidInput(
            f"in {crs.value}, the geometry converts to WGS-84 outside ±180° longitude and"
            " ±90° latitude",
            field="geometry",
        )
    if not measurable(*shapely.get_coordinates(wgs).T):
        raise InvalidInput(
            "the geometry is outside every district, too far from the city to measure",
            field="geometry",
        )
    if isinstance(wgs, shapely.Point):
        return route_point(  # checks the category before the point lookup runs
            facts=lambda lon, lat: point_facts(
                session=session,
                lon=lon,
                lat=lat,
                accuracy_m=accuracy_m,
                generation=generation,
                chief_radius_m=chief_radius_m,
            ),
            wgs=wgs,
            crs=crs,
            category=category,
            rules=rules,
            level=level,
        )
    _checked(rules, category, level)
    facts = _input_facts(crs)
    try:
        footprint = pg.locate_footprint(session=session, geom=wgs, generation=generation)
    except OutsideJurisdiction as exc:
        raise outside_error(exc, "geometry") from exc
    except LookupError as exc:
        raise Conflict(str(exc)) from exc
    gen = footprint.generation if generation is None else generation
    kind = "路段" if wgs.geom_type == "LineString" else "建筑"
    facts.append(f"{kind}涉及 {len(footprint.streets)} 个街道")
    zones = zones_at(session=session, geom=wgs, generation=gen)
    match = rules.match(category=category, zones=[z.kind for z in zones], level=level)
    chief = nearest_chief(session=session, geom=wgs, generation=gen, radius_m=chief_radius_m)
    routing = route(
        streets=footprint.streets,
        match=match,
        zones=zones,
        catalogue=catalogue(session=session),
        chief=chief,
        generation=gen,
        facts=facts,
        level=level,
        received=received,
    )
    return routing, None
