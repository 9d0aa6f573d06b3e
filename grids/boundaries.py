"""Read administrative boundary files (GeoJSON, GeoPackage, Shapefile) into one frame shape.

Every reader result has the columns ``code``, ``name``, ``parent_code``, ``level`` and
``geometry`` in EPSG:4326, whatever the file called its fields or which geographic CRS it
used. Files in a projected CRS are refused: boundaries are exchanged in lon/lat, and a
metric file usually means someone forgot to say which of the many Gauss-Kruger zones it is.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.codes import CODE_LENGTH, PARENT_LEVEL, Level

STORAGE_CRS = "EPSG:4326"
COLUMNS = ("code", "name", "parent_code", "level", "geometry")


class BoundaryFileError(Exception):
    """A boundary file that cannot be read as boundaries; ``kind`` is "file" or "crs"."""

    def __init__(self, message: str, *, kind: str = "file") -> None:
        super().__init__(message)
        self.kind = kind


def read_boundaries(
    path: str | Path,
    *,
    level: Level,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
) -> geopandas.GeoDataFrame:
    """Read a boundary file into columns code, name, parent_code, level, geometry (EPSG:4326)."""
    raw = _read_file(Path(path), layer=layer)
    _require_fields(raw, path, [code_field, name_field, *([parent_field] if parent_field else [])])
    raw = _to_storage_crs(raw, path, crs)
    codes = _as_strings(raw[code_field])
    if parent_field is not None:
        parents = [p or None for p in _as_strings(raw[parent_field])]
    else:
        parents = [derive_parent_code(code, level) for code in codes]
    return geopandas.GeoDataFrame(
        {
            "code": pd.Series(codes, dtype=object),
            "name": pd.Series(_as_strings(raw[name_field]), dtype=object),
            "parent_code": pd.Series(parents, dtype=object),
            "level": pd.Series([level.value] * len(codes), dtype=object),
        },
        geometry=geopandas.GeoSeries(raw.geometry.to_numpy(), crs=STORAGE_CRS),
    )


def derive_parent_code(code: str, level: Level) -> str | None:
    """Return the code's prefix one level up, or None for districts and too-short codes."""
    parent = PARENT_LEVEL[level]
    if parent is None or len(code) <= CODE_LENGTH[parent]:
        return None
    return code[: CODE_LENGTH[parent]]


def _read_file(path: Path, *, layer: str | None) -> geopandas.GeoDataFrame:
    if not path.exists():
        raise BoundaryFileError(f"boundary file {path} does not exist")
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, force_2d=True)
    except (DataSourceError, DataLayerError) as exc:
        raise BoundaryFileError(f"cannot read {path} as a vector file: {exc}") from exc
    if not isinstance(frame, geopandas.GeoDataFrame) or frame.geometry.name not in frame:
        raise BoundaryFileError(f"{path} has no geometry column")
    if frame.empty:
        raise BoundaryFileError(f"{path} contains no features")
    return frame


def _require_fields(frame: geopandas.GeoDataFrame, path: str | Path, fields: list[str]) -> None:
    missing = [f for f in fields if f not in frame.columns]
    if missing:
        have = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise BoundaryFileError(
            f"{path} has no field {', '.join(map(repr, missing))} (fields: {have or 'none'})"
        )


def _to_storage_crs(
    frame: geopandas.GeoDataFrame, path: str | Path, declared: str | None
) -> geopandas.GeoDataFrame:
    if declared is not None:
        try:
            frame = frame.set_crs(CRS.from_user_input(declared), allow_override=True)
        except CRSError as exc:
            raise BoundaryFileError(f"unknown CRS {declared!r}: {exc}", kind="crs") from exc
    if frame.crs is None:
        raise BoundaryFileError(
            f"{path} declares no CRS; pass the CRS it uses (e.g. crs='EPSG:4326')", kind="crs"
        )
    source = CRS.from_user_input(frame.crs)
    if not source.is_geographic:
        raise BoundaryFileError(
            f"{path} is in the projected CRS {_crs_label(source)}; boundary files must be "
            "in lon/lat (EPSG:4326 or CGCS2000 EPSG:4490)",
            kind="crs",
        )
    if source.to_epsg() == 4326:
        return frame
    return frame.to_crs(STORAGE_CRS)


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _as_strings(values: pd.Series) -> list[str]:
    """Field values as text; integral numbers lose their ".0", missing values become ""."""
    return [_as_string(v) for v in values.tolist()]


def _as_string(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()
