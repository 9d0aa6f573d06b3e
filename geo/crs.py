"""Coordinate reference systems used by the platform.

Geometry is stored in EPSG:4326 (WGS-84 lon/lat; CGCS2000 EPSG:4490 is within centimetres
of it). Metric work (areas, lengths, buffers) is done in EPSG:4548, CGCS2000 3-degree
Gauss-Kruger CM 117E, which covers Beijing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, overload

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

STORAGE_SRID = 4326
METRIC_SRID = 4548


@lru_cache(maxsize=8)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(src), CRS.from_epsg(dst), always_xy=True)


def _transform(geoms: Any, src: int, dst: int) -> Any:
    tr = _transformer(src, dst)

    def fn(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    if not isinstance(geoms, BaseGeometry):
        geoms = np.asarray(geoms, dtype=object)
    return shapely.transform(geoms, fn)


@overload
def to_metric(geoms: BaseGeometry) -> BaseGeometry: ...
@overload
def to_metric(geoms: np.ndarray) -> np.ndarray: ...
def to_metric(geoms: BaseGeometry | np.ndarray) -> BaseGeometry | np.ndarray:
    """Project lon/lat geometries (EPSG:4326) to EPSG:4548 metres (scalar or vectorised)."""
    return _transform(geoms, STORAGE_SRID, METRIC_SRID)


@overload
def to_storage(geoms: BaseGeometry) -> BaseGeometry: ...
@overload
def to_storage(geoms: np.ndarray) -> np.ndarray: ...
def to_storage(geoms: BaseGeometry | np.ndarray) -> BaseGeometry | np.ndarray:
    """Project EPSG:4548 geometries back to lon/lat EPSG:4326 (scalar or vectorised)."""
    return _transform(geoms, METRIC_SRID, STORAGE_SRID)


def area_m2(geoms: BaseGeometry | np.ndarray) -> np.ndarray:
    """Area in square metres of lon/lat geometries (vectorised)."""
    return np.asarray(shapely.area(_transform(geoms, STORAGE_SRID, METRIC_SRID)), dtype=float)


def length_m(geoms: BaseGeometry | np.ndarray) -> np.ndarray:
    """Length in metres of lon/lat geometries (vectorised)."""
    return np.asarray(shapely.length(_transform(geoms, STORAGE_SRID, METRIC_SRID)), dtype=float)


def metric_xy(lon: Any, lat: Any) -> tuple[Any, Any]:
    """EPSG:4548 metres of lon/lat coordinates (scalars or arrays), without geometries."""
    return _transformer(STORAGE_SRID, METRIC_SRID).transform(lon, lat)


def measurable(lons: Any, lats: Any) -> bool:
    """Whether every position has EPSG:4548 metres: the transverse Mercator of CM 117E
    reaches about 90° of longitude either side, beyond which PROJ gives inf (and PostGIS
    refuses the transform).

    >>> measurable(116.4, 39.9), measurable(25.0, 0.0)
    (True, False)
    """
    x, y = metric_xy(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    return bool(np.isfinite(x).all() and np.isfinite(y).all())


def storage_xy(x: Any, y: Any) -> tuple[Any, Any]:
    """Lon/lat of EPSG:4548 coordinates (scalars or arrays), without geometries."""
    return _transformer(METRIC_SRID, STORAGE_SRID).transform(x, y)
