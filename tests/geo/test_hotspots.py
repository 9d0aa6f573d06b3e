"""Hotspot statistics: counts, Gi*, FDR, Mann-Kendall, emerging categories, kernel density.

The planted-pattern tests run the emerging analysis on the simulated year of the coarse demo
city (``tests/grids/test_simulate.py``). Tolerance: a pattern passes when at least 60 % of its
truth cells *and* the truth cell with the most pattern events get the expected category.
"""

from __future__ import annotations

import time
import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from libpysal.weights import W
from scipy import stats
from shapely.geometry import LineString, Point

from geo.crs import area_m2, to_metric, to_storage
from geo.emerging import (
    CATEGORIES,
    NO_PATTERN,
    SpaceTimeCube,
    categorize,
    emerging_hotspots,
    mann_kendall,
    space_time_cube,
)
from geo.hotspots import (
    counts,
    fdr_adjust,
    gi_star,
    gi_star_z,
    kde_grid,
    road_counts,
    spatial_weights,
    star_matrix,
    weight_matrix,
)
from tests.grids.test_simulate import coarse_city, coarse_year, uniform_year


def metric_point(lon: float, lat: float) -> Point:
    """A lon/lat position in EPSG:4548 metres (projecting a point gives a point)."""
    point = to_metric(shapely.Point(lon, lat))
    assert isinstance(point, Point)
    return point


CENTRE_M = metric_point(116.36, 39.87)
WEEKLY = {
    "persistent": "persistent hot spot",
    "intensifying": "intensifying hot spot",
    "new": "consecutive hot spot",  # hot in its last 3 weekly bins: ArcGIS's "consecutive"
    "diminishing": "diminishing hot spot",
}
FOUR_WEEKLY = {**WEEKLY, "new": "new hot spot"}  # the last 18 days fall in the final bin


@pytest.fixture(scope="module")
def weights() -> W:
    return spatial_weights(coarse_city().cells)


@pytest.fixture(scope="module")
def areas() -> np.ndarray:
    """Cell areas: the exposure under the null of events spread evenly over the city."""
    return area_m2(coarse_city().cells.geometry.to_numpy())


def lattice(rows: int, cols: int, side: float = 100.0) -> gpd.GeoDataFrame:
    """A rows x cols lattice of square cells (EPSG:4326, around CENTRE_M), codes in row order."""
    x0, y0 = CENTRE_M.x, CENTRE_M.y
    boxes = [
        shapely.box(x0 + c * side, y0 - (r + 1) * side, x0 + (c + 1) * side, y0 - r * side)
        for r in range(rows)
        for c in range(cols)
    ]
    geoms = to_storage(np.asarray(boxes, dtype=object))
    codes = [f"C{i:04d}" for i in range(rows * cols)]
    return gpd.GeoDataFrame({"code": codes}, geometry=list(geoms), crs=4326)


def frame(points: list[tuple[float, float]], *, at: list[str], cat: list[str], grid: list[str]):
    return pd.DataFrame(
        {
            "at": pd.to_datetime(at).tz_localize("Asia/Shanghai"),
            "lon": [p[0] for p in points],
            "lat": [p[1] for p in points],
            "category": cat,
            "grid_code": grid,
            "community_code": [g[:12] for g in grid],
            "street_code": [g[:9] for g in grid],
            "district_code": [g[:6] for g in grid],
        }
    )


# --- counts -----------------------------------------------------------------------------------


def test_counts_fill_zeros_filter_window_and_category() -> None:
    grid = ["110102013008002", "110102013008002", "110102013008003", "110106017012001"]
    events = frame(
        [(116.36, 39.87)] * 4,
        at=["2026-01-01 08:00", "2026-01-02 23:59", "2026-01-03 00:00", "2026-01-01 12:00"],
        cat=["E0401", "E0101", "E0401", "E0401"],
        grid=grid,
    )
    units = ["110102013008001", "110102013008002", "110102013008003"]
    got = counts(events, units=units)
    assert got.to_dict() == {"110102013008001": 0, "110102013008002": 2, "110102013008003": 1}
    # half-open window in local time; category by code or prefix
    window = counts(events, window=("2026-01-01", "2026-01-03"))
    assert window.to_dict() == {"110102013008002": 2, "110106017012001": 1}
    assert counts(events, category="E0401", level="street").to_dict() == {
        "110102013": 2, "110106017": 1,
    }  # fmt: skip
    assert counts(events, category="E04", level="district").sum() == 3


