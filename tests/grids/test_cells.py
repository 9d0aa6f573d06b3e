"""Unit grid generation: exact tiling, fragment merging, numbering, the 999 limit."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from geo.codes import MAX_GRID_SEQUENCE
from grids.cells import CELL_COLUMNS, generate_cells, tiling_problems

# Projections done here with pyproj, not geo.crs, so expectations never come from the code
# under test. Both take and return one geometry or an array of geometries.
_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:4548", always_xy=True)
_TO_LONLAT = Transformer.from_crs("EPSG:4548", "EPSG:4326", always_xy=True)


def to_metric(geoms):
    return shapely.transform(geoms, lambda xy: np.column_stack(_TO_METRIC.transform(*xy.T)))


def to_storage(geoms):
    return shapely.transform(geoms, lambda xy: np.column_stack(_TO_LONLAT.transform(*xy.T)))


# --- Named test geometries -------------------------------------------------------------
# Lon/lat shapes near 116.3E 39.9N (not aligned with the EPSG:4548 lattice) ...
SQUARE = box(116.300, 39.900, 116.305, 39.904)  # about 430 m x 445 m
L_SHAPE = Polygon(
    [(116.31, 39.90), (116.316, 39.90), (116.316, 39.902), (116.312, 39.902),
     (116.312, 39.906), (116.31, 39.906)]
)  # fmt: skip
EXCLAVE = MultiPolygon(
    [box(116.320, 39.900, 116.324, 39.903), box(116.3270, 39.9000, 116.3273, 39.9003)]
)  # main part plus a ~25 m x 33 m exclave far from it
HOLE_RING = box(116.3325, 39.9015, 116.3345, 39.9025)
WITH_HOLE = Polygon(box(116.330, 39.900, 116.336, 39.904).exterior, [HOLE_RING.exterior.coords])
WEST = box(116.340, 39.900, 116.344, 39.904)
EAST = box(116.344, 39.900, 116.347, 39.904)  # shares WEST's east edge

# ... and metric shapes at exact multiples of 100 m (the lattice side of 10,000 m² cells).
X0, Y0 = 440_000.0, 4_418_000.0


def metric_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A lon/lat polygon for an EPSG:4548 box given in metres from (X0, Y0)."""
    return to_storage(box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1))


GRID_3X4 = metric_box(0, 0, 400, 300)  # exactly 3 rows x 4 columns of 100 m squares
GRID_WITH_STRIP = metric_box(0, 0, 200, 120)  # two squares with a 20 m strip on top
BIG = metric_box(0, 0, 4_000, 4_000)  # 1,600 cells of 10,000 m² would be too many

NAMED = {
    "square": SQUARE,
    "l_shape": L_SHAPE,
    "exclave": EXCLAVE,
    "with_hole": WITH_HOLE,
    "west": WEST,
    "east": EAST,
}


def communities(*geoms, start: int = 1) -> gpd.GeoDataFrame:
    """A community frame with consecutive codes under street 110102020."""
    codes = [f"110102020{i:03d}" for i in range(start, start + len(geoms))]
    names = [f"社区{i}" for i in range(start, start + len(geoms))]
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=list(geoms), crs=4326)


def metric(geoms) -> np.ndarray:
    return to_metric(np.asarray(list(geoms), dtype=object))


def tiling_errors(community, cells) -> tuple[float, float, float]:
    """(gap, overlap, outside) in m² of lon/lat ``cells`` against ``community``."""
    target, parts = shapely.make_valid(to_metric(community)), metric(cells)
    union = shapely.union_all(parts)
    gap = shapely.area(shapely.difference(target, union))
    overlap = shapely.area(parts).sum() - shapely.area(union)
    outside = shapely.area(shapely.difference(parts, target)).max()
    return float(gap), float(overlap), float(outside)


def assert_tiles(community, cells) -> None:
    gap, overlap, outside = tiling_errors(community, cells)
    area = float(shapely.area(to_metric(community)))
    assert gap < 1e-6 * area
    assert overlap < 0.01
    assert outside < 0.01


