"""Render the hot spot and chief map pages from computed (possibly cached) data.

Every page has a heading (the area, the period and filter, a link back to the viewer's page
of the app) and legends tied to their layers: ``LEGEND_SCRIPT`` (served from
``api/static``) shows a legend only while its layer is ticked. The units' default
choropleth is their events per km², so that a large community with many events does not
look hotter than a small one where they are packed; raw counts are a layer of their own.
Labels come from ``geo.map_labels``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import folium

from api.maps.analysis import ChiefData, Filters, Scope, ScopeData
from api.maps.data import Pin
from api.tiles.service import MIN_ZOOM, Layer
from api.tiles.urls import tile_url
from geo import hotspot_maps as hm
from geo import map_labels as ml
from geo.density_maps import LAYER_DENSITY, density_layer, density_legend
from geo.emerging_maps import LAYER_EMERGING, emerging_legend, patterned
from geo.hotspots import TIMEZONE
from geo.maps import (
    LEVEL_LABELS,
    LEVEL_STYLES,
    base_map,
    boundary_layer,
    collection_bounds,
    render,
    titled,
)
from geo.tile_maps import (
    VectorTileLayer,
    class_style,
    count_style,
    emerging_style,
    fixed_style,
    point_style,
)

ASSETS_URL = "/static/vendor"
LAYER_LEVELS = {Layer.COMMUNITIES: "community", Layer.GRID: "grid"}
"""The level of each outline tile layer a page draws, as ``geo.maps`` names it."""
LEGEND_SCRIPT = "/static/app/js/map-legends.js"
MAX_ZOOM = 19  # leaflet.markercluster needs a maxZoom (there is no tile layer)
LAYER_ALLEYS = f"街巷负荷（{ml.ROAD_LOAD}）"
UNIT_LABELS = {"city": "社区", "district": "社区", "street": "网格"}
LAYER_EVENTS = f"事件点（{MIN_ZOOM[Layer.EVENTS]}级起显示）"
UNIT_POPUP = [
    ("name", ml.popup(ml.NAME)),
    ("code", ml.popup(ml.CODE)),
    ("per_km2", ml.popup(ml.PER_KM2)),
    ("count", ml.popup(ml.COUNT)),
    ("z", ml.popup(ml.Z)),
    ("class_label", ml.popup(ml.GI)),
    ("emerging_label", ml.popup(ml.EMERGING)),
]
CELL_POPUP = [
    ("name", ml.popup(ml.NAME)),
    ("code", ml.popup(ml.CODE)),
    ("count", ml.popup(ml.COUNT)),
    ("z", ml.popup(ml.Z)),
    ("class_label", ml.popup(ml.GI)),
]
ROAD_POPUP = [
    ("name", "道路："),
    ("kind_label", "类型："),
    ("chief", "街巷长："),
    ("title", "职务："),
    ("count", ml.popup(ml.ROAD_LOAD)),
]
_WINDOW_UNITS = {"d": "天", "w": "周", "m": "个月", "y": "年"}


@dataclass(frozen=True)
class Heading:
    """What a page says above the map: the period and filter in words, and where its link
    back to the app goes (href, the page's name; None: no link)."""

    period: str = "全部时段"
    category: str = "全部类别"
    back: tuple[str, str] | None = None


def period_text(window: str | None, since: datetime | None, until: datetime | None) -> str:
    """The period of a page in words (dates in Beijing time).

    >>> from datetime import UTC
    >>> period_text("30d", datetime(2026, 11, 5, 16, tzinfo=UTC), None)
    '近30天（2026-11-06 起）'
    >>> period_text(None, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    '2026-01-01 至 2026-02-01'
    >>> period_text(None, None, None)
    '全部时段'
    """
    zone = ZoneInfo(TIMEZONE)

    def day(moment: datetime) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d}"

    if window:
        end = f"，至 {day(until)}" if until else ""
        start = f"{day(since)} 起" if since else ""
        return f"近{window[:-1]}{_WINDOW_UNITS[window[-1]]}（{start}{end}）"
    if since and until:
        return f"{day(since)} 至 {day(until)}"
    if since:
        return f"{day(since)} 起"
    if until:
        return f"{day(until)} 以前"
    return "全部时段"


