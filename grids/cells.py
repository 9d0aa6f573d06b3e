"""Unit grid cells (万米单元网格, DB11/T 2157): cut communities into numbered cells.

Rules, all computed in metres (EPSG:4548) and returned in EPSG:4326:

1. **Lattice.** Each community is cut by a square lattice of side ``sqrt(cell_area_m2)``
   anchored at multiples of the side in EPSG:4548, so neighbouring communities with the same
   side share lattice lines. The side is rounded to a multiple of ``GRID_SIZE_M`` (2**-20 m,
   about a micrometre) and every overlay runs on that precision grid, so cells that share an
   edge share it exactly.
2. **Fragments.** A connected piece smaller than ``min_fraction * cell area`` (a border bit)
   is merged into the neighbouring cell *of the same community* with which it shares the
   longest boundary (ties: the neighbour first in lattice order). All fragments merge at once
   in a round (chains of fragments join together); rounds repeat until no piece below the
   threshold has a neighbour. A fragment that touches no other cell of its community along a
   line (a tiny exclave, or a bit touching only at a corner) stays a cell of its own.
3. **Exact tiling.** The cells of a community are disjoint and their union is the community,
   up to snapping to ``GRID_SIZE_M`` and the EPSG:4548 round trip (see ``tiling_problems``).
   Every output geometry is a valid MultiPolygon.
4. **At most 999 cells** (``MAX_GRID_SEQUENCE``). A community's cell area is first raised to
   ``area / 990`` when that is larger than the requested area; if merging still leaves more
   than 999 cells the cell area is multiplied by ``1.05 * count / 990`` and the community is
   cut again (deterministically). Such a community no longer shares lattice lines with its
   neighbours. A community with more than 999 separate exclaves cannot be numbered and
   raises ``ValueError``.
5. **Numbering.** Sequence 001.. inside each community, like reading a page: rows north to
   south, west to east within a row. The row is the lattice row (counted from the north) of
   the cell's ``shapely.point_on_surface``; within a row cells are ordered by that point's x.
   The code is the community code plus the 3-digit sequence (``grid_code``).
6. **Deterministic.** The same input gives the same codes and the same coordinates.

Input without a CRS is taken as EPSG:4326; any other CRS is converted first. Communities
are (Multi)Polygons with 12-digit codes; invalid ones are repaired with ``make_valid``
(polygonal parts kept) before cutting.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.codes import MAX_GRID_SEQUENCE, Level, code_problems, grid_code
from geo.crs import STORAGE_SRID, to_metric, to_storage

GRID_SIZE_M = 2.0**-20
"""Precision grid (metres) for all overlays; a power of two so lattice lines are exact."""

TARGET_MAX_CELLS = 990
"""Cells aimed at when a community would otherwise need more than ``MAX_GRID_SEQUENCE``."""

CELL_COLUMNS = ["code", "name", "parent_code", "level", "synthetic", "geometry"]

_MAX_ATTEMPTS = 30
_POLYGON = 3
_MULTIPOLYGON = 6
_COLLECTION_TYPES = (4, 5, 6, 7)
_IntArray = np.ndarray
_GeomArray = np.ndarray


def generate_cells(
    communities: gpd.GeoDataFrame,
    *,
    cell_area_m2: float = 10_000.0,
    min_fraction: float = 0.3,
) -> gpd.GeoDataFrame:
    """Cut each community into numbered unit grid cells that tile it exactly."""
    if not (np.isfinite(cell_area_m2) and cell_area_m2 > 0):
        raise ValueError(f"cell_area_m2 must be a positive number, got {cell_area_m2!r}")
    if not 0 <= min_fraction <= 1:
        raise ValueError(f"min_fraction must be within 0..1, got {min_fraction!r}")
    if len(communities) == 0:
        return _empty_cells()
    ordered = _checked_communities(communities)
    metric = _polygonal(to_metric(np.asarray(ordered.geometry.values, dtype=object)))
    codes = ordered["code"].to_numpy()
    cells, owner, side = _cells_with_limit(metric, codes, cell_area_m2, min_fraction)
    return _cells_frame(ordered, cells, owner, side)


def tiling_problems(
    community: BaseGeometry,
    cells: Sequence[BaseGeometry],
    *,
    rel_tol: float = 1e-6,
    overlap_tol_m2: float = 0.01,
) -> list[str]:
    """Explain how lon/lat ``cells`` fail to tile ``community`` (empty when they do)."""
    if len(cells) == 0:
        return ["no cells"]
    problems = [
        f"cell {i} is not a valid geometry"
        for i, ok in enumerate(shapely.is_valid(cells))
        if not ok
    ]
    if problems:
        return problems
    area_m = shapely.make_valid(to_metric(community))
    cells_m = to_metric(np.asarray(list(cells), dtype=object))
    target, union = float(shapely.area(area_m)), shapely.union_all(cells_m)
    tol = rel_tol * target + 1e-6
    gap = float(shapely.area(shapely.difference(area_m, union)))
    outside = shapely.area(shapely.difference(cells_m, area_m))
    overlap = float(shapely.area(cells_m).sum() - shapely.area(union))
    if gap > tol:
        problems.append(f"cells leave a gap of {gap:.6g} m² (tolerance {tol:.3g})")
    problems += [
        f"cell {i} sticks {a:.6g} m² out of the community"
        for i, a in enumerate(outside)
        if a > overlap_tol_m2
    ]
    if overlap > overlap_tol_m2:
        problems.append(f"cells overlap by {overlap:.6g} m² (tolerance {overlap_tol_m2})")
    return problems


def _empty_cells() -> gpd.GeoDataFrame:
    """An empty cell frame with the output columns and CRS."""
    columns: dict[str, pd.Series] = {
        "code": pd.Series([], dtype=object),
        "name": pd.Series([], dtype=object),
        "parent_code": pd.Series([], dtype=object),
        "level": pd.Series([], dtype=object),
        "synthetic": pd.Series([], dtype=bool),
    }
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=STORAGE_SRID))


def _checked_communities(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communities in EPSG:4326 sorted by code; ValueError on bad codes or geometries."""
    frame = communities if communities.crs is None else communities.to_crs(STORAGE_SRID)
    codes = frame["code"].astype(str)
    problems = [p for code in codes for p in code_problems(code, Level.COMMUNITY)]
    if codes.duplicated().any():
        problems.append(f"duplicate community codes: {sorted(set(codes[codes.duplicated()]))}")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    polygonal = np.isin(shapely.get_type_id(geoms), (_POLYGON, _MULTIPOLYGON))
    if not (polygonal & (shapely.area(geoms) > 0)).all():
        problems.append("every community needs a (Multi)Polygon with a positive area")
    if problems:
        raise ValueError("; ".join(problems))
    frame = frame.assign(code=codes)
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def _polygonal(geoms: _GeomArray) -> _GeomArray:
    """Make invalid geometries valid, keeping only their polygonal parts."""
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = _multipolygons(shapely.make_valid(geoms[bad]))
    return geoms


