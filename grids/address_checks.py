"""The standard address register's shape, reader and checks.

A register is a GeoDataFrame of points (EPSG:4326), one row per entry, with ``COLUMNS``:
``kind`` is plate (road + number), compound (a named 小区/院 or a 号院), building (号楼 of a
compound), village (X村X组X号) or poi; ``side`` is odd or even for plates; the four codes
place the entry in the grid. ``validate_register`` names every row that is wrong.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_SRID, metric_xy, to_metric
from geo.datafile import DataFileError

TEXT_COLUMNS = ("id", "text", "kind", "road", "suffix", "side", "name")
INT_COLUMNS = ("number", "building", "group")
CODE_COLUMNS = ("grid_code", "community_code", "street_code", "district_code")
COLUMNS = (*TEXT_COLUMNS[:4], "number", "suffix", "side", "name", "building", "group",
           "lon", "lat", *CODE_COLUMNS)  # fmt: skip
CODE_LENGTHS = {"district_code": 6, "street_code": 9, "community_code": 12, "grid_code": 15}
ORDER_TOLERANCE_M = 50.0
"""How far (metres along the road) a plate may sit behind a lower number on its side."""


class EntryKind(StrEnum):
    """What a register entry is."""

    PLATE = "plate"
    COMPOUND = "compound"
    BUILDING = "building"
    VILLAGE = "village"
    POI = "poi"


@dataclass(frozen=True)
class RegisterProblem:
    """One wrong entry: its row (1 = the first entry; line ``row + 1`` of a CSV file with its
    header), id, the column at fault and why."""

    row: int
    id: str
    column: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row} ({self.id}), column {self.column}: {self.message}"


@dataclass
class RegisterReport:
    """Every problem found in a register; ``ok`` when there is none."""

    rows: int
    problems: list[RegisterProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no row is wrong."""
        return not self.problems


def empty_register() -> gpd.GeoDataFrame:
    """A register with the standard columns and no rows."""
    return as_register(pd.DataFrame({column: [] for column in COLUMNS}))


