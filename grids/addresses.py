"""The standard address register (标准地址库) and the demo city's deterministic register.

``demo_register`` places, for the demo city:

* door plates along every named road: odd numbers on the left of the direction of
  numbering, even on the right, increasing away from the end nearer 天安门, one every
  20-40 m per side, some numbers skipped, some 甲/乙 plates beside their number;
* some plates are 号院 (kind compound) with their 号楼 (kind building) behind them;
* named residential compounds (小区, 家园, 北里 …) with their buildings, and places (schools,
  markets, hospitals, parks, offices) in every community, and a 街道办事处 in every street;
* village forms (X村X组X号) in the communities that are villages.

Every entry gets the grid, community, street and district codes of the cell it lies in;
entries outside every cell are left out. The register's shape, reader and checks live in
``grids.address_checks`` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import metric_xy, storage_xy, to_metric
from grids import address_names
from grids.address_checks import (
    COLUMNS,
    ORDER_TOLERANCE_M,
    DataFileError,
    EntryKind,
    RegisterProblem,
    RegisterReport,
    as_register,
    empty_register,
    read_register,
    validate_register,
)
from grids.demo import CITY_CENTRE, DEFAULT_SEED, DemoCity

PLATE_STEP_M = (20.0, 40.0)
PLATE_OFFSET_M = 12.0
SKIP_SHARE = 0.08
"""Share of numbers left out (a demolished or merged plate), so that gaps exist."""
SUFFIX_SHARE = 0.06
YUAN_SHARE = 0.07
_PURPOSE_PLATES, _PURPOSE_COMPOUNDS, _PURPOSE_PLACES, _PURPOSE_VILLAGES = 11, 12, 13, 14

Row = dict[str, Any]


def demo_register(city: DemoCity, *, seed: int = DEFAULT_SEED) -> gpd.GeoDataFrame:
    """The demo city's register (EPSG:4326), the same for the same city and seed."""
    rows: list[Row] = []
    for road in city.roads.sort_values("id").itertuples(index=False):
        rows += _road_plates(road.name, road.geometry, _rng(seed, road.id, _PURPOSE_PLATES))
    taken: set[str] = set()
    for community in city.communities.sort_values("code").itertuples(index=False):
        code, name, geom = str(community.code), str(community.name), community.geometry
        village = name.endswith("村")
        if village:
            rows += _village(name, geom, _rng(seed, code, _PURPOSE_VILLAGES))
        else:
            rows += _compounds(geom, _rng(seed, code, _PURPOSE_COMPOUNDS), taken)
        stem = address_names.community_stem(name)
        rows += _places(stem, geom, _rng(seed, code, _PURPOSE_PLACES), taken, 1 if village else 2)
    for street in city.streets.sort_values("code").itertuples(index=False):
        office = f"{street.name}办事处"
        rows += _points(shapely.point_on_surface(to_metric(street.geometry)), [
            {"text": office, "kind": EntryKind.POI, "name": office}])  # fmt: skip
    return _locate(rows, city)


def area_names(city: DemoCity) -> dict[str, str]:
    """Code → name of every district, street and community of the city (for the geocoder)."""
    frames = (city.districts, city.streets, city.communities)
    return {str(c): str(n) for f in frames for c, n in zip(f["code"], f["name"], strict=True)}


def _rng(seed: int, key: str, purpose: int) -> np.random.Generator:
    """A generator from the seed, a purpose and the digits of a road id or code."""
    return np.random.default_rng([seed, purpose, int("".join(ch for ch in key if ch.isdigit()))])


def _points(xy: Any, rows: list[Row]) -> list[Row]:
    """``rows`` at metric points (one geometry, one (x, y) or an (n, 2) array)."""
    coords = shapely.get_coordinates(xy) if isinstance(xy, BaseGeometry) else np.asarray(xy)
    coords = np.atleast_2d(coords)
    coords = np.broadcast_to(coords, (len(rows), 2)) if len(coords) == 1 else coords
    return [row | {"x": float(x), "y": float(y)} for row, (x, y) in zip(rows, coords, strict=True)]


