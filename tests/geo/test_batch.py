"""BatchLocator gives exactly Locator's answers (edges, vertices, tolerance, fallback)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

import geo.batch
from geo.batch import BatchLocator
from geo.codes import Level
from geo.locate import Locator
from grids.demo import DemoCity, build_demo_city

# Hand-made cells near 广安门 (lon/lat), 0.01° ≈ 850 m east-west.
X0, Y0, D = 116.30, 39.88, 0.01
WEST, EAST = "110102020001001", "110102020001002"


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return build_demo_city(cell_area_m2=250_000)


@pytest.fixture(scope="module")
def locator(city: DemoCity) -> Locator:
    return Locator(city.levels(), generation=1)


@pytest.fixture(scope="module")
def batch(city: DemoCity, locator: Locator) -> BatchLocator:
    return BatchLocator(city.cells, fallback=locator)


def cells_frame(rows: list[tuple[str, Polygon | MultiPolygon]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [c for c, _ in rows], "name": [c for c, _ in rows]},
        geometry=[g if isinstance(g, MultiPolygon) else MultiPolygon([g]) for _, g in rows],
        crs="EPSG:4326",
    )


def grid_locator(cells: gpd.GeoDataFrame) -> Locator:
    """A Locator over ``cells`` plus one district that covers them all."""
    outline = shapely.box(*shapely.total_bounds(cells.geometry.values)).buffer(0.01)
    district = cells_frame([("110102", outline)])
    return Locator({Level.DISTRICT: district, Level.GRID: cells}, generation=1)


def assert_same(batch: BatchLocator, locator: Locator, x: np.ndarray, y: np.ndarray) -> None:
    got, want = batch.locate_codes(x, y), locator.locate_codes(x, y)
    assert got.dtype == object and got.shape == want.shape
    wrong = np.flatnonzero(got != want)
    assert len(wrong) == 0, [(x[i], y[i], got[i], want[i]) for i in wrong[:5]]


def vertices(cells: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(cells.geometry)))


def boundary_points(cells: gpd.GeoDataFrame, rng: np.random.Generator, per_cell: int):
    lines = np.repeat(shapely.boundary(cells.geometry.to_numpy()), per_cell)
    at = rng.uniform(0, 1, len(lines))
    return shapely.get_coordinates(shapely.line_interpolate_point(lines, at, normalized=True))


# --- the demo city ------------------------------------------------------------------------


def test_uniform_points_inside_and_beyond_the_grid(city, locator, batch) -> None:
    rng = np.random.default_rng(1)
    minx, miny, maxx, maxy = city.cells.total_bounds
    x = rng.uniform(minx - 0.05, maxx + 0.05, 60_000)
    y = rng.uniform(miny - 0.05, maxy + 0.05, 60_000)
    assert_same(batch, locator, x, y)
    codes = batch.locate_codes(x, y)
    assert (codes == "").sum() > 1000  # beyond the grid: outside every district
    assert {len(c) for c in codes} == {0, 15}


def test_cell_vertices(city, locator, batch) -> None:
    xy = vertices(city.cells)
    assert len(xy) > 10_000
    assert_same(batch, locator, xy[:, 0], xy[:, 1])


def test_points_on_edges(city, locator, batch) -> None:
    xy = boundary_points(city.cells, np.random.default_rng(2), per_cell=10)
    assert_same(batch, locator, xy[:, 0], xy[:, 1])


@pytest.mark.parametrize("offset", [1e-10, 9e-10, 1.1e-9, 1e-8, 6e-8, 2e-7])
def test_points_next_to_edges(city, locator, batch, offset: float) -> None:
    rng = np.random.default_rng(3)
    xy = boundary_points(city.cells, rng, per_cell=5)
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    x, y = xy[:, 0] + offset * np.cos(angle), xy[:, 1] + offset * np.sin(angle)
    assert_same(batch, locator, x, y)


@pytest.mark.parametrize("radius", [1e-10, 1e-9, 5e-8, 1e-6, 3e-5])
def test_points_around_vertices(city, locator, batch, radius: float) -> None:
    rng = np.random.default_rng(4)
    xy = vertices(city.cells)
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    r = radius * np.sqrt(rng.uniform(0, 1, len(xy)))
    assert_same(batch, locator, xy[:, 0] + r * np.cos(angle), xy[:, 1] + r * np.sin(angle))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.floats(116.10, 116.45), st.floats(39.78, 39.98)), min_size=1, max_size=40)
)
def test_hypothesis_points(locator, batch, points) -> None:
    xy = np.array(points)
    assert_same(batch, locator, xy[:, 0], xy[:, 1])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(0, 10**9),
    st.sampled_from([0.0, 1e-12, 1e-10, 1e-9, 2e-9, 5e-8, 1e-7, 1e-5]),
    st.floats(0, 2 * np.pi),
)
def test_hypothesis_near_vertices(city, locator, batch, pick: int, radius: float, angle) -> None:
    xy = vertices(city.cells)
    x, y = xy[pick % len(xy)]
    lon, lat = np.array([x + radius * np.cos(angle)]), np.array([y + radius * np.sin(angle)])
    assert_same(batch, locator, lon, lat)


def test_the_fast_path_answers_almost_every_point(city, batch, monkeypatch) -> None:
    exact_calls: list[int] = []
    slow = batch._exact

    def counting(lons, lats):
        exact_calls.append(len(lons))
        return slow(lons, lats)

    monkeypatch.setattr(batch, "_exact", counting)
    rng = np.random.default_rng(5)
    minx, miny, maxx, maxy = city.cells.total_bounds
    n = 200_000
    batch.locate_cells(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n))
    assert sum(exact_calls) < 0.005 * n


def test_fallback_names_the_community_where_there_is_no_cell(city) -> None:
    street = city.streets["code"].iloc[0]
    kept = city.cells[~city.cells["code"].str.startswith(street)]
    levels = city.levels() | {Level.GRID: kept}
    locator = Locator(levels, generation=1)
    batch = BatchLocator(kept, fallback=locator)
    area = city.streets.geometry.iloc[0]
    rng = np.random.default_rng(6)
    minx, miny, maxx, maxy = area.bounds
    x, y = rng.uniform(minx, maxx, 5000), rng.uniform(miny, maxy, 5000)
    assert_same(batch, locator, x, y)
    codes = batch.locate_codes(x, y)
    inside = shapely.contains_xy(area, x, y)
    assert {len(c) for c in codes[inside]} == {12}  # communities of the cell-less street
    assert all(c.startswith(street) for c in codes[inside])
    # without a fallback those points get ""
    assert set(BatchLocator(kept).locate_codes(x[inside], y[inside])) == {""}


@pytest.mark.parametrize("threads", [2, 3])
def test_chunks_on_several_threads(city, locator, monkeypatch, threads: int) -> None:
    # the build cuts the raster into one band per thread, the points go in chunks
    monkeypatch.setattr(geo.batch, "CHUNK_POINTS", 999)
    batch = BatchLocator(city.cells, fallback=locator, threads=threads)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = city.cells.total_bounds
    x, y = rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000)
    assert_same(batch, locator, x, y)


def test_the_build_is_the_same_on_any_number_of_threads(city) -> None:
    one = BatchLocator(city.cells, threads=1)
    for threads in (2, 3):
        other = BatchLocator(city.cells, threads=threads)
        assert np.array_equal(one._pixels, other._pixels)
        assert np.array_equal(one._lines.rows, other._lines.rows)
        assert np.array_equal(one._stars.cells, other._stars.cells)
    assert len(one._lines) > 1000 and len(one._stars) > 100


def test_indexed_codes_are_the_codes(city, batch) -> None:
    # cells, the fallback's communities (a street without cells) and "" beyond every district
    street = city.streets["code"].iloc[0]
    kept = city.cells[~city.cells["code"].str.startswith(street)]
    exact = Locator(city.levels() | {Level.GRID: kept}, generation=1)
    fewer = BatchLocator(kept, fallback=exact)
    rng = np.random.default_rng(12)
    minx, miny, maxx, maxy = city.cells.total_bounds
    x = rng.uniform(minx - 0.05, maxx + 0.05, 30_000)
    y = rng.uniform(miny - 0.05, maxy + 0.05, 30_000)
    for located in (batch, fewer):
        index, table = located.locate_indexed(x, y)
        assert index.dtype == np.min_scalar_type(len(table) - 1) and table.dtype == object
        assert table[index].tolist() == located.locate_codes(x, y).tolist()
    index, table = fewer.locate_indexed(x, y)
    assert (table[index] == "").any() and any(len(c) == 12 for c in table[index])
    assert table[index].tolist() == exact.locate_codes(x, y).tolist()


def test_points_on_pixel_borders_and_corners(city, locator, batch) -> None:
    # a point on a pixel's border belongs to the pixel east or north of it
    grid = batch._grid
    rng = np.random.default_rng(13)
    col = rng.integers(1, grid.cols - 1, 20_000)
    row = rng.integers(1, grid.rows - 1, 20_000)
    x, y = grid.x0 + col * grid.dx, grid.y0 + row * grid.dy
    along = grid.y0 + (row + rng.uniform(0, 1, len(row))) * grid.dy
    assert_same(batch, locator, np.r_[x, x], np.r_[y, along])


def test_point_by_point_matches_the_locator(city, locator, batch) -> None:
    # one or a few points take a plain-Python path; it must agree too
    rng = np.random.default_rng(10)
    minx, miny, maxx, maxy = city.cells.total_bounds
    near = vertices(city.cells)[rng.integers(0, 50_000, 1500)]
    near += rng.normal(0, 2e-5, near.shape)
    xy = np.vstack([rng.uniform((minx, miny), (maxx, maxy), (1500, 2)), near])
    want = locator.locate_codes(xy[:, 0], xy[:, 1])
    one = [batch.locate_codes(xy[i : i + 1, 0], xy[i : i + 1, 1])[0] for i in range(len(xy))]
    assert one == want.tolist()
    three = np.concatenate(
        [batch.locate_codes(xy[i : i + 3, 0], xy[i : i + 3, 1]) for i in range(0, len(xy), 3)]
    )
    assert three.tolist() == want.tolist()


def test_one_point_none_and_bad_input(batch) -> None:
    one = batch.locate_codes(np.array([116.35]), np.array([39.88]))
    assert one.shape == (1,) and len(one[0]) == 15
    assert batch.locate_codes(np.array([]), np.array([])).shape == (0,)
    with pytest.raises(ValueError, match="same length"):
        batch.locate_codes(np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="resolution_m"):
        BatchLocator(batch_cells_stub(), resolution_m=0)


def batch_cells_stub() -> gpd.GeoDataFrame:
    return cells_frame([(WEST, shapely.box(X0, Y0, X0 + D, Y0 + D))])


def test_no_cells_leaves_everything_to_the_fallback(city, locator) -> None:
    empty = city.cells.iloc[:0]
    x, y = np.array([116.35, 116.0]), np.array([39.88, 39.0])
    assert_same(BatchLocator(empty, fallback=locator), locator, x, y)
    assert BatchLocator(empty).locate_codes(x, y).tolist() == ["", ""]


# --- hand-made cells ----------------------------------------------------------------------


def two_squares() -> gpd.GeoDataFrame:
    """West and east squares sharing the edge x = X0 + D (east listed first)."""
    return cells_frame(
        [
            (EAST, shapely.box(X0 + D, Y0, X0 + 2 * D, Y0 + D)),
            (WEST, shapely.box(X0, Y0, X0 + D, Y0 + D)),
        ]
    )


@pytest.mark.parametrize("resolution_m", [3.0, 50.0, 5000.0])
def test_a_shared_edge_goes_to_the_smaller_code(resolution_m: float) -> None:
    batch = BatchLocator(two_squares(), resolution_m=resolution_m)
    edge_x, mid_y = X0 + D, Y0 + D / 2
    x = np.array([edge_x, edge_x + 1e-10, edge_x - 1e-10, edge_x + 1e-8, edge_x - 1e-8, edge_x])
    y = np.array([mid_y, mid_y, mid_y, mid_y, mid_y, Y0 + D])
    assert batch.locate_codes(x, y).tolist() == [WEST, WEST, WEST, EAST, WEST, WEST]
    # just outside the outer edge, within the tolerance, and beyond it
    x = np.array([X0 + 2 * D + 5e-10, X0 + 2 * D + 2e-9, X0 - 2e-9])
    assert batch.locate_codes(x, np.full(3, mid_y)).tolist() == [EAST, "", ""]


def odd_cells() -> gpd.GeoDataFrame:
    """A donut with an island, an exclave, T-junctions and a sliver-thin cell."""
    outer = shapely.box(X0, Y0, X0 + 3 * D, Y0 + 3 * D)
    hole = shapely.box(X0 + D, Y0 + D, X0 + 2 * D, Y0 + 2 * D)
    donut = outer.difference(hole)
    assert isinstance(donut, Polygon)  # the hole lies strictly inside: one polygon with a ring
    return cells_frame(
        [
            ("110102020001001", donut),
            ("110102020001002", hole),
            (
                "110102020001003",
                MultiPolygon(
                    [
                        shapely.box(X0 + 3 * D, Y0, X0 + 4 * D, Y0 + 1.5 * D),
                        shapely.box(X0 + 5 * D, Y0, X0 + 6 * D, Y0 + D),
                    ]
                ),
            ),
            ("110102020001004", shapely.box(X0 + 3 * D, Y0 + 1.5 * D, X0 + 4 * D, Y0 + 3 * D)),
            ("110102020001005", shapely.box(X0 + 4 * D, Y0, X0 + 4 * D + 1e-6, Y0 + 3 * D)),
            (
                "110102020001006",
                Polygon(
                    [
                        (X0 + 4 * D + 1e-6, Y0),
                        (X0 + 5 * D, Y0 + 0.3 * D),
                        (X0 + 4 * D + 1e-6, Y0 + 3 * D),
                    ]
                ),
            ),
        ]
    )


@pytest.mark.parametrize("resolution_m", [2.0, 40.0, 700.0])
def test_odd_cells_match_the_locator(resolution_m: float) -> None:
    cells = odd_cells()
    locator = grid_locator(cells)
    batch = BatchLocator(cells, fallback=locator, resolution_m=resolution_m)
    rng = np.random.default_rng(8)
    minx, miny, maxx, maxy = cells.total_bounds
    x, y = rng.uniform(minx - D, maxx + D, 20_000), rng.uniform(miny - D, maxy + D, 20_000)
    assert_same(batch, locator, x, y)
    xy = shapely.get_coordinates(cells.geometry.values)
    for r in (0.0, 1e-10, 1e-9, 5e-8, 1e-6, 1e-4):
        angle = rng.uniform(0, 2 * np.pi, len(xy))
        assert_same(batch, locator, xy[:, 0] + r * np.cos(angle), xy[:, 1] + r * np.sin(angle))
    edges = boundary_points(cells, rng, per_cell=200)
    assert_same(batch, locator, edges[:, 0], edges[:, 1])


@st.composite
def guillotine(draw) -> list[Polygon]:
    """A box cut recursively into rectangles (lots of T-junctions), in lon/lat."""
    boxes = [(X0, Y0, X0 + D, Y0 + D)]
    for _ in range(draw(st.integers(1, 12))):
        i = draw(st.integers(0, len(boxes) - 1))
        x0, y0, x1, y1 = boxes.pop(i)
        at = draw(st.floats(0.1, 0.9))
        if draw(st.booleans()):
            xm = x0 + at * (x1 - x0)
            boxes += [(x0, y0, xm, y1), (xm, y0, x1, y1)]
        else:
            ym = y0 + at * (y1 - y0)
            boxes += [(x0, y0, x1, ym), (x0, ym, x1, y1)]
    return [shapely.box(*b) for b in boxes]


@settings(max_examples=40, deadline=None)
@given(guillotine(), st.permutations(range(13)), st.sampled_from([1.0, 20.0, 300.0]), st.randoms())
def test_hypothesis_tilings_match_the_locator(boxes, order, resolution_m, random) -> None:
    codes = [f"110102020001{k + 1:03d}" for k in order if k < len(boxes)]
    cells = cells_frame(list(zip(codes, boxes, strict=True)))
    locator = grid_locator(cells)
    batch = BatchLocator(cells, fallback=locator, resolution_m=resolution_m)
    rng = np.random.default_rng(random.randint(0, 2**32 - 1))
    xy = np.vstack(
        [
            shapely.get_coordinates(cells.geometry.values),
            boundary_points(cells, rng, per_cell=20),
            rng.uniform((X0 - 0.001, Y0 - 0.001), (X0 + D + 0.001, Y0 + D + 0.001), (500, 2)),
        ]
    )
    r = rng.choice([0.0, 1e-10, 1e-9, 3e-8, 1e-6], len(xy))
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    assert_same(batch, locator, xy[:, 0] + r * np.cos(angle), xy[:, 1] + r * np.sin(angle))


def test_overlapping_and_duplicated_cells_match_the_locator() -> None:
    # not a tiling: the locator still answers (smallest code in overlaps), and so must we
    a = shapely.box(X0, Y0, X0 + 2 * D, Y0 + D)
    b = shapely.box(X0 + D, Y0, X0 + 3 * D, Y0 + D)
    clockwise = Polygon([(X0, Y0 + D), (X0 + D, Y0 + D), (X0 + D, Y0 + 2 * D)][::-1])
    cells = cells_frame(
        [
            ("110102020001003", a),
            ("110102020001001", b),
            ("110102020001002", b),
            ("110102020001004", clockwise),
        ]
    )
    locator = grid_locator(cells)
    rng = np.random.default_rng(9)
    for resolution_m in (5.0, 90.0):
        batch = BatchLocator(cells, fallback=locator, resolution_m=resolution_m)
        minx, miny, maxx, maxy = cells.total_bounds
        x, y = rng.uniform(minx - D, maxx + D, 20_000), rng.uniform(miny - D, maxy + D, 20_000)
        assert_same(batch, locator, x, y)
        edges = boundary_points(cells, rng, per_cell=300)
        assert_same(batch, locator, edges[:, 0], edges[:, 1])


def test_a_cell_with_a_line_part_matches_the_locator() -> None:
    # a GeometryCollection cell: its line part covers points too (within the tolerance)
    square = shapely.box(X0, Y0, X0 + D, Y0 + D)
    tail = shapely.LineString([(X0 + D, Y0 + D / 2), (X0 + 3 * D, Y0 + D / 3)])
    nested = shapely.GeometryCollection([shapely.MultiPolygon([square]), tail])
    right = shapely.box(X0 + D, Y0, X0 + 2 * D, Y0 + D)
    cells = gpd.GeoDataFrame(
        {"code": ["110102020001002", "110102020001001"], "name": ["a", "b"]},
        geometry=[nested, right],
        crs="EPSG:4326",
    )
    locator = grid_locator(cells)
    batch = BatchLocator(cells, fallback=locator, resolution_m=20.0)
    on_tail = shapely.get_coordinates(
        shapely.line_interpolate_point(tail, np.linspace(0, 1, 500), normalized=True)
    )
    rng = np.random.default_rng(11)
    xy = np.vstack([on_tail, rng.uniform((X0, Y0), (X0 + 3 * D, Y0 + D), (5000, 2))])
    assert_same(batch, locator, xy[:, 0], xy[:, 1])
    # without a fallback the line part must still be found by the batch locator itself
    alone = BatchLocator(cells, resolution_m=20.0).locate_codes(xy[:, 0], xy[:, 1])
    want = [c if len(c) == 15 else "" for c in locator.locate_codes(xy[:, 0], xy[:, 1])]
    assert alone.tolist() == want
    beyond = on_tail[:, 0] > X0 + 2 * D + 1e-6
    assert set(alone[: len(on_tail)][beyond]) == {"110102020001002"}
