"""Routes: hot spot map pages and a street-and-alley chief's map (folium, local assets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import exists, func, select, text
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseStreet
from api.cases.queries import overdue_condition
from api.deps import SessionDep
from api.errors import NotFound
from api.geography import service
from api.geography.models import Chief
from api.hotspots.service import events_frame
from api.hotspots.views import _units
from api.whistles.models import Assignment
from geo import hotspot_maps as hm
from geo.crs import STORAGE_SRID, to_metric
from geo.hotspots import counts, gi_star, road_counts
from geo.maps import base_map, boundary_layer, collection_bounds, render, titled
from grids.codes import Level

router = APIRouter(prefix="/maps", tags=["maps"])

ASSETS_URL = "/static/vendor"
NEAR_M = 30.0
MAX_ZOOM = 19  # leaflet.markercluster needs a maxZoom (there is no tile layer)


def _outlines(session: Session, level: Level, prefix: str | None) -> dict[str, Any]:
    collection = service.areas_geojson(session=session, level=level, simplify_m=3.0, limit=10_000)
    features = [
        f
        for f in _features(collection)
        if prefix is None or str(f["properties"]["code"]).startswith(prefix)
    ]
    return {"type": "FeatureCollection", "features": features}


def _features(collection: dict[str, object]) -> list[dict[str, Any]]:
    """The features of a FeatureCollection dict."""
    features = collection.get("features", [])
    return list(features) if isinstance(features, list) else []


def _unit_collection(units: gpd.GeoDataFrame, result: pd.DataFrame) -> dict[str, Any]:
    geoms = shapely.to_geojson(shapely.set_precision(units.geometry.to_numpy(), 1e-5))
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(geom),
            "properties": {
                "code": str(r["code"]),
                "name": str(name),
                "count": int(r["value"]),
                "z": round(float(r["z"]), 2),
                "class": str(r["class"]),
                "class_label": hm.CLASS_LABELS.get(str(r["class"]), str(r["class"])),
            },
        }
        for r, name, geom in zip(result.to_dict("records"), units["name"], geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


@router.get("/hotspots", response_class=HTMLResponse)
def hotspots_map(
    session: SessionDep,
    street: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
) -> HTMLResponse:
    """Counts and Gi* classes per community (city) or grid cell (``street``), with outlines."""
    level = Level.GRID if street else Level.COMMUNITY
    units, weights = _units(session, level, street)
    events = events_frame(
        session=session, since=since, until=until, category=category, street_prefix=street
    )
    codes = list(units["code"])
    y = (
        counts(events, level=str(level), units=codes).to_numpy(dtype=float)  # type: ignore[arg-type]
        if not events.empty
        else np.zeros(len(units))
    )
    result = gi_star(
        units, y, weights=weights, pvalue="binomial", exposure=units["area_m2"].to_numpy()
    )
    collection = _unit_collection(units, result)
    breaks = hm.count_breaks(y.tolist())

    map_ = base_map(center=(39.89, 116.36), zoom=11, assets_url=ASSETS_URL)
    map_.options["max_zoom"] = MAX_ZOOM
    hm.counts_layer(collection, breaks=breaks).add_to(map_)
    hm.gi_layer(collection).add_to(map_)
    district_prefix = street[:6] if street else None
    boundary_layer("district", _outlines(session, Level.DISTRICT, district_prefix)).add_to(map_)
    boundary_layer("street", _outlines(session, Level.STREET, street)).add_to(map_)
    if street:
        rows = (
            [
                (float(lat), float(lon), f"{cat} {pd.Timestamp(at):%Y-%m-%d}")
                for lat, lon, cat, at in zip(
                    events["lat"], events["lon"], events["category"], events["at"], strict=True
                )
            ]
            if not events.empty
            else []
        )
        hm.event_cluster(rows, assets_url=ASSETS_URL).add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    hm.add_legend(map_, hm.class_legend())
    hm.add_legend(map_, hm.count_legend(breaks, title=f"事件数（{len(events)}）"))
    bounds = collection_bounds(collection)
    if bounds is not None:
        map_.fit_bounds(bounds)
    where = f"街道 {street} 网格" if street else "全市社区"
    return HTMLResponse(render(titled(map_, f"gridwhistle 热点图（{where}）")))


def _chief(session: Session, chief_ref: str) -> Chief:
    gen = service.active_generation(session=session)
    chief = None
    if gen is not None:
        chief = session.scalars(
            select(Chief).where(
                Chief.ref == chief_ref, Chief.generation_low <= gen, Chief.generation_high >= gen
            )
        ).first()
    if chief is None:
        raise NotFound(f"no street-and-alley chief {chief_ref}", field="chief_ref")
    return chief


def _roads(session: Session, chief_ref: str) -> gpd.GeoDataFrame:
    gen = service.active_generation(session=session)
    query = text(
        "SELECT ref AS id, name, kind, street_code, geom AS geometry FROM roads "
        "WHERE chief_ref = :ref AND generation_low <= :gen AND generation_high >= :gen "
        "ORDER BY ref"
    )
    return gpd.read_postgis(
        query, session.connection(), geom_col="geometry", params={"ref": chief_ref, "gen": gen}
    )


def _overdue(session: Session, street_code: str, now: datetime) -> list[tuple[float, float, str]]:
    in_street = exists(
        select(CaseStreet.case_id).where(
            CaseStreet.case_id == Case.id, CaseStreet.street_code == street_code
        )
    )
    rows = session.execute(
        select(
            Case.id,
            Case.category,
            func.ST_Y(Case.position),
            func.ST_X(Case.position),
            func.count(Assignment.id),
        )
        .join(Assignment, Assignment.case_id == Case.id)
        .where(in_street, overdue_condition(now))
        .group_by(Case.id)
        .order_by(Case.id)
    ).all()
    return [
        (float(lat), float(lon), f"案件 {case_id}（{category}）：{n} 项派单超期")
        for case_id, category, lat, lon, n in rows
    ]


@router.get("/chief/{chief_ref}", response_class=HTMLResponse)
def chief_map(session: SessionDep, chief_ref: str) -> HTMLResponse:
    """One chief's roads coloured by events within 30 m, the street outline, overdue whistles."""
    chief = _chief(session, chief_ref)
    roads = _roads(session, chief_ref)
    events = events_frame(session=session, street_prefix=chief.street_code)
    if roads.empty or events.empty:
        tally = np.zeros(len(roads), dtype=np.int64)
        near = events.iloc[0:0]
    else:
        tally = road_counts(events, roads, buffer_m=NEAR_M).to_numpy()
        near = _near(events, roads)
    roads = roads.assign(
        count=tally,
        kind_label=[hm.ROAD_KINDS.get(k, k) for k in roads["kind"]],
        chief=chief.name,
        title=chief.title,
    )
    collection = json.loads(roads.to_crs(STORAGE_SRID).to_json(drop_id=True))
    breaks = hm.count_breaks([float(v) for v in tally])
    outline = _outlines(session, Level.STREET, chief.street_code)

    map_ = base_map(center=(39.89, 116.36), zoom=15, assets_url=ASSETS_URL)
    boundary_layer("street", outline).add_to(map_)
    hm.roads_layer(collection, breaks=breaks).add_to(map_)
    near_rows = [
        (float(lat), float(lon), f"{cat} {pd.Timestamp(at):%Y-%m-%d}")
        for lat, lon, cat, at in zip(
            near["lat"], near["lon"], near["category"], near["at"], strict=True
        )
    ]
    hm.points_layer(near_rows, name=hm.LAYER_NEAR, colour="#c0392b", radius=3).add_to(map_)
    hm.overdue_layer(_overdue(session, chief.street_code, datetime.now(UTC))).add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    hm.add_legend(map_, hm.count_legend(breaks, title=f"{NEAR_M:g}米内事件数"))
    bounds = collection_bounds(collection) or collection_bounds(outline)
    if bounds is not None:
        map_.fit_bounds(bounds)
    return HTMLResponse(render(titled(map_, f"gridwhistle 街巷长 {chief.name}（{chief.title}）")))


def _near(events: pd.DataFrame, roads: gpd.GeoDataFrame) -> pd.DataFrame:
    """Events within NEAR_M metres of any of ``roads``."""
    lines = to_metric(np.asarray(roads.to_crs(STORAGE_SRID).geometry.to_numpy(), dtype=object))
    points = to_metric(
        np.asarray(
            shapely.points(events["lon"].to_numpy(float), events["lat"].to_numpy(float)),
            dtype=object,
        )
    )
    hits = shapely.STRtree(np.asarray(points, dtype=object)).query(
        lines, predicate="dwithin", distance=NEAR_M
    )
    return events.iloc[np.unique(hits[1])]