# --- plates -------------------------------------------------------------------------------


def _road_plates(name: str, geom: BaseGeometry, rng: np.random.Generator) -> list[Row]:
    """Plates on both sides of one road, numbered away from the city centre."""
    line = to_metric(geom)
    centre = shapely.Point(metric_xy(*CITY_CENTRE))
    start, end = shapely.get_coordinates(line)[[0, -1]]
    if shapely.Point(end).distance(centre) < shapely.Point(start).distance(centre):
        line = shapely.reverse(line)
    rows: list[Row] = []
    for side, first, normal_sign in (("odd", 1, 1.0), ("even", 2, -1.0)):
        rows += _side_plates(name, line, side, first, normal_sign, rng)
    return rows


def _side_plates(
    name: str, line: BaseGeometry, side: str, first: int, sign: float, rng: np.random.Generator
) -> list[Row]:
    """One side's plates (and its 号院 with their buildings) along a metric line."""
    length = float(line.length)
    at, number = float(rng.uniform(5.0, 15.0)), first
    rows: list[Row] = []
    while at < length - 5.0:
        if rng.random() < SKIP_SHARE:
            number += 2
        xy, normal = _station(line, at, sign)
        plate = {"kind": EntryKind.PLATE, "road": name, "number": number, "side": side}
        if rng.random() < YUAN_SHARE:
            rows += _yuan(plate, xy + normal * PLATE_OFFSET_M, normal, rng)
        else:
            rows += _points(xy + normal * PLATE_OFFSET_M, [plate | {"text": f"{name}{number}号"}])
        if rng.random() < SUFFIX_SHARE:
            for k, suffix in enumerate("甲乙"[: int(rng.integers(1, 3))], start=1):
                beside, _ = _station(line, min(at + 6.0 * k, length), sign)
                text = f"{name}{suffix}{number}号"
                rows += _points(beside + normal * PLATE_OFFSET_M,
                                [plate | {"suffix": suffix, "text": text}])  # fmt: skip
        at += float(rng.uniform(*PLATE_STEP_M))
        number += 2
    return rows


