"""Hotspot statistics on located events: counts, Getis-Ord Gi*, FDR, kernel density.

Pure: events are a DataFrame with the columns of ``grids.simulate.SimulatedYear.events``
(``at`` timezone-aware, ``lon``/``lat`` WGS-84, ``category``, ``grid_code`` … ``district_code``);
areas and roads are GeoDataFrames in EPSG:4326. Metric work happens in EPSG:4548.

**Gi\\*** (Getis & Ord 1992; Ord & Getis 1995) for unit *i* with weights ``w_ij`` *including*
the self-weight ``w_ii``, values ``x``, ``n`` units, mean ``x̄`` and ``s = sqrt(Σx²/n - x̄²)``::

    z_i = (Σ_j w_ij x_j - x̄ W_i) / (s * sqrt((n S1_i - W_i²) / (n - 1))),
    W_i = Σ_j w_ij,  S1_i = Σ_j w_ij²

A positive significant ``z`` is a hot spot (high values surrounded by high values), a negative
one a cold spot. The weights are **binary** (queen contiguity or a distance band, plus 1 on
the diagonal), as in ArcGIS and as ``esda.G_Local(transform="B", star=True)`` builds them.
Row-standardising does not change the Gi* z or the conditional-permutation p (each row's
weights are rescaled by a constant, which cancels), but esda's analytic moments assume binary
weights (``S1_i = W_i``), so with ``transform="R"`` its ``Zs`` is no longer the formula above.

**Islands** (a unit with no neighbour) keep only their self-weight: Gi* degenerates to a
standardised value of the unit itself, which says nothing about clustering, so islands are
reported with ``island=True``, ``p=1`` and class "not significant".

**Significance.** Every p is two-sided, so "hot 95" means what ArcGIS's ``Gi_Bin = 2``
means (95 % confidence; 99 % and 90 % likewise), here after the Benjamini–Hochberg false
discovery rate adjustment (``p_fdr``). ``gi_star`` offers three p-values:

* ``"sim"`` (default) — conditional permutations, the randomisation of
  ``esda.G_Local(star=True)`` vectorised over units and seeded (``_permutation_p``):
  ``p = min(1, 2 (min(#{G_sim >= G}, #{G_sim <= G}) + 1) / (permutations + 1))``, not esda's
  ``p_sim``, which counts ties as "larger" and calls a neighbourhood of zeros (tied with every
  draw) significant at p = 1/(permutations + 1). 999 permutations on 35,000 cells take well
  under a second (``python -m benchmarks.hotspots``).
  The smallest attainable p is ``2 / (permutations + 1)`` (0.002 for 999), so after FDR over
  *n* units nothing is significant unless about ``n * 0.002 / 0.05`` units reach that floor:
  on grids of thousands of cells, 999 permutations can find nothing.
* ``"binomial"`` — for counts: the neighbourhood count given the total is Binomial(total,
  neighbourhood share of ``exposure``) under the null of events spread in proportion to
  ``exposure`` (cell area; equal shares when None). Exact, fast, no floor. With raw counts on
  cells of unequal area, big cells look hot under any equal-share null: pass the areas.
* ``"norm"`` — the two-sided normal p of the analytic z (ArcGIS's Hot Spot Analysis).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from libpysal.weights import DistanceBand, Queen, W
from scipy import ndimage, stats
from scipy.spatial import cKDTree

from geo.crs import METRIC_SRID, STORAGE_SRID, area_m2, to_metric, to_storage

TIMEZONE = "Asia/Shanghai"
AreaLevel = Literal["grid", "community", "street", "district"]
WeightsKind = Literal["queen", "distance"]
CLASSES = ("hot 99", "hot 95", "hot 90", "not significant", "cold 90", "cold 95", "cold 99")
CONFIDENCE = ((0.01, "99"), (0.05, "95"), (0.10, "90"))

LEVEL_COLUMN: dict[str, str] = {
    "grid": "grid_code",
    "community": "community_code",
    "street": "street_code",
    "district": "district_code",
}
Moment = date | datetime | pd.Timestamp | str


# --- counts ---------------------------------------------------------------------------------


def timestamp(moment: Moment) -> pd.Timestamp:
    """A timezone-aware timestamp; naive dates and times are read as Asia/Shanghai."""
    ts = pd.Timestamp(moment)
    return ts.tz_localize(TIMEZONE) if ts.tzinfo is None else ts


def review_month(newest: Moment) -> pd.Period:
    """The last full Beijing month before the ``newest`` event: a monthly review's default.

    >>> str(review_month("2027-01-01T00:00:00+08:00"))
    '2026-12'
    >>> str(review_month("2026-12-31T16:00:00Z"))
    '2026-12'
    """
    local = timestamp(newest).tz_convert(TIMEZONE).tz_localize(None)
    return local.to_period("M") - 1


def select(
    events: pd.DataFrame,
    *,
    window: tuple[Moment, Moment] | None = None,
    category: str | None = None,
) -> pd.DataFrame:
    """Events in the half-open window [start, end) and of one category (or its prefix)."""
    mask = np.ones(len(events), dtype=bool)
    if window is not None:
        at = events["at"]
        mask &= ((at >= timestamp(window[0])) & (at < timestamp(window[1]))).to_numpy()
    if category is not None:
        mask &= events["category"].astype(str).str.startswith(category).to_numpy()
    return events[mask]


def counts(
    events: pd.DataFrame,
    *,
    level: AreaLevel = "grid",
    window: tuple[Moment, Moment] | None = None,
    category: str | None = None,
    units: Sequence[str] | None = None,
) -> pd.Series:
    """Events per unit code at ``level``; with ``units``: exactly those, zeros included."""
    column = LEVEL_COLUMN[level]
    chosen = select(events, window=window, category=category)
    codes = chosen[column].astype(str)
    tally = codes[codes != ""].value_counts().sort_index()
    if units is not None:
        tally = tally.reindex(pd.Index([str(u) for u in units]), fill_value=0)
    tally.index.name = level
    return tally.rename("count").astype(np.int64)


def road_counts(
    events: pd.DataFrame, roads: gpd.GeoDataFrame, *, buffer_m: float = 30.0
) -> pd.Series:
    """Events within ``buffer_m`` metres of each road line (an event may count for several)."""
    lines = to_metric(np.asarray(roads.to_crs(STORAGE_SRID).geometry.to_numpy(), dtype=object))
    points = _metric_points(events)
    hits = shapely.STRtree(points).query(lines, predicate="dwithin", distance=buffer_m)
    tally = np.bincount(hits[0], minlength=len(roads)).astype(np.int64)
    return pd.Series(tally, index=pd.Index(roads["id"].astype(str), name="road"), name="count")


def _metric_points(events: pd.DataFrame) -> np.ndarray:
    """Event positions as EPSG:4548 points."""
    points = shapely.points(events["lon"].to_numpy(float), events["lat"].to_numpy(float))
    return np.asarray(to_metric(np.asarray(points, dtype=object)), dtype=object)


# --- weights and FDR ------------------------------------------------------------------------


def spatial_weights(
    cells: gpd.GeoDataFrame, *, weights: WeightsKind = "queen", distance_m: float | None = None
) -> W:
    """Binary weights between the rows of ``cells`` (no self-weight), ids 0..n-1 in row order.

    ``distance``: centroids within ``distance_m`` in EPSG:4548; by default the largest
    nearest-neighbour distance, so that every cell has at least one neighbour (ArcGIS's default).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands and disconnected components are reported
        if weights == "queen":
            return Queen.from_dataframe(cells, use_index=False)
        xy = centroids_m(cells)
        threshold = default_distance_m(xy) if distance_m is None else float(distance_m)
        return DistanceBand(xy, threshold=threshold, binary=True, silence_warnings=True)


def weight_matrix(
    cells: gpd.GeoDataFrame, *, weights: WeightsKind = "queen", distance_m: float | None = None
) -> sp.csr_matrix:
    """The binary weights of ``spatial_weights`` as a sparse matrix, built vectorised.

    Queen: two cells are neighbours when they share a vertex (exact coordinates), as in
    libpysal's ``Queen``; found with one sort of all vertices and a sparse product instead
    of a Python loop over cells. Distance: centroid pairs within the band from a KD-tree.
    """
    n = len(cells)
    if weights == "queen":
        geoms = np.asarray(cells.geometry.to_numpy(), dtype=object)
        coords, owner = shapely.get_coordinates(geoms, return_index=True)
        _, vertex = np.unique(coords, axis=0, return_inverse=True)
        vertex = vertex.ravel()
        shape = (n, int(vertex.max()) + 1 if len(vertex) else 0)
        incidence = sp.csr_matrix((np.ones(len(owner)), (owner, vertex)), shape=shape)
        shared = sp.csr_matrix(incidence @ incidence.T)
    else:
        xy = centroids_m(cells)
        threshold = default_distance_m(xy) if distance_m is None else float(distance_m)
        pairs = cKDTree(xy).query_pairs(threshold, output_type="ndarray")
        ones = np.ones(2 * len(pairs))
        rows, cols = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
        shared = sp.csr_matrix((ones, (rows, cols)), shape=(n, n))
    shared.setdiag(0.0)
    shared.eliminate_zeros()
    shared.data[:] = 1.0
    return shared


def centroids_m(cells: gpd.GeoDataFrame) -> np.ndarray:
    """Centroids of ``cells`` in EPSG:4548 metres (n x 2)."""
    metric = to_metric(np.asarray(cells.to_crs(STORAGE_SRID).geometry.to_numpy(), dtype=object))
    return np.asarray(shapely.get_coordinates(shapely.centroid(metric)), dtype=float)


def default_distance_m(xy: np.ndarray) -> float:
    """The largest nearest-neighbour distance (plus 1 mm): every point gets a neighbour."""
    if len(xy) < 2:
        return 0.0
    distances, _ = cKDTree(xy).query(xy, k=2)
    return float(distances[:, 1].max()) + 1e-3


def fdr_adjust(p: np.ndarray, *, axis: int = 0) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values along ``axis`` (NaN stays NaN and is not counted)."""
    p = np.moveaxis(np.asarray(p, dtype=float), axis, 0)
    flat = p.reshape(p.shape[0], -1)
    out = np.full_like(flat, np.nan)
    for j in range(flat.shape[1]):
        column = flat[:, j]
        valid = np.flatnonzero(~np.isnan(column))
        m = len(valid)
        if m == 0:
            continue
        order = valid[np.argsort(column[valid], kind="stable")]
        scaled = column[order] * m / np.arange(1, m + 1)
        adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
        out[order, j] = np.minimum(adjusted, 1.0)
    return np.moveaxis(out.reshape(p.shape), 0, axis)


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ArcGIS-style classes from z (sign) and a two-sided p: "hot 99" … "cold 99"."""
    z, p = np.asarray(z, dtype=float), np.asarray(p, dtype=float)
    result = np.full(z.shape, "not significant", dtype=object)
    for threshold, label in reversed(CONFIDENCE):  # 90, then overwrite by 95, then 99
        significant = p <= threshold
        result[significant & (z > 0)] = f"hot {label}"
        result[significant & (z < 0)] = f"cold {label}"
    return result


def star_matrix(weights: W | sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """Binary weights plus the identity (Gi*'s self-weight), as a CSR matrix."""
    matrix = weights.sparse if isinstance(weights, W) else weights
    adjacency = sp.csr_matrix(matrix, dtype=float)
    adjacency = adjacency - sp.diags(adjacency.diagonal())
    adjacency.eliminate_zeros()
    adjacency.data[:] = 1.0
    return sp.csr_matrix(adjacency + sp.identity(adjacency.shape[0], format="csr"))


def gi_star_z(values: np.ndarray, star: sp.spmatrix | sp.sparray) -> np.ndarray:
    """Analytic Gi* z for every column of ``values`` (units x steps) with weights ``star``."""
    x = np.asarray(values, dtype=float)
    if x.ndim == 1:
        return gi_star_z(x[:, None], star)[:, 0]
    matrix = sp.csr_matrix(star, dtype=float)
    n = x.shape[0]
    w_sum = np.asarray(matrix.sum(axis=1)).ravel()
    s1 = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    mean = x.mean(axis=0)
    s = np.sqrt(np.maximum((x**2).mean(axis=0) - mean**2, 0.0))
    numerator = matrix @ x - np.outer(w_sum, mean)
    spread = np.sqrt(np.maximum(n * s1 - w_sum**2, 0.0) / (n - 1))
    denominator = np.outer(spread, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denominator > 0, numerator / denominator, 0.0)
    return np.asarray(z)


def binomial_p(
    values: np.ndarray,
    star: sp.spmatrix | sp.sparray,
    *,
    exposure: np.ndarray | None = None,
) -> np.ndarray:
    """Exact two-sided p of each neighbourhood count given the column total (binary weights).

    Null: the column's events fall on units independently in proportion to ``exposure``
    (cell area, say; equal when None). The count in unit *i*'s neighbourhood is then
    Binomial(total, share_i) with ``share_i`` its neighbourhood's share of the exposure, and
    ``p = min(1, 2 min(P(X <= c), P(X >= c)))``.
    """
    x = np.asarray(values, dtype=float)
    matrix = sp.csr_matrix(star, dtype=float)
    weights = np.ones(x.shape[0]) if exposure is None else np.asarray(exposure, dtype=float)
    share = np.minimum((matrix @ weights) / weights.sum(), 1.0)[:, None]
    total = np.broadcast_to(np.rint(x.sum(axis=0)), x.shape)
    local = np.rint(matrix @ x)
    upper = stats.binom.sf(local - 1, total, share)
    lower = stats.binom.cdf(local, total, share)
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(upper, lower)))


