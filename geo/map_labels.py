"""The words of the hot spot maps: one Chinese label per thing, used by layer names, legend
titles and popups alike (a legend is titled with its layer's name; a popup line is the
label followed by "：").

Pure constants and two small helpers; the layers that draw them live in
``geo.hotspot_maps``, ``geo.emerging_maps``, ``geo.density_maps`` and ``api.maps.pages``.
"""

from __future__ import annotations

UNIT_KM2 = "件/km²"
"""The unit of every density on the maps (events per square kilometre)."""

COUNT = "事件数"
"""Events counted in a unit (grid cell or community) over the page's period."""

PER_KM2 = f"事件密度（{UNIT_KM2}）"
"""A unit's events per km² of its area (the default choropleth)."""

GI = "热点分析（Gi*）"
"""The Getis-Ord Gi* hot/cold class of a unit (labels: ``geo.hotspot_maps.CLASS_LABELS``)."""

Z = "z值"
"""The Gi* z-score."""

EMERGING = "时空热点模式"
"""The emerging hot spot category of a unit (labels: ``geo.emerging_maps.EMERGING_LABELS``)."""

KDE = "热力图（核密度）"
"""The kernel density surface of the events (in ``UNIT_KM2``)."""

ROAD_LOAD = "30米内事件数"
"""The events within 30 m of a street or alley."""

NAME = "名称"
CODE = "代码"


def popup(label: str) -> str:
    """The popup line's label: ``label`` and a full-width colon.

    >>> popup(COUNT)
    '事件数：'
    """
    return f"{label}："


def per_km2_text(value: float) -> str:
    """A density as the maps write it.

    >>> per_km2_text(1234.5)
    '1,234.5 件/km²'
    """
    return f"{value:,.1f} {UNIT_KM2}"
