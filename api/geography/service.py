"""Queries and writes for the geography: generations, loading levels, reading them back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import CursorResult, func, insert, select, text, update
from sqlalchemy.orm import Session

from api.addresses.models import AddressEntry
from api.db.geometry import to_db
from api.errors import NotFound
from api.geography.models import Area, Chief, Generation, LandUseZone, Road
from geo.codes import LEVELS_TOP_DOWN, Level
from geo.crs import area_m2
from geo.locate import Locator, WkbAreas

VERSIONED = (Area, Road, Chief, LandUseZone, AddressEntry)


def active_generation(*, session: Session) -> int | None:
    """The newest generation, which lookups use unless asked otherwise."""
    return session.scalar(select(func.max(Generation.id)))


def get_generation(*, session: Session, generation_id: int) -> Generation | None:
    """One generation by id."""
    return session.get(Generation, generation_id)


def check_generation(*, session: Session, generation: int | None) -> None:
    """NotFound naming the field when a generation is asked for that does not exist."""
    if generation is not None and get_generation(session=session, generation_id=generation) is None:
        raise NotFound(f"generation {generation} does not exist", field="generation")


def list_generations(*, session: Session) -> list[Generation]:
    """All generations, oldest first."""
    return list(session.scalars(select(Generation).order_by(Generation.id)))


def _in_generation(model: type[Area] | type[Road] | type[Chief] | type[LandUseZone], gen: int):  # type: ignore[no-untyped-def]
    return (model.generation_low <= gen) & (model.generation_high >= gen)


def as_multipolygon(geom: BaseGeometry) -> BaseGeometry:
    """Polygon -> MultiPolygon (2-D); MultiPolygons pass through."""
    geom = shapely.force_2d(geom)
    return shapely.MultiPolygon([geom]) if isinstance(geom, shapely.Polygon) else geom


def _area_rows(frame: gpd.GeoDataFrame, level: Level, gen: int) -> list[dict[str, object]]:
    geoms = frame.geometry.to_numpy()
    areas = area_m2(geoms)
    synthetic = frame["synthetic"] if "synthetic" in frame else pd.Series(False, index=frame.index)
    parents = frame["parent_code"] if "parent_code" in frame else pd.Series(None, index=frame.index)
    return [
        {
            "level": str(level),
            "code": str(code),
            "name": str(name),
            "parent_code": None if parent is None or pd.isna(parent) else str(parent),
            "area_m2": float(a),
            "geom": to_db(as_multipolygon(g)),
            "generation_low": gen,
            "generation_high": gen,
            "synthetic": bool(syn),
        }
        for code, name, parent, a, g, syn in zip(
            frame["code"], frame["name"], parents, areas, geoms, synthetic, strict=True
        )
    ]


def _carry_over(*, session: Session, prev: int | None, gen: int, levels: set[str]) -> None:
    if prev is None:
        return
    stmt = update(Area).where(Area.generation_high == prev)
    if levels:
        stmt = stmt.where(Area.level.not_in(sorted(levels)))
    session.execute(stmt.values(generation_high=gen))


def _carry_over_features(
    *, session: Session, prev: int | None, gen: int, replaced: set[type]
) -> None:
    if prev is None:
        return
    for model, _ in FEATURES.values():
        if model not in replaced:
            session.execute(
                update(model).where(model.generation_high == prev).values(generation_high=gen)
            )


def subdivide(*, session: Session, generation: int, max_vertices: int = 256) -> int:
    """Store ST_Subdivide'd parts of the areas new in ``generation``; return the count."""
    result = session.execute(
        text(
            "INSERT INTO area_parts (area_id, geom) "
            "SELECT id, (ST_Dump(ST_Subdivide(geom, :n))).geom FROM areas "
            "WHERE generation_low = :gen"
        ),
        {"n": max_vertices, "gen": generation},
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


def load_levels(
    *,
    session: Session,
    frames: Mapping[Level, gpd.GeoDataFrame],
    description: str,
    source: str | None = None,
    fingerprint: str | None = None,
    features: Mapping[str, pd.DataFrame] | None = None,
    max_vertices: int = 256,
) -> Generation:
    """Write ``frames`` as a new generation; other levels carry over. Caller commits."""
    prev = active_generation(session=session)
    levels = [lvl for lvl in LEVELS_TOP_DOWN if lvl in frames]
    generation = Generation(
        description=description, levels=",".join(levels), source=source, fingerprint=fingerprint
    )
    session.add(generation)
    session.flush()
    gen = generation.id
    _carry_over(session=session, prev=prev, gen=gen, levels={str(lvl) for lvl in levels})
    for level in levels:
        rows = _area_rows(frames[level], level, gen)
        if rows:
            session.execute(insert(Area), rows)
    replaced = _write_features(session=session, gen=gen, features=features or {})
    _carry_over_features(session=session, prev=prev, gen=gen, replaced=replaced)
    subdivide(session=session, generation=gen, max_vertices=max_vertices)
    return generation


def _as_multilinestring(geom: BaseGeometry) -> BaseGeometry:
    geom = shapely.force_2d(geom)
    return shapely.MultiLineString([geom]) if isinstance(geom, shapely.LineString) else geom


def _road_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "ref": r["id"], "name": r["name"], "kind": r["kind"], "street_code": r["street_code"],
        "chief_ref": r["chief_id"], "geom": to_db(_as_multilinestring(r["geometry"])),
    }  # fmt: skip


