"""Whole-hierarchy coverage report: how well each level's children tile their parents.

For every parent (district, street, community) whose child level is loaded, compare the
parent with the union of its children: area not covered, area counted twice (overlap among
the children) and children's area outside the parent. All work is vectorised shapely on
EPSG:4548 metres. Parents whose children form a clean coverage inside them are settled by
arithmetic; only the others need a per-parent union.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas
import numpy as np
import shapely

from geo.codes import CHILD_LEVEL, LEVELS_TOP_DOWN, Level
from geo.crs import to_metric
from grids.boundaries import STORAGE_CRS, derive_parent_code

SNAP_M = 0.001  # children this close to their parent's edge count as inside it


@dataclass(frozen=True)
class CoverageRow:
    """How one parent is covered by its children (areas in m²); ``level`` is the parent's."""

    level: Level
    parent_code: str
    parent_area_m2: float
    children: int
    children_area_m2: float
    uncovered_m2: float
    overlap_m2: float
    outside_m2: float


@dataclass(frozen=True)
class Coverage:
    """Per-parent arrays: child count, summed child area, uncovered/overlap/outside m²."""

    children: np.ndarray
    children_area_m2: np.ndarray
    uncovered_m2: np.ndarray
    overlap_m2: np.ndarray
    outside_m2: np.ndarray


def hierarchy_report(levels: Mapping[Level, geopandas.GeoDataFrame]) -> list[CoverageRow]:
    """Coverage rows for every parent of every level whose child level is present."""
    rows: list[CoverageRow] = []
    for parent_level in LEVELS_TOP_DOWN:
        child_level = CHILD_LEVEL[parent_level]
        if child_level is None or parent_level not in levels or child_level not in levels:
            continue
        rows.extend(_level_rows(parent_level, levels[parent_level], levels[child_level]))
    return rows


def format_report(rows: Sequence[CoverageRow]) -> str:
    """Render coverage rows as a plain-text table (areas in m²)."""
    header = (
        "level", "parent", "parent m²", "children", "children m²", "uncovered m²", "overlap m²",
        "outside m²",
    )  # fmt: skip
    table = [header] + [_row_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        "  ".join(_align(cell, w, i) for i, (cell, w) in enumerate(zip(line, widths, strict=True)))
        for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def coverage(
    parents_m: np.ndarray,
    children_m: np.ndarray,
    child_parent: np.ndarray,
    suspects: np.ndarray | None = None,
) -> Coverage:
    """Compare metric parents with their children; ``child_parent`` indexes parents, -1 none.

    ``suspects`` marks children whose edges are not matched by their neighbours (see
    ``coverage_suspects``). A parent whose children are all unsuspected and inside it is
    settled by arithmetic; only the others are unioned.
    """
    n = len(parents_m)
    linked = np.nonzero(child_parent >= 0)[0]
    groups, kids = child_parent[linked], children_m[linked]
    if suspects is None:
        suspects = coverage_suspects(children_m)
    areas = shapely.area(kids)
    counts = np.bincount(groups, minlength=n)
    summed = np.bincount(groups, weights=areas, minlength=n)
    doubtful = suspects[linked] | ~covered_by(parents_m, groups, kids)
    dirty = np.nonzero(np.bincount(groups, weights=doubtful, minlength=n) > 0)[0]
    uncovered = np.maximum(shapely.area(parents_m) - summed, 0.0)
    overlap, outside = np.zeros(n), np.zeros(n)
    union = group_unions(kids, groups, n, only=dirty)[dirty]
    uncovered[dirty] = shapely.area(shapely.difference(parents_m[dirty], union))
    overlap[dirty] = np.maximum(summed[dirty] - shapely.area(union), 0.0)
    outside[dirty] = shapely.area(shapely.difference(union, parents_m[dirty]))
    return Coverage(counts, summed, uncovered, overlap, outside)


def coverage_suspects(geoms_m: np.ndarray) -> np.ndarray:
    """True for polygons with an edge not matched by a neighbour (overlap or mismatch)."""
    if len(geoms_m) == 0:
        return np.zeros(0, dtype=bool)
    return ~shapely.is_empty(shapely.coverage_invalid_edges(geoms_m))


def covered_by(parents_m: np.ndarray, index: np.ndarray, geoms_m: np.ndarray) -> np.ndarray:
    """Whether each geometry lies inside ``parents_m[index]``, give or take a millimetre."""
    grown = shapely.buffer(parents_m, SNAP_M, quad_segs=2)
    shapely.prepare(grown)
    return np.asarray(shapely.covers(grown[index], geoms_m), dtype=bool)


def group_unions(
    geoms: np.ndarray, groups: np.ndarray, n: int, only: np.ndarray | None = None
) -> np.ndarray:
    """Union of ``geoms`` per group 0..n-1 (empty polygon for none); ``only`` limits groups."""
    out = np.array([shapely.Polygon()] * n, dtype=object)
    if only is not None:
        keep = np.isin(groups, only)
        geoms, groups = geoms[keep], groups[keep]
    if len(geoms) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    keys, starts = np.unique(groups[order], return_index=True)
    stops = np.append(starts[1:], len(order))
    for key, start, stop in zip(keys, starts, stops, strict=True):
        members = geoms[order[start:stop]]
        out[key] = members[0] if len(members) == 1 else shapely.union_all(members)
    return out


def metric_geometries(frame: geopandas.GeoDataFrame) -> np.ndarray:
    """The frame's geometries in EPSG:4548 metres, made valid (empty polygons for missing)."""
    if frame.crs is not None and frame.crs != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object).copy()
    geoms[shapely.is_missing(geoms)] = shapely.Polygon()
    invalid = ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    return to_metric(geoms)


