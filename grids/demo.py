"""Deterministic demo city: 东城, 西城 and 丰台 down to unit grid cells, with roads and zones.

Real: the names and codes of 东城区 110101, 西城区 110102 and 丰台区 110106, of their 58
streets/towns and of their 872 communities/villages (NBS 2023 statistical division codes,
read from ``data/divisions``); and, when ``districts=`` is given, the district outlines.

Synthetic, and flagged ``synthetic=True``: the default district outlines (three hand-drawn
polygons roughly where the real districts lie, sharing their edges vertex for vertex), every
street and community polygon (a seeded, Lloyd-relaxed Voronoi tiling of its parent), the unit
grid cells (``grids.cells.generate_cells``), the roads and their names, the street-and-alley
chiefs (invented people) and the land-use zones in 丰台 (river R1, farmland F1, forest M1).

Whatever the outlines, 广安门外街道 (西城) and 太平桥街道 (丰台) meet across the district line
at ``JOINT_SITE``: the cross-district joint-whistle case. Codes ascend outward from 天安门, so
the towns (镇) of 丰台 take its rural west, where the zones lie.

Deterministic: every random draw comes from ``numpy.random.default_rng`` seeded with
``seed``, a purpose and a division code; rows are sorted; all coordinates sit on a
``GRID_SIZE`` grid and edges are densified to ``DENSIFY_DEG`` before any overlay, so siblings
share their edges vertex for vertex and the same arguments give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.codes import Level
from geo.crs import STORAGE_SRID, area_m2, length_m, to_metric, to_storage
from grids import demo_names
from grids.cells import generate_cells

GRID_SIZE = 1e-9
"""Precision grid in degrees (about 0.1 mm) for every demo geometry and overlay.