def _multipolygons(geoms: _GeomArray) -> _GeomArray:
    """The polygonal parts of each geometry as one MultiPolygon (empty when there are none)."""
    parts, index = _polygon_parts(geoms)
    out = np.full(len(geoms), shapely.MultiPolygon(), dtype=object)
    return np.asarray(shapely.multipolygons(parts, indices=index, out=out), dtype=object)


def _polygon_parts(geoms: _GeomArray) -> tuple[_GeomArray, _IntArray]:
    """Non-empty polygons inside ``geoms`` with the index of the geometry each came from."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while np.isin(shapely.get_type_id(parts), _COLLECTION_TYPES).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        index = index[sub]
    keep = (shapely.get_type_id(parts) == _POLYGON) & (shapely.area(parts) > 0)
    return parts[keep], index[keep]


def _snapped_side(cell_area: np.ndarray) -> np.ndarray:
    """Lattice side for each cell area, rounded to the precision grid."""
    side = np.round(np.sqrt(cell_area) / GRID_SIZE_M) * GRID_SIZE_M
    return np.maximum(side, GRID_SIZE_M)


def _cells_with_limit(
    metric: _GeomArray, codes: np.ndarray, cell_area_m2: float, min_fraction: float
) -> tuple[_GeomArray, _IntArray, np.ndarray]:
    """Metric cells, their community index and each community's lattice side (rule 4)."""
    cell_area = np.maximum(cell_area_m2, shapely.area(metric) / TARGET_MAX_CELLS)
    todo = np.arange(len(metric))
    done_cells: list[_GeomArray] = []
    done_owner: list[_IntArray] = []
    for _ in range(_MAX_ATTEMPTS):
        cells, owner = _tile(metric[todo], _snapped_side(cell_area[todo]), min_fraction)
        counts = np.bincount(owner, minlength=len(todo))
        fits = (counts <= MAX_GRID_SEQUENCE)[owner]
        done_cells.append(cells[fits])
        done_owner.append(todo[owner[fits]])
        over = counts > MAX_GRID_SEQUENCE
        if not over.any():
            side = _snapped_side(cell_area)
            return np.concatenate(done_cells), np.concatenate(done_owner), side
        cell_area[todo[over]] *= 1.05 * counts[over] / TARGET_MAX_CELLS
        todo = todo[over]
    raise ValueError(f"communities {codes[todo].tolist()} need more than {MAX_GRID_SEQUENCE} cells")


