"""Validation and repair of boundary features: one test per rejection, the repair paths and the
real Beijing district file."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.codes import Level
from grids.boundaries import BoundaryFileError, read_boundaries
from grids.validate import Problem, Tolerances, problem_from_error, validate_boundaries
from tests.grids import geometries as g
from tests.grids.geometries import BEIJING_DISTRICTS, needs_beijing

STREETS = [f"110102{n:03d}" for n in range(1, 10)]  # 西城区 street codes


def only(report, kind: str) -> Problem:
    """The single problem of ``kind`` in the report."""
    found = [p for p in report.problems if p.kind == kind]
    assert len(found) == 1, report.to_text()
    return found[0]


def streets(*geoms, **columns):
    return g.boundary_frame(*zip(STREETS, geoms, strict=False), **columns)


def assert_near(point_text: str, lon: float, lat: float) -> None:
    assert f"({lon:.5f}, {lat:.5f})" in point_text


# --- clean input ---------------------------------------------------------------------------------


def test_clean_tiling_is_ok_and_normalised():
    report = validate_boundaries(streets(*g.cells(3, 3)), level=Level.STREET)

    assert report.ok, report.to_text()
    assert report.problems == []
    assert list(report.frame.columns) == ["code", "name", "parent_code", "level", "geometry"]
    assert report.frame.crs == "EPSG:4326"
    assert set(report.frame.geom_type) == {"MultiPolygon"}
    assert list(report.frame["parent_code"]) == ["110102"] * 9
    assert list(report.frame["level"]) == ["street"] * 9


def test_clean_geometry_keeps_every_vertex():
    report = validate_boundaries(streets(g.SQUARE, g.EAST_NEIGHBOUR), level=Level.STREET)

    before = shapely.get_coordinates(g.SQUARE)
    after = shapely.get_coordinates(report.frame.geometry[0])
    assert np.array_equal(before, after)


def test_own_hole_is_not_a_gap():
    report = validate_boundaries(streets(g.ENCLAVE), level=Level.STREET)

    assert report.ok, report.to_text()


# --- geometry rejections -------------------------------------------------------------------------


def test_empty_geometry_is_an_error():
    report = validate_boundaries(streets(g.SQUARE, g.EMPTY), level=Level.STREET)

    problem = only(report, "empty_geometry")
    assert not report.ok
    assert problem.code == STREETS[1] and problem.severity == "error"
    assert list(report.frame["code"]) == [STREETS[0]]


def test_missing_geometry_is_an_error():
    report = validate_boundaries(streets(g.SQUARE, None), level=Level.STREET)

    assert only(report, "empty_geometry").code == STREETS[1]


def test_line_is_an_error():
    report = validate_boundaries(streets(g.SQUARE, g.LINE), level=Level.STREET)

    problem = only(report, "invalid_geometry")
    assert not report.ok
    assert problem.code == STREETS[1]
    assert "LineString" in problem.message


def test_bow_tie_is_rejected_because_repair_changes_the_area():
    report = validate_boundaries(streets(g.BOW_TIE), level=Level.STREET)

    problem = only(report, "invalid_geometry")
    assert not report.ok
    assert problem.code == STREETS[0] and problem.severity == "error"
    assert problem.size_m2 == pytest.approx(2 * 0.5 * 100 * 50, rel=0.01)
    assert STREETS[0] in problem.message and "5,000" in problem.message


def test_small_self_intersection_is_repaired():
    report = validate_boundaries(streets(g.TWISTED_CORNER), level=Level.STREET)

    problem = only(report, "repaired_geometry")
    assert report.ok, report.to_text()
    assert problem.severity == "repaired" and problem.code == STREETS[0]
    assert problem.size_m2 == pytest.approx(2 * 0.5 * 0.5 * 0.5, rel=0.05)
    # the loop make_valid keeps is a 0.125 m² triangle 0.15 m across: a sliver, dropped
    assert only(report, "sliver").size_m2 == pytest.approx(0.125, rel=0.05)
    cleaned = report.frame.geometry[0]
    assert cleaned.is_valid
    assert g.metric_area(cleaned) == pytest.approx(100 * 100, abs=0.01)


def test_repair_tolerance_is_configurable():
    strict = Tolerances(repair_area_m2=0.1)
    report = validate_boundaries(streets(g.TWISTED_CORNER), level=Level.STREET, tolerances=strict)

    assert only(report, "invalid_geometry").size_m2 == pytest.approx(0.25, rel=0.05)


# --- slivers -------------------------------------------------------------------------------------


def test_zero_width_spike_is_removed():
    report = validate_boundaries(streets(g.ZERO_WIDTH_SPIKE), level=Level.STREET)

    problem = only(report, "sliver")
    assert report.ok, report.to_text()
    assert problem.severity == "repaired" and problem.code == STREETS[0]
    assert problem.size_m2 == pytest.approx(0.0, abs=0.01)
    assert_near(problem.message, *g.lonlat_point(*g.ZERO_WIDTH_SPIKE_TIP))
    cleaned = report.frame.geometry[0]
    assert cleaned.is_valid
    assert g.metric_area(cleaned) == pytest.approx(10_000, abs=0.01)


def test_thin_spike_is_cut_and_nothing_else_changes():
    report = validate_boundaries(streets(g.THIN_SPIKE), level=Level.STREET)

    problem = only(report, "sliver")
    assert report.ok, report.to_text()
    assert problem.size_m2 == pytest.approx(0.5 * 50 * 0.2, rel=0.01)
    assert_near(problem.message, *g.lonlat_point(*g.THIN_SPIKE_TIP))
    cleaned = report.frame.geometry[0]
    tip = g.lonlat_point(*g.THIN_SPIKE_TIP)
    before = {tuple(c) for c in shapely.get_coordinates(g.THIN_SPIKE)} - {tip}
    assert before <= {tuple(c) for c in shapely.get_coordinates(cleaned)}
    assert g.metric_area(g.THIN_SPIKE) - g.metric_area(cleaned) == pytest.approx(5, rel=0.01)


def test_spike_is_cut_whatever_the_ring_orientation():
    clockwise = shapely.Polygon(list(g.THIN_SPIKE.exterior.coords)[::-1])
    assert not clockwise.exterior.is_ccw  # as Shapefiles store shells
    report = validate_boundaries(streets(clockwise), level=Level.STREET)

    assert report.ok
    assert only(report, "sliver").size_m2 == pytest.approx(0.5 * 50 * 0.2, rel=0.01)


def test_spike_of_material_into_a_hole_is_cut():
    report = validate_boundaries(streets(g.SPIKE_INTO_HOLE), level=Level.STREET)

    problem = only(report, "sliver")
    assert report.ok
    assert problem.size_m2 == pytest.approx(0.5 * 20 * 0.2, rel=0.01)
    assert_near(problem.message, *g.lonlat_point(*g.SPIKE_INTO_HOLE_TIP))


def test_spike_removal_can_be_switched_off():
    off = Tolerances(spike_angle_deg=0)
    report = validate_boundaries(streets(g.THIN_SPIKE), level=Level.STREET, tolerances=off)

    assert report.problems == []
    expected = shapely.get_coordinates(g.THIN_SPIKE)
    assert np.array_equal(shapely.get_coordinates(report.frame.geometry[0]), expected)


def test_wide_sharp_spike_is_only_a_warning():
    report = validate_boundaries(streets(g.WIDE_SHARP_SPIKE), level=Level.STREET)

    problem = only(report, "sliver")
    assert report.ok
    assert problem.severity == "warning"
    assert problem.size_m2 == pytest.approx(0.5 * 300 * 10, rel=0.01)
    expected = shapely.get_coordinates(g.WIDE_SHARP_SPIKE)
    assert np.array_equal(shapely.get_coordinates(report.frame.geometry[0]), expected)


def test_thin_part_is_removed():
    report = validate_boundaries(streets(g.THIN_PART), level=Level.STREET)

    problem = only(report, "sliver")
    assert report.ok, report.to_text()
    assert problem.size_m2 == pytest.approx(0.2 * 50, rel=0.01)
    assert len(report.frame.geometry[0].geoms) == 1
    assert report.frame.geometry[0].geoms[0].equals_exact(g.SQUARE, 0)


def test_thin_hole_is_filled():
    report = validate_boundaries(streets(g.THIN_HOLE), level=Level.STREET)

    problem = only(report, "sliver")
    assert report.ok, report.to_text()
    assert problem.size_m2 == pytest.approx(0.2 * 50, rel=0.01)
    assert len(report.frame.geometry[0].geoms[0].interiors) == 0


# --- codes ---------------------------------------------------------------------------------------


def test_duplicate_code_is_an_error():
    frame = g.boundary_frame(("110102001", g.SQUARE), ("110102001", g.EAST_NEIGHBOUR))
    report = validate_boundaries(frame, level=Level.STREET)

    problem = only(report, "duplicate_code")
    assert not report.ok
    assert problem.code == "110102001"


@pytest.mark.parametrize("code", ["11010200", "1101020011", "11010200A", ""])
def test_bad_code_is_an_error(code):
    report = validate_boundaries(g.boundary_frame((code, g.SQUARE)), level=Level.STREET)

    problem = only(report, "bad_code")
    assert not report.ok
    assert problem.code == code and "9 digits" in problem.message


def test_code_not_starting_with_parent_code_is_an_error():
    frame = g.boundary_frame(("110102001", g.SQUARE), parent_code=["110101"])
    report = validate_boundaries(frame, level=Level.STREET)

    problem = only(report, "code_prefix")
    assert not report.ok
    assert problem.code == "110102001" and "110101" in problem.message


# --- siblings ------------------------------------------------------------------------------------


def test_overlapping_siblings_are_an_error():
    report = validate_boundaries(streets(g.SQUARE, g.OVERLAPPING_EAST), level=Level.STREET)

    problem = only(report, "overlap")
    assert not report.ok
    assert problem.code == STREETS[0]
    assert STREETS[0] in problem.message and STREETS[1] in problem.message
    assert problem.size_m2 == pytest.approx(10 * 100, rel=0.01)


def test_overlap_within_tolerance_is_accepted():
    report = validate_boundaries(streets(g.SQUARE, g.GRAZING_EAST), level=Level.STREET)

    assert report.ok, report.to_text()


def test_duplicate_geometry_is_an_overlap():
    report = validate_boundaries(streets(g.SQUARE, g.SQUARE), level=Level.STREET)

    assert only(report, "overlap").size_m2 == pytest.approx(100 * 100, rel=0.01)


def test_gap_between_siblings_is_an_error():
    report = validate_boundaries(streets(*g.RING_OF_EIGHT), level=Level.STREET)

    problem = only(report, "gap")
    assert not report.ok
    assert problem.code in STREETS
    assert problem.size_m2 == pytest.approx(100 * 100, rel=0.01)
    assert_near(problem.message, *g.lonlat_point(150, 150))


# --- parents -------------------------------------------------------------------------------------


PARENTS = g.boundary_frame(("110102", g.PARENT))


def test_child_outside_parent_is_an_error():
    frame = streets(g.CHILD_WEST, g.CHILD_EAST_LONG)
    report = validate_boundaries(frame, level=Level.STREET, parents=PARENTS)

    problem = only(report, "outside_parent")
    assert not report.ok
    assert problem.code == STREETS[1] and "110102" in problem.message
    assert problem.size_m2 == pytest.approx(10 * 100, rel=0.01)


def test_parent_not_covered_by_children_is_a_gap():
    frame = streets(g.CHILD_WEST, g.CHILD_EAST_SHORT)
    report = validate_boundaries(frame, level=Level.STREET, parents=PARENTS)

    problem = only(report, "gap")
    assert not report.ok
    assert problem.code == "110102"
    assert problem.size_m2 == pytest.approx(10 * 100, rel=0.01)


def test_children_tiling_their_parent_are_ok():
    frame = streets(g.CHILD_WEST, g.EAST_NEIGHBOUR)
    report = validate_boundaries(frame, level=Level.STREET, parents=PARENTS)

    assert report.ok, report.to_text()


def test_child_without_its_parent_is_an_error():
    frame = g.boundary_frame(("110102001", g.CHILD_WEST), ("110105001", g.EAST_NEIGHBOUR))
    report = validate_boundaries(frame, level=Level.STREET, parents=PARENTS)

    problem = only(report, "missing_parent")
    assert not report.ok
    assert problem.code == "110105001" and "110105" in problem.message


def test_parent_without_children_in_the_file_is_not_checked():
    parents = g.boundary_frame(("110102", g.PARENT), ("110101", g.rect(500, 0, 600, 100)))
    frame = streets(g.CHILD_WEST, g.EAST_NEIGHBOUR)

    assert validate_boundaries(frame, level=Level.STREET, parents=parents).ok


# --- reporting -----------------------------------------------------------------------------------


def test_text_report_lists_errors_first():
    frame = streets(g.THIN_SPIKE, g.rect(90, 0, 190, 100))
    text = validate_boundaries(frame, level=Level.STREET).to_text()

    lines = text.splitlines()
    assert "REJECTED" in lines[0] and "1 errors" in lines[0] and "1 repaired" in lines[0]
    assert lines[1].split()[:2] == ["error", "overlap"]
    assert lines[2].split()[:2] == ["repaired", "sliver"]


def test_problem_from_error_keeps_kind_and_message():
    problem = problem_from_error(BoundaryFileError("no CRS", kind="crs"))

    assert problem == Problem(None, "crs", "error", "no CRS", None)


def test_frame_without_crs_is_assumed_lonlat_with_a_warning():
    frame = streets(g.SQUARE).set_crs(None, allow_override=True)
    report = validate_boundaries(frame, level=Level.STREET)

    assert report.ok
    assert only(report, "crs").severity == "warning"


def test_large_clean_grid_is_ok():
    side = 60
    codes = [f"110102020{k // 999 + 1:03d}{k % 999 + 1:03d}" for k in range(side * side)]
    frame = g.boundary_frame(*zip(codes, g.cells(side, side, size=50), strict=True))
    report = validate_boundaries(frame, level=Level.GRID)

    assert report.ok, report.to_text()[:500]
    assert len(report.frame) == side * side


# --- the real Beijing districts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def beijing():
    original = read_boundaries(BEIJING_DISTRICTS, level=Level.DISTRICT, code_field="adcode")
    return original, validate_boundaries(original, level=Level.DISTRICT)


@needs_beijing
def test_beijing_districts_import_with_the_fengtai_sliver_repaired(beijing):
    _, report = beijing

    assert report.ok, report.to_text()
    assert list(report.frame["code"]) == ["110101", "110102", "110106"]
    sliver = only(report, "sliver")
    assert sliver.code == "110106" and sliver.severity == "repaired"
    assert "丰台区" in sliver.message
    assert_near(sliver.message, 116.32247610, 39.89563840)
    assert [p.kind for p in report.problems] == ["sliver"]


@needs_beijing
def test_beijing_sliver_size_is_the_area_removed(beijing):
    original, report = beijing
    removed = g.metric_area(original.geometry[2]) - g.metric_area(report.frame.geometry[2])

    assert report.problems[0].size_m2 == pytest.approx(removed, abs=1.0)
    assert 100 < removed < 1_000  # a wedge 240 m long and 3.4 m wide at its base


@needs_beijing
def test_beijing_shared_xicheng_fengtai_vertices_are_kept_exactly(beijing):
    original, report = beijing
    vertices = [{tuple(c) for c in shapely.get_coordinates(geom)} for geom in original.geometry]
    cleaned = [{tuple(c) for c in shapely.get_coordinates(geom)} for geom in report.frame.geometry]
    shared = vertices[1] & vertices[2]
    tip = min(shared, key=lambda v: np.hypot(v[0] - 116.32247610, v[1] - 39.89563840))

    assert len(shared) == 14  # as SOURCE.md says
    # the sliver's tip is the tri-point itself: it stays in 西城 and only leaves 丰台
    assert shared - {tip} <= cleaned[1] & cleaned[2]
    assert tip in cleaned[1] and tip not in cleaned[2]
    assert len(vertices[2] - cleaned[2]) == 1
    for before, after in zip(original.geometry[:2], report.frame.geometry[:2], strict=True):
        assert np.array_equal(shapely.get_coordinates(before), shapely.get_coordinates(after))


@needs_beijing
def test_beijing_areas_match_the_source(beijing):
    _, report = beijing
    areas = [g.metric_area(geom) / 1e6 for geom in report.frame.geometry]

    assert areas == pytest.approx([41.5, 50.3, 303.3], rel=0.01)
