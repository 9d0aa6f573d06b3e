"""Read the parts of a rendered map page that people see: the layer control's overlays (and
which are on at opening), the legends (the layer each is tied to, title, note, rows), the
popup and tooltip labels, and the heading."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass

_CONTROL = re.compile(
    r"var (layer_control_\w+)_layers = \{\s*base_layers : \{.*?\},\s*overlays :  \{(.*?)\},\s*\};",
    re.S,
)
_OVERLAY = re.compile(r'("(?:[^"\\]|\\.)*") : (\w+),')
_LEGEND = re.compile(
    r'<div class="gw-legend"(?: data-layer="(?P<layer>[^"]*)")? style="[^"]*">'
    r"<b>(?P<title>[^<]*)</b>"
    r'(?:<div class="gw-legend-note"[^>]*>(?P<note>[^<]*)</div>)?'
    r"(?P<rows>(?:<div><span [^>]*></span>[^<]*</div>)*)</div>"
)
_ROW = re.compile(r"<span [^>]*></span>([^<]*)</div>")
_TILE_POPUP = re.compile(r"(\[\[[^\n]*?\]\])\.forEach")
_FOLIUM_LABELS = re.compile(r"let fields = (\[.*?\]);\s*let aliases = (\[.*?\]);", re.S)
_HEADING = re.compile(
    r'<div class="gw-map-heading"[^>]*>(?:<a class="gw-back" href="(?P<href>[^"]*)"[^>]*>'
    r"(?P<back>[^<]*)</a>)?<h1[^>]*>(?P<title>[^<]*)</h1>"
    r'(?:<div class="gw-map-subtitle"[^>]*>(?P<subtitle>[^<]*)</div>)?</div>'
)


@dataclass(frozen=True)
class Legend:
    layer: str | None
    title: str
    note: str | None
    rows: list[str]


@dataclass(frozen=True)
class Heading:
    title: str
    subtitle: str
    back_href: str | None
    back_text: str | None


def overlays(page: str) -> dict[str, str]:
    """The layer control's overlays: name → the layer's JavaScript variable."""
    (found,) = _CONTROL.findall(page)
    return {json.loads(name): var for name, var in _OVERLAY.findall(found[1])}


def shown(page: str, var: str) -> bool:
    """Whether the layer ``var`` is on when the page opens (folium adds it to the map)."""
    return f"{var}.addTo(" in page


def legends(page: str) -> list[Legend]:
    """Every legend box of the page."""
    unescape = html_lib.unescape
    return [
        Legend(
            layer=unescape(m["layer"]) if m["layer"] is not None else None,
            title=unescape(m["title"]),
            note=unescape(m["note"]) if m["note"] else None,
            rows=[unescape(r) for r in _ROW.findall(m["rows"])],
        )
        for m in _LEGEND.finditer(page)
    ]


def popup_labels(page: str) -> list[list[tuple[str, str]]]:
    """The (property, label) rows of every popup and tooltip of the page: the vector tile
    layers' popups and folium's GeoJSON popups and tooltips."""
    found = [[(f, label) for f, label in json.loads(rows)] for rows in _TILE_POPUP.findall(page)]
    for fields, aliases in _FOLIUM_LABELS.findall(page):
        found.append(list(zip(json.loads(fields), json.loads(aliases), strict=True)))
    return found


def heading(page: str) -> Heading:
    """The page's heading box (exactly one)."""
    (m,) = list(_HEADING.finditer(page))
    unescape = html_lib.unescape
    return Heading(
        title=unescape(m["title"]),
        subtitle=unescape(m["subtitle"] or ""),
        back_href=unescape(m["href"]) if m["href"] else None,
        back_text=unescape(m["back"]) if m["back"] else None,
    )


def style_tables(page: str, field: str) -> list[tuple[list[float], list[str]]]:
    """The class breaks and colours of every vector tile style that colours by ``field``."""
    pattern = re.compile(
        r"var t = (\[\[[^\]]*\], \[[^\]]*\]\]), c = [^;]*; for \(var i = 0; i < t\[0\]\.length;"
        rf' i\+\+\) \{{ if \(p\["{re.escape(field)}"\] <= t\[0\]\[i\]\)'
    )
    tables = [json.loads(table) for table in pattern.findall(page)]
    return [([float(b) for b in breaks], list(colours)) for breaks, colours in tables]


def colour_class(value: float, breaks: list[float]) -> int:
    """The class (0 = lowest) of ``value`` under ``breaks``, as the page's style finds it."""
    for index, upper in enumerate(breaks):
        if value <= upper:
            return index
    return len(breaks) - 1