Coarser grids (1e-7°, ~1 cm) move a new vertex off a kilometre-long parent edge far enough
to open slivers of several m² between a parent and its children.
"""

DENSIFY_DEG = 0.0005
"""Longest edge (degrees, ~50 m) of outlines and Voronoi edges, so that a straight lon/lat
edge and its EPSG:4548 image stay within a millimetre of each other."""

DEFAULT_SEED = 20190101
CITY_CENTRE = (116.3975, 39.9087)
"""天安门 (lon, lat): child codes ascend with distance from it."""

JOINT_SITE = (116.3200, 39.8900)
"""The building that rides the 西城/丰台 line (lon, lat)."""

JOINT_STREETS: dict[str, float] = {"110102020": 250.0, "110106002": -250.0}
"""广安门外街道 and 太平桥街道: east-west offset (metres) of their seed from ``JOINT_SITE``."""

JOINT_KEEP_AWAY_M = 800.0
JOINT_BOX_M = (60.0, 40.0)
ZONE_DISTRICT = "110106"
ZONE_CODES: dict[str, str] = {"river": "R1", "farmland": "F1", "forest": "M1"}
ZONE_NAMES: dict[str, str] = {"river": "清水河", "farmland": "南岗农田", "forest": "西山林地"}
LAYERS = ("districts", "streets", "communities", "cells", "roads", "zones")

_DIVISIONS_DIR = Path(__file__).resolve().parents[1] / "data" / "divisions"
_LLOYD_STEPS = 3
_RIVER_HALF_WIDTH_M = 75.0
_ZONE_GAP_M = 60.0
_MIN_ZONE_AREA_M2 = 100_000.0
_COLUMNS = ["code", "name", "parent_code", "level", "synthetic", "geometry"]
_ROAD_COLUMNS = ["id", "name", "kind", "street_code", "chief_id", "synthetic", "geometry"]
_CHIEF_COLUMNS = ["id", "name", "title", "street_code", "synthetic"]
_ZONE_COLUMNS = ["code", "kind", "name", "district_code", "synthetic", "geometry"]
_GEOJSON_OPTIONS = {"COORDINATE_PRECISION": 9, "RFC7946": "YES"}
_Outer = Sequence[tuple[float, float]]

# Purposes that separate the random streams drawn for one code.
_SEEDS, _ROAD_PLAN, _ROAD_LINES, _ZONES = 1, 2, 3, 4

# Synthetic outlines (lon, lat). Each shared line is written once and used by both sides.
_XC_FT = (  # 西城/丰台: from the 海淀 tri-point south, through JOINT_SITE, then east
    (116.3190, 39.9050), (116.3197, 39.8955), (116.3203, 39.8845), (116.3186, 39.8768),
    (116.3212, 39.8702), (116.3330, 39.8671), (116.3460, 39.8694), (116.3610, 39.8652),
    (116.3770, 39.8660),
)  # fmt: skip
_XC_DC = (  # 西城/东城: south to north
    (116.3770, 39.8660), (116.3785, 39.8790), (116.3760, 39.8930), (116.3790, 39.9080),
    (116.3770, 39.9250), (116.3795, 39.9420), (116.3780, 39.9580),
)  # fmt: skip
_DC_FT = (  # 东城/丰台: west to east
    (116.3770, 39.8660), (116.3900, 39.8640), (116.4050, 39.8680), (116.4150, 39.8655),
    (116.4260, 39.8670),
)  # fmt: skip
_XC_OUTER = (  # 西城 against 朝阳 and 海淀: north edge west, then south-east
    (116.3780, 39.9580), (116.3420, 39.9570), (116.3100, 39.9560), (116.3110, 39.9300),
    (116.3120, 39.9120), (116.3190, 39.9050),
)  # fmt: skip
_DC_OUTER = (  # 东城 against 朝阳: east edge north, then the north edge west
    (116.4260, 39.8670), (116.4280, 39.8900), (116.4250, 39.9150), (116.4270, 39.9400),
    (116.4240, 39.9590), (116.3780, 39.9580),
)  # fmt: skip
_FT_OUTER = (  # 丰台 against 海淀, 石景山, 门头沟, 房山, 大兴 and 朝阳: west, south, east
    (116.3190, 39.9050), (116.2500, 39.9030), (116.1300, 39.8990), (116.1280, 39.8500),
    (116.1320, 39.7950), (116.3000, 39.7960), (116.4240, 39.7980), (116.4260, 39.8670),
)  # fmt: skip


@dataclass
class DemoCity:
    """All layers of the demo city (EPSG:4326, polygons as MultiPolygon)."""

    districts: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    chiefs: pd.DataFrame
    zones: gpd.GeoDataFrame

    def levels(self) -> dict[Level, gpd.GeoDataFrame]:
        """The four administrative levels, top down."""
        return {
            Level.DISTRICT: self.districts,
            Level.STREET: self.streets,
            Level.COMMUNITY: self.communities,
            Level.GRID: self.cells,
        }


class DemoCityError(ValueError):
    """The demo city cannot be built as promised (e.g. the joint site is not satisfied)."""


class _Divisions(NamedTuple):
    districts: pd.DataFrame  # code, name
    streets: pd.DataFrame  # code, name, parent_code
    communities: pd.DataFrame  # code, name, parent_code


def build_demo_city(
    *,
    districts: gpd.GeoDataFrame | None = None,
    seed: int = DEFAULT_SEED,
    cell_area_m2: float = 10_000.0,
    divisions_dir: Path | None = None,
) -> DemoCity:
    """Build the demo city on synthetic outlines, or on ``districts`` (code, name, geometry)."""
    divisions = _load_divisions(divisions_dir or _DIVISIONS_DIR)
    district_layer = _district_layer(divisions.districts, districts)
    streets = _child_layer(district_layer, divisions.streets, Level.STREET, seed)
    check_joint_site(streets)
    communities = _child_layer(streets, divisions.communities, Level.COMMUNITY, seed)
    cells = generate_cells(communities, cell_area_m2=cell_area_m2)
    roads, chiefs = _roads_and_chiefs(streets, seed)
    zones = _zone_layer(district_layer, seed)
    return DemoCity(district_layer, streets, communities, cells, roads, chiefs, zones)


def write_demo_city(city: DemoCity, directory: Path) -> list[Path]:
    """Write one GeoJSON per layer plus ``chiefs.csv`` into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for layer in LAYERS:
        path = directory / f"{layer}.geojson"
        path.unlink(missing_ok=True)
        frame: gpd.GeoDataFrame = getattr(city, layer)
        frame.to_file(path, driver="GeoJSON", engine="pyogrio", **_GEOJSON_OPTIONS)
        paths.append(path)
    chiefs_path = directory / "chiefs.csv"
    city.chiefs.to_csv(chiefs_path, index=False, lineterminator="\n")
    return [*paths, chiefs_path]