def _tile(
    metric: _GeomArray, side: np.ndarray, min_fraction: float
) -> tuple[_GeomArray, _IntArray]:
    """Cut communities by their lattices and merge border fragments (one attempt)."""
    boxes, box_owner = _lattice(metric, side)
    pieces, piece_owner = _clip(metric, boxes, box_owner)
    threshold = (min_fraction * side**2)[piece_owner]
    groups = _fragment_groups(pieces, piece_owner, threshold)
    return _union_groups(pieces, groups), piece_owner[np.unique(groups)]


def _lattice(metric: _GeomArray, side: np.ndarray) -> tuple[_GeomArray, _IntArray]:
    """Lattice squares covering each polygon part's bounds, deduplicated per community."""
    parts, part_owner = shapely.get_parts(metric, return_index=True)
    s = side[part_owner]
    bounds = shapely.bounds(parts)
    ix0, iy0 = np.floor(bounds[:, 0] / s), np.floor(bounds[:, 1] / s)
    nx = np.maximum(np.ceil(bounds[:, 2] / s) - ix0, 1).astype(np.int64)
    ny = np.maximum(np.ceil(bounds[:, 3] / s) - iy0, 1).astype(np.int64)
    count = nx * ny
    rep = np.repeat(np.arange(len(parts)), count)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    ix = ix0[rep].astype(np.int64) + local % nx[rep]
    iy = iy0[rep].astype(np.int64) + local // nx[rep]
    keys = np.unique(np.column_stack([part_owner[rep], iy, ix]), axis=0)
    owner, iy, ix = keys[:, 0], keys[:, 1], keys[:, 2]
    s = side[owner]
    return shapely.box(ix * s, iy * s, (ix + 1) * s, (iy + 1) * s), owner


def _clip(metric: _GeomArray, boxes: _GeomArray, owner: _IntArray) -> tuple[_GeomArray, _IntArray]:
    """Connected pieces of each community inside each of its lattice squares."""
    shapely.prepare(metric)
    geoms = metric[owner]
    hit = shapely.intersects(geoms, boxes)
    geoms, boxes, owner = geoms[hit], boxes[hit], owner[hit]
    inside = shapely.contains_properly(geoms, boxes)
    clipped = boxes.copy()
    clipped[~inside] = shapely.intersection(geoms[~inside], boxes[~inside], grid_size=GRID_SIZE_M)
    parts, index = _polygon_parts(clipped)
    return parts, owner[index]


def _shared_edges(
    pieces: _GeomArray, owner: _IntArray, small: _IntArray
) -> tuple[_IntArray, _IntArray, np.ndarray]:
    """Pairs (a < b) of same-community pieces, one of them small, with shared length > 0."""
    src, dst = shapely.STRtree(pieces).query(pieces[small], predicate="intersects")
    src = small[src]
    keep = (src != dst) & (owner[src] == owner[dst])
    a, b = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    pairs = np.unique(np.column_stack([a, b]), axis=0)
    a, b = pairs[:, 0], pairs[:, 1]
    bounds = shapely.bounds(pieces)
    low, high = np.maximum(bounds[a, :2], bounds[b, :2]), np.minimum(bounds[a, 2:], bounds[b, 2:])
    a, b = (x[(high - low).max(axis=1) > 0] for x in (a, b))  # drop corner-only contacts
    lines = shapely.intersection(shapely.boundary(pieces[a]), shapely.boundary(pieces[b]))
    length = shapely.length(lines)
    shared = length > 0
    return a[shared], b[shared], length[shared]


def _fragment_groups(pieces: _GeomArray, owner: _IntArray, threshold: np.ndarray) -> _IntArray:
    """Group label (a member piece index) per piece after merging fragments until stable."""
    area = shapely.area(pieces)
    labels = np.arange(len(pieces))
    small = np.flatnonzero(area < threshold)
    if small.size == 0:
        return labels
    a, b, length = _shared_edges(pieces, owner, small)
    while True:
        src, dst = _best_neighbours(labels, area, threshold, a, b, length)
        if src.size == 0:
            return labels
        labels = _follow(len(pieces), src, dst)[labels]


