"""What the hot spot map pages show, computed from the database (and cached per process).

A **scope** is the city (units: communities), a district (its communities) or a street (its
grid cells). For a scope and a filter (window, category) ``scope_data`` reads the events
once and computes everything the page draws: counts, Gi* classes, emerging hot spot
categories (weekly space-time cube over the window), a kernel density surface, the load of
every street and alley (events within 30 m) and the outlines (raw events reach a street's
page as vector tiles, ``api.tiles``). The result carries no session and is what
``api.maps.cache`` keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from api.hotspots.service import events_frame
from api.hotspots.views import units_and_weights
from api.maps.cache import MAPS_CACHE, DataVersion, data_version
from api.maps.data import Pin, event_span, outlines, roads
from geo import hotspot_maps as hm
from geo.codes import Level
from geo.crs import STORAGE_SRID, to_metric
from geo.density_maps import DensityImage, density_image
from geo.emerging import NO_PATTERN, emerging_hotspots, space_time_cube
from geo.emerging_maps import emerging_label
from geo.hotspots import (
    TIMEZONE,
    AreaLevel,
    count_hotspots,
    kde_grid,
    per_km2,
    road_counts,
    timestamp,
)

NEAR_M = 30.0
HOTSPOT_NEAR_M = 100.0  # a chief's map shows the hot/cold grid cells this close to the roads
STEP_DAYS = 7
MAX_STEPS = 52
SIMPLIFY_DEG = 1.5e-5  # ~1.5 m: display only, statistics use the stored geometry
BANDWIDTH_M = {"city": 300.0, "district": 200.0, "street": 80.0}


@dataclass(frozen=True)
class Scope:
    """The city, one district or one street."""

    kind: Literal["city", "district", "street"]
    code: str | None = None
    name: str = "全市"

    @property
    def level(self) -> Level:
        """The statistical unit: grid cells for a street, communities otherwise."""
        return Level.GRID if self.kind == "street" else Level.COMMUNITY


@dataclass(frozen=True)
class Filters:
    """The events a page counts: a half-open window and a category (prefix)."""

    since: datetime | None = None
    until: datetime | None = None
    category: str | None = None


@dataclass(frozen=True)
class ScopeData:
    """Everything a scope's page draws except overdue whistles (those are never cached)."""

    units: dict[str, Any]
    breaks: list[float]
    per_km2_breaks: list[float]
    n_events: int
    steps: int
    density: DensityImage | None
    bandwidth_m: float
    roads: dict[str, Any]
    road_breaks: list[float]
    outlines: dict[str, dict[str, Any]]