def joint_box() -> Polygon:
    """The 60 m x 40 m footprint (lon/lat) of the building centred on ``JOINT_SITE``."""
    x, y = _joint_centre_m()
    half_w, half_h = JOINT_BOX_M[0] / 2, JOINT_BOX_M[1] / 2
    return cast(Polygon, _lonlat(shapely.box(x - half_w, y - half_h, x + half_w, y + half_h)))


def check_joint_site(streets: gpd.GeoDataFrame) -> None:
    """Raise DemoCityError unless the joint box straddles exactly the joint streets (>10 % each)."""
    box = joint_box()
    hit = streets[streets.intersects(box)]
    shares = area_m2(hit.intersection(box).to_numpy()) / area_m2(box)[()]
    found = dict(zip(hit["code"], shares, strict=True))
    if set(found) != set(JOINT_STREETS) or min(found.values()) <= 0.1:
        raise DemoCityError(f"joint site {JOINT_SITE} lies in {found}, not in both joint streets")


# --- divisions and outlines -------------------------------------------------------------


def _load_divisions(directory: Path) -> _Divisions:
    """Read the NBS names and codes of districts, streets and communities."""

    def read(name: str, parent: str | None) -> pd.DataFrame:
        frame = pd.read_csv(directory / f"{name}.csv", dtype=str)
        frame["parent_code"] = None if parent is None else frame[parent]
        return frame[["code", "name", "parent_code"]].sort_values("code", ignore_index=True)

    streets, communities = read("streets", "areaCode"), read("communities", "streetCode")
    return _Divisions(read("districts", None), streets, communities)