def child_parent_codes(children: geopandas.GeoDataFrame, child_level: Level) -> list[str | None]:
    """Each child's parent code: its ``parent_code`` column, else its code's prefix."""
    codes = [str(c) for c in children["code"]]
    given = children["parent_code"].tolist() if "parent_code" in children else [None] * len(codes)
    return [
        str(p) if isinstance(p, str) and p else derive_parent_code(code, child_level)
        for code, p in zip(codes, given, strict=True)
    ]


def _level_rows(
    level: Level, parents: geopandas.GeoDataFrame, children: geopandas.GeoDataFrame
) -> list[CoverageRow]:
    child_level = CHILD_LEVEL[level]
    assert child_level is not None
    codes = [str(c) for c in parents["code"]]
    wanted = child_parent_codes(children, child_level)
    orphans = sorted({p for p in wanted if p is not None} - set(codes))
    all_codes = codes + orphans
    position = {code: i for i, code in enumerate(all_codes)}
    child_parent = np.array([position.get(p, -1) if p else -1 for p in wanted], dtype=np.int64)
    parents_m = np.concatenate([metric_geometries(parents), [shapely.Polygon()] * len(orphans)])
    cov = coverage(parents_m, metric_geometries(children), child_parent)
    parent_area = shapely.area(parents_m)
    return [
        CoverageRow(
            level=level,
            parent_code=code,
            parent_area_m2=float(parent_area[i]),
            children=int(cov.children[i]),
            children_area_m2=float(cov.children_area_m2[i]),
            uncovered_m2=float(cov.uncovered_m2[i]),
            overlap_m2=float(cov.overlap_m2[i]),
            outside_m2=float(cov.outside_m2[i]),
        )
        for i, code in enumerate(all_codes)
    ]


def _row_cells(row: CoverageRow) -> tuple[str, ...]:
    areas = (row.parent_area_m2, row.children_area_m2, row.uncovered_m2, row.overlap_m2)
    cells = [f"{a:,.1f}" for a in (*areas, row.outside_m2)]
    return (row.level.value, row.parent_code, cells[0], str(row.children), *cells[1:])


def _align(cell: str, width: int, column: int) -> str:
    return cell.ljust(width) if column < 2 else cell.rjust(width)