def as_register(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` with the standard columns, dtypes and point geometry from lon/lat."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in COLUMNS:
        values = frame[column].to_numpy() if column in frame else [None] * len(frame)
        if column in INT_COLUMNS:
            out[column] = pd.array(values, dtype="Int64")
        elif column in ("lon", "lat"):
            out[column] = np.asarray(values, dtype=float)
        else:
            out[column] = pd.array(["" if _blank(v) else str(v) for v in values], dtype=object)
    geometry = shapely.points(out["lon"].to_numpy(), out["lat"].to_numpy())
    return gpd.GeoDataFrame(out, geometry=geometry, crs=STORAGE_SRID)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def read_register(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a register from CSV (lon, lat columns), GeoPackage or Shapefile (points).

    Shapefile's ten-character field names (``community_``) are taken for the full ones.
    A missing column or a value that is not a number raises ``DataFileError``.
    """
    path = Path(path)
    try:
        raw = pyogrio.read_dataframe(path, layer=layer)
    except (DataSourceError, DataLayerError) as error:
        raise DataFileError(source=path.name, line=1, column="-", message=str(error)) from None
    raw = raw.rename(columns=_full_names(list(raw.columns)))
    header_line = 1 if path.suffix.lower() == ".csv" else 0
    if isinstance(raw, gpd.GeoDataFrame) and raw.geometry.notna().any():
        points = raw.geometry if raw.crs is None else raw.geometry.to_crs(STORAGE_SRID)
        raw = pd.DataFrame(raw.drop(columns=raw.geometry.name))
        raw["lon"], raw["lat"] = shapely.get_x(points.to_numpy()), shapely.get_y(points.to_numpy())
    for column in ("id", "text", "kind", "lon", "lat", *CODE_COLUMNS):
        if column not in raw.columns:
            raise DataFileError(
                source=path.name, line=header_line, column=column, message="missing column"
            )
    for column in (*INT_COLUMNS, "lon", "lat"):
        if column in raw.columns:
            raw[column] = _numbers(
                raw[column], path.name, column, header_line, column in INT_COLUMNS
            )
    return as_register(raw)


def _full_names(columns: list[str]) -> dict[str, str]:
    """Truncated Shapefile field names → the standard column names they stand for."""
    return {c[:10]: c for c in COLUMNS if len(c) > 10 and c not in columns and c[:10] in columns}


def _numbers(values: pd.Series, source: str, column: str, header: int, whole: bool) -> list[object]:
    """Numbers of a column (blank → None); a value that is not one raises DataFileError."""
    out: list[object] = []
    for i, value in enumerate(values):
        if _blank(value) or str(value).strip() == "":
            out.append(None)
            continue
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or (whole and not number.is_integer()):
            kind = "a whole number" if whole else "a number"
            raise DataFileError(
                source=source,
                line=header + i + 1,
                column=column,
                message=f"{value!r} is not {kind}",
            )
        out.append(int(number) if whole else number)
    return out


def validate_register(
    frame: pd.DataFrame,
    *,
    districts: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    cells: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    order_tolerance_m: float = ORDER_TOLERANCE_M,
) -> RegisterReport:
    """Every wrong row of a register: duplicates, positions outside every district, codes that
    disagree with the position (or with each other), a plate on the wrong side for its parity
    and a number out of its road's order by more than ``order_tolerance_m``.

    The areas are frames with ``code`` and polygon geometry (EPSG:4326). ``roads`` (``name``
    and line geometry) measures a plate's position along its road's line; a road not
    among them is measured along the main axis of its plates (straight enough for most).

    >>> import shapely
    >>> district = gpd.GeoDataFrame({"code": ["110102"]}, crs=4326,
    ...                             geometry=[shapely.box(116.30, 39.86, 116.38, 39.96)])
    >>> plate = dict(kind="plate", road="瑞庆街", number=12, side="even", lat=39.91,
    ...              district_code="110102")
    >>> frame = pd.DataFrame([plate | {"id": "A1", "text": "瑞庆街12号", "lon": 116.35},
    ...                       plate | {"id": "A2", "text": "瑞庆街12号", "lon": 116.50}])
    >>> for problem in validate_register(frame, districts=district).problems:
    ...     print(problem)
    row 2 (A2), column lon: the position is outside every district
    row 2 (A2), column text: text '瑞庆街12号' repeats row 1
    """
    register = as_register(frame)
    layers = {"district_code": districts, "street_code": streets,
              "community_code": communities, "grid_code": cells}  # fmt: skip
    problems = [
        *_basic_problems(register),
        *_duplicates(register),
        *_position_problems(register, layers),
        *_order_problems(register, order_tolerance_m, roads),
    ]
    problems.sort(key=lambda p: (p.row, p.column))
    return RegisterReport(rows=len(register), problems=problems)


def _problem(
    register: pd.DataFrame, i: int, column: str, kind: str, message: str
) -> RegisterProblem:
    return RegisterProblem(i + 1, str(register["id"].iat[i]), column, kind, message)


def _basic_problems(register: pd.DataFrame) -> Iterator[RegisterProblem]:
    """Empty ids or texts, unknown kinds, missing numbers, wrong sides, malformed codes."""
    rows: list[dict[str, Any]] = register[list(COLUMNS)].to_dict("records")  # type: ignore[assignment]
    for i, row in enumerate(rows):
        for message in _row_problems(row):
            yield _problem(register, i, *message)


def _row_problems(row: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(column, kind, message) for each problem of one row taken alone."""
    kind, number = row["kind"], None if pd.isna(row["number"]) else int(row["number"])
    if not row["id"]:
        yield "id", "empty", "empty id"
    if not row["text"]:
        yield "text", "empty", "empty text"
    if kind not in set(EntryKind):
        yield "kind", "kind", f"unknown kind {kind!r}"
    if kind == EntryKind.PLATE and (not row["road"] or number is None):
        yield "number", "plate", "a plate needs a road and a number"
    if kind == EntryKind.PLATE and row["side"] not in ("odd", "even"):
        yield "side", "side", f"side {row['side']!r} is not odd or even"
    elif kind == EntryKind.PLATE and number is not None:
        parity = "odd" if number % 2 else "even"
        if row["side"] != parity:
            yield "side", "side", f"number {number} is {parity} but the side is {row['side']}"
    if not (math.isfinite(row["lon"]) and math.isfinite(row["lat"])):
        yield "lon", "position", "no position (lon/lat)"
    for column in CODE_COLUMNS:
        code = row[column]
        if code and (len(code) != CODE_LENGTHS[column] or not code.isdigit()):
            yield column, "code", f"{code!r} is not {CODE_LENGTHS[column]} digits"
    for child, parent in itertools.pairwise(CODE_COLUMNS):
        if row[child] and row[parent] and not row[child].startswith(row[parent]):
            yield (
                child,
                "code_prefix",
                f"{row[child]} does not start with its {parent} {row[parent]}",
            )


def _duplicates(register: pd.DataFrame) -> Iterator[RegisterProblem]:
    """A repeated id or text (whitespace ignored) names the row it repeats."""
    for column in ("id", "text"):
        keys = register[column].str.replace(r"\s+", "", regex=True)
        first: dict[str, int] = {}
        for i, key in enumerate(keys):
            if not key:
                continue
            if key in first:
                yield _problem(register, i, column, "duplicate",
                               f"{column} {key!r} repeats row {first[key] + 1}")  # fmt: skip
            else:
                first[key] = i


def _position_problems(
    register: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame | None]
) -> Iterator[RegisterProblem]:
    """Positions outside every district; codes that are not the area at the position."""
    points = register.geometry.to_numpy()
    placed = np.isfinite(register["lon"].to_numpy()) & np.isfinite(register["lat"].to_numpy())
    for column, areas in layers.items():
        if areas is None:
            continue
        found = np.array(_covering_codes(points, areas), dtype=object)
        given = register[column].to_numpy(dtype=object)
        if column == "district_code":
            for i in np.flatnonzero(placed & (found == "")):
                yield _problem(register, int(i), "lon", "outside",
                               "the position is outside every district")  # fmt: skip
        for i in np.flatnonzero(placed & (found != "") & (found != given)):
            yield _problem(register, int(i), column, "code_position",
                           f"{given[i] or 'empty'} but the position is in {found[i]}")  # fmt: skip


def _covering_codes(points: np.ndarray, areas: gpd.GeoDataFrame) -> list[str]:
    """The smallest code of the areas covering each point ("" when none)."""
    ordered = areas.sort_values("code")
    codes = ordered["code"].astype(str).to_numpy()
    tree = shapely.STRtree(ordered.geometry.to_numpy())
    hits = tree.query(points, predicate="intersects")
    found = [""] * len(points)
    for point, area in sorted(zip(hits[0], hits[1], strict=True), reverse=True):
        found[point] = str(codes[area])  # the smallest index (code) is written last
    return found


def _order_problems(
    register: pd.DataFrame, tolerance_m: float, roads: gpd.GeoDataFrame | None
) -> Iterator[RegisterProblem]:
    """Plates whose position along their road breaks the order of numbers on their side."""
    plates = register[(register["kind"] == EntryKind.PLATE) & register["number"].notna()]
    plates = plates[np.isfinite(plates["lon"].to_numpy())]
    lines = _road_lines(roads)
    for (road, _), group in plates.groupby(["road", "side"], sort=True):
        if len(group) < 3:
            continue
        x, y = metric_xy(group["lon"].to_numpy(), group["lat"].to_numpy())
        if road in lines:
            along = shapely.line_locate_point(np.array([lines[road]]), shapely.points(x, y))
        else:
            along = _along_axis(np.column_stack([x, y]))
        numbers = group["number"].to_numpy(dtype=float)
        if np.corrcoef(numbers, along)[0, 1] < 0:
            along = -along
        order = np.argsort(numbers, kind="stable")
        ranked = pd.Series(along[order])
        before = ranked.rolling(3, min_periods=1).median().shift(1).to_numpy()
        after = ranked[::-1].rolling(3, min_periods=1).median().shift(1)[::-1].to_numpy()
        at_m = ranked.to_numpy()
        out_of_order = (at_m < before - tolerance_m) | (at_m > after + tolerance_m)
        for k in np.flatnonzero(out_of_order):
            at = order[k]
            i = int(group.index[at])  # the register has a RangeIndex
            yield _problem(register, i, "number", "order",
                           f"number {group['number'].iat[at]} is out of the order of "
                           f"{group['road'].iat[at]}'s {group['side'].iat[at]} side "
                           f"by more than {tolerance_m:g} m")  # fmt: skip


def _road_lines(roads: gpd.GeoDataFrame | None) -> dict[str, BaseGeometry]:
    """Each named road's line (merged when in several rows) in EPSG:4548 metres."""
    if roads is None or roads.empty:
        return {}
    frame = roads if roads.crs is None else roads.to_crs(STORAGE_SRID)
    merged = frame.dissolve(by="name").geometry.line_merge()
    return {str(name): to_metric(geom) for name, geom in merged.items()}


def _along_axis(xy: np.ndarray) -> np.ndarray:
    """Position of each point along the principal axis of the points (metres)."""
    centred = xy - xy.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(centred @ axes[0])