def _district_layer(rows: pd.DataFrame, given: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The district frame on synthetic outlines or on the ``given`` ones."""
    codes = rows["code"].tolist()
    outlines = _synthetic_outlines() if given is None else _given_outlines(given, codes)
    geoms = _densified(outlines)
    frame = rows.assign(level=Level.DISTRICT.value, synthetic=given is None)
    return _frame(frame, [geoms[code] for code in codes])


def _synthetic_outlines(
    dc_outer: _Outer = _DC_OUTER, xc_outer: _Outer = _XC_OUTER, ft_outer: _Outer = _FT_OUTER
) -> dict[str, MultiPolygon]:
    """The three hand-drawn districts, assembled from their shared lines and outer edges."""
    rings = {
        "110101": [*reversed(_XC_DC), *_DC_FT[1:], *dc_outer[1:]],
        "110102": [*_XC_FT, *_XC_DC[1:], *xc_outer[1:]],
        "110106": [*reversed(_DC_FT), *reversed(_XC_FT[:-1]), *ft_outer[1:]],
    }
    return {code: _polygonal(Polygon(ring)) for code, ring in rings.items()}


def _densified(outlines: Mapping[str, MultiPolygon]) -> dict[str, MultiPolygon]:
    """Outlines with edges of at most DENSIFY_DEG; a shared edge gets the same new vertices.

    Short edges keep lon/lat-straight and projected-straight lines within a millimetre of
    each other, so metric work (cells, areas) agrees with the lon/lat geometry.
    """
    lines = shapely.union_all([g.boundary for g in outlines.values()], grid_size=GRID_SIZE)
    dense = shapely.segmentize(lines, DENSIFY_DEG)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(dense)))
    inside = shapely.point_on_surface(faces)
    return {
        code: _polygonal(shapely.union_all(faces[shapely.contains(g, inside)], grid_size=GRID_SIZE))
        for code, g in outlines.items()
    }


def _given_outlines(given: gpd.GeoDataFrame, codes: Sequence[str]) -> dict[str, MultiPolygon]:
    """Repaired, snapped outlines of ``codes`` from a (code, geometry) frame."""
    frame = given if given.crs is None else given.to_crs(STORAGE_SRID)
    by_code = dict(zip(frame["code"].astype(str), frame.geometry, strict=True))
    missing = sorted(set(codes) - set(by_code))
    if missing:
        raise DemoCityError(f"districts= lacks outlines for {missing}")
    return {code: _polygonal(by_code[code]) for code in codes}  # densified by the caller


def _polygonal(geom: BaseGeometry) -> MultiPolygon:
    """Valid polygonal parts of ``geom`` on GRID_SIZE, as one MultiPolygon (RFC 7946 rings)."""
    snapped = shapely.orient_polygons(shapely.set_precision(shapely.make_valid(geom), GRID_SIZE))
    parts = [p for p in shapely.get_parts(snapped) if p.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [q for p in parts for q in shapely.get_parts(p) if not q.is_empty]
    return MultiPolygon(polygons)


def _frame(rows: pd.DataFrame, geoms: Sequence[BaseGeometry]) -> gpd.GeoDataFrame:
    """A layer frame with the standard columns, sorted by code."""
    frame = gpd.GeoDataFrame(rows.reset_index(drop=True), geometry=list(geoms), crs=STORAGE_SRID)
    return frame[_COLUMNS].sort_values("code", ignore_index=True)


def _rng(seed: int, code: str, purpose: int) -> np.random.Generator:
    """A generator derived from the seed, a division code and a purpose (no ``hash()``)."""
    return np.random.default_rng([seed, purpose, int(code)])


# --- tiling -------------------------------------------------------------------------------


def _child_layer(
    parents: gpd.GeoDataFrame, rows: pd.DataFrame, level: Level, seed: int
) -> gpd.GeoDataFrame:
    """Tile every parent with its children (codes and names from ``rows``)."""
    geoms: dict[str, MultiPolygon] = {}
    for parent_code, parent in zip(parents["code"], parents.geometry, strict=True):
        codes = rows.loc[rows["parent_code"] == parent_code, "code"].tolist()
        pinned = _pinned_seeds(parent, codes)
        geoms |= _tile(parent, codes, _rng(seed, parent_code, _SEEDS), pinned)
    frame = rows[rows["code"].isin(geoms)].assign(level=level.value, synthetic=True)
    return _frame(frame, [geoms[code] for code in frame["code"]])


def _pinned_seeds(parent: MultiPolygon, codes: Sequence[str]) -> dict[str, np.ndarray]:
    """Metric seeds of the joint streets among ``codes``; DemoCityError if outside ``parent``."""
    centre = _joint_centre_m()
    parent_m = _metric(parent)
    pinned = {}
    for code in sorted(set(codes) & set(JOINT_STREETS)):
        xy = centre + np.array([JOINT_STREETS[code], 0.0])
        if not shapely.contains_xy(parent_m, *xy):
            raise DemoCityError(f"the joint seed of {code} is outside its district")
        pinned[code] = xy
    return pinned


def _tile(
    parent: MultiPolygon,
    codes: Sequence[str],
    rng: np.random.Generator,
    pinned: Mapping[str, np.ndarray],
) -> dict[str, MultiPolygon]:
    """Cut ``parent`` into one Voronoi piece per code; pinned codes keep their seeds."""
    if len(codes) <= 1:
        return dict.fromkeys(codes, parent)
    parent_m = _metric(parent)
    fixed = np.array(list(pinned.values())).reshape(-1, 2)
    free = _sample(rng, parent_m, len(codes) - len(fixed), fixed)
    points = _relax(np.vstack([fixed, free]), len(fixed), parent_m, fixed)
    free_codes = sorted(set(codes) - set(pinned))
    ordered_codes = [*pinned, *(free_codes[r] for r in _outward_rank(points[len(fixed) :]))]
    faces = _faces(points, parent, parent_m)
    owner = _nearest(shapely.get_coordinates(to_metric(shapely.point_on_surface(faces))), points)
    pieces = _pieces(faces, owner, len(points))
    if shapely.is_empty(pieces).any():
        raise DemoCityError(f"a child of {codes[0][:-3]} got no area")
    return {code: _polygonal(piece) for code, piece in zip(ordered_codes, pieces, strict=True)}


def _pieces(faces: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """One piece per seed index ``0..n-1``: its faces' union, detached fragments given away."""
    pieces = np.array([shapely.union_all(faces[owner == i], grid_size=GRID_SIZE) for i in range(n)])
    return _absorb_fragments(pieces)


def _faces(points: np.ndarray, parent: MultiPolygon, parent_m: BaseGeometry) -> np.ndarray:
    """Faces of ``parent`` cut by the seeds' Voronoi edges, on GRID_SIZE, sharing edges exactly."""
    edges_m = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=_extent(parent_m), only_edges=True
    )
    return _cut_faces(cast(BaseGeometry, edges_m), parent)


