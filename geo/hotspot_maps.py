"""folium layers for hot spot and street-and-alley chief maps (local assets only).

Pure: GeoJSON dicts and plain rows in, folium layers out. Colours are computed here (no
branca colormaps: those load d3 from a CDN), legends are plain HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal, cast

import folium
import numpy as np
from branca.element import Element, Figure
from folium.plugins import FastMarkerCluster

from geo import map_labels as ml

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

LAYER_COUNTS = ml.COUNT
LAYER_PER_KM2 = ml.PER_KM2
LAYER_GI = ml.GI
LAYER_EVENTS = "事件点（聚合）"
LAYER_ROADS = f"责任街巷（{ml.ROAD_LOAD}）"
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


def rate_breaks(values: Sequence[float], bins: int = len(COUNT_COLOURS)) -> list[float]:
    """Upper bounds of ``bins`` quantile classes of rates (e.g. events per km²), each rounded
    up to two significant digits (distinct, ascending).

    >>> rate_breaks([0.0, 3.2, 47.0, 120.0, 1234.0], bins=3)
    [18.0, 96.0, 1300.0]
    """
    array = np.asarray(values, dtype=float)
    if array.size == 0 or float(array.max()) <= 0:
        return [0.0]
    found = set()
    for q in np.quantile(array, np.linspace(0, 1, bins + 1)[1:]):
        if q <= 0:
            found.add(0.0)
            continue
        found.add(_round_up(float(q)))
    return sorted(found)


def _round_up(value: float) -> float:
    """``value`` rounded up to two significant digits, in decimal (as it is written), never
    below ``value``.

    >>> _round_up(0.1), _round_up(1234.0), _round_up(1e-05)
    (0.1, 1300.0, 1e-05)
    """
    written = Decimal(repr(value))  # the shortest decimal that reads back as ``value``
    exponent = written.adjusted() - 1
    upper = written.scaleb(-exponent).to_integral_value(rounding=ROUND_CEILING).scaleb(exponent)
    return max(float(upper), value)


def rate_legend_rows(breaks: Sequence[float]) -> list[tuple[str, str]]:
    """Legend rows (colour, label) of the rate classes ending at ``breaks``.

    >>> [label for _, label in rate_legend_rows([48.0, 130.0, 1300.0])]
    ['≤ 48', '48–130', '130–1,300']
    """
    rows, lower = [], 0.0
    for index, upper in enumerate(breaks):
        label = f"≤ {upper:,g}" if index == 0 else f"{lower:,g}–{upper:,g}"
        rows.append((COUNT_COLOURS[min(index, len(COUNT_COLOURS) - 1)], label))
        lower = upper
    return rows


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
            aliases=[ml.popup(k) for k in (ml.NAME, ml.CODE, ml.COUNT, ml.GI)],
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
            aliases=[ml.popup(k) for k in (ml.NAME, ml.CODE, ml.COUNT, ml.Z, ml.GI)],
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
    layer: str | None = None,
    note: str | None = None,
) -> Element:
    """A fixed legend box (bottom right or left): coloured squares and labels, under
    ``title`` and an optional ``note``. With ``layer`` (the name of a layer in the layer
    control) the page's legend script shows the box only while that layer is on."""
    tie = f' data-layer="{html.escape(layer)}"' if layer is not None else ""
    subtitle = (
        f'<div class="gw-legend-note" style="color:#555">{html.escape(note)}</div>' if note else ""
    )
    items = "".join(
        f'<div><span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
        f'vertical-align:middle;border:1px solid #999;background:{colour}"></span>'
        f"{html.escape(label)}</div>"
        for colour, label in rows
    )
    return Element(
        f'<div class="gw-legend"{tie} style="position:fixed;{side}:12px;bottom:{bottom_px}px;'
        "z-index:1000;background:#fff;padding:6px 10px;border:1px solid #aaa;"
        f'border-radius:4px;font:12px sans-serif;line-height:18px">'
        f"<b>{html.escape(title)}</b>{subtitle}{items}</div>"
    )


def add_legend(map_: folium.Map, element: Element) -> None:
    """Put a legend element into the page body."""
    cast(Figure, map_.get_root()).html.add_child(element)


def add_legend_script(map_: folium.Map, src: str) -> None:
    """Load the script (served locally at ``src``) that shows a legend tied to a layer only
    while the layer is ticked in the layer control (``defer``: after the map is built)."""
    script = f'<script defer src="{html.escape(src)}"></script>'
    cast(Figure, map_.get_root()).header.add_child(Element(script))


def add_heading(
    map_: folium.Map, title: str, *, subtitle: str = "", back: tuple[str, str] | None = None
) -> None:
    """A box at the top of the map: what it shows (``title``, ``subtitle``: the area, the
    period, the filter) and a link back to the app (``back``: href, label)."""
    link = (
        f'<a class="gw-back" href="{html.escape(back[0])}" style="margin-right:8px">'
        f"← 返回{html.escape(back[1])}</a>"
        if back
        else ""
    )
    sub = (
        f'<div class="gw-map-subtitle" style="color:#444">{html.escape(subtitle)}</div>'
        if subtitle
        else ""
    )
    box = (
        '<div class="gw-map-heading" style="position:fixed;top:10px;left:56px;z-index:1000;'
        "max-width:calc(100vw - 340px);min-width:160px;background:#fff;padding:4px 10px;"
        'border:1px solid #aaa;border-radius:4px;font:13px sans-serif;line-height:20px">'
        f'{link}<h1 class="gw-map-title" style="display:inline;font-size:15px;margin:0">'
        f"{html.escape(title)}</h1>{sub}</div>"
    )
    root = cast(Figure, map_.get_root())
    root.html.add_child(Element(box))
    # on a phone the heading spans the top and the layer control starts below it
    narrow = (
        "<style>@media (max-width: 640px) {"
        ".gw-map-heading{right:8px;max-width:none!important;min-width:0!important}"
        ".leaflet-top.leaflet-right{top:76px}}</style>"
    )
    root.header.add_child(Element(narrow))


def class_legend(*, layer: str | None = LAYER_GI, bottom_px: int = 24) -> Element:
    """The Gi* legend: 热点99% … 不显著 … 冷点99% (tied to ``layer``)."""
    rows = [(CLASS_COLOURS[k], v) for k, v in CLASS_LABELS.items()]
    return legend(LAYER_GI, rows, bottom_px=bottom_px, layer=layer)


def count_legend(
    breaks: Sequence[float],
    *,
    title: str = LAYER_COUNTS,
    layer: str | None = None,
    note: str | None = None,
    bottom_px: int = 190,
) -> Element:
    """The count legend of the choropleth classes."""
    return legend(title, count_legend_rows(breaks), bottom_px=bottom_px, layer=layer, note=note)


def rate_legend(
    breaks: Sequence[float],
    *,
    title: str = LAYER_PER_KM2,
    layer: str | None = LAYER_PER_KM2,
    note: str | None = None,
    bottom_px: int = 190,
) -> Element:
    """The legend of the density choropleth's classes (events per km²)."""
    return legend(title, rate_legend_rows(breaks), bottom_px=bottom_px, layer=layer, note=note)


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
            aliases=["道路：", "类型：", "街巷长：", "职务：", ml.popup(ml.ROAD_LOAD)],
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