def _unit_tiles(map_: folium.Map, scope: Scope, data: ScopeData, filters: Filters) -> None:
    """The scope's units (a street's grid cells, a district's or the city's communities) as
    events per km² (shown), counts, Gi* classes and emerging categories, from the scope's
    hotspots tiles (the same statistics, cut by the tile server)."""
    url = tile_url("hotspots", scope=scope.code, filters=filters)
    layers = (
        (hm.LAYER_PER_KM2, count_style(data.per_km2_breaks, field="per_km2"), True),
        (hm.LAYER_COUNTS, count_style(data.breaks), False),
        (hm.LAYER_GI, class_style(), False),
        (_emerging_name(data), emerging_style(), False),
    )
    for name, style, show in layers:
        VectorTileLayer(
            url,
            name=name,
            layer="hotspots",
            style=style,
            assets_url=ASSETS_URL,
            popup=UNIT_POPUP,
            show=show,
        ).add_to(map_)


def _road_tiles(map_: folium.Map, scope: Scope, data: ScopeData, filters: Filters) -> None:
    """The scope's streets and alleys coloured by the events within 30 m, from the scope's
    roads tiles (the same loads, cut by the tile server): the page ships the style, not the
    roads."""
    VectorTileLayer(
        tile_url("roads", scope=scope.code, filters=filters),
        name=LAYER_ALLEYS,
        layer="roads",
        style=count_style(data.road_breaks, line_weight=6 if scope.kind == "street" else 3),
        assets_url=ASSETS_URL,
        popup=ROAD_POPUP,
    ).add_to(map_)


OUTLINE_POPUP = [("name", ml.popup(ml.NAME)), ("code", ml.popup(ml.CODE))]


def outline_tiles(
    layer: Layer, *, show: bool, min_zoom: int = 0, generation: int | None = None
) -> VectorTileLayer:
    """One level's outlines (communities, grid cells) from its outline tiles, styled and
    named as the outlines a page ships (``geo.maps.boundary_layer``): the levels that grow
    with the city (7,535 communities in Beijing) are cut by the tile server for the view."""
    level = LAYER_LEVELS[layer]
    name = LEVEL_LABELS[level]
    return VectorTileLayer(
        tile_url(layer.value, generation=generation),
        name=f"{name}（放大至{min_zoom}级显示）" if min_zoom else name,
        layer=layer.value,
        style=fixed_style(LEVEL_STYLES[level]),
        assets_url=ASSETS_URL,
        popup=OUTLINE_POPUP,
        show=show,
        min_zoom=min_zoom,
    )


def _emerging_name(data: ScopeData) -> str:
    """The emerging layer's name: the label and how many units have a pattern."""
    return f"{LAYER_EMERGING}（{len(patterned(data.units)['features'])}）"


