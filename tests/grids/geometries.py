"""Named hand-made test geometries near Beijing (116.3E, 39.9N), shapely tests/common.py style.

Every shape is drawn in EPSG:4548 metres as offsets from ORIGIN, so its size is known by
arithmetic, then handed to the code in EPSG:4326 lon/lat (the storage CRS). The conversion
uses pyproj directly, not ``geo.crs``, so expectations never come from the code under test.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar, cast

import geopandas
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

G = TypeVar("G", bound=BaseGeometry)

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:4548", always_xy=True)
_TO_LONLAT = Transformer.from_crs("EPSG:4548", "EPSG:4326", always_xy=True)

# the real reference data stays outside the repository, next to it: ../shared/data/beijing
BEIJING = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "beijing"
BEIJING_DISTRICTS = BEIJING / "beijing_districts_dc_xc_ft.geojson"
needs_beijing = pytest.mark.skipif(
    not BEIJING_DISTRICTS.exists(),
    reason=f"real Beijing reference data not found at {BEIJING} (it lives outside the repo)",
)

ORIGIN_LONLAT = (116.3, 39.9)
X0, Y0 = (round(v) for v in _TO_METRIC.transform(*ORIGIN_LONLAT))


def lonlat(geom: G) -> G:
    """Shape drawn in metres from ORIGIN -> the same shape in lon/lat."""

    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_LONLAT.transform(xy[:, 0] + X0, xy[:, 1] + Y0))

    return cast(G, shapely.transform(geom, fn))


def lonlat_point(x: float, y: float) -> tuple[float, float]:
    """Metre offsets from ORIGIN -> (lon, lat)."""
    lon, lat = _TO_LONLAT.transform(x + X0, y + Y0)
    return float(lon), float(lat)


def metric_area(geom: BaseGeometry) -> float:
    """Area in m² of a lon/lat geometry, projected to EPSG:4548 with pyproj."""

    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1]))

    return float(shapely.area(shapely.transform(geom, fn)))


def rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A lon/lat rectangle given by its corners in metres from ORIGIN."""
    return lonlat(shapely.box(x0, y0, x1, y1))


def polygon(shell: list[tuple[float, float]], holes: list | None = None) -> Polygon:
    """A lon/lat polygon given by its rings in metres from ORIGIN (not checked for validity)."""
    return lonlat(shapely.Polygon(shell, holes))


def boundary_frame(*features: tuple[str, BaseGeometry | None], **columns) -> geopandas.GeoDataFrame:
    """A frame with ``code``, ``name`` ("f<code>") and geometry in EPSG:4326."""
    codes = [code for code, _ in features]
    data = {"code": codes, "name": [f"f{code}" for code in codes], **columns}
    return geopandas.GeoDataFrame(data, geometry=[g for _, g in features], crs="EPSG:4326")


# --- clean shapes --------------------------------------------------------------------------------

SQUARE = rect(0, 0, 100, 100)  # 10,000 m²
EAST_NEIGHBOUR = rect(100, 0, 200, 100)  # shares SQUARE's east edge


def cells(nx: int, ny: int, size: float = 100.0, skip: set | None = None) -> list[BaseGeometry]:
    """An nx * ny block of square cells, row by row from the south-west, minus ``skip``."""
    return [
        rect(i * size, j * size, (i + 1) * size, (j + 1) * size)
        for j in range(ny)
        for i in range(nx)
        if (i, j) not in (skip or set())
    ]


# --- siblings ------------------------------------------------------------------------------------

OVERLAPPING_EAST = rect(90, 0, 190, 100)  # overlaps SQUARE by 10 m x 100 m = 1,000 m²
GRAZING_EAST = rect(99.995, 0, 199.995, 100)  # overlaps SQUARE by 0.005 m x 100 m = 0.5 m²
RING_OF_EIGHT = cells(3, 3, skip={(1, 1)})  # the missing centre is a 10,000 m² gap
ENCLAVE = polygon(  # 300 m square with a 100 m hole of its own: not a gap between siblings
    [(0, 0), (300, 0), (300, 300), (0, 300)], [[(100, 100), (200, 100), (200, 200), (100, 200)]]
)

# --- invalid and degenerate ----------------------------------------------------------------------

LINE = lonlat(shapely.LineString([(0, 0), (100, 100)]))
EMPTY = shapely.Polygon()
# two 2,500 m² triangles whose signed areas cancel: repairing changes the area by 5,000 m²
BOW_TIE = polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
# the NW corner is twisted into a 0.5 m x 0.5 m loop of 0.125 m², counted negative by the
# shoelace formula: make_valid adds it back, changing the area by 2 x 0.125 = 0.25 m²
TWISTED_CORNER = polygon([(0, 0), (100, 0), (100, 100), (-0.5, 100), (0, 100.5)])

# --- slivers -------------------------------------------------------------------------------------

ZERO_WIDTH_SPIKE_TIP = (150.0, 50.0)
# runs 50 m out of the east edge and straight back along itself: zero area, invalid
ZERO_WIDTH_SPIKE = polygon(
    [(0, 0), (100, 0), (100, 50), (150, 50), (100, 50), (100, 100), (0, 100)]
)
THIN_SPIKE_TIP = (150.0, 50.0)
# 50 m out and back to a point 0.2 m further north: a valid wedge of 0.5 x 50 x 0.2 = 5 m²
THIN_SPIKE = polygon([(0, 0), (100, 0), (100, 50), (150, 50), (100, 50.2), (100, 100), (0, 100)])
# 300 m out and back 10 m further north (1.9°): sharp, but 10 m wide at its base, 1,500 m²
WIDE_SHARP_SPIKE = polygon(
    [(0, 0), (100, 0), (100, 40), (400, 40), (100, 50), (100, 100), (0, 100)]
)
# a hole whose ring pokes a 20 m spike of material into it, 0.2 m wide at its base: 2 m²
SPIKE_INTO_HOLE_TIP = (60.0, 50.0)
SPIKE_INTO_HOLE = polygon(
    [(0, 0), (100, 0), (100, 100), (0, 100)],
    [[(20, 20), (80, 20), (80, 50), (60, 50), (80, 50.2), (80, 80), (20, 80)]],
)
# a second part 0.2 m x 50 m = 10 m²
THIN_PART = shapely.MultiPolygon([SQUARE, rect(200, 0, 200.2, 50)])
# a hole 0.2 m x 50 m = 10 m²
THIN_HOLE = polygon(
    [(0, 0), (100, 0), (100, 100), (0, 100)], [[(50, 20), (50.2, 20), (50.2, 70), (50, 70)]]
)

# --- parents and children ------------------------------------------------------------------------

PARENT = rect(0, 0, 200, 100)  # 20,000 m²
CHILD_WEST = rect(0, 0, 100, 100)
CHILD_EAST_SHORT = rect(100, 0, 190, 100)  # leaves 10 m x 100 m = 1,000 m² of PARENT uncovered
CHILD_EAST_LONG = rect(100, 0, 210, 100)  # sticks 10 m x 100 m = 1,000 m² out of PARENT