def test_counts_agree_across_levels_on_the_simulated_year() -> None:
    events = coarse_year().events
    by_grid = counts(events, units=coarse_city().cells["code"])
    assert by_grid.sum() == len(events) and len(by_grid) == len(coarse_city().cells)
    by_street = counts(events, level="street")
    assert by_grid.groupby(by_grid.index.str[:9]).sum().loc[by_street.index].equals(by_street)


def test_road_counts_use_a_metric_buffer() -> None:
    x, y = CENTRE_M.x, CENTRE_M.y
    line = to_storage(LineString([(x, y), (x + 200, y)]))
    roads = gpd.GeoDataFrame({"id": ["R1", "R2"]}, geometry=[line, line], crs=4326)
    offsets = [(50, 10), (100, -29), (150, 31), (260, 0), (-25, 0)]  # metres from the line
    points = to_storage(np.asarray([shapely.Point(x + dx, y + dy) for dx, dy in offsets]))
    lonlat = [(p.x, p.y) for p in points]
    events = frame(lonlat, at=["2026-01-01"] * 5, cat=["E0401"] * 5, grid=["1" * 15] * 5)
    got = road_counts(events, roads, buffer_m=30)
    assert got.to_dict() == {"R1": 3, "R2": 3}  # 10 m, 29 m and 25 m off the end
    assert road_counts(events, roads, buffer_m=5).to_dict() == {"R1": 0, "R2": 0}


# --- FDR and Mann-Kendall -----------------------------------------------------------------------


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4/rank: 0.02, 0.02, 0.04, 0.04 (already monotone)
    assert fdr_adjust(np.array([0.01, 0.04, 0.03, 0.005])) == pytest.approx(
        [0.02, 0.04, 0.04, 0.02]
    )
    # the step-up minimum: 0.05*5/5 … all equal 0.05
    assert fdr_adjust(np.array([0.01, 0.02, 0.03, 0.04, 0.05])) == pytest.approx([0.05] * 5)
    # capped at 1, NaN ignored (not counted in m)
    got = fdr_adjust(np.array([0.9, np.nan, 0.6]))
    assert got[0] == pytest.approx(0.9) and np.isnan(got[1]) and got[2] == pytest.approx(0.9)
    rng = np.random.default_rng(3)
    p = rng.random((200, 3)) ** 3
    assert fdr_adjust(p, axis=0) == pytest.approx(stats.false_discovery_control(p, axis=0))
    assert fdr_adjust(p.T, axis=1) == pytest.approx(stats.false_discovery_control(p.T, axis=1))


def test_mann_kendall_by_hand_with_ties() -> None:
    # pairs of 1, 2, 2, 4: five increases, one tie -> S = 5
    # Var S = (4*3*13 - 2*1*9) / 18 = 138 / 18; Z = (5 - 1) / sqrt(Var S)
    got = mann_kendall(np.array([1.0, 2.0, 2.0, 4.0]))
    assert got.s == 5 and got.var_s == pytest.approx(138 / 18)
    assert got.z == pytest.approx(4 / np.sqrt(138 / 18))
    assert got.p == pytest.approx(2 * stats.norm.sf(4 / np.sqrt(138 / 18)))
    assert got.tau == pytest.approx(5 / 6)
    flat = mann_kendall(np.full(6, 3.0))
    assert flat.s == 0 and flat.z == 0 and flat.p == 1


def test_mann_kendall_agrees_with_scipy_kendalltau_and_is_vectorised() -> None:
    rng = np.random.default_rng(11)
    series = np.round(rng.normal(size=(5, 30)) + np.linspace(0, 1, 30), 1)  # ties included
    got = mann_kendall(series)
    for i, row in enumerate(series):
        # scipy's asymptotic Kendall test has the same tie-corrected variance, no continuity
        ref = stats.kendalltau(np.arange(30), row, method="asymptotic")
        assert 2 * stats.norm.sf(abs(got.s[i]) / np.sqrt(got.var_s[i])) == pytest.approx(ref.pvalue)
        assert mann_kendall(row).z == pytest.approx(got.z[i])


# --- Gi* -----------------------------------------------------------------------------------------


def test_analytic_gi_star_z_equals_esda_on_three_steps(weights: W) -> None:
    cube = space_time_cube(
        coarse_year().events, coarse_city().cells["code"], start=coarse_year().start, steps=52
    )
    z = gi_star_z(cube.values, star_matrix(weights))
    for step in (0, 26, 51):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = esda.G_Local(cube.values[:, step], weights, transform="B", star=True,
                               permutations=0)  # fmt: skip
        np.testing.assert_allclose(z[:, step], ref.Zs, rtol=0, atol=1e-6)