def _chief_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"ref": r["id"], "name": r["name"], "title": r["title"], "street_code": r["street_code"]}


def _zone_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": r["code"], "kind": r["kind"], "name": r["name"],
        "district_code": r["district_code"], "geom": to_db(as_multipolygon(r["geometry"])),
    }  # fmt: skip


def _address_row(r: dict[str, Any]) -> dict[str, Any]:
    def whole(value: Any) -> int | None:
        return None if value is None or pd.isna(value) else int(value)

    return {
        "ref": r["id"], "text": r["text"], "kind": r["kind"], "road": r["road"],
        "number": whole(r["number"]), "suffix": r["suffix"], "side": r["side"],
        "name": r["name"], "building": whole(r["building"]), "group": whole(r["group"]),
        "lon": float(r["lon"]), "lat": float(r["lat"]), "grid_code": r["grid_code"],
        "community_code": r["community_code"], "street_code": r["street_code"],
        "district_code": r["district_code"], "geom": to_db(shapely.Point(r["lon"], r["lat"])),
    }  # fmt: skip


FEATURES: dict[str, tuple[type[Road | Chief | LandUseZone | AddressEntry], Any]] = {
    "roads": (Road, _road_row),
    "chiefs": (Chief, _chief_row),
    "zones": (LandUseZone, _zone_row),
    "addresses": (AddressEntry, _address_row),
}


def _write_features(
    *, session: Session, gen: int, features: Mapping[str, pd.DataFrame]
) -> set[type]:
    replaced: set[type] = set()
    for key, frame in features.items():
        model, to_row = FEATURES[key]
        replaced.add(model)
        rows = [
            {
                **to_row(r),
                "synthetic": bool(r.get("synthetic", False)),
                "generation_low": gen,
                "generation_high": gen,
            }
            for r in frame.to_dict("records")
        ]
        if rows:
            session.execute(insert(model), rows)
    return replaced


def read_level(
    *, session: Session, level: Level, generation: int | None = None, prefix: str = ""
) -> gpd.GeoDataFrame:
    """The areas of ``level`` in ``generation`` (default: active) as a GeoDataFrame; only
    those whose code starts with ``prefix`` (a street's cells, not the city's)."""
    gen = generation if generation is not None else active_generation(session=session)
    columns = ["code", "name", "parent_code", "level", "synthetic", "area_m2", "geometry"]
    if gen is None:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs="EPSG:4326")
    query = text(
        "SELECT code, name, parent_code, level, synthetic, area_m2, geom AS geometry "
        "FROM areas WHERE level = :level AND generation_low <= :gen AND generation_high >= :gen "
        "AND code LIKE :prefix || '%' ORDER BY code"
    )
    params = {"level": str(level), "gen": gen, "prefix": prefix}
    return gpd.read_postgis(query, session.connection(), geom_col="geometry", params=params)