def assert_well_formed(out: gpd.GeoDataFrame, frame: gpd.GeoDataFrame) -> None:
    assert list(out.columns) == CELL_COLUMNS
    assert out.crs.to_epsg() == 4326
    assert out["code"].tolist() == sorted(out["code"])
    assert set(out["parent_code"]) == set(frame["code"])
    assert (out["level"] == "grid").all() and out["synthetic"].eq(True).all()
    assert out.geometry.geom_type.eq("MultiPolygon").all()
    assert out.geometry.is_valid.all() and not out.geometry.is_empty.any()
    for parent, cells in out.groupby("parent_code"):
        assert cells["code"].str.fullmatch(r"\d{15}").all()
        assert cells["code"].str.startswith(parent).all()
        sequences = sorted(int(code[12:]) for code in cells["code"])
        assert sequences == list(range(1, len(cells) + 1))
        assert len(cells) <= MAX_GRID_SEQUENCE


def by_parent(out: gpd.GeoDataFrame, code: str) -> list:
    return list(out.loc[out["parent_code"] == code].geometry)


# --- Hand-made cases -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_community_is_tiled_exactly(name):
    frame = communities(NAMED[name])
    out = generate_cells(frame)
    assert_well_formed(out, frame)
    assert_tiles(NAMED[name], list(out.geometry))
    assert tiling_problems(NAMED[name], list(out.geometry)) == []


@pytest.mark.parametrize("name", sorted(NAMED))
def test_cells_are_near_the_target_area(name):
    cells = metric(generate_cells(communities(NAMED[name])).geometry)
    areas = shapely.area(cells)
    main = areas[shapely.area(cells) > 0.3 * 10_000]
    assert len(main) >= len(areas) - 1  # only the exclave may stay small
    assert areas.max() < 2 * 1.3 * 10_000
    assert 0.5 * 10_000 < np.median(areas) <= 1.2 * 10_000


def test_square_count_matches_its_area():
    out = generate_cells(communities(SQUARE))
    area = float(shapely.area(to_metric(SQUARE)))
    assert 0.7 * area / 10_000 <= len(out) <= 1.3 * area / 10_000


def test_tiny_exclave_stays_a_cell_of_its_own():
    exclave = EXCLAVE.geoms[1]
    out = generate_cells(communities(EXCLAVE))
    cells = metric(out.geometry)
    touching = shapely.intersects(cells, to_metric(exclave))
    assert touching.sum() == 1
    (cell,) = cells[touching]
    assert shapely.area(cell) == pytest.approx(float(shapely.area(to_metric(exclave))))


def test_no_cell_covers_the_hole():
    out = generate_cells(communities(WITH_HOLE))
    inside_hole = shapely.intersection(metric(out.geometry), to_metric(HOLE_RING))
    assert shapely.area(inside_hole).sum() < 0.01


def test_adjacent_communities_do_not_overlap():
    frame = communities(WEST, EAST)
    out = generate_cells(frame)
    assert_well_formed(out, frame)
    west, east = (metric(by_parent(out, code)) for code in frame["code"])
    cross = shapely.intersection(shapely.union_all(west), shapely.union_all(east))
    assert shapely.area(cross) < 0.01
    whole = shapely.union_all(metric([WEST, EAST]))
    assert (
        shapely.area(shapely.symmetric_difference(whole, shapely.union_all(metric(out.geometry))))
        < 1
    )


def test_each_cell_lies_in_exactly_one_community():
    frame = communities(WEST, EAST, SQUARE, L_SHAPE)
    out = generate_cells(frame)
    owners = metric(frame.geometry)
    for cell, parent in zip(metric(out.geometry), out["parent_code"], strict=True):
        inside = shapely.area(shapely.intersection(cell, owners)) > 0.01
        assert frame["code"][inside].tolist() == [parent]


def test_input_order_and_crs_do_not_matter():
    frame = communities(SQUARE, WEST, EAST)
    shuffled = frame.iloc[[2, 0, 1]].to_crs(4548)
    a, b = generate_cells(frame), generate_cells(shuffled)
    assert a["code"].tolist() == b["code"].tolist()
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=1e-9).all()