def _cut_faces(edges_m: BaseGeometry, parent: MultiPolygon) -> np.ndarray:
    """Faces of ``parent`` cut by metric lines ``edges_m``, on GRID_SIZE, sharing edges exactly."""
    edges = shapely.segmentize(_lonlat(edges_m), DENSIFY_DEG)
    inner = shapely.intersection(edges, parent, grid_size=GRID_SIZE)
    noded = shapely.union(inner, parent.boundary, grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inside = shapely.contains(parent, shapely.point_on_surface(faces))
    return np.asarray(faces[inside])


def _nearest(xy: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Index of the nearest seed for every point (metres)."""
    return np.asarray(np.linalg.norm(xy[:, None, :] - seeds[None, :, :], axis=2).argmin(axis=1))


def _joint_centre_m() -> np.ndarray:
    """``JOINT_SITE`` in EPSG:4548 metres as an (x, y) array."""
    return shapely.get_coordinates(_metric(shapely.Point(JOINT_SITE)))[0]


def _metric(geom: BaseGeometry) -> BaseGeometry:
    """One lon/lat geometry in EPSG:4548 metres."""
    result: BaseGeometry = to_metric(np.array([geom], dtype=object))[0]
    return result


def _lonlat(geom: BaseGeometry) -> BaseGeometry:
    """One EPSG:4548 geometry in lon/lat."""
    result: BaseGeometry = to_storage(np.array([geom], dtype=object))[0]
    return result


def _far_from(xy: np.ndarray, avoid: np.ndarray) -> np.ndarray:
    """Mask of points farther than JOINT_KEEP_AWAY_M from every ``avoid`` point."""
    if len(avoid) == 0:
        return np.ones(len(xy), dtype=bool)
    distance = np.linalg.norm(xy[:, None, :] - avoid[None, :, :], axis=2)
    return np.asarray(distance.min(axis=1) > JOINT_KEEP_AWAY_M)


def _sample(
    rng: np.random.Generator, area_m: BaseGeometry, n: int, avoid: np.ndarray
) -> np.ndarray:
    """``n`` uniform random points inside ``area_m`` and away from ``avoid``."""
    minx, miny, maxx, maxy = area_m.bounds
    shapely.prepare(area_m)
    found = np.empty((0, 2))
    for _ in range(100):
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n + 16, 2))
        ok = shapely.contains_xy(area_m, xy[:, 0], xy[:, 1]) & _far_from(xy, avoid)
        found = np.vstack([found, xy[ok]])
        if len(found) >= n:
            return found[:n]
    raise DemoCityError("could not place seeds inside a parent polygon")


def _extent(area_m: BaseGeometry) -> Polygon:
    """A box 1 km larger than ``area_m`` that Voronoi diagrams are extended to."""
    return shapely.box(*shapely.buffer(shapely.envelope(area_m), 1000.0).bounds)


def _voronoi(points: np.ndarray, area_m: BaseGeometry) -> np.ndarray:
    """Voronoi cells of ``points`` in input order, covering ``area_m``."""
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=_extent(area_m), ordered=True
    )
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise DemoCityError("coincident Voronoi seeds")
    return cells


def _relax(points: np.ndarray, n_fixed: int, area_m: BaseGeometry, avoid: np.ndarray) -> np.ndarray:
    """Lloyd relaxation: move free seeds to their clipped cell's centroid when allowed."""
    points = points.copy()
    for _ in range(_LLOYD_STEPS):
        clipped = shapely.intersection(_voronoi(points, area_m), area_m)
        centroids = shapely.get_coordinates(shapely.centroid(clipped))
        ok = shapely.contains_xy(area_m, centroids[:, 0], centroids[:, 1])
        ok &= _far_from(centroids, avoid)
        ok[:n_fixed] = False
        points[ok] = centroids[ok]
    return points


def _outward_rank(points: np.ndarray) -> np.ndarray:
    """Rank of each metric point by distance from ``CITY_CENTRE`` (0 = nearest)."""
    centre = shapely.get_coordinates(_metric(shapely.Point(CITY_CENTRE)))[0]
    return np.argsort(np.argsort(np.linalg.norm(points - centre, axis=1), kind="stable"))


def _absorb_fragments(pieces: np.ndarray) -> np.ndarray:
    """Give each detached part of a piece (not its largest) to the neighbour it borders most."""
    pieces = pieces.copy()
    for i in range(len(pieces)):
        parts = sorted(shapely.get_parts(pieces[i]), key=lambda p: -p.area)
        for part in parts[1:]:
            target = _best_neighbour(pieces, i, part)
            if target is None:
                continue
            pieces[i] = shapely.difference(pieces[i], part, grid_size=GRID_SIZE)
            pieces[target] = shapely.union(pieces[target], part, grid_size=GRID_SIZE)
    return pieces


def _best_neighbour(pieces: np.ndarray, owner: int, part: BaseGeometry) -> int | None:
    """Index of the piece (other than ``owner``) sharing the longest boundary with ``part``."""
    shared = shapely.length(shapely.intersection(pieces, part.boundary, grid_size=GRID_SIZE))
    shared[owner] = 0.0
    best = int(np.argmax(shared))
    return best if shared[best] > 0 else None


# --- roads and chiefs ---------------------------------------------------------------------


def _roads_and_chiefs(
    streets: gpd.GeoDataFrame, seed: int
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Named streets and alleys per street, each assigned to a synthetic chief."""
    road_names: set[str] = set()
    chief_names: set[str] = set()
    roads: list[dict[str, object]] = []
    chiefs: list[dict[str, object]] = []
    for code, street in zip(streets["code"], streets.geometry, strict=True):
        plan = _rng(seed, code, _ROAD_PLAN)
        street_roads = _street_roads(code, street, plan, _rng(seed, code, _ROAD_LINES), road_names)
        chiefs += _assign_chiefs(code, street_roads, plan, chief_names)
        roads += street_roads
    road_frame = gpd.GeoDataFrame(roads, geometry="geometry", crs=STORAGE_SRID)[_ROAD_COLUMNS]
    chief_frame = pd.DataFrame(chiefs, columns=_CHIEF_COLUMNS)
    return road_frame.sort_values("id", ignore_index=True), chief_frame


def _street_roads(
    code: str,
    street: MultiPolygon,
    plan: np.random.Generator,
    lines: np.random.Generator,
    taken: set[str],
) -> list[dict[str, object]]:
    """Two or three named streets and two to four alleys clipped to one street polygon."""
    kinds = ["street"] * int(plan.integers(2, 4)) + ["alley"] * int(plan.integers(2, 5))
    names = [demo_names.road_name(plan, kind, taken) for kind in kinds]
    geoms = [_road_line(lines, street, kind) for kind in kinds]
    if code in JOINT_STREETS and JOINT_STREETS[code] > 0:
        first_alley = kinds.index("alley")
        names[first_alley] = demo_names.JOINT_ALLEY_NAME
        geoms[first_alley] = _joint_alley(street)
    return [
        {"id": f"R{code}-{i:02d}", "name": name, "kind": kind, "street_code": code,
         "chief_id": None, "synthetic": True, "geometry": geom}
        for i, (name, kind, geom) in enumerate(zip(names, kinds, geoms, strict=True), start=1)
    ]  # fmt: skip


def _road_line(rng: np.random.Generator, street: MultiPolygon, kind: str) -> BaseGeometry:
    """A kinked north-south or east-west line through a random point, clipped to ``street``."""
    street_m = _metric(street)
    minx, miny, maxx, maxy = street_m.bounds
    min_length, kink = (200.0, 40.0) if kind == "street" else (120.0, 8.0)
    for _ in range(50):
        anchor = _sample(rng, street_m, 1, np.empty((0, 2)))[0]
        east_west = rng.random() < (0.5 if kind == "street" else 0.8)
        span = (maxx - minx if east_west else maxy - miny) if kind == "street" else 0.0
        half = max(span, float(rng.uniform(150.0, 450.0))) / 2
        along = np.linspace(-half, half, 4)
        across = np.r_[0.0, rng.uniform(-kink, kink, 2), 0.0]
        xy = np.column_stack([along, across] if east_west else [across, along]) + anchor
        line = _clip_line(LineString(xy), street, anchor)
        if line is not None and length_m(line)[()] >= min_length:
            return line
    raise DemoCityError("could not draw a road inside a street")


def _joint_alley(street: MultiPolygon) -> BaseGeometry:
    """An east-west alley from the district line eastward, just north of ``JOINT_SITE``."""
    start = _joint_centre_m() + np.array([-150.0, 25.0])
    end, anchor = start + np.array([500.0, 0.0]), start + np.array([175.0, 0.0])
    line = _clip_line(LineString([start, end]), street, anchor)
    if line is None:
        raise DemoCityError("the joint-site alley misses 广安门外街道")
    return line


def _clip_line(line_m: LineString, street: MultiPolygon, anchor: np.ndarray) -> BaseGeometry | None:
    """The part of a metric line inside lon/lat ``street`` nearest ``anchor`` (lon/lat)."""
    clipped = shapely.intersection(_lonlat(line_m), street, grid_size=GRID_SIZE)
    lines = [p for p in shapely.get_parts(clipped) if p.geom_type == "LineString"]
    if not lines:
        return None
    parts = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
    target = _lonlat(shapely.Point(anchor))
    best: LineString = min(parts, key=lambda p: p.distance(target))
    return best if best.length > 0 else None


def _assign_chiefs(
    code: str, roads: list[dict[str, object]], rng: np.random.Generator, taken: set[str]
) -> list[dict[str, object]]:
    """Split a street's roads into groups of one to three, one chief per group."""
    chiefs: list[dict[str, object]] = []
    start = 0
    while start < len(roads):
        size = min(int(rng.integers(1, 4)), len(roads) - start)
        chief_id = f"C{code}-{len(chiefs) + 1:02d}"
        for road in roads[start : start + size]:
            road["chief_id"] = chief_id
        name = demo_names.person_name(rng, taken)
        chiefs.append({"id": chief_id, "name": name, "title": demo_names.chief_title(rng),
                       "street_code": code, "synthetic": True})  # fmt: skip
        start += size
    return chiefs


# --- land-use zones -----------------------------------------------------------------------


def _zone_layer(districts: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """River R1, farmland F1 and forest M1 in the rural west of 丰台, disjoint and inside it."""
    district = districts.geometry[districts["code"] == ZONE_DISTRICT].iloc[0]
    shapes = _zone_shapes(_metric(district), _rng(seed, ZONE_DISTRICT, _ZONES))
    rows = [_zone_row(kind, shape_m, district) for kind, shape_m in shapes.items()]
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_SRID)[_ZONE_COLUMNS]
    return frame.sort_values("code", ignore_index=True)


def _zone_row(kind: str, shape_m: BaseGeometry, district: MultiPolygon) -> dict[str, object]:
    """One zone record: the largest part of ``shape_m`` inside ``district``."""
    shape = shapely.segmentize(_lonlat(shape_m), DENSIFY_DEG)
    geom = _largest_part(shapely.intersection(shape, district, grid_size=GRID_SIZE))
    if area_m2(geom)[()] < _MIN_ZONE_AREA_M2:
        raise DemoCityError(f"zone {ZONE_CODES[kind]} does not fit inside 丰台")
    code, name = ZONE_CODES[kind], ZONE_NAMES[kind]
    return {"code": code, "kind": kind, "name": name, "district_code": ZONE_DISTRICT,
            "synthetic": True, "geometry": geom}  # fmt: skip


def _zone_shapes(district_m: BaseGeometry, rng: np.random.Generator) -> dict[str, BaseGeometry]:
    """Metric river, forest (north-west) and farmland (south, east of the river)."""
    minx, miny, maxx, maxy = district_m.bounds
    river_x, middle_y = minx + 0.22 * (maxx - minx), (miny + maxy) / 2
    river = _meander(rng, river_x, miny - 1000.0, maxy + 1000.0)
    gap = river.buffer(_RIVER_HALF_WIDTH_M + _ZONE_GAP_M)
    farm_east = river_x + 0.25 * (maxx - minx)
    return {
        "river": river.buffer(_RIVER_HALF_WIDTH_M),
        "farmland": shapely.box(river_x, miny, farm_east, middle_y).difference(gap),
        "forest": shapely.box(minx, middle_y, river_x, maxy).difference(gap),
    }


def _meander(rng: np.random.Generator, x: float, y0: float, y1: float) -> LineString:
    """A north-south sine meander around ``x`` (amplitude 300-600 m, wavelength 2.5-4 km)."""
    amplitude, wavelength = rng.uniform(300.0, 600.0), rng.uniform(2500.0, 4000.0)
    phase = rng.uniform(0.0, 2 * np.pi)
    y = np.linspace(y0, y1, 200)
    offset = amplitude * np.sin(2 * np.pi * y / wavelength + phase)
    return LineString(np.column_stack([x + offset, y]))


def _largest_part(geom: BaseGeometry) -> MultiPolygon:
    """The largest polygon of ``geom`` as a MultiPolygon (empty if none)."""
    polygons = list(_polygonal(geom).geoms)
    return MultiPolygon([max(polygons, key=lambda p: p.area)] if polygons else [])


__all__ = [
    "CITY_CENTRE",
    "DEFAULT_SEED",
    "JOINT_SITE",
    "JOINT_STREETS",
    "ZONE_CODES",
    "DemoCity",
    "DemoCityError",
    "build_demo_city",
    "check_joint_site",
    "joint_box",
    "write_demo_city",
]