def _best_neighbours(
    labels: _IntArray,
    area: np.ndarray,
    threshold: np.ndarray,
    a: _IntArray,
    b: _IntArray,
    length: np.ndarray,
) -> tuple[_IntArray, _IntArray]:
    """For each small group, the neighbouring group sharing the longest boundary with it."""
    group_area = np.bincount(labels, weights=area, minlength=len(labels))
    ga, gb = labels[a], labels[b]
    between = ga != gb
    lo, hi = np.minimum(ga, gb)[between], np.maximum(ga, gb)[between]
    pairs, inverse = np.unique(np.column_stack([lo, hi]), axis=0, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=length[between], minlength=len(pairs))
    lo, hi = pairs[:, 0], pairs[:, 1]
    src, dst = np.concatenate([lo, hi]), np.concatenate([hi, lo])
    weight, key_lo, key_hi = np.tile(total, 2), np.tile(lo, 2), np.tile(hi, 2)
    wants = group_area[src] < threshold[src]
    src, dst, weight, key_lo, key_hi = (x[wants] for x in (src, dst, weight, key_lo, key_hi))
    order = np.lexsort((key_hi, key_lo, -weight, src))
    src, dst = src[order], dst[order]
    first = np.r_[True, src[1:] != src[:-1]] if src.size else np.zeros(0, dtype=bool)
    return src[first], dst[first]


def _follow(n: int, src: _IntArray, dst: _IntArray) -> _IntArray:
    """Root of every node when each ``src`` points at ``dst``; mutual pairs keep the lower."""
    parent = np.arange(n)
    parent[src] = dst
    mutual = (parent[parent] == np.arange(n)) & (parent < np.arange(n))
    parent[parent[mutual]] = parent[mutual]
    for _ in range(64):  # pointer jumping halves every path; 64 rounds cover any size
        nxt = parent[parent]
        if np.array_equal(nxt, parent):
            return parent
        parent = nxt
    raise RuntimeError("fragment merge choices formed a cycle")


def _union_groups(pieces: _GeomArray, labels: _IntArray) -> _GeomArray:
    """One geometry per group label (in label order), unioning groups of several pieces."""
    order = np.argsort(labels, kind="stable")
    roots, start, size = np.unique(labels[order], return_index=True, return_counts=True)
    cells = pieces[roots].copy()
    for k in np.flatnonzero(size > 1):
        members = pieces[order[start[k] : start[k] + size[k]]]
        cells[k] = shapely.union_all(members, grid_size=GRID_SIZE_M)
    return cells


def _reading_order(cells: _GeomArray, owner: _IntArray, side: np.ndarray) -> _IntArray:
    """Indices sorting cells by community, lattice row from the north, then west to east."""
    points = shapely.point_on_surface(cells)
    x, y = shapely.get_x(points), shapely.get_y(points)
    row_from_north = -np.floor(y / side[owner])
    return np.lexsort((-y, x, row_from_north, owner))


def _cells_frame(
    communities: gpd.GeoDataFrame, cells: _GeomArray, owner: _IntArray, side: np.ndarray
) -> gpd.GeoDataFrame:
    """Number the metric cells and build the lon/lat output frame."""
    order = _reading_order(cells, owner, side)
    cells, owner = cells[order], owner[order]
    first = np.searchsorted(owner, owner, side="left")
    sequence = np.arange(len(owner)) - first + 1
    community_codes = communities["code"].to_numpy()[owner]
    names = communities["name"].astype(str).to_numpy()[owner]
    data = {
        "code": [grid_code(c, int(s)) for c, s in zip(community_codes, sequence, strict=True)],
        "name": [f"{n}第{s}网格" for n, s in zip(names, sequence, strict=True)],
        "parent_code": community_codes,
        "level": [Level.GRID.value] * len(owner),
        "synthetic": np.ones(len(owner), dtype=bool),
    }
    geometry = gpd.GeoSeries(_storage_multipolygons(cells), crs=STORAGE_SRID)
    return gpd.GeoDataFrame(data, geometry=geometry)[CELL_COLUMNS]


def _storage_multipolygons(cells: _GeomArray) -> _GeomArray:
    """Project metric cells to lon/lat as valid MultiPolygons."""
    return _multipolygons(_polygonal(to_storage(cells)))