PValue = Literal["sim", "norm", "binomial"]


def gi_star(
    cells: gpd.GeoDataFrame,
    values: np.ndarray,
    *,
    weights: WeightsKind | W | sp.spmatrix | sp.sparray = "queen",
    distance_m: float | None = None,
    permutations: int = 999,
    seed: int = 2026,
    fdr: float | None = 0.05,
    pvalue: PValue = "sim",
    exposure: np.ndarray | None = None,
) -> pd.DataFrame:
    """Gi* per cell: code, value, z, p, p_fdr, class, significant, neighbours, island.

    ``p`` is two-sided: from esda's conditional permutations (``"sim"``), the normal
    distribution of ``z`` (``"norm"``) or the exact binomial count test (``"binomial"``,
    counts only, events expected in proportion to ``exposure``). ``p_fdr`` is its
    Benjamini–Hochberg adjustment (``fdr=None``: none); ``class`` uses ``p_fdr`` at
    0.01/0.05/0.10 and ``significant`` is ``p_fdr <= fdr``. ``weights`` is a kind (built
    with ``weight_matrix``), a libpysal ``W`` or a sparse matrix aligned with the rows.
    """
    y = np.asarray(values, dtype=float).ravel()
    if len(y) != len(cells):
        raise ValueError(f"{len(y)} values for {len(cells)} cells")
    if isinstance(weights, str):
        kind = cast(WeightsKind, weights)
        weights = weight_matrix(cells, weights=kind, distance_m=distance_m)
    star = star_matrix(weights)
    neighbours = np.asarray(star.getnnz(axis=1)) - 1
    island = neighbours == 0
    z, p = gi_star_z(y, star), np.ones(len(y))
    if len(y) > 2 and y.std() > 0:
        if pvalue == "sim":
            p = _permutation_p(y, star, permutations=permutations, seed=seed)
        elif pvalue == "binomial":
            p = binomial_p(y[:, None], star, exposure=exposure)[:, 0]
        else:
            p = 2.0 * stats.norm.sf(np.abs(z))
    z, p = np.where(island, 0.0, z), np.where(island, 1.0, p)
    p_fdr = fdr_adjust(p) if fdr is not None else p
    codes = cells["code"].astype(str).to_numpy() if "code" in cells else np.arange(len(y))
    return pd.DataFrame(
        {
            "code": codes,
            "value": y,
            "z": z,
            "p": p,
            "p_fdr": p_fdr,
            "class": classify(z, p_fdr),
            "significant": p_fdr <= (0.05 if fdr is None else fdr),
            "neighbours": neighbours.astype(np.int64),
            "island": island,
        }
    )


