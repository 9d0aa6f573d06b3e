"""What the working maps (``/app/report``, ``/app/triage``) draw under their own layers: the
service's basemap tiles (named roads, the address register) and, when an installation has a
key, 天地图's vector map with its annotations (docs/pages.md, docs/operations.md#天地图).
"""

from __future__ import annotations

from api.config import Settings
from api.tiles.schemas import BasemapLayer, BasemapPublic, TiandituPublic
from api.tiles.service import MIN_ZOOM, Layer
from api.tiles.tianditu import TIANDITU_SUBDOMAINS, tianditu_urls
from api.tiles.urls import tile_url

LABEL_ZOOM = {Layer.ROADNET: 16, Layer.ADDRESSES: 18}
"""From these zooms the pages write the roads' names and the doors' numbers."""


def basemap(settings: Settings) -> BasemapPublic:
    """The basemap the working maps draw: our roads and addresses, 天地图 when configured."""
    layers = [
        BasemapLayer(
            layer=layer.value,
            url=tile_url(layer.value),
            min_zoom=MIN_ZOOM[layer],
            label_zoom=LABEL_ZOOM[layer],
        )
        for layer in (Layer.ROADNET, Layer.ADDRESSES)
    ]
    tianditu = None
    if settings.tianditu_key:
        tianditu = TiandituPublic(
            urls=tianditu_urls(settings.tianditu_key),
            subdomains=TIANDITU_SUBDOMAINS,
            attribution="天地图",
        )
    return BasemapPublic(layers=layers, tianditu=tianditu)
