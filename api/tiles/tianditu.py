"""天地图 (the national map service), optional under the pages' own maps: its tile hosts and
URL templates. Off unless ``Settings.tianditu_key`` is set (docs/operations.md#天地图).

天地图's ``_w`` tiles are Web Mercator over CGCS2000, which agrees with WGS-84 to well under a
metre: our WGS-84 geometry lies on them without the GCJ-02 shift other Chinese maps need.
"""

from __future__ import annotations

from api.config import Settings

TIANDITU_SUBDOMAINS = "01234567"
TIANDITU_HOSTS = tuple(f"https://t{s}.tianditu.gov.cn" for s in TIANDITU_SUBDOMAINS)
TIANDITU_LAYERS = ("vec", "cva")  # the vector map, then its Chinese annotations above it


def tianditu_urls(key: str) -> list[str]:
    """The Leaflet URL templates (``{s}`` one of t0–t7) of 天地图's vector map and its
    annotations in Web Mercator, with the installation's ``key``.

    >>> tianditu_urls("abc123ef")[0].split("?")[0]
    'https://t{s}.tianditu.gov.cn/vec_w/wmts'
    """
    return [
        f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
        f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
        f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
        for layer in TIANDITU_LAYERS
    ]


def image_hosts(settings: Settings) -> tuple[str, ...]:
    """The remote hosts the pages' basemap loads images from: 天地图's when configured."""
    return TIANDITU_HOSTS if settings.tianditu_key else ()
