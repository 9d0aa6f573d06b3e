"""Fast batch point location over one tiling level (grid cells): raster, lines, stars, exact.

``BatchLocator.locate_codes`` returns exactly what ``geo.locate.Locator.locate_codes``
returns (a point belongs to every cell within ``EDGE_TOLERANCE_DEG`` of it, the smallest code
wins, points that no cell covers go to the next level up), but answers almost every point
with a few numpy operations instead of a GEOS predicate per point.

The method. The cells' ring edges are oriented (shells counter-clockwise, holes clockwise)
and merged: an edge shared by two cells is stored once, with the cell on its left and the
cell on its right. A uniform raster of ``resolution_m`` pixels (in degrees: that many metres
along a meridian and along the parallel through the middle of the extent) covers the cells'
bounds, and every pixel gets one of four kinds:

* **pure**: no edge comes within ``MARGIN_DEG`` (about 1 cm, 100 times the 1e-9° tolerance)
  of the pixel, so the cell that contains the pixel centre contains every point of the
  pixel with room to spare. Which cell that is comes from winding numbers summed along pixel
  rows (a scanline fill over all edges at once): a centre covered by no cell stores "no
  cell", by exactly one cell that cell, and anything else (overlaps, inverted rings) makes
  the pixel exact.
* **line**: every edge near the pixel lies on one straight line (within ``COLLINEAR_DEG``,
  so a neighbour's vertex may split an edge), with one cell (or none) on each side. A point
  farther than ``GUARD_DEG`` from the line is in the cell on its side.
* **star**: every edge near the pixel passes through (or ends at) one vertex V, as at a
  junction of cells. The rays from V, sorted by angle, cut the plane into sectors with one
  cell (or none) each; a point farther than ``GUARD_DEG`` from every ray's line is in the
  cell of the sector its angle falls in.
* **exact**: anything else (two vertices in one pixel, conflicting sides, odd geometry).

A line or star pixel is kept only when its answer at the pixel centre agrees with the
winding fill. Points in exact pixels, and points within ``GUARD_DEG`` of a line or ray, run
the locator's own rule: an STRtree ``dwithin`` query over the code-sorted cells, smallest
index wins. That is the same GEOS call (``GEOSPreparedDistanceWithin`` on the prepared
point) that ``Locator`` makes, so these points get bit-for-bit the same answer; everywhere
else the nearest boundary is at least ``GUARD_DEG - COLLINEAR_DEG`` away, so the tolerance
cannot change the answer.

The pixels an edge comes near are enumerated per raster column (the edge's row span inside
the column strip, widened by the margin), so none is missed. The build runs on up to
``threads`` threads (numpy releases the GIL): the winding fill, row band by row band, beside
the line and star work, which is cut into bands of touched pixels. Points outside the
raster, in "no cell" territory, or with no cell within the tolerance go to ``fallback`` (a
``Locator`` over all levels) or get "" (so do non-finite coordinates). Points are processed
in chunks of ``CHUNK_POINTS``, on up to ``threads`` threads (numpy and GEOS release the
GIL), to bound memory and use the cores; one to four points first walk the same tables in
plain Python (a few microseconds a point). ``locate_indexed`` returns the codes as an index
into a code table (two bytes a point for up to 65,535 cells) rather than a Python string
reference per point.

Memory: one int32 per pixel (about 34 MB for 840 km² at 10 m), a line table of 12 bytes
per line pixel (its edge, the cells left and right) and 24 per edge (its line's equation),
a star table of about 230 bytes per star pixel, the merged edges, and the STRtree; the
build's temporaries are bounded by its bands and handed back to the system when it ends.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import math
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.locate import EDGE_TOLERANCE_DEG, Locator

MARGIN_DEG = 1e-7
"""Edges within this distance (degrees, about 1 cm) of a pixel are the pixel's edges."""

GUARD_DEG = 5e-8
"""A point this close (degrees) to a line or ray of its pixel takes the exact path."""

COLLINEAR_DEG = 1e-8
"""Edges this close (degrees) to a pixel's line or star vertex count as on it."""

DEFAULT_RESOLUTION_M = 10.0
"""Default pixel size in metres."""

MAX_RAYS = 8
"""Most rays a star pixel may have (more: the pixel is exact)."""

CHUNK_POINTS = 1 << 18
"""Points handled per chunk (bounds the temporary arrays)."""

_BAND_PIXELS = 1 << 18  # pixels per row band of the winding fill (bounds its temporaries)
_BANDS_PER_THREAD = 4  # bands of touched pixels per build thread (bounds their temporaries)
_METRES_PER_DEGREE = 111_320.0
_FEW = 4  # at most this many points try the plain-Python path first
_NO_CELL = -1
_EXACT = -2
_SPECIAL = -3  # pixel value v <= -3 is line or star number -3 - v (lines first)
_POLYGON = 3
_COLLECTIONS = (4, 5, 6, 7)

assert EDGE_TOLERANCE_DEG < GUARD_DEG - COLLINEAR_DEG and GUARD_DEG < MARGIN_DEG

_Array = np.ndarray[Any, Any]


