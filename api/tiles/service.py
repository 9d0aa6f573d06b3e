"""Vector tiles: one Mapbox Vector Tile layer per request, cut by PostGIS and cached.

A tile is the answer of one named statement of ``api.tiles.sql``. The statistics a tile
carries (counts, Gi*, emerging categories, road loads) are the ones the hot spot map of the
same scope draws: they come from ``api.maps.analysis`` through the shared map cache, so a
map page and its tiles compute them once. Finished tiles are kept in ``TILES_CACHE``, keyed
by layer, tile, what the caller may see of it and the filter, and tagged with the same
``DataVersion`` as the map cache: a new generation or any new event or report makes every
tile be cut again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import TextClause
from sqlalchemy.orm import Session

from api.auth.roles import Actor
from api.errors import InvalidInput, NotFound
from api.geography.service import active_generation, check_generation
from api.maps.analysis import NEAR_M, Filters, Scope, cached_chief_data, cached_scope_data
from api.maps.cache import DataVersion, MapCache, data_version
from api.maps.data import area_name, chief, features
from api.tiles import sql
from api.tiles.access import EventFilter, StatsScope, chief_scope, event_filter, stats_scope
from geo.codes import Level
from geo.crs import METRIC_SRID

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22


class Layer(StrEnum):
    DISTRICTS = "districts"
    STREETS = "streets"
    COMMUNITIES = "communities"
    GRID = "grid"
    ROADS = "roads"
    HOTSPOTS = "hotspots"
    EVENTS = "events"
    ROADNET = "roadnet"
    ADDRESSES = "addresses"


OUTLINE_LEVELS = {
    Layer.DISTRICTS: Level.DISTRICT,
    Layer.STREETS: Level.STREET,
    Layer.COMMUNITIES: Level.COMMUNITY,
    Layer.GRID: Level.GRID,
}

BASEMAP = {Layer.ROADNET: sql.ROADNET, Layer.ADDRESSES: sql.ADDRESSES}
"""The working maps' own basemap: named streets and alleys, the address register. Like the
outlines they are reference data of a generation (not case data): any logged-in user."""

MIN_ZOOM = {Layer.GRID: 14, Layer.EVENTS: 13, Layer.ROADNET: 13, Layer.ADDRESSES: 17}
"""Below these zooms a layer's tiles are empty: grid cells, single events, alleys and door
numbers are not legible there (and a city-wide tile of them would be megabytes)."""

AGGREGATES = (Layer.HOTSPOTS, Layer.ROADS)
"""The layers of statistics: drawn for a hot spot scope, or for one chief's map."""

TILES_CACHE = MapCache(max_entries=4096, max_bytes=64 * 2**20)
"""At most 4,096 tiles and 64 MB of them per process."""

Viewing = StatsScope | EventFilter | None
"""What of a layer the caller sees: a statistics scope, an event filter, or all (outlines)."""


@dataclass(frozen=True)
class Tile:
    """A tile address (z, x, y in the XYZ scheme of web maps)."""

    z: int
    x: int
    y: int

    def check(self) -> None:
        """Refuse (422 naming the field) an x or y outside the 2^z × 2^z tiles of zoom z."""
        n = 1 << self.z
        for name, value in (("x", self.x), ("y", self.y)):
            if not 0 <= value < n:
                raise InvalidInput(
                    f"{name} must be between 0 and {n - 1} at zoom {self.z}, not {value}",
                    field=name,
                )


def layer_of(name: str) -> Layer:
    """The layer called ``name``; 404 naming ``layer`` otherwise."""
    try:
        return Layer(name)
    except ValueError:
        known = ", ".join(layer.value for layer in Layer)
        raise NotFound(f"no tile layer {name!r} (layers: {known})", field="layer") from None


def vector_tile(
    *,
    session: Session,
    actor: Actor,
    layer: Layer,
    tile: Tile,
    filters: Filters,
    scope: str | None = None,
    chief_ref: str | None = None,
    generation: int | None = None,
) -> bytes:
    """The MVT bytes of ``layer`` at ``tile`` as ``actor`` may see it (b"" when empty);
    403 for an aggregate layer the caller may not see. ``chief_ref`` draws an aggregate
    layer for that chief's map (the chief's roads, the significant grid cells along them):
    404 naming ``chief`` when the active generation has no such chief, 422 on another layer
    or with ``scope``. Outlines may be of an earlier ``generation`` (404 naming it when there
    is none); everything else is of the active one."""
    tile.check()
    check_generation(session=session, generation=generation)
    who: Viewing = None
    if chief_ref is not None:
        who = _chief_scope(session, actor, layer, chief_ref, scope)
    elif layer in AGGREGATES:
        who = stats_scope(actor, layer=layer.value, scope=scope)
    elif layer is Layer.EVENTS:
        who = event_filter(actor, scope=scope)
    if tile.z < MIN_ZOOM.get(layer, 0):
        return b""
    outline = layer in OUTLINE_LEVELS or layer in BASEMAP
    key: tuple[object, ...] = (layer, tile, who, generation if outline else filters)
    if isinstance(who, EventFilter) and who.department is not None:
        assigned = session.execute(sql.ASSIGNED, {"department": who.department}).one()
        key += (tuple(assigned),)
    version = data_version(session=session)
    gen = generation if outline else None
    return TILES_CACHE.get(
        key, version, lambda: _cut(session, layer, tile, who, filters, version, gen)
    )


