"""Locate every row of a table of positions: code columns per level, WGS-84 coordinates.

One function shared by ``gridwhistle locate-batch`` in one process and by each partition of
the Dask path (``geo.distributed``), so both give the same columns for the same rows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geo.batch import BatchLocator
from geo.codes import CODE_LENGTH, LEVELS_TOP_DOWN
from geo.coords import CoordinateSystem, arrays_to_wgs84
from geo.locate import Locator

CHUNK = 200_000
"""Rows located per call (bounds temporary arrays; a progress step)."""


def locate_frame(
    frame: pd.DataFrame,
    locator: Locator | BatchLocator,
    *,
    lon_col: str,
    lat_col: str,
    crs: CoordinateSystem,
    on_chunk: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """``frame`` with ``wgs84_lon``/``wgs84_lat`` and a ``{level}_code`` column per level.

    Rows whose coordinates are missing or not numbers get NaN coordinates and "" codes.
    ``on_chunk`` is called with the number of rows of each located chunk.

    >>> import geopandas as gpd, shapely
    >>> from geo.codes import Level
    >>> box = gpd.GeoDataFrame(
    ...     {"code": ["110102"], "name": ["西城区"]},
    ...     geometry=[shapely.box(116.3, 39.8, 116.4, 39.9)], crs=4326)
    >>> located = locate_frame(
    ...     pd.DataFrame({"x": ["116.35", "oops"], "y": [39.85, 39.85]}),
    ...     Locator({Level.DISTRICT: box}, generation=1),
    ...     lon_col="x", lat_col="y", crs=CoordinateSystem.WGS84)
    >>> located["district_code"].tolist(), located["grid_code"].tolist()
    (['110102', ''], ['', ''])
    """
    lons = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=float)
    lats = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lons) & np.isfinite(lats))
    lons, lats = np.where(bad, 0.0, lons), np.where(bad, 0.0, lats)
    wlon, wlat = arrays_to_wgs84(lons, lats, crs)
    codes = np.array([""] * len(frame), dtype=object)
    for start in range(0, len(frame), CHUNK):
        stop = min(start + CHUNK, len(frame))
        codes[start:stop] = locator.locate_codes(wlon[start:stop], wlat[start:stop])
        if on_chunk is not None:
            on_chunk(stop - start)
    codes[bad] = ""
    out = frame.copy()
    out["wgs84_lon"], out["wgs84_lat"] = np.where(bad, np.nan, wlon), np.where(bad, np.nan, wlat)
    index, table = pd.factorize(codes)  # a few thousand distinct codes, millions of rows
    for level in LEVELS_TOP_DOWN:
        length = CODE_LENGTH[level]
        prefixes = np.array([c[:length] if len(c) >= length else "" for c in table], dtype=object)
        out[f"{level}_code"] = prefixes[index]
    return out
