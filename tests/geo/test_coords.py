"""Chinese coordinate systems: the test vector, inverse accuracy < 1 m, batch = scalar."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coords import CoordinateSystem, arrays_to_wgs84, from_wgs84, geometry_to_wgs84, to_wgs84

GCJ, BD, WGS = CoordinateSystem.GCJ02, CoordinateSystem.BD09, CoordinateSystem.WGS84


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Equirectangular distance, fine for metre-level checks."""
    k = 111_320.0
    dx = (a[0] - b[0]) * k * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * k)


def test_domain_test_vector_wgs_to_bd09() -> None:
    # domain.md: WGS (39.90105, 116.42079) -> BD-09 (39.9085, 116.4335)
    lon, lat = from_wgs84(116.42079, 39.90105, BD)
    assert (round(lat, 4), round(lon, 4)) == (39.9085, 116.4335)


def test_offsets_have_the_documented_size_in_central_beijing() -> None:
    wgs = (116.3975, 39.9087)
    assert 300 < metres(wgs, from_wgs84(*wgs, GCJ)) < 800  # ~550 m
    assert 1000 < metres(wgs, from_wgs84(*wgs, BD)) < 1800  # ~1.4 km


@settings(max_examples=200, deadline=None)
@given(lon=st.floats(115.4, 117.6), lat=st.floats(39.4, 41.1), crs=st.sampled_from([GCJ, BD]))
def test_inverse_round_trip_is_under_a_metre(lon: float, lat: float, crs: CoordinateSystem) -> None:
    shifted = from_wgs84(lon, lat, crs)
    back = to_wgs84(*shifted, crs)
    assert metres((lon, lat), back) < 0.01  # well under the required 1 m


def test_batch_matches_scalar_and_wgs_is_identity() -> None:
    rng = np.random.default_rng(5)
    lons, lats = rng.uniform(116.0, 116.6, 500), rng.uniform(39.7, 40.1, 500)
    for crs in (GCJ, BD):
        blon, blat = arrays_to_wgs84(lons, lats, crs)
        for i in range(0, 500, 50):
            assert (blon[i], blat[i]) == pytest.approx(to_wgs84(lons[i], lats[i], crs), abs=1e-9)
    same = arrays_to_wgs84(lons, lats, WGS)
    assert np.array_equal(same[0], lons) and np.array_equal(same[1], lats)


def test_geometries_convert_vertex_by_vertex() -> None:
    wgs = shapely.box(116.31, 39.88, 116.33, 39.90)
    gcj = shapely.Polygon([from_wgs84(x, y, GCJ) for x, y in wgs.exterior.coords])
    back = geometry_to_wgs84(gcj, GCJ)
    assert shapely.equals_exact(back, wgs, tolerance=1e-8)