def _station(line: BaseGeometry, at: float, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """The point ``at`` metres along ``line`` and the unit normal to its ``sign`` side."""
    stations = np.array([at, at + 1.0, max(at - 1.0, 0.0)])
    here, ahead, behind = shapely.get_coordinates(
        shapely.line_interpolate_point(np.array([line]), stations)
    )
    dx, dy = ahead - behind
    norm = float(np.hypot(dx, dy)) or 1.0
    return here, sign * np.array([-dy, dx]) / norm


def _yuan(plate: Row, xy: np.ndarray, normal: np.ndarray, rng: np.random.Generator) -> list[Row]:
    """A 号院 at a plate and its 2-5 buildings 30-90 m behind it."""
    base = f"{plate['road']}{plate['number']}号院"
    rows = _points(xy, [plate | {"kind": EntryKind.COMPOUND, "text": base}])
    count = int(rng.integers(2, 6))
    along = np.array([normal[1], -normal[0]])
    spots = [xy + normal * (30.0 + 30.0 * (b // 2)) + along * (20.0 * (b % 2) - 10.0)
             for b in range(count)]  # fmt: skip
    buildings = [plate | {"kind": EntryKind.BUILDING, "building": b + 1,
                          "text": f"{base}{b + 1}号楼"} for b in range(count)]  # fmt: skip
    return rows + _points(np.array(spots), buildings)


# --- compounds, places and villages ------------------------------------------------------


def _inside(geom_m: BaseGeometry, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random metric points inside ``geom_m`` (its representative point as a fallback)."""
    minx, miny, maxx, maxy = geom_m.bounds
    shapely.prepare(geom_m)
    found: list[np.ndarray] = []
    for _ in range(50):
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n + 8, 2))
        found += list(xy[shapely.contains_xy(geom_m, xy[:, 0], xy[:, 1])])
        if len(found) >= n:
            return np.array(found[:n])
    return np.repeat(shapely.get_coordinates(shapely.point_on_surface(geom_m)), n, axis=0)


def _compounds(geom: BaseGeometry, rng: np.random.Generator, taken: set[str]) -> list[Row]:
    """One to three named compounds with 3-8 buildings each, inside the community."""
    geom_m = to_metric(geom)
    rows: list[Row] = []
    for centre in _inside(geom_m, rng, int(rng.integers(1, 4))):
        name = address_names.compound_name(rng, taken)
        rows += _points(centre, [{"kind": EntryKind.COMPOUND, "name": name, "text": name}])
        count = int(rng.integers(3, 9))
        spots = centre + np.array([[25.0 * (b % 3) - 25.0, 25.0 * (b // 3) - 25.0]
                                   for b in range(count)])  # fmt: skip
        keep = shapely.contains_xy(geom_m, spots[:, 0], spots[:, 1])
        buildings = [{"kind": EntryKind.BUILDING, "name": name, "building": b + 1,
                      "text": f"{name}{b + 1}号楼"} for b in range(count) if keep[b]]  # fmt: skip
        rows += _points(spots[keep], buildings) if buildings else []
    return rows


def _places(
    stem: str, geom: BaseGeometry, rng: np.random.Generator, taken: set[str], least: int
) -> list[Row]:
    """``least`` to four places (school, market, hospital, park, office) in the community."""
    spots = _inside(to_metric(geom), rng, int(rng.integers(least, 5)))
    rows = []
    for _ in spots:
        name, _category = address_names.place_name(rng, stem, taken)
        rows.append({"kind": EntryKind.POI, "name": name, "text": name})
    return _points(spots, rows)


def _village(name: str, geom: BaseGeometry, rng: np.random.Generator) -> list[Row]:
    """Two to four 组 of 6-20 numbered houses, each group around its own centre."""
    geom_m = to_metric(geom)
    rows: list[Row] = []
    for group, centre in enumerate(_inside(geom_m, rng, int(rng.integers(2, 5))), start=1):
        count = int(rng.integers(6, 21))
        spots = centre + np.array([[18.0 * (h % 5) - 36.0, 18.0 * (h // 5) - 27.0]
                                   for h in range(count)])  # fmt: skip
        houses = [{"kind": EntryKind.VILLAGE, "name": name, "group": group, "number": h + 1,
                   "text": f"{name}{group}组{h + 1}号"} for h in range(count)]  # fmt: skip
        rows += _points(spots, houses)
    return rows


# --- codes --------------------------------------------------------------------------------


def _locate(rows: list[Row], city: DemoCity) -> gpd.GeoDataFrame:
    """Rows with ids and the codes of their cell; rows outside every cell are left out."""
    frame = pd.DataFrame(rows)
    frame["lon"], frame["lat"] = storage_xy(frame["x"].to_numpy(), frame["y"].to_numpy())
    points = shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    cells = city.cells.sort_values("code")
    hits = shapely.STRtree(cells.geometry.to_numpy()).query(points, predicate="intersects")
    first = pd.Series(hits[1], index=hits[0]).groupby(level=0).min()
    codes = pd.Series(cells["code"].astype(str).to_numpy()[first.to_numpy()], index=first.index)
    frame = frame.loc[codes.index].assign(grid_code=codes.to_numpy())
    for column, length in (("community_code", 12), ("street_code", 9), ("district_code", 6)):
        frame[column] = frame["grid_code"].str[:length]
    frame = frame.drop_duplicates("text", keep="first").reset_index(drop=True)
    frame["id"] = [f"A{i:06d}" for i in range(1, len(frame) + 1)]
    return as_register(frame)[[*COLUMNS, "geometry"]]


__all__ = [
    "COLUMNS",
    "ORDER_TOLERANCE_M",
    "DataFileError",
    "EntryKind",
    "RegisterProblem",
    "RegisterReport",
    "area_names",
    "demo_register",
    "empty_register",
    "read_register",
    "validate_register",
]