class _Edges:
    """Unique oriented edges with the cell on each side (-1: none) and a conflict flag."""

    def __init__(self, geoms: _Array) -> None:
        parts, cell_of_part, self.odd_cells = _polygon_parts(geoms)
        x0, y0, x1, y1, cell = _directed_edges(parts, cell_of_part)
        forward = (x0 < x1) | ((x0 == x1) & (y0 < y1))
        ax, ay = np.where(forward, x0, x1), np.where(forward, y0, y1)
        bx, by = np.where(forward, x1, x0), np.where(forward, y1, y0)
        order = np.argsort(_hash(ax, ay, bx, by), kind="stable")  # equal edges side by side
        ax, ay, bx, by = ax[order], ay[order], bx[order], by[order]
        cell, forward = cell[order], forward[order]
        new = np.ones(len(ax), dtype=bool)
        new[1:] = (ax[1:] != ax[:-1]) | (ay[1:] != ay[:-1])
        new[1:] |= (bx[1:] != bx[:-1]) | (by[1:] != by[:-1])
        group = np.cumsum(new) - 1
        n = int(group[-1]) + 1 if len(group) else 0
        self.x0, self.y0, self.x1, self.y1 = ax[new], ay[new], bx[new], by[new]
        self.left = np.full(n, _NO_CELL, dtype=np.int32)
        self.right = np.full(n, _NO_CELL, dtype=np.int32)
        self.left[group[forward]] = cell[forward]
        self.right[group[~forward]] = cell[~forward]
        copies = np.bincount(group * 2 + forward, minlength=2 * n).reshape(n, 2)
        self.bad = (copies > 1).any(axis=1) | (self.left == self.right)
        # every copy counts in the winding fill: +1 along the edge, -1 against it
        sign = np.where(forward, 1, -1)
        self.winding = np.bincount(group, weights=sign, minlength=n).astype(np.int32)
        label = np.bincount(group, weights=sign * (cell + 1.0), minlength=n)
        self.winding_label = label.astype(np.int32)
        self.inv_length = 1.0 / np.hypot(self.x1 - self.x0, self.y1 - self.y0)

    def __len__(self) -> int:
        return len(self.x0)

    def signed_distance(self, edge: _Array, x: _Array, y: _Array) -> _Array:
        """Distance of (x, y) from the line through ``edge``, positive on its left."""
        x0, y0 = self.x0[edge], self.y0[edge]
        cross = (self.x1[edge] - x0) * (y - y0) - (self.y1[edge] - y0) * (x - x0)
        return np.asarray(cross * self.inv_length[edge])

    def segment_distance(self, edge: _Array, x: _Array, y: _Array) -> _Array:
        """Distance of (x, y) from the segment ``edge``."""
        x0, y0 = self.x0[edge], self.y0[edge]
        dx, dy = self.x1[edge] - x0, self.y1[edge] - y0
        t = np.clip(((x - x0) * dx + (y - y0) * dy) * self.inv_length[edge] ** 2, 0.0, 1.0)
        return np.asarray(np.hypot(x0 + t * dx - x, y0 + t * dy - y))


