"""folium layers for hot spot and street-and-alley chief maps (local assets only).

Pure: GeoJSON dicts and plain rows in, folium layers out. Colours are computed here (no
branca colormaps: those load d3 from a CDN), legends are plain HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import folium
import numpy as np
from branca.element import Element, Figure
from folium.plugins import FastMarkerCluster

CLASS_LABELS = {
    "hot 99": "热点99%",
    "hot 95": "热点95%",
    "hot 90": "热点90%",
    "not significant": "不显著",
    "cold 90": "冷点90%",
    "cold 95": "冷点95%",
    "cold 99": "冷点99%",
}

CLASS_COLOURS = {
    "hot 99": "#b2182b",
    "hot 95": "#ef8a62",
    "hot 90": "#fddbc7",
    "not significant": "#f7f7f7",
    "cold 90": "#d1e5f0",
    "cold 95": "#67a9cf",
    "cold 99": "#2166ac",
}

COUNT_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")

ROAD_KINDS = {"street": "街/路", "alley": "胡同/巷"}

LAYER_COUNTS = "事件数"
LAYER_GI = "热点分析（Gi*）"
LAYER_EVENTS = "事件点（聚合）"
LAYER_ROADS = "责任街巷"
LAYER_NEAR = "街巷30米内事件"
LAYER_OVERDUE = "超期吹哨"
LAYER_OPEN = "办理中的吹哨"


def count_breaks(values: Sequence[float], bins: int = len(COUNT_COLOURS)) -> list[float]:
    """Whole-number upper bounds of ``bins`` quantile classes of counts (distinct, ascending)."""
    array = np.asarray(values, dtype=float)
    if array.size == 0 or float(array.max()) <= 0:
        return [0.0]
    quantiles = np.ceil(np.quantile(array, np.linspace(0, 1, bins + 1)[1:]))
    return sorted({float(q) for q in quantiles})


def count_colour(value: float, breaks: Sequence[float]) -> str:
    """The colour of ``value`` in the classes ending at ``breaks``."""
    for index, upper in enumerate(breaks):
        if value <= upper:
            return COUNT_COLOURS[min(index, len(COUNT_COLOURS) - 1)]
    return COUNT_COLOURS[-1]


def count_legend_rows(breaks: Sequence[float]) -> list[tuple[str, str]]:
    """Legend rows (colour, label) of the count classes ending at ``breaks``."""
    rows, lower = [], 0.0
    for index, upper in enumerate(breaks):
        if index == 0:
            label = f"≤ {upper:g}"
        else:
            label = f"{upper:g}" if lower + 1 >= upper else f"{lower + 1:g}–{upper:g}"
        rows.append((COUNT_COLOURS[min(index, len(COUNT_COLOURS) - 1)], label))
        lower = upper
    return rows


def counts_layer(
    collection: Mapping[str, Any], *, breaks: Sequence[float], name: str = LAYER_COUNTS
) -> folium.GeoJson:
    """Choropleth of ``properties.count`` with a tooltip (name, code, count, class)."""

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return {
            "fillColor": count_colour(feature["properties"]["count"], breaks),
            "fillOpacity": 0.7,
            "color": "#777777",
            "weight": 0.5,
        }

    return folium.GeoJson(
        dict(collection),
        name=name,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code", "count", "class_label"],
            aliases=["名称：", "代码：", "事件数：", "Gi*："],
        ),
    )


def gi_layer(
    collection: Mapping[str, Any], *, name: str = LAYER_GI, show: bool = False
) -> folium.GeoJson:
    """Units coloured by their Gi* hot/cold class (hidden until switched on unless ``show``)."""

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        klass = feature["properties"]["class"]
        significant = klass != "not significant"
        return {
            "fillColor": CLASS_COLOURS.get(klass, CLASS_COLOURS["not significant"]),
            "fillOpacity": 0.75 if significant else 0.0,
            "color": "#555555",
            "weight": 0.5 if significant else 0.0,
        }

    return folium.GeoJson(
        dict(collection),
        name=name,
        show=show,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code", "count", "z", "class_label"],
            aliases=["名称：", "代码：", "事件数：", "z：", "Gi*："],
        )
        if collection.get("features")  # folium refuses fields it cannot find in the data
        else None,
    )


def legend(
    title: str,
    rows: Sequence[tuple[str, str]],
    *,
    bottom_px: int = 24,
    side: Literal["right", "left"] = "right",
) -> Element:
    """A fixed legend box (bottom right or left): coloured squares and labels."""
    items = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
        f'vertical-align:middle;border:1px solid #999;background:{colour}"></span>'
        f"{html.escape(label)}</div>"
        for colour, label in rows
    )
    return Element(
        f'<div class="gw-legend" style="position:fixed;{side}:12px;bottom:{bottom_px}px;'
        "z-index:1000;background:#fff;padding:6px 10px;border:1px solid #aaa;"
        f'border-radius:4px;font:12px sans-serif;line-height:18px">'
        f"<b>{html.escape(title)}</b>{items}</div>"
    )


def add_legend(map_: folium.Map, element: Element) -> None:
    """Put a legend element into the page body."""
    cast(Figure, map_.get_root()).html.add_child(element)


def class_legend() -> Element:
    """The Gi* legend: 热点99% … 不显著 … 冷点99%."""
    return legend("Gi* 热点/冷点", [(CLASS_COLOURS[k], v) for k, v in CLASS_LABELS.items()])


def count_legend(breaks: Sequence[float], *, title: str = "事件数") -> Element:
    """The count legend of the choropleth classes."""
    return legend(title, count_legend_rows(breaks), bottom_px=190)


def event_cluster(
    rows: Sequence[tuple[float, float, str]], *, assets_url: str, name: str = LAYER_EVENTS
) -> FastMarkerCluster:
    """Raw event points (lat, lon, label) as a marker cluster served from local assets."""
    callback = (
        "function (row) { var m = L.circleMarker(new L.LatLng(row[0], row[1]),"
        " {radius: 4, color: '#c0392b', weight: 1, fillOpacity: 0.8});"
        " m.bindTooltip(row[2]); return m; }"
    )
    cluster = FastMarkerCluster([list(r) for r in rows], callback=callback, name=name)
    local_cluster_assets(cluster, assets_url)
    return cluster


def local_cluster_assets(cluster: FastMarkerCluster, assets_url: str) -> FastMarkerCluster:
    """Point leaflet.markercluster's JS/CSS at the vendored copies (no CDN)."""
    base = f"{assets_url.rstrip('/')}/leaflet.markercluster"
    cluster.default_js = [("markerclusterjs", f"{base}/leaflet.markercluster.js")]
    cluster.default_css = [
        ("markerclustercss", f"{base}/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{base}/MarkerCluster.Default.css"),
    ]
    return cluster


