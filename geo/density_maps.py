"""The heatmap layer: the kernel density surface of ``geo.hotspots.kde_grid`` as an image.

Pure: a ``DensityGrid`` (EPSG:4548) in, a folium ``ImageOverlay`` out. The surface is
computed on the server and shipped as one small PNG (a ``data:`` URL), so the page carries
no event positions at all and needs no heatmap JavaScript (Leaflet draws image overlays
itself). The raster is resampled by nearest neighbour onto pixels equally spaced in
longitude and in Web Mercator y, which is how Leaflet stretches an image between its
corners, so the surface lands where it belongs at every zoom.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from branca.element import Element
from folium.raster_layers import ImageOverlay
from folium.utilities import image_to_url
from pyproj import CRS, Transformer

from geo import map_labels as ml
from geo.crs import STORAGE_SRID, to_storage
from geo.hotspot_maps import legend
from geo.hotspots import DensityGrid

LAYER_DENSITY = ml.KDE
RAMP = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
FLOOR = 0.03  # densities below 3 % of the maximum stay transparent


@dataclass(frozen=True)
class DensityImage:
    """A rendered density surface: a PNG ``data:`` URL, its bounds and its maximum."""

    url: str
    bounds: list[list[float]]  # [[south, west], [north, east]]
    vmax: float


@lru_cache(maxsize=4)
def _from_lonlat(crs: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(STORAGE_SRID), CRS.from_epsg(crs), always_xy=True)


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def grid_bounds(grid: DensityGrid) -> list[list[float]]:
    """[[south, west], [north, east]] (lon/lat) of the raster's footprint."""
    rows, cols = grid.values.shape
    footprint = shapely.box(
        grid.x0, grid.y0 - rows * grid.cell_m, grid.x0 + cols * grid.cell_m, grid.y0
    )
    west, south, east, north = shapely.bounds(
        to_storage(shapely.segmentize(footprint, grid.cell_m))
    )
    return [[float(south), float(west)], [float(north), float(east)]]


def _mercator_y(lat: np.ndarray | float) -> np.ndarray:
    return np.asarray(np.arcsinh(np.tan(np.radians(lat))))


def sample(grid: DensityGrid, bounds: list[list[float]], *, width_px: int) -> np.ndarray:
    """Densities at the centres of a (height, width) pixel grid spanning ``bounds``."""
    (south, west), (north, east) = bounds
    y_south, y_north = _mercator_y(south), _mercator_y(north)
    height_px = max(2, round(width_px * float(y_north - y_south) / np.radians(east - west)))
    lon = west + (np.arange(width_px) + 0.5) * (east - west) / width_px
    y = y_north - (np.arange(height_px) + 0.5) * (y_north - y_south) / height_px
    lat = np.degrees(np.arctan(np.sinh(y)))
    lons, lats = np.meshgrid(lon, lat)
    x, y_m = _from_lonlat(grid.crs).transform(lons.ravel(), lats.ravel())
    col = np.floor((np.asarray(x) - grid.x0) / grid.cell_m).astype(np.int64)
    row = np.floor((grid.y0 - np.asarray(y_m)) / grid.cell_m).astype(np.int64)
    rows, cols = grid.values.shape
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    out = np.zeros(lons.size)
    out[inside] = grid.values[row[inside], col[inside]]
    return out.reshape(height_px, width_px)


def colourise(values: np.ndarray, vmax: float) -> np.ndarray:
    """RGBA (uint8) of densities on the yellow-red ramp; below ``FLOOR`` × vmax transparent."""
    t = np.clip(values / vmax, 0.0, 1.0) if vmax > 0 else np.zeros_like(values)
    stops = np.linspace(0.0, 1.0, len(RAMP))
    channels = np.array([_rgb(c) for c in RAMP], dtype=float)
    rgba = np.zeros((*values.shape, 4), dtype=np.uint8)
    for k in range(3):
        rgba[..., k] = np.interp(t, stops, channels[:, k]).round().astype(np.uint8)
    alpha = np.where(t < FLOOR, 0.0, 0.35 + 0.5 * t)
    rgba[..., 3] = (alpha * 255).round().astype(np.uint8)
    return rgba


def density_image(grid: DensityGrid, *, width_px: int = 480) -> DensityImage:
    """Render ``grid`` once: resample, colour, encode as a PNG ``data:`` URL."""
    bounds = grid_bounds(grid)
    vmax = float(grid.values.max())
    rgba = colourise(sample(grid, bounds, width_px=width_px), vmax)
    return DensityImage(image_to_url(rgba), bounds, vmax)


def density_layer(
    image: DensityImage, *, name: str = LAYER_DENSITY, show: bool = False
) -> ImageOverlay:
    """The density surface as a smooth image overlay (no event positions in the page)."""
    return ImageOverlay(
        image.url, bounds=image.bounds, origin="upper", pixelated=False, name=name, show=show
    )


def density_legend(
    vmax: float, *, bandwidth_m: float, bottom_px: int = 40, layer: str | None = LAYER_DENSITY
) -> Element:
    """Legend of the ramp in events per km² (five equal classes up to ``vmax``), shown only
    while ``layer`` is on."""
    step = vmax / len(RAMP)
    rows = [(colour, f"{k * step:,.0f}–{(k + 1) * step:,.0f}") for k, colour in enumerate(RAMP)]
    note = f"{ml.UNIT_KM2}，带宽{bandwidth_m:g}米"
    return legend(LAYER_DENSITY, rows, bottom_px=bottom_px, side="left", layer=layer, note=note)