def _polygon_parts(geoms: _Array) -> tuple[_Array, _Array, _Array]:
    """Polygons inside ``geoms`` with their geometry's index; and geometries with other parts."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    while np.isin(shapely.get_type_id(parts), _COLLECTIONS).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        index = index[sub]
    polygons = shapely.get_type_id(parts) == _POLYGON
    other = ~polygons & ~shapely.is_empty(parts)
    return parts[polygons], index[polygons], np.unique(index[other])


def _directed_edges(
    parts: _Array, cell_of_part: _Array
) -> tuple[_Array, _Array, _Array, _Array, _Array]:
    """Every ring edge of the polygons as (x0, y0, x1, y1, cell), shells CCW, holes CW."""
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    shell = np.r_[True, part_of_ring[1:] != part_of_ring[:-1]][: len(rings)]
    flip = shapely.is_ccw(rings) != shell
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[1:] == ring_of[:-1]
    start, end, ring = xy[:-1][same], xy[1:][same], ring_of[:-1][same]
    swap = flip[ring]
    start[swap], end[swap] = end[swap], start[swap].copy()
    keep = (start != end).any(axis=1)
    cell = cell_of_part[part_of_ring[ring[keep]]].astype(np.int32)
    return start[keep, 0], start[keep, 1], end[keep, 0], end[keep, 1], cell


class _Grid:
    """The raster: origin, pixel size (degrees), shape; one empty pixel ring all around."""

    def __init__(self, bounds: _Array, resolution_m: float) -> None:
        minx, miny, maxx, maxy = (float(b) for b in bounds)
        mid_lat = math.radians((miny + maxy) / 2)
        self.dy = resolution_m / _METRES_PER_DEGREE
        self.dx = self.dy / max(math.cos(mid_lat), 0.05)
        pad = 2 * MARGIN_DEG
        self.x0, self.y0 = minx - self.dx - pad, miny - self.dy - pad
        self.cols = math.ceil((maxx + self.dx + pad - self.x0) / self.dx)
        self.rows = math.ceil((maxy + self.dy + pad - self.y0) / self.dy)
        self.inv_dx, self.inv_dy = 1.0 / self.dx, 1.0 / self.dy

    @property
    def size(self) -> int:
        return self.rows * self.cols

    def centre_xy(self, pixel: _Array) -> tuple[_Array, _Array]:
        """Lon/lat of pixel centres."""
        row, col = np.divmod(pixel, self.cols)
        return self.x0 + (col + 0.5) * self.dx, self.y0 + (row + 0.5) * self.dy

    def pixel_of(self, lons: _Array, lats: _Array) -> _Array:
        """Flat pixel index per point; 0 (an empty corner pixel) outside or not finite."""
        with np.errstate(invalid="ignore"):
            u = lons - self.x0
            u *= self.inv_dx
            col = u.astype(np.int64)  # truncation: (-1, 0) lands in the empty column 0
            v = lats - self.y0
            v *= self.inv_dy
            row = v.astype(np.int64)
        outside = col.view(np.uint64) >= self.cols
        outside |= row.view(np.uint64) >= self.rows
        row *= self.cols
        row += col
        row[outside] = 0
        return row


class _Lines:
    """Line pixels: per pixel a row (edge, left cell, right cell), and per edge a row
    (a, b, c) with a x + b y + c the signed distance from its line (positive on the left):
    a point costs two row gathers, the second from a table of edges that stays in cache."""

    def __init__(self, rows: _Array, lines: _Array) -> None:
        self.rows, self.lines = rows, lines

    def __len__(self) -> int:
        return len(self.rows)

    @staticmethod
    def of(edges: _Edges, edge: _Array, sides: _Array) -> _Lines:
        """The lines along ``edge`` with ``sides`` (left, right) cells."""
        a = (edges.y0 - edges.y1) * edges.inv_length
        b = (edges.x1 - edges.x0) * edges.inv_length
        lines = np.column_stack([a, b, -(a * edges.x0 + b * edges.y0)])
        return _Lines(np.column_stack([edge, sides]).astype(np.int32), lines)

    def locate(self, line: _Array, x: _Array, y: _Array) -> tuple[_Array, _Array]:
        """(cell, near) for points in lines ``line``; ``near`` points need the exact path."""
        row = np.take(self.rows, line, axis=0)
        abc = np.take(self.lines, row[:, 0], axis=0)
        s = abc[:, 0] * x
        s += abc[:, 1] * y
        s += abc[:, 2]
        return np.where(s > 0, row[:, 1], row[:, 2]), np.abs(s) <= GUARD_DEG


class _Stars:
    """Star pixels: vertex, ray angles (ascending, padded with +inf), ray directions, and
    the cell of each sector (sector k runs counter-clockwise from ray k to ray k+1)."""

    def __init__(
        self,
        vx: _Array,
        vy: _Array,
        angle: _Array,
        ux: _Array,
        uy: _Array,
        cells: _Array,
        rays: _Array,
    ) -> None:
        self.vx, self.vy, self.angle, self.ux, self.uy = vx, vy, angle, ux, uy
        self.cells, self.rays = cells, rays

    def __len__(self) -> int:
        return len(self.vx)

    @staticmethod
    def sized(n: int) -> _Stars:
        """A table of ``n`` stars without rays yet."""
        wide = (n, MAX_RAYS)
        return _Stars(
            np.zeros(n),
            np.zeros(n),
            np.full(wide, np.inf),
            np.zeros(wide),
            np.zeros(wide),
            np.full(wide, _NO_CELL, dtype=np.int32),
            np.zeros(n, dtype=np.int32),
        )

    @staticmethod
    def empty() -> _Stars:
        """No star pixels."""
        return _Stars.sized(0)

    @staticmethod
    def concatenate(tables: list[_Stars]) -> _Stars:
        """One table of the stars of ``tables``, in order."""
        names = ("vx", "vy", "angle", "ux", "uy", "cells", "rays")
        return _Stars(*(np.concatenate([getattr(t, name) for t in tables]) for name in names))

    def pad(self) -> None:
        """Unused ray slots repeat ray 0's direction (harmless in the guard test)."""
        unused = np.isinf(self.angle)
        self.ux[:] = np.where(unused, self.ux[:, :1], self.ux)
        self.uy[:] = np.where(unused, self.uy[:, :1], self.uy)

    def subset(self, mask: _Array) -> _Stars:
        """The stars where ``mask`` is true."""
        arrays = (self.vx, self.vy, self.angle, self.ux, self.uy, self.cells, self.rays)
        return _Stars(*(a[mask] for a in arrays))

    def locate(self, star: _Array, x: _Array, y: _Array) -> tuple[_Array, _Array]:
        """(cell, near) for points in stars ``star``; ``near`` points need the exact path."""
        dx, dy = x - self.vx[star], y - self.vy[star]
        theta = np.arctan2(dy, dx)
        below = (self.angle[star] < theta[:, None]).sum(axis=1)
        sector = np.where(below == 0, self.rays[star], below) - 1
        cell = self.cells[star, sector]
        off = np.abs(self.ux[star] * dy[:, None] - self.uy[star] * dx[:, None])
        return cell, (off <= GUARD_DEG).any(axis=1)


