"""folium layer of emerging hot spot categories (``geo.emerging``), Chinese labels and legend.

Pure: a GeoJSON FeatureCollection whose features carry ``properties.emerging`` (one of
``geo.emerging.CATEGORIES``) in, a folium layer out. Units with no pattern are left out of the
layer (they would be transparent anyway), so the page ships only the units that have one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import folium
from branca.element import Element

from geo import map_labels as ml
from geo.emerging import CATEGORIES, NO_PATTERN
from geo.hotspot_maps import legend

LAYER_EMERGING = ml.EMERGING

_PATTERN_LABELS = {
    "new": "新增",
    "consecutive": "连续",
    "intensifying": "加剧",
    "persistent": "持续",
    "diminishing": "减弱",
    "sporadic": "零星",
    "oscillating": "振荡",
    "historical": "历史",
}
_HOT_COLOURS = {
    "new": "#ff00ff",
    "consecutive": "#ff6f00",
    "intensifying": "#7f0000",
    "persistent": "#d7301f",
    "diminishing": "#fc8d59",
    "sporadic": "#fdd49e",
    "oscillating": "#c51b8a",
    "historical": "#bdbdbd",
}
_COLD_COLOURS = {
    "new": "#00ffff",
    "consecutive": "#0080ff",
    "intensifying": "#08306b",
    "persistent": "#2171b5",
    "diminishing": "#6baed6",
    "sporadic": "#c6dbef",
    "oscillating": "#41ae76",
    "historical": "#9e9ac8",
}

EMERGING_LABELS: dict[str, str] = {
    **{f"{p} hot spot": f"{label}热点" for p, label in _PATTERN_LABELS.items()},
    **{f"{p} cold spot": f"{label}冷点" for p, label in _PATTERN_LABELS.items()},
    NO_PATTERN: "无明显模式",
}
EMERGING_COLOURS: dict[str, str] = {
    **{f"{p} hot spot": c for p, c in _HOT_COLOURS.items()},
    **{f"{p} cold spot": c for p, c in _COLD_COLOURS.items()},
    NO_PATTERN: "#ffffff",
}


def emerging_label(category: str) -> str:
    """The Chinese label of an emerging category (the category itself when unknown)."""
    return EMERGING_LABELS.get(category, category)


def patterned(collection: Mapping[str, Any]) -> dict[str, Any]:
    """The features of ``collection`` whose emerging category is not "no pattern"."""
    features = [
        f
        for f in collection.get("features", [])
        if f["properties"].get("emerging", NO_PATTERN) != NO_PATTERN
    ]
    return {"type": "FeatureCollection", "features": features}


def emerging_layer(
    collection: Mapping[str, Any], *, name: str = LAYER_EMERGING, show: bool = False
) -> folium.GeoJson:
    """Units coloured by emerging category (units with no pattern left out), with a tooltip."""

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        category = feature["properties"]["emerging"]
        return {
            "fillColor": EMERGING_COLOURS.get(category, "#ffffff"),
            "fillOpacity": 0.8,
            "color": "#333333",
            "weight": 0.8,
        }

    chosen = patterned(collection)
    return folium.GeoJson(
        chosen,
        name=f"{name}（{len(chosen['features'])}）",
        show=show,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "code", "emerging_label", "hot_steps", "trend"],
            aliases=[
                ml.popup(ml.NAME),
                ml.popup(ml.CODE),
                ml.popup(ml.EMERGING),
                "热点周数：",
                "趋势（MK z）：",
            ],
        )
        if chosen["features"]  # folium refuses tooltip fields it cannot find in the data
        else None,
    )


def emerging_legend(
    categories: Iterable[str],
    *,
    steps: int,
    step_days: int = 7,
    bottom_px: int = 40,
    layer: str | None = None,
) -> Element:
    """Legend of the categories present (in ``CATEGORIES`` order), or a 'none found' line;
    shown only while ``layer`` is on, when given."""
    present = set(categories) - {NO_PATTERN}
    rows = [(EMERGING_COLOURS[c], EMERGING_LABELS[c]) for c in CATEGORIES if c in present]
    if not rows:
        rows = [(EMERGING_COLOURS[NO_PATTERN], f"{EMERGING_LABELS[NO_PATTERN]}（未发现）")]
    unit = "周" if step_days == 7 else f"×{step_days}天"
    title = f"{LAYER_EMERGING}（{steps}{unit}）"
    return legend(title, rows, bottom_px=bottom_px, side="left", layer=layer)
