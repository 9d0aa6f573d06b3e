"""folium map layers, served with local assets so maps work on an offline intranet.

Pure: GeoJSON dicts in, a ``folium.Map`` out. The caller (the service) passes the URL
prefix where the vendored Leaflet lives; no CDN is ever referenced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import folium
import shapely
import shapely.geometry
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

LEVEL_LABELS = {
    "district": "区",
    "street": "街道/乡镇",
    "community": "社区/村",
    "grid": "网格",
}

LEVEL_STYLES: dict[str, dict[str, Any]] = {
    "district": {"color": "#8b0000", "weight": 3, "fill": False},
    "street": {"color": "#1f4e9c", "weight": 2, "fillOpacity": 0.04},
    "community": {"color": "#6b6b6b", "weight": 1, "fillOpacity": 0.0},
    "grid": {"color": "#e07b00", "weight": 0.6, "fillOpacity": 0.0},
}


@dataclass(frozen=True)
class Basemap:
    """An optional tile basemap (off by default: our own boundaries are the basemap)."""

    url: str
    attribution: str


def local_assets(map_: folium.Map, assets_url: str) -> folium.Map:
    """Point the map's JS/CSS at the service's own vendored copies (no CDN)."""
    base = assets_url.rstrip("/")
    map_.default_js = [("leaflet", f"{base}/leaflet/leaflet.js")]
    map_.default_css = [("leaflet_css", f"{base}/leaflet/leaflet.css")]
    return map_


def base_map(
    *, center: tuple[float, float], zoom: int, assets_url: str, basemap: Basemap | None = None
) -> folium.Map:
    """An empty map (lat, lon center) with local assets and an optional tile layer."""
    map_ = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True)
    local_assets(map_, assets_url)
    if basemap is not None:
        folium.TileLayer(basemap.url, attr=basemap.attribution, name="底图").add_to(map_)
    cast(Figure, map_.get_root()).header.add_child(
        Element("<style>.leaflet-container{background:#f4f3ef;}</style>")
    )
    return map_


def titled(map_: folium.Map, title: str) -> folium.Map:
    """Give the page a <title>."""
    cast(Figure, map_.get_root()).header.add_child(Element(f"<title>{title}</title>"))
    return map_


def render(map_: folium.Map) -> str:
    """The full HTML page of ``map_``."""
    return str(map_.get_root().render())


def boundary_layer(
    level: str, collection: Mapping[str, Any], *, show: bool = True
) -> folium.GeoJson:
    """One level's outlines with a Chinese tooltip (name and code)."""
    style = LEVEL_STYLES[level]
    return folium.GeoJson(
        dict(collection),
        name=LEVEL_LABELS[level],
        show=show,
        style_function=lambda _feature: style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code"], aliases=[f"{LEVEL_LABELS[level]}：", "代码："]
        ),
    )


class BboxGeoJsonLayer(MacroElement):
    """A layer that fetches GeoJSON for the visible bbox once zoomed in (e.g. grid cells)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            style: function () { return {{ this.style | tojson }}; },
            onEachFeature: function (f, layer) {
                layer.bindTooltip({{ this.label | tojson }} + "：" + f.properties.name
                    + "<br>代码：" + f.properties.code);
            }
        });
        (function () {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.get_name() }};
            function refresh() {
                if (!map.hasLayer(layer)) { return; }
                if (map.getZoom() < {{ this.min_zoom }}) { layer.clearLayers(); return; }
                var b = map.getBounds();
                // six decimals (about 0.1 m), the precision the bbox parameter takes
                var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
                    .map(function (v) { return v.toFixed(6); }).join(",");
                fetch({{ this.url | tojson }} + "&bbox=" + bbox)
                    .then(function (r) { return r.json(); })
                    .then(function (data) { layer.clearLayers(); layer.addData(data); });
            }
            map.on("moveend overlayadd", refresh);
            {% if this.show %}layer.addTo(map);{% endif %}
            refresh();
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        url: str,
        name: str,
        label: str,
        style: Mapping[str, Any],
        min_zoom: int,
        show: bool = True,
    ) -> None:
        super().__init__()
        self._name = "BboxGeoJson"
        self.layer_name = name
        self.url = url
        self.label = label
        self.style = dict(style)
        self.min_zoom = min_zoom
        self.show = show
        self.overlay = True
        self.control = True


class NamedLayerControl(MacroElement):
    """Layer control that also lists BboxGeoJsonLayer overlays."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.layers(null, {
            {%- for name, var in this.layers %}
            {{ name | tojson }}: {{ var }},
            {%- endfor %}
        }, {collapsed: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, layers: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "NamedLayerControl"
        self.layers = layers


def city_map(
    *,
    layers: Mapping[str, Mapping[str, Any]],
    grid_url: str | None,
    assets_url: str,
    center: tuple[float, float] = (39.89, 116.36),
    zoom: int = 11,
    basemap: Basemap | None = None,
    grid_min_zoom: int = 14,
) -> folium.Map:
    """Districts, streets and communities drawn from GeoJSON; grid cells fetched by bbox."""
    map_ = base_map(center=center, zoom=zoom, assets_url=assets_url, basemap=basemap)
    controls: list[tuple[str, str]] = []
    for level in ("community", "street", "district"):
        if level in layers:
            layer = boundary_layer(level, layers[level], show=level != "community")
            layer.control = False
            layer.add_to(map_)
            controls.append((LEVEL_LABELS[level], layer.get_name()))
    if grid_url is not None:
        grid = BboxGeoJsonLayer(
            url=grid_url,
            name=LEVEL_LABELS["grid"],
            label=LEVEL_LABELS["grid"],
            style=LEVEL_STYLES["grid"],
            min_zoom=grid_min_zoom,
        )
        grid.add_to(map_)
        controls.append((f"{LEVEL_LABELS['grid']}（放大至{grid_min_zoom}级显示）", grid.get_name()))
    NamedLayerControl(controls).add_to(map_)
    if "district" in layers:
        bounds = collection_bounds(layers["district"])
        if bounds is not None:
            map_.fit_bounds(bounds)
    return map_


def collection_bounds(collection: Mapping[str, Any]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a GeoJSON FeatureCollection, None when empty."""
    geoms = [shapely.geometry.shape(f["geometry"]) for f in collection.get("features", [])]
    if not geoms:
        return None
    west, south, east, north = shapely.total_bounds(geoms)
    return [[float(south), float(west)], [float(north), float(east)]]