class _Rays:
    """The rays from each star candidate's vertex along its edges, sorted by pixel and angle."""

    def __init__(self, e: _Edges, slot: _Array, edge: _Array, vx: _Array, vy: _Array) -> None:
        px, py = vx[slot], vy[slot]
        at0 = np.hypot(e.x0[edge] - px, e.y0[edge] - py) <= COLLINEAR_DEG
        at1 = np.hypot(e.x1[edge] - px, e.y1[edge] - py) <= COLLINEAR_DEG
        self.bad_slots = slot[at0 & at1]
        # an edge ending at V gives one ray, an edge through V two (one each way)
        fwd, bwd = ~at1, ~at0
        along = np.r_[np.ones(int(fwd.sum()), dtype=bool), np.zeros(int(bwd.sum()), dtype=bool)]
        slot, edge = np.r_[slot[fwd], slot[bwd]], np.r_[edge[fwd], edge[bwd]]
        wx = np.where(along, e.x1[edge], e.x0[edge]) - vx[slot]
        wy = np.where(along, e.y1[edge], e.y0[edge]) - vy[slot]
        left = np.where(along, e.left[edge], e.right[edge])
        right = np.where(along, e.right[edge], e.left[edge])
        angle = np.arctan2(wy, wx)
        order = np.argsort(slot * 8.0 + angle, kind="stable")  # by pixel, then by angle
        self.slot, self.wx, self.wy = slot[order], wx[order], wy[order]
        self.left, self.right, self.angle = left[order], right[order], angle[order]
        self.length = np.hypot(self.wx, self.wy)
        self.ux, self.uy = self.wx / self.length, self.wy / self.length

    def merge(self) -> tuple[_Array, _Array, _Array]:
        """Group consecutive rays on one line: (group per ray, longest ray per group, bad)."""
        a, b = np.arange(len(self.slot) - 1), np.arange(1, len(self.slot))
        long = np.where(self.length[a] >= self.length[b], a, b)
        short = a + b - long
        gap = np.abs(self.ux[long] * self.wy[short] - self.uy[long] * self.wx[short])
        same_way = self.ux[a] * self.ux[b] + self.uy[a] * self.uy[b] > 0
        join = (self.slot[a] == self.slot[b]) & same_way & (gap <= COLLINEAR_DEG)
        group = np.cumsum(np.r_[True, ~join]) - 1
        starts = np.flatnonzero(np.r_[True, ~join])
        longest = np.maximum.reduceat(self.length, starts)
        candidates = np.flatnonzero(self.length == longest[group])
        first = np.r_[True, group[candidates][1:] != group[candidates][:-1]]
        rep = candidates[first]
        r = rep[group]
        off = np.abs(self.ux[r] * self.wy - self.uy[r] * self.wx)
        bad = (off > COLLINEAR_DEG) | (self.ux[r] * self.ux + self.uy[r] * self.uy <= 0)
        return group, rep, bad


