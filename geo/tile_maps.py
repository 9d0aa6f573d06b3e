"""folium layers drawn from the service's vector tiles (``/tiles/{layer}/{z}/{x}/{y}.mvt``).

Pure: a tile URL template and styling rules in, a folium layer out. The layer is folium's
``VectorGridProtobuf`` pointed at the vendored Leaflet.VectorGrid (no CDN); each style is a
small JavaScript function of a feature's properties, written here from the same colour
tables the GeoJSON layers use, so a page ships only the style and the tile addresses and the
browser fetches what the view needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from folium.plugins import VectorGridProtobuf
from folium.template import Template

from geo.emerging import NO_PATTERN
from geo.emerging_maps import EMERGING_COLOURS
from geo.hotspot_maps import CLASS_COLOURS, COUNT_COLOURS

VECTORGRID_JS = "leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"


class VectorTileLayer(VectorGridProtobuf):
    """One vector tile layer with a style function and a popup of chosen properties.

    >>> layer = VectorTileLayer("/tiles/grid/{z}/{x}/{y}.mvt", name="网格", layer="grid",
    ...     style="function (p) { return {weight: 1}; }", assets_url="/static/vendor")
    >>> layer.default_js
    [('vectorGrid', '/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js')]
    """

    _template = Template(
        """
        {% macro script(this, kwargs) -%}
        var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url | tojson }}, {
            rendererFactory: L.svg.tile,
            interactive: {{ this.interactive | tojson }},
            maxNativeZoom: {{ this.max_native_zoom }},
            minZoom: {{ this.min_zoom }},
            vectorTileLayerStyles: { {{ this.layer | tojson }}: {{ this.style }} }
        });
        {%- if this.popup %}
        {{ this.get_name() }}.on("click", function (e) {
            var p = e.layer.properties, box = document.createElement("div");
            {{ this.popup | tojson }}.forEach(function (row) {
                if (p[row[0]] === undefined) { return; }
                var line = document.createElement("div");
                line.textContent = row[1] + String(p[row[0]]);
                box.appendChild(line);
            });
            L.popup().setLatLng(e.latlng).setContent(box).openOn({{ this._parent.get_name() }});
        });
        {%- endif %}
        {%- endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        *,
        name: str,
        layer: str,
        style: str,
        assets_url: str,
        popup: Sequence[tuple[str, str]] = (),
        show: bool = True,
        min_zoom: int = 0,
        max_native_zoom: int = 19,
    ) -> None:
        super().__init__(url, name=name, show=show)
        self.layer = layer
        self.style = style
        self.popup = [list(row) for row in popup]
        self.interactive = bool(self.popup)
        self.min_zoom = min_zoom
        self.max_native_zoom = max_native_zoom
        self.default_js = [("vectorGrid", f"{assets_url.rstrip('/')}/{VECTORGRID_JS}")]


def fixed_style(style: Mapping[str, Any]) -> str:
    """A style function answering ``style`` for every feature (polygons filled only when
    ``style`` says so).

    >>> fixed_style({"color": "#777", "weight": 1})
    'function () { return {"color": "#777", "weight": 1, "fill": false}; }'
    """
    chosen = {**style, "fill": bool(style.get("fill", "fillOpacity" in style))}
    return f"function () {{ return {json.dumps(chosen)}; }}"


def count_style(
    breaks: Sequence[float], *, line_weight: float | None = None, field: str = "count"
) -> str:
    """Features coloured by ``properties[field]`` (the count, or e.g. ``per_km2``) in the
    classes ending at ``breaks`` (as ``geo.hotspot_maps.count_colour``): filled units, or
    lines ``line_weight`` wide."""
    table = json.dumps([list(map(float, breaks)), list(COUNT_COLOURS)])
    if line_weight is not None:
        look = f"{{color: c, weight: {line_weight:g}, opacity: 0.9}}"
    else:
        look = '{fill: true, fillColor: c, fillOpacity: 0.7, color: "#777777", weight: 0.5}'
    return (
        f"function (p) {{ var t = {table}, c = t[1][t[1].length - 1];"
        " for (var i = 0; i < t[0].length; i++) {"
        f" if (p[{json.dumps(field)}] <= t[0][i]) {{ c = t[1][Math.min(i, t[1].length - 1)];"
        " break; } }"
        f" return {look}; }}"
    )


def class_style() -> str:
    """Units coloured by their Gi* class; units that are not significant are not drawn."""
    colours = json.dumps(CLASS_COLOURS)
    return (
        f"function (p) {{ var c = {colours};"
        ' if (p["class"] === "not significant") { return {fill: false, stroke: false}; }'
        ' return {fill: true, fillColor: c[p["class"]], fillOpacity: 0.75, color: "#555555",'
        " weight: 0.5}; }"
    )


def emerging_style() -> str:
    """Units coloured by their emerging hot spot category; units without one not drawn."""
    colours = json.dumps(EMERGING_COLOURS)
    return (
        f"function (p) {{ var c = {colours}, none = {json.dumps(NO_PATTERN)};"
        " if (p.emerging === none) { return {fill: false, stroke: false}; }"
        ' return {fill: true, fillColor: c[p.emerging] || "#ffffff", fillOpacity: 0.8,'
        ' color: "#333333", weight: 0.8}; }'
    )


def point_style(colour: str, *, radius: int = 3) -> str:
    """Points as small filled circles."""
    look = {"radius": radius, "fill": True, "fillColor": colour, "fillOpacity": 0.8}
    look |= {"color": colour, "weight": 1}
    return f"function () {{ return {json.dumps(look)}; }}"