def test_aligned_rectangle_is_numbered_like_a_page():
    out = generate_cells(communities(GRID_3X4))
    assert len(out) == 12
    centres = shapely.centroid(metric(out.geometry))
    cols = np.floor((shapely.get_x(centres) - X0) / 100).astype(int)
    rows = np.floor((shapely.get_y(centres) - Y0) / 100).astype(int)
    expected = [(row, col) for row in (2, 1, 0) for col in range(4)]  # north row first
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == expected
    assert out["code"].str[-3:].tolist() == [f"{i:03d}" for i in range(1, 13)]
    assert shapely.area(metric(out.geometry)) == pytest.approx([10_000] * 12)


def test_first_cell_is_the_north_west_one():
    out = generate_cells(communities(SQUARE))
    points = shapely.point_on_surface(metric(out.geometry))
    x, y = shapely.get_x(points), shapely.get_y(points)
    first_row = y > y.max() - 100
    assert y[0] > y.max() - 100
    assert x[0] == x[first_row].min()


def test_codes_increase_west_to_east_then_north_to_south():
    out = generate_cells(communities(L_SHAPE))
    points = shapely.point_on_surface(metric(out.geometry))
    rows = -np.floor(shapely.get_y(points) / 100)
    x = shapely.get_x(points)
    for i in range(len(out) - 1):
        assert rows[i] < rows[i + 1] or (rows[i] == rows[i + 1] and x[i] < x[i + 1])


def test_border_strip_merges_into_the_cell_with_the_longest_shared_edge():
    out = generate_cells(communities(GRID_WITH_STRIP))
    cells = metric(out.geometry)
    assert len(cells) == 2
    bounds = shapely.bounds(cells) - [X0, Y0, X0, Y0]
    assert bounds == pytest.approx(np.array([[0, 0, 100, 120], [100, 0, 200, 120]]), abs=1e-3)


def test_min_fraction_zero_keeps_every_fragment():
    out = generate_cells(communities(GRID_WITH_STRIP), min_fraction=0.0)
    assert len(out) == 4
    assert sorted(shapely.area(metric(out.geometry)).round()) == [2_000, 2_000, 10_000, 10_000]


def test_small_community_is_a_single_cell():
    tiny = metric_box(10, 10, 50, 60)
    out = generate_cells(communities(tiny))
    assert len(out) == 1
    assert_tiles(tiny, list(out.geometry))


def test_large_community_gets_at_most_999_cells():
    out = generate_cells(communities(BIG), cell_area_m2=10_000)
    assert 500 <= len(out) <= MAX_GRID_SEQUENCE
    assert_tiles(BIG, list(out.geometry))
    assert out["code"].iloc[-1].endswith(f"{len(out):03d}")


def test_empty_input_gives_an_empty_frame():
    out = generate_cells(communities())
    assert out.empty
    assert list(out.columns) == CELL_COLUMNS
    assert out.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    ("kwargs", "frame"),
    [
        ({"cell_area_m2": 0}, communities(SQUARE)),
        ({"min_fraction": 1.5}, communities(SQUARE)),
        ({}, communities(SQUARE).assign(code="1101020")),
        ({}, communities(SQUARE, WEST).assign(code="110102020001")),
    ],
)
def test_bad_input_is_rejected(kwargs, frame):
    with pytest.raises(ValueError):
        generate_cells(frame, **kwargs)


def test_tiling_problems_reports_gaps_and_overlaps():
    cells = list(generate_cells(communities(SQUARE)).geometry)
    assert any("gap" in p for p in tiling_problems(SQUARE, cells[1:]))
    assert any("overlap" in p for p in tiling_problems(SQUARE, [*cells, cells[0]]))
    assert any("out of" in p for p in tiling_problems(SQUARE, [*cells, WEST]))


# --- Property-based --------------------------------------------------------------------