def test_gi_star_finds_a_planted_block_on_a_lattice() -> None:
    cells = lattice(12, 12)
    rng = np.random.default_rng(5)
    values = rng.poisson(3, size=144).astype(float)
    block = [r * 12 + c for r in range(4, 7) for c in range(4, 7)]
    values[block] += 12
    # 9,999 permutations: with 999 the floor p = 0.002 times 144 / (cells at the floor) sits
    # right at 0.05 after FDR, so 95 % vs 90 % for the block depended on the draws
    got = gi_star(cells, values, permutations=9_999, seed=1)
    centre = got.iloc[5 * 12 + 5]
    assert centre["class"] in ("hot 99", "hot 95") and centre["z"] > 5
    assert got.loc[block, "class"].str.startswith("hot").mean() >= 0.8
    far = got.drop(index=[r * 12 + c for r in range(2, 9) for c in range(2, 9)])
    assert (far["class"] == "not significant").all()
    assert set(got["class"]) <= {"hot 99", "hot 95", "hot 90", "not significant",
                                 "cold 90", "cold 95", "cold 99"}  # fmt: skip
    assert got["p_fdr"].ge(got["p"]).all()


def test_gi_star_permutation_p_counts_ties_on_both_sides() -> None:
    # sparse counts: most neighbourhoods are all zeros, tied with every permutation draw;
    # esda's own p_sim would call them cold at 99 % (p = 1/1000)
    cells = lattice(10, 10)
    values = np.zeros(100)
    values[[7, 42, 93]] = 1.0
    got = gi_star(cells, values, permutations=199, seed=3, fdr=None)
    zero_block = got.iloc[[r * 10 + c for r in range(0, 3) for c in range(0, 3)]]
    assert (zero_block["p"] == 1.0).all()
    assert not got["class"].str.startswith("cold").any()


def test_vectorised_weights_equal_libpysal_queen_and_distance_band(weights: W) -> None:
    cells = coarse_city().cells
    assert (weight_matrix(cells) != weights.sparse).nnz == 0
    band = spatial_weights(cells, weights="distance").sparse
    assert (weight_matrix(cells, weights="distance") != band).nnz == 0
    assert (weight_matrix(cells, weights="distance", distance_m=500) !=
            spatial_weights(cells, weights="distance", distance_m=500).sparse).nnz == 0  # fmt: skip


def test_permutation_p_has_esda_conditional_randomisation_distribution() -> None:
    # the same null (neighbours drawn without replacement from the other cells), other draws:
    # with 9,999 permutations each, both p estimates are within Monte-Carlo noise of each other
    cells = lattice(15, 15)
    rng = np.random.default_rng(8)
    values = rng.poisson(2, size=225).astype(float)
    values[[r * 15 + c for r in range(3, 6) for c in range(9, 12)]] += 4
    ours = gi_star(cells, values, permutations=9_999, seed=4, fdr=None)["p"].to_numpy()
    w = spatial_weights(cells)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(values, w, transform="B", star=True, permutations=9_999, seed=4,
                         keep_simulations=True, n_jobs=1)  # fmt: skip
    sims, observed = np.asarray(g.rGs), np.asarray(g.Gs)[:, None]
    tol = 1e-12 * np.abs(observed)
    extreme = np.minimum((sims >= observed - tol).sum(1), (sims <= observed + tol).sum(1))
    reference = np.minimum(1.0, 2.0 * (extreme + 1) / 10_000)
    assert np.abs(ours - reference).max() < 0.035
    assert np.abs(ours - reference).mean() < 0.01
    assert ((ours <= 0.01) == (reference <= 0.01)).mean() > 0.97
    # seeded: the same seed gives the same p
    again = gi_star(cells, values, permutations=9_999, seed=4, fdr=None)["p"].to_numpy()
    assert np.array_equal(ours, again)


def test_gi_star_marks_islands_not_significant() -> None:
    cells = lattice(5, 5)
    far = to_storage(
        shapely.box(CENTRE_M.x + 5_000, CENTRE_M.y, CENTRE_M.x + 5_100, CENTRE_M.y + 100)
    )
    cells = pd.concat([cells, gpd.GeoDataFrame({"code": ["ISLE"]}, geometry=[far], crs=4326)],
                      ignore_index=True)  # fmt: skip
    values = np.r_[np.ones(25), 50.0]
    got = gi_star(cells, values, permutations=99)
    isle = got.iloc[-1]
    assert isle["island"] and isle["neighbours"] == 0
    assert isle["class"] == "not significant" and isle["z"] == 0 and isle["p"] == 1
    by_distance = gi_star(cells, values, weights="distance", permutations=0, pvalue="norm")
    assert by_distance["neighbours"].min() >= 1  # default band reaches every cell