def _chief_scope(
    session: Session, actor: Actor, layer: Layer, chief_ref: str, scope: str | None
) -> StatsScope:
    """The scope of ``layer`` on the map of chief ``chief_ref``, as ``actor`` may see it."""
    if layer not in AGGREGATES:
        names = " and ".join(a.value for a in AGGREGATES)
        raise InvalidInput(f"chief applies to the {names} layers only", field="chief")
    if scope is not None:
        raise InvalidInput("chief and scope exclude each other: give one", field="chief")
    found = chief(session=session, chief_ref=chief_ref, field="chief")
    return chief_scope(actor, layer=layer.value, ref=found.ref, street_code=found.street_code)


def _cut(
    session: Session,
    layer: Layer,
    tile: Tile,
    who: Viewing,
    filters: Filters,
    version: DataVersion,
    generation: int | None,
) -> bytes:
    gen = generation or active_generation(session=session)
    if gen is None:
        return b""
    params: dict[str, Any] = {
        "z": tile.z,
        "x": tile.x,
        "y": tile.y,
        "extent": EXTENT,
        "buffer": BUFFER,
        "margin": BUFFER / EXTENT,
        "layer": layer.value,
        "gen": gen,
    }
    statement: TextClause
    if layer in OUTLINE_LEVELS:
        statement, params["level"] = sql.AREAS, str(OUTLINE_LEVELS[layer])
    elif layer in BASEMAP:
        statement = BASEMAP[layer]
    elif isinstance(who, StatsScope) and layer is Layer.HOTSPOTS:
        statement = sql.UNITS
        params |= _unit_params(session, who, filters, version)
    elif isinstance(who, StatsScope):
        statement = sql.ROADS
        params |= _road_params(session, who, filters, version)
    else:
        assert isinstance(who, EventFilter)
        statement = sql.EVENTS
        params |= _event_params(who, filters)
    found = session.execute(statement, params).scalar()
    return bytes(found or b"")


def _scope(session: Session, scope: StatsScope) -> Scope:
    """The map scope (with its name, as the page keys it) of a tile's statistics."""
    if scope.kind == "city" or scope.code is None:
        return Scope("city")
    name = area_name(session=session, level=Level(scope.kind), code=scope.code, field="scope")
    return Scope(scope.kind, scope.code, name)


_UNIT_FIELDS = (
    "code",
    "count",
    "per_km2",
    "z",
    "class",
    "class_label",
    "emerging",
    "emerging_label",
)


def _unit_params(
    session: Session, scope: StatsScope, filters: Filters, version: DataVersion
) -> dict[str, Any]:
    """The scope's units and their statistics as the parallel arrays ``sql.UNITS`` joins (a
    chief's: the street's significant grid cells along the chief's roads, as on the chief's
    map)."""
    if scope.chief is not None and scope.code is not None:
        units = cached_chief_data(
            session=session, chief_ref=scope.chief, street_code=scope.code, version=version
        ).hotspots
        level = Level.GRID
    else:
        map_scope = _scope(session, scope)
        data = cached_scope_data(session=session, scope=map_scope, filters=filters, version=version)
        units, level = data.units, map_scope.level
    rows = [f["properties"] for f in features(units)]
    columns = {name: [row[name] for row in rows] for name in _UNIT_FIELDS}
    return {
        "level": str(level),
        "codes": columns["code"],
        "counts": columns["count"],
        "per_km2": [float(v) for v in columns["per_km2"]],
        "zs": [float(v) for v in columns["z"]],
        "classes": columns["class"],
        "class_labels": columns["class_label"],
        "emerging": columns["emerging"],
        "emerging_labels": columns["emerging_label"],
    }


def _road_params(
    session: Session, scope: StatsScope, filters: Filters, version: DataVersion
) -> dict[str, Any]:
    """The scope's roads (or a chief's) and their load as ``sql.ROADS`` joins them."""
    if scope.chief is not None and scope.code is not None:
        roads = cached_chief_data(
            session=session, chief_ref=scope.chief, street_code=scope.code, version=version
        ).roads
    else:
        data = cached_scope_data(
            session=session, scope=_scope(session, scope), filters=filters, version=version
        )
        roads = data.roads
    rows = [f["properties"] for f in features(roads)]
    return {
        "refs": [str(r["id"]) for r in rows],
        "counts": [int(r["count"]) for r in rows],
        "kind_labels": [str(r["kind_label"]) for r in rows],
    }


def _event_params(who: EventFilter, filters: Filters) -> dict[str, Any]:
    return {
        "since": filters.since,
        "until": filters.until,
        "category": filters.category or None,
        "prefix": who.prefix,
        "community": who.community,
        "reporter": who.reporter,
        "department": who.department,
        "chief": who.chief,
        "near_m": NEAR_M,
        "metric_srid": METRIC_SRID,
    }