@st.composite
def random_community(draw) -> Polygon | MultiPolygon:
    """A random valid lon/lat community a few hundred metres to ~2 km across."""
    cx = X0 + draw(st.floats(-5_000, 5_000))
    cy = Y0 + draw(st.floats(-5_000, 5_000))
    kind = draw(st.sampled_from(["disc", "hull", "blobs"]))
    offsets = st.tuples(st.floats(-800, 800), st.floats(-800, 800))
    shape: BaseGeometry
    if kind == "disc":
        shape = shapely.Point(cx, cy).buffer(draw(st.floats(150, 1_000)), quad_segs=4)
    elif kind == "hull":
        points = draw(st.lists(offsets, min_size=3, max_size=12))
        shape = shapely.MultiPoint([(cx + dx, cy + dy) for dx, dy in points]).convex_hull
        shape = shape.buffer(draw(st.floats(20, 200)), quad_segs=3)
    else:
        blobs = draw(st.lists(st.tuples(offsets, st.floats(80, 400)), min_size=2, max_size=4))
        shape = shapely.union_all(
            [shapely.Point(cx + dx, cy + dy).buffer(r, quad_segs=4) for (dx, dy), r in blobs]
        )
    lonlat = to_storage(shape)
    assume(lonlat.is_valid and to_metric(lonlat).is_valid)
    return lonlat


PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(
    community=random_community(),
    side=st.integers(60, 200),
    min_fraction=st.sampled_from([0.0, 0.1, 0.3, 0.5]),
)
def test_random_communities_are_tiled_and_numbered(community, side, min_fraction):
    frame = communities(community)
    target = float(side**2)
    out = generate_cells(frame, cell_area_m2=target, min_fraction=min_fraction)
    assert_well_formed(out, frame)
    cells = metric(out.geometry)
    assert_tiles(community, list(out.geometry))
    area = float(shapely.area(to_metric(community)))
    if area / 990 <= target:  # the 999 rule did not enlarge the cells
        if len(cells) > 1:
            assert shapely.area(cells).max() <= (1 + min_fraction) * 2 * target
        assert_small_cells_are_isolated(cells, min_fraction * target)
        assert_reading_order(cells, side)
    again = generate_cells(frame, cell_area_m2=target, min_fraction=min_fraction)
    assert out["code"].tolist() == again["code"].tolist()
    assert shapely.equals_exact(out.geometry.values, again.geometry.values, tolerance=0).all()


def assert_small_cells_are_isolated(cells: np.ndarray, threshold: float) -> None:
    """A cell below the threshold shares no boundary line with any other cell."""
    boundaries = shapely.boundary(cells)
    for i in np.flatnonzero(shapely.area(cells) < threshold):
        others = shapely.union_all(np.delete(boundaries, i))
        assert shapely.length(shapely.intersection(boundaries[i], others)) < 1e-3


def assert_reading_order(cells: np.ndarray, side: int) -> None:
    """Consecutive cells go west to east in a lattice row, rows north to south."""
    points = shapely.point_on_surface(cells)
    x, y = shapely.get_x(points), shapely.get_y(points)
    rows = -np.floor(y / side)
    ambiguous = np.abs(y / side - np.round(y / side)) * side < 1e-3
    for i in range(len(cells) - 1):
        if ambiguous[i] or ambiguous[i + 1]:
            continue
        assert rows[i] < rows[i + 1] or (rows[i] == rows[i + 1] and x[i] < x[i + 1])


@PROPERTY_SETTINGS
@given(community=random_community(), shift=st.floats(-300, 300))
def test_two_random_neighbours_share_their_border_cleanly(community, shift):
    whole = to_metric(community)
    minx, miny, maxx, maxy = whole.bounds
    cut = (minx + maxx) / 2 + shift * (maxx - minx) / 1_000
    west = shapely.intersection(whole, box(minx - 1, miny - 1, cut, maxy + 1))
    east = shapely.difference(whole, west)
    parts = [g for g in (west, east) if not g.is_empty and g.area > 0]
    lonlat = [to_storage(g) for g in parts]
    assume(all(g.is_valid and to_metric(g).is_valid for g in lonlat))
    frame = communities(*lonlat)
    out = generate_cells(frame)
    assert_well_formed(out, frame)
    for code, geom in zip(frame["code"], lonlat, strict=True):
        assert_tiles(geom, by_parent(out, code))
    cells = metric(out.geometry)
    tree = shapely.STRtree(cells)
    a, b = tree.query(cells, predicate="intersects")
    overlap = shapely.area(shapely.intersection(cells[a[a < b]], cells[b[a < b]]))
    assert overlap.sum() < 0.01 * math.ceil(len(cells) / 100)