def count_hotspots(
    events: pd.DataFrame,
    units: gpd.GeoDataFrame,
    *,
    level: AreaLevel,
    weights: W | sp.spmatrix | sp.sparray,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Event counts per unit (``units`` with ``code`` and ``area_m2``) and their Gi* with the
    exact binomial p and the unit's area as exposure, as the API and the maps serve them."""
    y = (
        counts(events, level=level, units=list(units["code"])).to_numpy(dtype=float)
        if not events.empty
        else np.zeros(len(units))
    )
    exposure = units["area_m2"].to_numpy(float)
    return y, gi_star(units, y, weights=weights, pvalue="binomial", exposure=exposure)


def per_km2(counts: Sequence[float] | np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Events per km² of each unit: ``counts`` over the units' areas in EPSG:4548 (0 for a
    unit without area).

    >>> square = shapely.box(116.30, 39.90, 116.31, 39.91)  # about 0.95 km² at 39.9° N
    >>> [round(float(v), 1) for v in per_km2([10, 0], np.array([square, square]))]
    [10.5, 0.0]
    """
    km2 = area_m2(np.asarray(geoms, dtype=object)) / 1e6
    values = np.asarray(counts, dtype=float)
    return np.divide(values, km2, out=np.zeros_like(values), where=km2 > 0)


def _permutation_p(
    y: np.ndarray, star: sp.csr_matrix, *, permutations: int, seed: int, chunk: int = 4096
) -> np.ndarray:
    """Two-sided conditional-permutation p of each unit's Gi* (binary weights), vectorised.

    Conditional randomisation as in esda's ``crand``: unit *i* keeps its own value and its
    ``k_i`` neighbours' values are replaced by ``k_i`` values drawn without replacement from
    the other ``n - 1`` units. As in esda, one (permutations x max k) table of draws from
    ``range(n - 1)`` is shared by all units; esda maps a draw ``d`` to ``d + (d >= i)`` to skip
    unit *i*, here ``i`` is mapped to ``n - 1`` instead — another bijection onto the other
    units, so every unit's simulated Gi* has the same distribution as esda's. Gi* is the
    neighbourhood sum (plus the unit's own value, the same in every draw) over the total, so
    comparing neighbour sums ranks the draws as comparing Gi* does. The simulated sums are
    prefix sums of the drawn values, read at each unit's cardinality, plus the correction for
    the one draw (at most) that hit the unit itself; units are processed in chunks.

    ``p = min(1, 2 (min(#{sim >= obs}, #{sim <= obs}) + 1) / (permutations + 1))``: ties count
    on both sides. esda's own ``p_sim`` counts ties as "larger", so a neighbourhood of zeros
    (tied with every draw) would get p = 1/(permutations + 1).
    """
    if permutations < 1:
        raise ValueError("permutation p-values need permutations >= 1")
    n = len(y)
    adjacency = sp.csr_matrix(star - sp.identity(n, format="csr"))
    adjacency.eliminate_zeros()
    adjacency.data[:] = 1.0  # binary, as esda's transform="B"
    cardinality = np.asarray(adjacency.getnnz(axis=1))
    observed = adjacency @ y
    widest = int(cardinality.max()) if n else 0
    if widest == 0:
        return np.ones(n)
    rng = np.random.default_rng(seed)
    draws = np.stack([rng.choice(n - 1, size=widest, replace=False) for _ in range(permutations)])
    prefix = np.zeros((permutations, widest + 1))
    np.cumsum(y[draws], axis=1, out=prefix[:, 1:])
    # a draw equal to unit i stands for unit n - 1: add y[n-1] - y[i] where it was used
    position = np.broadcast_to(np.arange(widest), draws.shape)
    hit = cardinality[draws] > position
    hit_unit, hit_draw = draws[hit], np.nonzero(hit)[0]
    order = np.argsort(hit_unit, kind="stable")
    hit_unit, hit_draw = hit_unit[order], hit_draw[order]
    scale = 1e-9 * (np.abs(observed) + np.abs(y).max())
    p = np.empty(n)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        sims = prefix[:, cardinality[start:stop]].T  # (units in chunk, permutations)
        lo, hi = np.searchsorted(hit_unit, [start, stop])
        units = hit_unit[lo:hi]
        sims[units - start, hit_draw[lo:hi]] += y[n - 1] - y[units]
        obs, tol = observed[start:stop, None], scale[start:stop, None]
        above = (sims >= obs - tol).sum(axis=1)
        below = (sims <= obs + tol).sum(axis=1)
        p[start:stop] = np.minimum(1.0, 2.0 * (np.minimum(above, below) + 1) / (permutations + 1))
    return p


# --- kernel density -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DensityGrid:
    """A density raster in EPSG:4548: row 0 is the north edge; values are events per km²."""

    values: np.ndarray  # (rows, cols)
    x0: float  # west edge (m)
    y0: float  # north edge (m)
    cell_m: float
    crs: int = METRIC_SRID

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """The affine transform (a, b, c, d, e, f) as in GDAL/rasterio: x = a*col + c."""
        return (self.cell_m, 0.0, self.x0, 0.0, -self.cell_m, self.y0)

    def total(self) -> float:
        """The integral of the density: the number of events it represents."""
        return float(self.values.sum() * (self.cell_m / 1000.0) ** 2)

    def to_points(self, *, min_density: float = 0.0) -> gpd.GeoDataFrame:
        """Cell centres (EPSG:4326) with density above ``min_density`` (for a heatmap layer)."""
        rows, cols = np.nonzero(self.values > min_density)
        x = self.x0 + (cols + 0.5) * self.cell_m
        y = self.y0 - (rows + 0.5) * self.cell_m
        points = to_storage(np.asarray(shapely.points(x, y), dtype=object))
        return gpd.GeoDataFrame(
            {"density": self.values[rows, cols]}, geometry=list(points), crs=STORAGE_SRID
        )


def kde_grid(
    events: pd.DataFrame,
    *,
    bandwidth_m: float,
    cell_m: float,
    bbox: tuple[float, float, float, float] | None = None,
) -> DensityGrid:
    """Gaussian kernel density (events per km²): binned counts smoothed with sigma = bandwidth.

    ``bbox`` is (min_lon, min_lat, max_lon, max_lat); by default the events' extent. The
    raster is padded by three bandwidths so the kernels of events near the edge stay on it.
    """
    if bandwidth_m <= 0 or cell_m <= 0:
        raise ValueError("bandwidth_m and cell_m must be positive")
    xy = shapely.get_coordinates(_metric_points(events)) if len(events) else np.empty((0, 2))
    if bbox is None:
        if len(xy) == 0:
            raise ValueError("no events and no bbox")
        minx, miny = xy.min(axis=0)
        maxx, maxy = xy.max(axis=0)
    else:
        corners = to_metric(shapely.box(*bbox))
        minx, miny, maxx, maxy = shapely.bounds(corners)
    pad = 3.0 * bandwidth_m
    x0 = np.floor((minx - pad) / cell_m) * cell_m
    y0 = np.ceil((maxy + pad) / cell_m) * cell_m
    cols = int(np.ceil((maxx + pad - x0) / cell_m))
    rows = int(np.ceil((y0 - (miny - pad)) / cell_m))
    col = np.floor((xy[:, 0] - x0) / cell_m).astype(np.int64)
    row = np.floor((y0 - xy[:, 1]) / cell_m).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    binned = np.zeros((rows, cols))
    np.add.at(binned, (row[inside], col[inside]), 1.0)
    smooth = ndimage.gaussian_filter(binned, sigma=bandwidth_m / cell_m, mode="constant")
    density = smooth / (cell_m / 1000.0) ** 2
    return DensityGrid(density, float(x0), float(y0), float(cell_m))
