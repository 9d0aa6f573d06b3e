"""Render the hot spot and chief map pages from computed (possibly cached) data."""

from __future__ import annotations

import folium

from api.maps.analysis import NEAR_M, ChiefData, Filters, Scope, ScopeData
from api.maps.data import Pin
from api.tiles.service import MIN_ZOOM, Layer
from api.tiles.urls import tile_url
from geo import hotspot_maps as hm
from geo.density_maps import density_layer, density_legend
from geo.emerging_maps import LAYER_EMERGING, emerging_legend, patterned
from geo.maps import base_map, boundary_layer, collection_bounds, render, titled
from geo.tile_maps import VectorTileLayer, class_style, count_style, emerging_style, point_style

ASSETS_URL = "/static/vendor"
MAX_ZOOM = 19  # leaflet.markercluster needs a maxZoom (there is no tile layer)
LAYER_ALLEYS = f"街巷负荷（{NEAR_M:g}米内事件）"
UNIT_LABELS = {"city": "社区", "district": "社区", "street": "网格"}
LAYER_EVENTS = f"事件点（{MIN_ZOOM[Layer.EVENTS]}级起显示）"


def _unit_tiles(map_: folium.Map, scope: Scope, data: ScopeData, filters: Filters) -> None:
    """The scope's units (a street's grid cells, a district's or the city's communities) as
    counts, Gi* classes and emerging categories, from the scope's hotspots tiles (the same
    statistics, cut by the tile server)."""
    url = tile_url("hotspots", scope=scope.code, filters=filters)
    popup = [
        ("name", "名称："),
        ("code", "代码："),
        ("count", "事件数："),
        ("z", "z："),
        ("class_label", "Gi*："),
        ("emerging_label", "时空模式："),
    ]
    layers = (
        (hm.LAYER_COUNTS, count_style(data.breaks), True),
        (hm.LAYER_GI, class_style(), False),
        (
            f"{LAYER_EMERGING}（{len(patterned(data.units)['features'])}）",
            emerging_style(),
            False,
        ),
    )
    for name, style, show in layers:
        VectorTileLayer(
            url,
            name=name,
            layer="hotspots",
            style=style,
            assets_url=ASSETS_URL,
            popup=popup,
            show=show,
        ).add_to(map_)


def scope_page(
    scope: Scope, data: ScopeData, *, overdue: list[Pin] | None, filters: Filters | None = None
) -> str:
    """The hot spot map of a scope: counts, Gi*, emerging categories, density, roads by load,
    outlines, overdue whistles; the units and a street's raw events come as vector tiles
    (of ``filters``, the page's)."""
    map_ = base_map(center=(39.89, 116.36), zoom=11, assets_url=ASSETS_URL)
    map_.options["max_zoom"] = MAX_ZOOM
    _unit_tiles(map_, scope, data, filters or Filters())  # the units: vector tiles
    if data.density is not None:
        density_layer(data.density).add_to(map_)
    weight = 6 if scope.kind == "street" else 3
    hm.roads_layer(data.roads, breaks=data.road_breaks, name=LAYER_ALLEYS, weight=weight).add_to(
        map_
    )
    for level in ("community", "street", "district"):
        show = level != "community" or scope.kind != "city"
        boundary_layer(level, data.outlines[level], show=show).add_to(map_)
    if overdue is not None:
        hm.overdue_layer(overdue).add_to(map_)
    if scope.kind == "street":
        VectorTileLayer(
            tile_url("events", scope=scope.code, filters=filters),
            name=LAYER_EVENTS,
            layer="events",
            style=point_style("#c0392b"),
            assets_url=ASSETS_URL,
            popup=[
                ("category", "类别："),
                ("at", "时间："),
                ("source", "来源："),
                ("ref", "编号："),
            ],
        ).add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    hm.add_legend(map_, hm.class_legend())
    hm.add_legend(map_, hm.count_legend(data.breaks, title=f"事件数（{data.n_events}）"))
    hm.add_legend(
        map_,
        hm.legend(
            LAYER_ALLEYS,
            hm.count_legend_rows(data.road_breaks),
            bottom_px=340,
        ),
    )
    categories = [f["properties"]["emerging"] for f in data.units["features"]]
    hm.add_legend(map_, emerging_legend(categories, steps=data.steps, bottom_px=190))
    if data.density is not None:
        legend = density_legend(data.density.vmax, bandwidth_m=data.bandwidth_m, bottom_px=40)
        hm.add_legend(map_, legend)
    bounds = collection_bounds(data.outlines["district" if scope.kind == "city" else "street"])
    if scope.kind == "district":
        bounds = collection_bounds(data.outlines["district"])
    if bounds is not None:
        map_.fit_bounds(bounds)
    where = f"{scope.name}{UNIT_LABELS[scope.kind]}"
    return render(titled(map_, f"gridwhistle 热点图（{where}）"))


def chief_page(
    name: str, title: str, data: ChiefData, *, overdue: list[Pin], open_: list[Pin]
) -> str:
    """One chief's roads coloured by load, the events near them, the hot and cold grid cells
    along the roads, the whistles at work (``open_``) and the overdue ones."""
    map_ = base_map(center=(39.89, 116.36), zoom=15, assets_url=ASSETS_URL)
    boundary_layer("street", data.outline).add_to(map_)
    hm.gi_layer(data.hotspots, show=True).add_to(map_)
    hm.roads_layer(data.roads, breaks=data.breaks).add_to(map_)
    hm.points_layer(data.near, name=hm.LAYER_NEAR, colour="#c0392b", radius=3).add_to(map_)
    hm.open_layer(open_).add_to(map_)
    hm.overdue_layer(overdue).add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    hm.add_legend(map_, hm.count_legend(data.breaks, title=f"{NEAR_M:g}米内事件数"))
    hm.add_legend(map_, hm.class_legend())
    bounds = collection_bounds(data.roads) or collection_bounds(data.outline)
    if bounds is not None:
        map_.fit_bounds(bounds)
    return render(titled(map_, f"gridwhistle 街巷长 {name}（{title}）"))
