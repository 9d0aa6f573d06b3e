"""What ``GET /tiles/basemap`` tells the pages about the basemap they draw."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BasemapLayer(BaseModel):
    """One of the service's basemap tile layers."""

    layer: str = Field(description="the tile layer: roadnet or addresses")
    url: str = Field(description="the tile URL template ({z}/{x}/{y} for Leaflet)")
    min_zoom: int = Field(description="below this zoom the layer's tiles are empty")
    label_zoom: int = Field(description="from this zoom the page writes names or numbers")


class TiandituPublic(BaseModel):
    """天地图's vector map and annotations (needs the network; CGCS2000, no shift)."""

    urls: list[str] = Field(description="Leaflet URL templates, drawn in this order")
    subdomains: str = Field(description="what {s} stands for, one character each")
    attribution: str


class BasemapPublic(BaseModel):
    """The basemap of the working maps: our own layers, and 天地图 when configured."""

    layers: list[BasemapLayer]
    tianditu: TiandituPublic | None = Field(description="null unless the installation has a key")
