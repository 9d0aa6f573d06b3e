"""Factories: small GeoDataFrames of areas for database tests."""

from __future__ import annotations

import math

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.codes import Level

# A 2 km x 1 km block near 广安门 (lon/lat); tests cut it into districts/streets.
X0, Y0 = 116.30, 39.88
DX, DY = 0.0234, 0.009  # ~2 km, ~1 km
LINE_LON = X0 + 0.5 * DX  # the 西城/丰台 test line (a meridian)
MID_LAT = Y0 + 0.5 * DY
M_PER_DEG_LON = 111_320 * math.cos(math.radians(MID_LAT))


def box(x0: float, y0: float, x1: float, y1: float) -> BaseGeometry:
    """A lon/lat box as a MultiPolygon, offsets in fractions of the test block."""
    poly = shapely.box(X0 + x0 * DX, Y0 + y0 * DY, X0 + x1 * DX, Y0 + y1 * DY)
    return shapely.MultiPolygon([poly])


def frame(level: Level, rows: list[tuple[str, str, BaseGeometry]]) -> gpd.GeoDataFrame:
    """Areas of ``level`` from (code, name, geometry) rows; parent codes from the prefix."""
    parent_len = {Level.DISTRICT: 0, Level.STREET: 6, Level.COMMUNITY: 9, Level.GRID: 12}[level]
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "parent_code": [r[0][:parent_len] or None for r in rows],
            "level": [str(level)] * len(rows),
            "synthetic": [True] * len(rows),
        },
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )


def two_districts() -> gpd.GeoDataFrame:
    """西城-like (east half) and 丰台-like (west half) test districts."""
    return frame(
        Level.DISTRICT,
        [("110102", "西城区", box(0.5, 0, 1, 1)), ("110106", "丰台区", box(0, 0, 0.5, 1))],
    )


def four_streets() -> gpd.GeoDataFrame:
    """Two streets in each test district, tiling it."""
    return frame(
        Level.STREET,
        [
            ("110102020", "广安门外街道", box(0.5, 0, 0.75, 1)),
            ("110102021", "东侧街道", box(0.75, 0, 1, 1)),
            ("110106001", "西侧街道", box(0, 0, 0.25, 1)),
            ("110106002", "太平桥街道", box(0.25, 0, 0.5, 1)),
        ],
    )