def scope_page(
    scope: Scope,
    data: ScopeData,
    *,
    overdue: list[Pin] | None,
    filters: Filters | None = None,
    heading: Heading | None = None,
) -> str:
    """The hot spot map of a scope: events per km² (the default choropleth), counts, Gi*,
    emerging categories, density, roads by load, outlines, overdue whistles, under a
    ``heading``; the units and a street's raw events come as vector tiles (of ``filters``,
    the page's)."""
    heading = heading or Heading()
    map_ = base_map(center=(39.89, 116.36), zoom=11, assets_url=ASSETS_URL)
    map_.options["max_zoom"] = MAX_ZOOM
    _unit_tiles(map_, scope, data, filters or Filters())  # the units: vector tiles
    if data.density is not None:
        density_layer(data.density).add_to(map_)
    _road_tiles(map_, scope, data, filters or Filters())
    outline_tiles(Layer.COMMUNITIES, show=scope.kind != "city").add_to(map_)
    for level in ("street", "district"):
        boundary_layer(level, data.outlines[level]).add_to(map_)
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
    unit = UNIT_LABELS[scope.kind]
    note = f"每个{unit}的事件数除以其面积"
    hm.add_legend(map_, hm.rate_legend(data.per_km2_breaks, note=note, bottom_px=24))
    hm.add_legend(map_, hm.count_legend(data.breaks, layer=hm.LAYER_COUNTS, bottom_px=150))
    hm.add_legend(map_, hm.class_legend(bottom_px=276))
    road_rows = hm.count_legend_rows(data.road_breaks)
    hm.add_legend(map_, hm.legend(LAYER_ALLEYS, road_rows, bottom_px=440, layer=LAYER_ALLEYS))
    categories = [f["properties"]["emerging"] for f in data.units["features"]]
    emerging = emerging_legend(
        categories, steps=data.steps, bottom_px=190, layer=_emerging_name(data)
    )
    hm.add_legend(map_, emerging)
    if data.density is not None:
        legend = density_legend(
            data.density.vmax, bandwidth_m=data.bandwidth_m, bottom_px=40, layer=LAYER_DENSITY
        )
        hm.add_legend(map_, legend)
    hm.add_legend_script(map_, LEGEND_SCRIPT)
    bounds = collection_bounds(data.outlines["district" if scope.kind == "city" else "street"])
    if scope.kind == "district":
        bounds = collection_bounds(data.outlines["district"])
    if bounds is not None:
        map_.fit_bounds(bounds)
    title = f"{scope.name} {unit}事件热点图"
    subtitle = f"{heading.period} · {heading.category} · 共 {data.n_events:,} 件事件"
    hm.add_heading(map_, title, subtitle=subtitle, back=heading.back)
    return render(titled(map_, f"{title}（{heading.period}）— gridwhistle"))


def _chief_tiles(map_: folium.Map, ref: str, data: ChiefData) -> None:
    """The hot and cold grid cells along chief ``ref``'s roads (shown) and the roads coloured
    by load, from the chief's hotspots and roads tiles (``?chief=``, for those who may open
    the chief's map): the page ships the styles, not the cells and roads."""
    VectorTileLayer(
        tile_url("hotspots", chief=ref),
        name=hm.LAYER_GI,
        layer="hotspots",
        style=class_style(),
        assets_url=ASSETS_URL,
        popup=CELL_POPUP,
    ).add_to(map_)
    VectorTileLayer(
        tile_url("roads", chief=ref),
        name=hm.LAYER_ROADS,
        layer="roads",
        style=count_style(data.breaks, line_weight=6),
        assets_url=ASSETS_URL,
        popup=ROAD_POPUP,
    ).add_to(map_)


def chief_page(
    ref: str,
    name: str,
    title: str,
    data: ChiefData,
    *,
    overdue: list[Pin],
    open_: list[Pin],
    street: str = "",
    back: tuple[str, str] | None = None,
) -> str:
    """Chief ``ref``'s roads coloured by load and the hot and cold grid cells along them (as
    vector tiles), the events near the roads, the whistles at work (``open_``) and the
    overdue ones, under a heading (the chief's ``name`` and ``title``, the ``street``, a link
    ``back`` to the viewer's page of the app)."""
    map_ = base_map(center=(39.89, 116.36), zoom=15, assets_url=ASSETS_URL)
    boundary_layer("street", data.outline).add_to(map_)
    _chief_tiles(map_, ref, data)
    hm.points_layer(data.near, name=hm.LAYER_NEAR, colour="#c0392b", radius=3).add_to(map_)
    hm.open_layer(open_).add_to(map_)
    hm.overdue_layer(overdue).add_to(map_)
    folium.LayerControl(collapsed=False).add_to(map_)
    roads = hm.count_legend(data.breaks, title=hm.LAYER_ROADS, layer=hm.LAYER_ROADS, bottom_px=24)
    hm.add_legend(map_, roads)
    hm.add_legend(map_, hm.class_legend(bottom_px=190))
    hm.add_legend_script(map_, LEGEND_SCRIPT)
    bounds = collection_bounds(data.roads) or collection_bounds(data.outline)
    if bounds is not None:
        map_.fit_bounds(bounds)
    heading = f"街巷长 {name}（{title}）责任街巷图"
    where = f"{street} · " if street else ""
    subtitle = f"{where}全部时段 · {ml.ROAD_LOAD} 共 {len(data.near):,} 件"
    hm.add_heading(map_, heading, subtitle=subtitle, back=back)
    return render(titled(map_, f"{heading} — gridwhistle"))