def test_gi_star_on_planted_year_flags_the_alley_with_exact_count_p(
    weights: W, areas: np.ndarray
) -> None:
    year, city = coarse_year(), coarse_city()
    truth = year.truth[0]
    values = counts(year.events, category=truth.category, units=city.cells["code"]).to_numpy()
    got = gi_star(city.cells, values, weights=weights, pvalue="binomial", exposure=areas)
    got = got.set_index("code")
    assert set(truth.cells) & set(got["z"].nlargest(3).index)  # the alley or a neighbour
    assert got.loc[list(truth.cells), "class"].eq("hot 99").all()
    hot = got.index[got["class"].str.startswith("hot")]
    assert len(hot) <= 20  # the alley's neighbourhood, not the city
    # permutation p (999 draws) reaches its floor of 0.002 at the alley, but FDR over 2,010
    # cells needs n * 0.002 / 0.05 = 80 cells at the floor: honest, and documented
    perm = gi_star(city.cells, values, weights=weights, permutations=999).set_index("code")
    assert perm.loc[list(truth.cells), "p"].eq(0.002).all()


# --- uniform year: nothing to find ----------------------------------------------------------------


def test_a_uniform_random_year_has_no_hot_spots_after_fdr(weights: W, areas: np.ndarray) -> None:
    year, city = uniform_year(), coarse_city()
    values = counts(year.events, units=city.cells["code"]).to_numpy()
    for pvalue in ("sim", "binomial"):
        got = gi_star(city.cells, values, weights=weights, pvalue=pvalue, exposure=areas)
        hot = got["class"].isin(["hot 99", "hot 95"]).mean()
        assert hot <= 0.01, pvalue
    for category in (None, "E0401", "E0301"):  # all events, a common and a sparse category
        cube = space_time_cube(year.events, city.cells["code"], start=year.start, steps=52,
                               category=category)  # fmt: skip
        result = emerging_hotspots(cube, weights, exposure=areas)
        assert result["n_hot_steps"].sum() / cube.values.size <= 0.01, category
        assert (result["category"] == NO_PATTERN).mean() >= 0.99, category


# --- emerging: the planted patterns come out in their categories -----------------------------------


def assert_patterns_found(step_days: int, steps: int, expected: dict[str, str], *,
                          by_category: bool, weights: W, areas: np.ndarray) -> None:  # fmt: skip
    year, city = coarse_year(), coarse_city()
    for truth in year.truth:
        category = truth.category if by_category else None
        cube = space_time_cube(year.events, city.cells["code"], start=year.start, steps=steps,
                               step_days=step_days, category=category)  # fmt: skip
        result = emerging_hotspots(cube, weights, exposure=areas).set_index("code")
        want = expected[truth.kind]
        got = result.loc[list(truth.cells), "category"]
        mine = year.events[year.events["pattern"] == truth.name]
        top = mine["grid_code"].value_counts().idxmax()
        assert (got == want).mean() >= 0.6, (truth.name, got.to_dict())
        assert isinstance(top, str)
        assert result.loc[top, "category"] == want, (truth.name, top)


def test_weekly_per_category_analysis_finds_each_planted_pattern(
    weights: W, areas: np.ndarray
) -> None:
    assert_patterns_found(7, 52, WEEKLY, by_category=True, weights=weights, areas=areas)


def test_four_weekly_analyses_find_each_planted_pattern(weights: W, areas: np.ndarray) -> None:
    assert_patterns_found(28, 13, FOUR_WEEKLY, by_category=True, weights=weights, areas=areas)
    assert_patterns_found(28, 13, FOUR_WEEKLY, by_category=False, weights=weights, areas=areas)


def test_background_far_from_the_patterns_shows_no_pattern(weights: W, areas: np.ndarray) -> None:
    year, city = coarse_year(), coarse_city()
    centroids = to_metric(shapely.centroid(city.cells.geometry.to_numpy()))
    truth = np.isin(city.cells["code"], [c for t in year.truth for c in t.cells])
    distance = shapely.distance(centroids[:, None], centroids[truth][None, :]).min(axis=1)
    far = distance > 2_000
    for category in ("E0401", "E0101", "E0404", "E0301", None):
        cube = space_time_cube(year.events, city.cells["code"], start=year.start, steps=52,
                               category=category)  # fmt: skip
        result = emerging_hotspots(cube, weights, exposure=areas)
        assert (result.loc[far, "category"] == NO_PATTERN).mean() >= 0.98, category