def weekly_window(
    span: tuple[datetime, datetime] | None, filters: Filters, *, max_steps: int = MAX_STEPS
) -> tuple[pd.Timestamp, int] | None:
    """Start and number of whole weeks ending with the window, or with the day of the last
    stored event (the same weeks for every scope), at most ``max_steps``."""
    if filters.until:
        end = timestamp(filters.until).ceil("D")
    elif span is not None:
        end = timestamp(span[1]).tz_convert(TIMEZONE).normalize() + timedelta(days=1)
    else:
        return None
    if filters.since:
        first = timestamp(filters.since)
    elif span is not None:
        first = timestamp(span[0]).tz_convert(TIMEZONE).normalize()
    else:
        first = end - timedelta(days=STEP_DAYS * max_steps)
    steps = min(max_steps, (end - first).days // STEP_DAYS)
    if steps < 2:
        return None
    return end - timedelta(days=STEP_DAYS * steps), int(steps)


def emerging(
    events: pd.DataFrame,
    units: gpd.GeoDataFrame,
    weights: Any,
    *,
    level: Level,
    window: tuple[pd.Timestamp, int] | None,
) -> tuple[pd.DataFrame | None, int]:
    """Emerging hot spot categories per unit over weekly steps (None without a window)."""
    if window is None or events.empty:
        return None, 0 if window is None else window[1]
    start, steps = window
    cube = space_time_cube(
        events,
        units["code"].to_numpy(),
        start=start,
        steps=steps,
        level=str(level),  # type: ignore[arg-type]
    )
    result = emerging_hotspots(cube, weights, exposure=units["area_m2"].to_numpy(float))
    return result, steps


def unit_collection(
    units: gpd.GeoDataFrame, result: pd.DataFrame, trend: pd.DataFrame | None
) -> dict[str, Any]:
    """Units (simplified for display) with count, events per km² (of the unit's area in
    EPSG:4548), z, Gi* class and emerging category."""
    rates = per_km2(result["value"].to_numpy(float), units.geometry.to_numpy())
    simple = shapely.simplify(units.geometry.to_numpy(), SIMPLIFY_DEG, preserve_topology=True)
    geoms = shapely.to_geojson(shapely.set_precision(simple, 1e-5))
    n = len(units)
    categories = trend["category"].to_numpy() if trend is not None else [NO_PATTERN] * n
    hot_steps = trend["n_hot_steps"].to_numpy() if trend is not None else np.zeros(n, int)
    trend_z = trend["trend_z"].to_numpy() if trend is not None else np.zeros(n)
    features = []
    rows = zip(
        result.to_dict("records"),
        units["name"],
        geoms,
        rates,
        categories,
        hot_steps,
        trend_z,
        strict=True,
    )
    for r, name, geom, rate, category, hot, tz in rows:
        properties = {
            "code": str(r["code"]),
            "name": str(name),
            "count": int(r["value"]),
            "per_km2": round(float(rate), 1),
            "z": round(float(r["z"]), 2),
            "class": str(r["class"]),
            "class_label": hm.CLASS_LABELS.get(str(r["class"]), str(r["class"])),
            "emerging": str(category),
            "emerging_label": emerging_label(str(category)),
            "hot_steps": int(hot),
            "trend": round(float(tz), 2),
        }
        features.append({"type": "Feature", "geometry": json.loads(geom), "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def road_collection(
    session: Session,
    events: pd.DataFrame,
    *,
    prefix: str | None = None,
    chief_ref: str | None = None,
) -> tuple[dict[str, Any], list[float], gpd.GeoDataFrame]:
    """Roads with the events within NEAR_M metres, their chief, and the count classes."""
    lines = roads(session=session, chief_ref=chief_ref, prefix=prefix)
    if lines.empty or events.empty:
        tally = np.zeros(len(lines), dtype=np.int64)
    else:
        tally = road_counts(events, lines, buffer_m=NEAR_M).to_numpy()
    lines = lines.assign(
        count=tally,
        kind_label=[hm.ROAD_KINDS.get(k, k) for k in lines["kind"]],
        chief=[c or "（未指定）" for c in lines["chief"]],
    )
    if lines.empty:
        return {"type": "FeatureCollection", "features": []}, [0.0], lines
    collection = json.loads(lines.to_crs(STORAGE_SRID).to_json(drop_id=True))
    return collection, hm.count_breaks([float(v) for v in tally]), lines


def pins(events: pd.DataFrame) -> list[Pin]:
    """Raw event positions with a label (category and day) — for street and chief views only."""
    if events.empty:
        return []
    return [
        (float(lat), float(lon), f"{cat} {pd.Timestamp(at):%Y-%m-%d}")
        for lat, lon, cat, at in zip(
            events["lat"], events["lon"], events["category"], events["at"], strict=True
        )
    ]


def _outline_levels(scope: Scope) -> dict[str, str | None]:
    """The outlines a scope's page ships (the communities come as tiles): code prefixes."""
    if scope.kind == "city":
        return {"street": None, "district": None}
    code = scope.code or ""
    return {"street": code, "district": code[:6]}


def scope_data(*, session: Session, scope: Scope, filters: Filters) -> ScopeData:
    """Read the scope's events once and compute everything its page draws."""
    units, weights = units_and_weights(session, scope.level, scope.code)
    events = events_frame(
        session=session,
        since=filters.since,
        until=filters.until,
        category=filters.category,
        street_prefix=scope.code,
    )
    level = cast(AreaLevel, str(scope.level))
    y, result = count_hotspots(events, units, level=level, weights=weights)
    window = weekly_window(event_span(session=session), filters)
    trend, steps = emerging(events, units, weights, level=scope.level, window=window)
    bandwidth = BANDWIDTH_M[scope.kind]
    density = None
    if not events.empty:
        bbox = tuple(float(v) for v in units.total_bounds)
        grid = kde_grid(events, bandwidth_m=bandwidth, cell_m=bandwidth / 3, bbox=bbox)  # type: ignore[arg-type]
        density = density_image(grid)
    road_lines, road_breaks, _ = road_collection(session, events, prefix=scope.code)
    levels = _outline_levels(scope)
    collection = unit_collection(units, result, trend)
    rates = [f["properties"]["per_km2"] for f in collection["features"]]
    return ScopeData(
        units=collection,
        breaks=hm.count_breaks(y.tolist()),
        per_km2_breaks=hm.rate_breaks(rates),
        n_events=len(events),
        steps=steps,
        density=density,
        bandwidth_m=bandwidth,
        roads=road_lines,
        road_breaks=road_breaks,
        outlines={
            level: outlines(session=session, level=Level(level), prefix=prefix)
            for level, prefix in levels.items()
        },
    )


@dataclass(frozen=True)
class ChiefData:
    """A chief's roads with their load, the events near them, the street's significant grid
    cells along those roads and the street outline."""

    roads: dict[str, Any]
    breaks: list[float]
    near: list[Pin]
    outline: dict[str, Any]
    hotspots: dict[str, Any]


def near(events: pd.DataFrame, lines: gpd.GeoDataFrame) -> pd.DataFrame:
    """Events within NEAR_M metres of any of ``lines``."""
    if events.empty or lines.empty:
        return events.iloc[0:0]
    metric = to_metric(np.asarray(lines.to_crs(STORAGE_SRID).geometry.to_numpy(), dtype=object))
    points = to_metric(
        np.asarray(
            shapely.points(events["lon"].to_numpy(float), events["lat"].to_numpy(float)),
            dtype=object,
        )
    )
    hits = shapely.STRtree(np.asarray(points, dtype=object)).query(
        metric, predicate="dwithin", distance=NEAR_M
    )
    return events.iloc[np.unique(hits[1])]


def chief_data(*, session: Session, chief_ref: str, street_code: str) -> ChiefData:
    """Compute a chief's page: roads by load, events within NEAR_M, the street outline."""
    events = events_frame(session=session, street_prefix=street_code)
    collection, breaks, lines = road_collection(session, events, chief_ref=chief_ref)
    return ChiefData(
        roads=collection,
        breaks=breaks,
        near=pins(near(events, lines)),
        outline=outlines(session=session, level=Level.STREET, prefix=street_code),
        hotspots=_cells_along(session, street_code, events, lines),
    )


def _cells_along(
    session: Session, street_code: str, events: pd.DataFrame, lines: gpd.GeoDataFrame
) -> dict[str, Any]:
    """Gi* on the street's grid cells (as on the street's map), keeping the significant cells
    within HOTSPOT_NEAR_M of the chief's roads."""
    units, weights = units_and_weights(session, Level.GRID, street_code)
    _y, result = count_hotspots(events, units, level="grid", weights=weights)
    keep = result["significant"].to_numpy(bool).copy()
    if len(lines) and keep.any():
        reach = shapely.buffer(
            to_metric(shapely.union_all(lines.geometry.to_numpy())), HOTSPOT_NEAR_M
        )
        keep &= shapely.intersects(to_metric(units.geometry.to_numpy()), reach)
    else:
        keep[:] = False
    chosen = units[keep].reset_index(drop=True)
    return unit_collection(chosen, result[keep].reset_index(drop=True), None)


def cached_scope_data(
    *, session: Session, scope: Scope, filters: Filters, version: DataVersion | None = None
) -> ScopeData:
    """``scope_data`` through the per-process map cache: the scope's page and its vector
    tiles share one entry."""
    return MAPS_CACHE.get(
        ("scope", scope, filters),
        version or data_version(session=session),
        lambda: scope_data(session=session, scope=scope, filters=filters),
    )


def cached_chief_data(
    *, session: Session, chief_ref: str, street_code: str, version: DataVersion | None = None
) -> ChiefData:
    """``chief_data`` through the per-process map cache (the chief's page and tiles)."""
    return MAPS_CACHE.get(
        ("chief", chief_ref, street_code),
        version or data_version(session=session),
        lambda: chief_data(session=session, chief_ref=chief_ref, street_code=street_code),
    )