def roads_layer(
    collection: Mapping[str, Any],
    *,
    breaks: Sequence[float],
    name: str = LAYER_ROADS,
    weight: float = 6,
) -> folium.GeoJson:
    """Road lines coloured by ``properties.count`` with a popup (road, kind, chief, count)."""

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return {"color": count_colour(feature["properties"]["count"], breaks), "weight": weight}

    if not collection.get("features"):  # folium refuses fields it cannot find in the data
        return folium.GeoJson(dict(collection), name=name)
    return folium.GeoJson(
        dict(collection),
        name=name,
        style_function=style,
        highlight_function=lambda _f: {"weight": weight + 3},
        popup=folium.GeoJsonPopup(
            fields=["name", "kind_label", "chief", "title", "count"],
            aliases=["道路：", "类型：", "街巷长：", "职务：", "30米内事件："],
        ),
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    )


def points_layer(
    rows: Sequence[tuple[float, float, str]], *, name: str, colour: str, radius: int = 4
) -> folium.FeatureGroup:
    """Plain circle markers (lat, lon, tooltip) in one layer."""
    group = folium.FeatureGroup(name=name)
    for lat, lon, label in rows:
        folium.CircleMarker(
            [lat, lon],
            radius=radius,
            color=colour,
            weight=1,
            fill=True,
            fill_opacity=0.8,
            tooltip=label,
        ).add_to(group)
    return group


def open_layer(rows: Sequence[tuple[float, float, str]], *, name: str = LAYER_OPEN) -> Any:
    """Whistles still in time as small blue circles (the overdue ones are markers)."""
    group = folium.FeatureGroup(name=name)
    for lat, lon, label in rows:
        folium.CircleMarker(
            [lat, lon],
            radius=7,
            color="#1f5fa8",
            weight=2,
            fill=True,
            fill_opacity=0.6,
            popup=folium.Popup(html.escape(label)),
            tooltip=label,
        ).add_to(group)
    return group


def overdue_layer(rows: Sequence[tuple[float, float, str]], *, name: str = LAYER_OVERDUE) -> Any:
    """Overdue whistles as default Leaflet markers (icons from the vendored images)."""
    group = folium.FeatureGroup(name=name)
    for lat, lon, label in rows:
        folium.Marker([lat, lon], popup=folium.Popup(html.escape(label)), tooltip=label).add_to(
            group
        )
    return group