class BatchLocator:
    """Deepest-level point location for millions of points (same answers as ``Locator``)."""

    def __init__(
        self,
        cells: gpd.GeoDataFrame,
        *,
        fallback: Locator | None = None,
        resolution_m: float = DEFAULT_RESOLUTION_M,
        threads: int | None = None,
    ) -> None:
        if not (np.isfinite(resolution_m) and resolution_m > 0):
            raise ValueError(f"resolution_m must be a positive number, got {resolution_m!r}")
        if cells.crs is not None and cells.crs.to_epsg() != 4326:
            cells = cells.to_crs(4326)
        ordered = cells.sort_values("code")
        self.codes: _Array = ordered["code"].astype(str).to_numpy(dtype=object)
        self.geoms: _Array = np.asarray(ordered.geometry.values, dtype=object)
        self.fallback = fallback
        self.threads = max(1, threads if threads is not None else min(4, os.cpu_count() or 1))
        self.tree = shapely.STRtree(self.geoms)
        self._codes_or_blank = np.append(self.codes, "")  # index -1 -> ""
        self._edges = _Edges(self.geoms)
        self._grid: _Grid | None = None
        self._pixels: _Array = np.zeros(1, dtype=np.int32)
        self._lines = _Lines(np.empty((0, 3), dtype=np.int32), np.empty((0, 3)))
        self._stars = _Stars.empty()
        if len(self._edges):
            self._grid = _Grid(shapely.total_bounds(self.geoms), resolution_m)
            self._build(self._grid)
            # points or lines inside a cell's geometry: leave its whole box to the exact path
            for cell in self._edges.odd_cells:
                self._exact_box(self._grid, shapely.bounds(self.geoms[cell]))
            _release_free_memory()

    def _exact_box(self, grid: _Grid, bounds: _Array) -> None:
        """Send every pixel within ``MARGIN_DEG`` of ``bounds`` to the exact path."""
        minx, miny, maxx, maxy = bounds
        c0 = max(int((minx - MARGIN_DEG - grid.x0) * grid.inv_dx), 0)
        c1 = min(int((maxx + MARGIN_DEG - grid.x0) * grid.inv_dx) + 1, grid.cols)
        r0 = max(int((miny - MARGIN_DEG - grid.y0) * grid.inv_dy), 0)
        r1 = min(int((maxy + MARGIN_DEG - grid.y0) * grid.inv_dy) + 1, grid.rows)
        self._pixels.reshape(grid.rows, grid.cols)[r0:r1, c0:c1] = _EXACT

    # -- build -------------------------------------------------------------------------
    def _build(self, grid: _Grid) -> None:
        """Fill the pixel raster, the line table and the star table.

        The winding fill runs beside the edge work, and the touched pixels are cut into a
        few bands per thread for the line and star work (numpy releases the GIL); the
        raster, lines and stars come out the same on any number of threads."""
        pool = ThreadPoolExecutor(self.threads + 1) if self.threads > 1 else None
        try:
            winding = _run(pool, self._centre_cells, grid)
            pixel, edge = self._edge_pixels(grid)
            touched = np.zeros(grid.size, dtype=bool)
            touched[pixel] = True
            slots = np.flatnonzero(touched)
            del touched
            slot_of = np.full(grid.size, -1, dtype=np.int32)
            slot_of[slots] = np.arange(len(slots), dtype=np.int32)
            slot = slot_of[pixel]
            del slot_of, pixel
            cuts = (
                np.linspace(0, len(slots), _BANDS_PER_THREAD * self.threads + 1)
                .astype(np.int64)
                .tolist()
            )
            bands = []
            for lo, hi in itertools.pairwise(cuts):
                mine = (slot >= lo) & (slot < hi)
                band = (grid, slots[lo:hi], slot[mine] - lo, edge[mine], winding.result)
                bands.append(_run(pool, self._band, *band))
            del slot, edge, mine
            parts = [band.result() for band in bands]
            pixels = winding.result()
        finally:
            if pool is not None:
                pool.shutdown()
        _release_free_memory()  # the bands' temporaries, before the tables are assembled
        line_pixel = np.concatenate([part[0] for part in parts])
        star_pixel = np.concatenate([part[3] for part in parts])
        pixels[slots] = _EXACT
        pixels[line_pixel] = _SPECIAL - np.arange(len(line_pixel), dtype=np.int32)
        first_star = _SPECIAL - len(line_pixel)
        pixels[star_pixel] = first_star - np.arange(len(star_pixel), dtype=np.int32)
        self._pixels = pixels
        line_edge = np.concatenate([part[1] for part in parts])
        self._lines = _Lines.of(self._edges, line_edge, np.concatenate([part[2] for part in parts]))
        self._stars = _Stars.concatenate([part[4] for part in parts])

    def _band(
        self,
        grid: _Grid,
        slots: _Array,
        slot: _Array,
        edge: _Array,
        centre_cells: Callable[[], _Array],
    ) -> tuple[_Array, _Array, _Array, _Array, _Stars]:
        """Lines and stars among the touched pixels ``slots``, whose (pixel, edge) pairs are
        (``slots[slot]``, ``edge``): (line pixels, their edges, their sides, star pixels,
        star table). ``centre_cells()`` gives the winding fill's cell per pixel centre."""
        line_edge, sides, is_line = self._lines_of(slot, edge, len(slots))
        x, y = grid.centre_xy(slots)
        bad = np.zeros(len(slots), dtype=bool)
        bad[slot[self._edges.bad[edge]]] = True
        s = self._edges.signed_distance(line_edge, x, y)
        is_line &= ~bad & (np.abs(s) > GUARD_DEG)
        centre = centre_cells()[slots]
        is_line &= np.where(s > 0, sides[:, 0], sides[:, 1]) == centre
        keep = (~bad & ~is_line)[slot]
        star_slot, stars = self._stars_of(slot[keep], edge[keep], x, y, centre)
        lines = np.flatnonzero(is_line)
        return slots[lines], line_edge[lines], sides[lines], slots[star_slot], stars

    def _centre_cells(self, grid: _Grid) -> _Array:
        """Per pixel, the one cell covering its centre (the winding fill), else -1 (no cell)
        or -2 (several); row band by row band, to bound the temporaries.

        Along each row of pixel centres, every edge crossing it changes the winding count
        and the sum of (index + 1) of the cells covering; the running sums east of the
        crossings give both per pixel."""
        e = self._edges
        v0 = (e.y0 - grid.y0) * grid.inv_dy - 0.5
        v1 = (e.y1 - grid.y0) * grid.inv_dy - 0.5
        first = np.ceil(np.minimum(v0, v1)).astype(np.int64)  # rows first .. stop - 1
        stop = np.ceil(np.maximum(v0, v1)).astype(np.int64)
        # a shell runs down on its west side: crossing a downward edge enters its left cell
        down = np.where(e.y1 < e.y0, 1, -1).astype(np.int32)
        count_step, label_step = down * e.winding, down * e.winding_label
        pixels = np.empty(grid.size, dtype=np.int32)
        band_rows = max(1, _BAND_PIXELS // grid.cols)
        for r0 in range(0, grid.rows, band_rows):
            r1 = min(r0 + band_rows, grid.rows)
            near = np.flatnonzero((first < r1) & (stop > r0))  # edges crossing the band
            start = np.maximum(first[near], r0)
            n = np.minimum(stop[near], r1) - start
            edge = np.repeat(near.astype(np.int32), n)
            row = np.arange(len(edge)) + np.repeat(start - (np.cumsum(n) - n), n)
            y = grid.y0 + (row + 0.5) * grid.dy
            t = (y - e.y0[edge]) / (e.y1[edge] - e.y0[edge])
            x = e.x0[edge] + t * (e.x1[edge] - e.x0[edge])
            col = np.floor((x - grid.x0) * grid.inv_dx - 0.5).astype(np.int64) + 1
            del y, t, x
            keep = col < grid.cols  # crossings east of the last centre change nothing
            at = ((row - r0) * grid.cols + np.maximum(col, 0))[keep]
            edge = edge[keep]
            del row, col, keep
            size = (r1 - r0) * grid.cols
            count = np.bincount(at, count_step[edge], size).astype(np.int32)
            label = pixels[r0 * grid.cols : r1 * grid.cols]
            label[:] = np.bincount(at, label_step[edge], size)  # whole numbers, exact
            count, label = count.reshape(-1, grid.cols), label.reshape(-1, grid.cols)
            np.cumsum(count, axis=1, out=count)
            np.cumsum(label, axis=1, out=label)
            label -= 1  # the sum of (index + 1): the index when one cell covers the centre
            label[count != 1] = _EXACT
            label[count == 0] = _NO_CELL
        return pixels

    def _edge_pixels(self, grid: _Grid) -> tuple[_Array, _Array]:
        """(pixel, edge) for every pixel within ``MARGIN_DEG`` of an edge."""
        e = self._edges
        mu, mv = MARGIN_DEG * grid.inv_dx, MARGIN_DEG * grid.inv_dy
        u0, u1 = (e.x0 - grid.x0) * grid.inv_dx, (e.x1 - grid.x0) * grid.inv_dx
        v0, v1 = (e.y0 - grid.y0) * grid.inv_dy, (e.y1 - grid.y0) * grid.inv_dy
        umin, umax = np.minimum(u0, u1), np.maximum(u0, u1)
        c_first = np.floor(umin - mu).astype(np.int64)
        nc = np.floor(umax + mu).astype(np.int64) - c_first + 1
        edge = np.repeat(np.arange(len(e), dtype=np.int32), nc)
        col = np.arange(len(edge)) - np.repeat(np.cumsum(nc) - nc - c_first, nc)
        # where the edge enters and leaves the column strip (widened by the margin): its
        # parameter t along the edge, clipped to the edge, then its row coordinate v
        du = (u1 - u0)[edge]
        vertical = du == 0
        du[vertical] = 1.0
        ue0, ve0, dv = u0[edge], v0[edge], (v1 - v0)[edge]
        va = col - mu
        np.maximum(umin[edge], va, out=va)
        vb = col + 1 + mu
        np.minimum(umax[edge], vb, out=vb)
        for v, vertical_t in ((va, 0.0), (vb, 1.0)):
            v -= ue0
            v /= du
            v[vertical] = vertical_t
            np.clip(v, 0.0, 1.0, out=v)
            v *= dv
            v += ve0
        del ue0, ve0, dv, du, vertical
        r_first = np.minimum(va, vb)
        r_first -= mv
        r_first = np.floor(r_first, out=r_first).astype(np.int64)
        np.maximum(va, vb, out=va)
        va += mv
        nr = np.floor(va, out=va).astype(np.int64) - r_first + 1
        del va, vb
        pixel = np.arange(int(nr.sum()), dtype=np.int64)
        pixel -= np.repeat(np.cumsum(nr) - nr - r_first, nr)
        pixel *= grid.cols
        pixel += np.repeat(col, nr)
        return pixel, np.repeat(edge, nr)

    def _lines_of(self, slot: _Array, edge: _Array, n: int) -> tuple[_Array, _Array, _Array]:
        """Per touched pixel: reference edge, (left, right) cells, and whether it is a line."""
        e = self._edges
        ref = np.empty(n, dtype=np.int32)
        ref[slot] = edge  # any of the pixel's edges will do (the last one written)
        r = ref[slot]
        other = np.flatnonzero(edge != r)
        eo, ro = edge[other], r[other]
        off0 = np.abs(e.signed_distance(ro, e.x0[eo], e.y0[eo]))
        off1 = np.abs(e.signed_distance(ro, e.x1[eo], e.y1[eo]))
        bad = np.zeros(len(edge), dtype=bool)
        bad[other] = (off0 > COLLINEAR_DEG) | (off1 > COLLINEAR_DEG)
        dot = (e.x1[eo] - e.x0[eo]) * (e.x1[ro] - e.x0[ro])
        dot += (e.y1[eo] - e.y0[eo]) * (e.y1[ro] - e.y0[ro])
        along = np.ones(len(edge), dtype=bool)
        along[other] = dot > 0
        left, clash_left = _agreed(slot, np.where(along, e.left[edge], e.right[edge]), n)
        right, clash_right = _agreed(slot, np.where(along, e.right[edge], e.left[edge]), n)
        ok = left != right
        ok[slot[bad | clash_left | clash_right]] = False
        return ref, np.column_stack([left, right]), ok

    def _stars_of(
        self, slot: _Array, edge: _Array, x: _Array, y: _Array, centre: _Array
    ) -> tuple[_Array, _Stars]:
        """Star pixels among the pixels of ``slot``: their slots and their star table."""
        if len(slot) == 0:
            return np.empty(0, dtype=np.int64), _Stars.empty()
        e = self._edges
        used, slot = np.unique(slot, return_inverse=True)
        n = len(used)
        vx, vy = self._star_vertices(slot, edge, n)
        ok = ~np.isnan(vx)
        keep = ok[slot]
        rays = _Rays(e, slot[keep], edge[keep], vx, vy)
        if len(rays.slot) == 0:
            return np.empty(0, dtype=np.int64), _Stars.empty()
        ok[rays.bad_slots] = False
        group, rep, merged_bad = rays.merge()
        ok[rays.slot[merged_bad]] = False
        g_slot = rays.slot[rep]
        left, clash_l = _agreed(group, rays.left, len(rep))
        right, clash_r = _agreed(group, rays.right, len(rep))
        ok[rays.slot[clash_l | clash_r]] = False
        # rays of a pixel are consecutive, by angle; sector k lies from ray k to the next
        first = np.r_[True, g_slot[1:] != g_slot[:-1]]
        start = np.flatnonzero(first)[np.cumsum(first) - 1]
        per_slot = np.bincount(g_slot, minlength=n)
        k = np.arange(len(rep)) - start
        nxt = np.where(k + 1 < per_slot[g_slot], np.arange(len(rep)) + 1, start)
        # both rays must name the same cell (or both none): when V lies outside the pixel,
        # a sector may reach the pixel on both sides of a ray that misses it
        sector = left
        ok[g_slot[left != right[nxt]]] = False
        ux, uy = rays.ux[rep], rays.uy[rep]
        ok &= (per_slot >= 2) & (per_slot <= MAX_RAYS)
        star = np.flatnonzero(ok)
        index = np.full(n, -1, dtype=np.int64)
        index[star] = np.arange(len(star))
        sel = ok[g_slot]
        row, col = index[g_slot[sel]], k[sel]
        table = _Stars.sized(len(star))
        table.vx[:], table.vy[:] = vx[star], vy[star]
        table.angle[row, col] = rays.angle[rep][sel]
        table.ux[row, col], table.uy[row, col] = ux[sel], uy[sel]
        table.cells[row, col] = sector[sel]
        table.rays[:] = per_slot[star]
        table.pad()
        # the answer at the pixel centre must agree with the winding fill
        cs = used[star]
        cell, near = table.locate(np.arange(len(star)), x[cs], y[cs])
        agree = ~near & (cell == centre[cs])
        return cs[agree], table.subset(agree)

    def _star_vertices(self, slot: _Array, edge: _Array, n: int) -> tuple[_Array, _Array]:
        """Per pixel, a vertex every edge of the pixel passes within COLLINEAR_DEG of (or NaN).

        The candidates are the endpoints of two of the pixel's edges."""
        e = self._edges
        last, first = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
        last[slot], first[slot[::-1]] = edge, edge[::-1]
        vx, vy = np.full(n, np.nan), np.full(n, np.nan)
        for ref in (last, first):
            for cx, cy in ((e.x0[ref], e.y0[ref]), (e.x1[ref], e.y1[ref])):
                on = e.segment_distance(edge, cx[slot], cy[slot]) <= COLLINEAR_DEG
                fits = np.isnan(vx)
                fits[slot[~on]] = False
                vx[fits], vy[fits] = cx[fits], cy[fits]
        return vx, vy

    # -- queries -----------------------------------------------------------------------
    def locate_codes(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Batch: the code of the deepest covering area per point ("" when outside)."""
        lons, lats = _coordinates(lons, lats)
        if len(lons) <= _FEW:
            few = self._few_codes(lons, lats)
            if few is not None:
                return few
        index, table = self._indexed(lons, lats)
        return np.asarray(table[index])

    def locate_indexed(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``locate_codes`` as (index, table): ``table[index]`` is the code per point.

        The index is the smallest unsigned integer type that holds the table's positions
        (two bytes a point for up to 65,535 cells, instead of a Python string reference);
        the table is ``codes``, then "", then the fallback's answers for points no cell
        covers.

        >>> import geopandas as gpd, shapely
        >>> cells = gpd.GeoDataFrame(
        ...     {"code": ["110102020001002", "110102020001001"]},
        ...     geometry=[shapely.box(116.31, 39.88, 116.32, 39.89),
        ...               shapely.box(116.30, 39.88, 116.31, 39.89)], crs=4326)
        >>> index, table = BatchLocator(cells).locate_indexed(
        ...     np.array([116.305, 116.315, 116.5]), np.array([39.885, 39.885, 39.885]))
        >>> index.tolist(), table[index].tolist()
        ([0, 1, 2], ['110102020001001', '110102020001002', ''])
        """
        return self._indexed(*_coordinates(lons, lats))

    def _indexed(self, lons: _Array, lats: _Array) -> tuple[_Array, _Array]:
        """``locate_indexed`` on flat float arrays."""
        blank = len(self.codes)  # "" in the table
        index = self._cells(lons, lats, np.empty(len(lons), np.min_scalar_type(blank)), blank)
        if self.fallback is None:
            return index, self._codes_or_blank
        missing = np.flatnonzero(index == blank)
        if len(missing) == 0:
            return index, self._codes_or_blank
        found = np.empty(len(missing), dtype=object)
        for start in range(0, len(missing), CHUNK_POINTS):
            part = missing[start : start + CHUNK_POINTS]
            found[start : start + len(part)] = self.fallback.locate_codes(lons[part], lats[part])
        extra, which = np.unique(found.astype(str), return_inverse=True)
        table = np.concatenate([self._codes_or_blank, extra.astype(object)])
        index = index.astype(np.min_scalar_type(len(table) - 1), copy=False)
        index[missing] = blank + 1 + which
        return index, table

    def locate_cells(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index into ``codes`` of the covering cell per point (-1 when no cell covers it)."""
        return self._cells(*_coordinates(lons, lats))

    def _few_codes(self, lons: _Array, lats: _Array) -> _Array | None:
        """Codes of a few points in plain Python; None when one needs the exact path."""
        out = np.empty(len(lons), dtype=object)
        for i, (x, y) in enumerate(zip(lons.tolist(), lats.tolist(), strict=True)):
            cell = self._one_cell(x, y)
            if cell < 0:
                return None
            out[i] = self.codes[cell]
        return out

    def _one_cell(self, x: float, y: float) -> int:
        """Cell index of one point from its pixel, or -1 (exact path or fallback needed)."""
        grid = self._grid
        if grid is None:
            return -1
        u, v = (x - grid.x0) * grid.inv_dx, (y - grid.y0) * grid.inv_dy
        if not (0.0 <= u < grid.cols and 0.0 <= v < grid.rows):
            return -1
        value = int(self._pixels[int(v) * grid.cols + int(u)])
        if value > _SPECIAL:
            return value
        kind = _SPECIAL - value
        if kind < len(self._lines):
            edge, left, right = self._lines.rows[kind].tolist()
            a, b, c = self._lines.lines[edge].tolist()
            s = a * x + b * y + c
            if abs(s) <= GUARD_DEG:
                return -1
            return int(left if s > 0 else right)
        stars, t = self._stars, kind - len(self._lines)
        dx, dy = x - float(stars.vx[t]), y - float(stars.vy[t])
        rays = int(stars.rays[t])
        for ux, uy in zip(stars.ux[t, :rays].tolist(), stars.uy[t, :rays].tolist(), strict=True):
            if abs(ux * dy - uy * dx) <= GUARD_DEG:
                return -1
        theta = math.atan2(dy, dx)
        below = sum(1 for a in stars.angle[t, :rays].tolist() if a < theta)
        return int(stars.cells[t, (below or rays) - 1])

    def _cells(
        self, lons: _Array, lats: _Array, out: _Array | None = None, none: int = _NO_CELL
    ) -> _Array:
        """``locate_cells`` on flat float arrays, into ``out`` (int32 when None) with
        ``none`` where no cell covers a point: chunks, on several threads when large."""
        if out is None:
            out = np.empty(len(lons), dtype=np.int32)
        target = out

        def work(part: slice) -> None:
            cell = self._cells_chunk(lons[part], lats[part])
            if none != _NO_CELL:
                cell[cell == _NO_CELL] = none
            target[part] = cell

        parts = [slice(s, s + CHUNK_POINTS) for s in range(0, len(lons), CHUNK_POINTS)]
        if self.threads == 1 or len(parts) <= 1:
            for part in parts:
                work(part)
        else:
            with ThreadPoolExecutor(self.threads) as pool:
                list(pool.map(work, parts))
        return out

    def _cells_chunk(self, lons: _Array, lats: _Array) -> _Array:
        """Cell index per point of one chunk (-1: no cell within the tolerance)."""
        grid = self._grid
        if grid is None:
            return self._exact(lons, lats)
        cell = np.take(self._pixels, grid.pixel_of(lons, lats))
        special = np.flatnonzero(cell <= _SPECIAL)  # all overwritten below
        if len(special):
            kind = _SPECIAL - cell[special]
            in_line = kind < len(self._lines)
            for sel, locate in ((in_line, self._on_line), (~in_line, self._on_star)):
                idx = special[sel]
                if len(idx):
                    found, near = locate(kind[sel], lons[idx], lats[idx])
                    found[near] = _EXACT
                    cell[idx] = found
        exact = np.flatnonzero(cell == _EXACT)
        if len(exact):
            cell[exact] = self._exact(lons[exact], lats[exact])
        return cell

    def _on_line(self, kind: _Array, x: _Array, y: _Array) -> tuple[_Array, _Array]:
        """(cell, near) for points in line pixels ``kind``."""
        return self._lines.locate(kind, x, y)

    def _on_star(self, kind: _Array, x: _Array, y: _Array) -> tuple[_Array, _Array]:
        """(cell, near) for points in star pixels ``kind``."""
        return self._stars.locate(kind - len(self._lines), x, y)

    def _exact(self, lons: _Array, lats: _Array) -> _Array:
        """The locator's rule: smallest-code cell within EDGE_TOLERANCE_DEG, else -1."""
        points = shapely.points(lons, lats)
        hits = self.tree.query(points, predicate="dwithin", distance=EDGE_TOLERANCE_DEG)
        result = np.full(len(lons), _NO_CELL, dtype=np.int32)
        if hits.shape[1]:
            order = np.lexsort((hits[1], hits[0]))
            inputs, trees = hits[0][order], hits[1][order]
            first = np.r_[True, inputs[1:] != inputs[:-1]]
            result[inputs[first]] = trees[first]
        return result


def _release_free_memory() -> None:
    """Hand the build's freed temporaries back to the system (glibc keeps freed memory of
    every thread's arena mapped until trimmed: here about half the build's peak)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    """glibc, when this is the C library (for ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def _run(pool: ThreadPoolExecutor | None, fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``fn(*args)`` on ``pool``, or right now when there is none."""
    if pool is not None:
        return pool.submit(fn, *args)
    done: Future[Any] = Future()
    done.set_result(fn(*args))
    return done


def _hash(*columns: _Array) -> _Array:
    """A 64-bit hash of float rows (equal rows, equal hashes)."""
    h = np.zeros(len(columns[0]), dtype=np.uint64)
    for k, column in enumerate(columns):
        h ^= np.ascontiguousarray(column, dtype=np.float64).view(np.uint64) * np.uint64(
            0x9E3779B97F4A7C15 + 2 * k + 1
        )
        h ^= h >> np.uint64(29)
    return h


def _coordinates(lons: np.ndarray, lats: np.ndarray) -> tuple[_Array, _Array]:
    """Flat float64 coordinate arrays of equal length."""
    x = np.asarray(lons, dtype=np.float64).ravel()
    y = np.asarray(lats, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError("lons and lats must have the same length")
    return x, y


def _agreed(group: _Array, value: _Array, n: int) -> tuple[_Array, _Array]:
    """Per group, the one value other than -1 among its members; and the members that clash."""
    out = np.full(n, _NO_CELL, dtype=np.int32)
    given = value >= 0
    out[group[given]] = value[given]
    return out, given & (out[group] != value)
