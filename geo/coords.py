"""Chinese coordinate systems: WGS-84, GCJ-02 (Amap, Tencent), BD-09 (Baidu), CGCS2000.

Pins arrive in any of them; the platform works in WGS-84 (EPSG:4326). The forward offsets
come from the ``coordTransform`` package; its GCJ-02 -> WGS-84 inverse is a one-step
approximation (metres of error), so the inverse here refines it by fixed-point iteration on
the library's forward function until the round trip agrees to ~1 mm. CGCS2000 (EPSG:4490)
is within centimetres of WGS-84 and is taken as is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum

import coordTransform as ct
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# about 1e-8 degrees ~ 1 mm
_TOLERANCE_DEG = 1e-8
_MAX_ITERATIONS = 10


class CoordinateSystem(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"
    CGCS2000 = "cgcs2000"


def _invert(
    forward: Callable[[float, float], list[float]], lon: float, lat: float
) -> tuple[float, float]:
    """Solve forward(w) = (lon, lat) for w by fixed-point iteration."""
    w_lon, w_lat = lon, lat
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(w_lon, w_lat)
        d_lon, d_lat = lon - f_lon, lat - f_lat
        w_lon, w_lat = w_lon + d_lon, w_lat + d_lat
        if abs(d_lon) < _TOLERANCE_DEG and abs(d_lat) < _TOLERANCE_DEG:
            break
    return w_lon, w_lat


def to_wgs84(lon: float, lat: float, crs: CoordinateSystem) -> tuple[float, float]:
    """Convert one position in ``crs`` to WGS-84 (lon, lat)."""
    match crs:
        case CoordinateSystem.WGS84 | CoordinateSystem.CGCS2000:
            return lon, lat
        case CoordinateSystem.GCJ02:
            return _invert(ct.wgs84_to_gcj02, lon, lat)
        case CoordinateSystem.BD09:
            return _invert(ct.wgs84_to_bd09, lon, lat)
    raise ValueError(f"unknown coordinate system {crs!r}")


def valid_wgs84(lon: float, lat: float) -> bool:
    """Whether (lon, lat) is a WGS-84 position: finite, within ±180° and ±90°. A GCJ-02 or
    BD-09 position near the edge of the range can convert to one outside it.

    >>> valid_wgs84(116.4, 39.9), valid_wgs84(*to_wgs84(-180.0, -90.0, CoordinateSystem.BD09))
    (True, False)
    """
    return math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90


def from_wgs84(lon: float, lat: float, crs: CoordinateSystem) -> tuple[float, float]:
    """Convert one WGS-84 position to ``crs`` (e.g. to draw on a GCJ-02 basemap)."""
    match crs:
        case CoordinateSystem.WGS84 | CoordinateSystem.CGCS2000:
            return lon, lat
        case CoordinateSystem.GCJ02:
            lon2, lat2 = ct.wgs84_to_gcj02(lon, lat)
            return lon2, lat2
        case CoordinateSystem.BD09:
            lon2, lat2 = ct.wgs84_to_bd09(lon, lat)
            return lon2, lat2
    raise ValueError(f"unknown coordinate system {crs!r}")


def geometry_to_wgs84(geom: BaseGeometry, crs: CoordinateSystem) -> BaseGeometry:
    """Convert every vertex of ``geom`` from ``crs`` to WGS-84."""
    if crs in (CoordinateSystem.WGS84, CoordinateSystem.CGCS2000):
        return geom

    def convert(coords: np.ndarray) -> np.ndarray:
        return np.array([to_wgs84(float(x), float(y), crs) for x, y in coords], dtype=float)

    return shapely.transform(geom, convert)


_FORWARD_BATCH = {
    CoordinateSystem.GCJ02: ct.wgs84_to_gcj02,
    CoordinateSystem.BD09: ct.wgs84_to_bd09,
}


def arrays_to_wgs84(
    lons: np.ndarray, lats: np.ndarray, crs: CoordinateSystem
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``to_wgs84`` for many positions (same fixed-point refinement)."""
    lon = np.asarray(lons, dtype=np.float64)
    lat = np.asarray(lats, dtype=np.float64)
    forward = _FORWARD_BATCH.get(crs)
    if forward is None or len(lon) == 0:
        return lon.copy(), lat.copy()
    w_lon, w_lat = lon.copy(), lat.copy()
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = (np.asarray(v, dtype=np.float64) for v in forward(w_lon, w_lat))
        d_lon, d_lat = lon - f_lon, lat - f_lat
        w_lon += d_lon
        w_lat += d_lat
        if np.abs(d_lon).max() < _TOLERANCE_DEG and np.abs(d_lat).max() < _TOLERANCE_DEG:
            break
    return w_lon, w_lat