def test_categories_follow_arcgis_definitions() -> None:
    steps = 10
    cases = [  # (hot steps, cold steps, trend, expected)
        ([9], [], 0, "new hot spot"),
        ([7, 8, 9], [], 0, "consecutive hot spot"),
        (range(10), [], +1, "intensifying hot spot"),
        (range(10), [], 0, "persistent hot spot"),
        (range(10), [], -1, "diminishing hot spot"),
        ([1, 4, 9], [], 0, "sporadic hot spot"),
        ([5, 9], [2], 0, "oscillating hot spot"),
        (range(9), [], 0, "historical hot spot"),  # 90 % hot, but not the last step
        ([], [8, 9], 0, "consecutive cold spot"),
        ([], range(10), -1, "intensifying cold spot"),  # z more negative over time
        ([], range(10), +1, "diminishing cold spot"),
        (range(5), [], 0, NO_PATTERN),  # hot half the year, not at the end
        ([1, 8, 9], [], 0, "sporadic hot spot"),  # hot before the final run: not consecutive
        ([2, 9], [], 0, "sporadic hot spot"),  # not new: hot once before
    ]
    hot = np.zeros((len(cases), steps), dtype=bool)
    cold = np.zeros_like(hot)
    trend = np.zeros(len(cases))
    for i, (hot_steps, cold_steps, direction, _) in enumerate(cases):
        hot[i, list(hot_steps)] = True
        cold[i, list(cold_steps)] = True
        trend[i] = direction
    got = categorize(hot, cold, trend > 0, trend < 0)
    assert list(got) == [expected for *_, expected in cases]
    assert set(got) <= set(CATEGORIES)


def test_space_time_cube_bins_by_local_time() -> None:
    grid = ["110102013008002"] * 4
    events = frame(
        [(116.36, 39.87)] * 4,
        at=["2026-01-04 23:59", "2026-01-05 00:00", "2026-01-11 23:00", "2026-01-19 00:00"],
        cat=["E0401"] * 4,
        grid=grid,
    )
    cube = space_time_cube(events, ["110102013008001", "110102013008002"],
                           start="2026-01-04", steps=2)  # fmt: skip
    assert cube.values.tolist() == [[0, 0], [2, 1]]  # the 19th is past the last edge
    assert cube.edges[0] == pd.Timestamp("2026-01-04", tz="Asia/Shanghai")


def test_emerging_runs_35000_cells_by_52_weeks_in_seconds() -> None:
    side = 188  # 35,344 cells in a queen lattice
    n = side * side
    one = sp.diags([1.0, 1.0], [-1, 1], shape=(side, side))
    eye = sp.identity(side)
    rook = sp.kron(one, eye) + sp.kron(eye, one)
    queen = (rook + sp.kron(one, one)).tocsr()
    values = np.random.default_rng(0).poisson(0.05, size=(n, 52)).astype(float)
    cube = SpaceTimeCube(np.array([f"{i:06d}" for i in range(n)], dtype=object),
                         pd.DatetimeIndex([]), values)  # fmt: skip
    started = time.perf_counter()
    result = emerging_hotspots(cube, queen)
    elapsed = time.perf_counter() - started
    assert len(result) == n and elapsed < 20.0, elapsed
    assert (result["category"] == NO_PATTERN).mean() > 0.99


# --- kernel density ---------------------------------------------------------------------------------


def test_kernel_density_integrates_to_the_event_count_and_peaks_at_the_alley() -> None:
    year = coarse_year()
    vending = year.events[year.events["category"] == "E0401"]
    grid = kde_grid(vending, bandwidth_m=150, cell_m=50)
    assert grid.total() == pytest.approx(len(vending), rel=1e-3)
    row, col = np.unravel_index(np.argmax(grid.values), grid.values.shape)
    peak = to_storage(shapely.Point(grid.x0 + (col + 0.5) * 50, grid.y0 - (row + 0.5) * 50))
    alley = coarse_city().roads.set_index("id").loc[year.truth[0].road_id].geometry
    assert shapely.distance(to_metric(peak), to_metric(alley)) < 150
    assert grid.transform == (50.0, 0.0, grid.x0, 0.0, -50.0, grid.y0)
    points = grid.to_points(min_density=1.0)
    assert points.crs.to_epsg() == 4326 and (points["density"] > 1.0).all()
    # a bbox clips the raster but keeps its kernels' mass only for the events inside
    small = kde_grid(vending, bandwidth_m=150, cell_m=50, bbox=(116.35, 39.86, 116.37, 39.88))
    assert small.values.shape < grid.values.shape and small.total() < grid.total()