def count_areas(*, session: Session, generation: int | None = None) -> dict[str, int]:
    """Number of areas per level in ``generation`` (default: active)."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        return {}
    rows = session.execute(
        select(Area.level, func.count()).where(_in_generation(Area, gen)).group_by(Area.level)
    )
    return {level: int(n) for level, n in rows}


def areas_geojson(
    *,
    session: Session,
    level: Level,
    generation: int | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    simplify_m: float = 0.0,
    limit: int = 5000,
) -> dict[str, object]:
    """A GeoJSON FeatureCollection of one level (optionally within a bbox, simplified)."""
    gen = generation if generation is not None else active_generation(session=session)
    params: dict[str, object] = {"level": str(level), "gen": gen, "limit": limit + 1}
    where = "level = :level AND generation_low <= :gen AND generation_high >= :gen"
    if bbox is not None:
        where += " AND geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        params.update(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
    # 1e-5 degrees ~ 1 m at Beijing's latitude
    params["tol"] = simplify_m * 1e-5
    rows = session.execute(
        text(
            "SELECT code, name, parent_code, synthetic, area_m2, "
            "ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(geom, :tol)), 7)::json AS g "
            f"FROM areas WHERE {where} ORDER BY code LIMIT :limit"
        ),
        params,
    ).all()
    truncated = len(rows) > limit
    features = [
        {
            "type": "Feature",
            "id": r.code,
            "properties": {
                "code": r.code,
                "name": r.name,
                "parent_code": r.parent_code,
                "level": str(level),
                "synthetic": r.synthetic,
                "area_m2": round(r.area_m2, 1),
            },
            "geometry": r.g,
        }
        for r in rows[:limit]
    ]
    return {
        "type": "FeatureCollection",
        "generation": gen,
        "truncated": truncated,
        "features": features,
    }


def find_generation_by_fingerprint(*, session: Session, fingerprint: str) -> Generation | None:
    """The active generation if it carries ``fingerprint`` (used to skip reloading the demo)."""
    gen = active_generation(session=session)
    if gen is None:
        return None
    current = session.get(Generation, gen)
    return current if current is not None and current.fingerprint == fingerprint else None


def load_locator(*, session: Session, generation: int | None = None) -> Locator:
    """An in-process Locator over every level of ``generation`` (default: active); the grid
    cells kept compact (``geo.locate.WkbAreas``: a polygon is made only for the cells whose
    box a point falls in), the other levels as polygons."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        raise LookupError("no boundaries are loaded")
    levels: dict[Level, gpd.GeoDataFrame | WkbAreas] = {
        lvl: read_level(session=session, level=lvl, generation=gen)
        for lvl in LEVELS_TOP_DOWN
        if lvl is not Level.GRID
    }
    levels[Level.GRID] = _wkb_areas(session=session, level=Level.GRID, generation=gen)
    return Locator(levels, generation=gen)


def _wkb_areas(*, session: Session, level: Level, generation: int) -> WkbAreas:
    """The areas of ``level`` as codes, names and WKB, without a polygon per area."""
    rows = session.execute(
        text(
            "SELECT code, name, ST_AsBinary(geom) FROM areas WHERE level = :level "
            "AND generation_low <= :gen AND generation_high >= :gen ORDER BY code"
        ),
        {"level": str(level), "gen": generation},
    ).all()
    return WkbAreas(
        codes=[r[0] for r in rows], names=[r[1] for r in rows], wkb=[bytes(r[2]) for r in rows]
    )
