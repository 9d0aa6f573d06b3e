"""The whole-hierarchy coverage report on hand-made parents and children."""

from __future__ import annotations

import pytest

from geo.codes import Level
from grids.hierarchy import CoverageRow, format_report, hierarchy_report
from tests.grids import geometries as g

# a 300 m x 100 m street; its first community reaches 20 m into the second, which stops
# 50 m short of the street's east end
STREET = g.rect(0, 0, 300, 100)
WEST = g.rect(0, 0, 120, 100)
EAST = g.rect(100, 0, 250, 100)


def one_street_two_communities() -> list[CoverageRow]:
    streets = g.boundary_frame(("110102001", STREET))
    communities = g.boundary_frame(("110102001001", WEST), ("110102001002", EAST))
    return hierarchy_report({Level.STREET: streets, Level.COMMUNITY: communities})


def test_gap_and_overlap_are_measured():
    (row,) = one_street_two_communities()

    assert (row.level, row.parent_code, row.children) == (Level.STREET, "110102001", 2)
    assert row.parent_area_m2 == pytest.approx(300 * 100, rel=1e-3)
    assert row.children_area_m2 == pytest.approx(120 * 100 + 150 * 100, rel=1e-3)
    assert row.uncovered_m2 == pytest.approx(50 * 100, rel=1e-3)
    assert row.overlap_m2 == pytest.approx(20 * 100, rel=1e-3)
    assert row.outside_m2 == pytest.approx(0, abs=0.01)


def test_children_outside_their_parent_are_measured():
    streets = g.boundary_frame(("110102001", g.PARENT))
    communities = g.boundary_frame(
        ("110102001001", g.CHILD_WEST), ("110102001002", g.CHILD_EAST_LONG)
    )
    (row,) = hierarchy_report({Level.STREET: streets, Level.COMMUNITY: communities})

    assert row.outside_m2 == pytest.approx(10 * 100, rel=1e-3)
    assert row.uncovered_m2 == pytest.approx(0, abs=0.01)
    assert row.overlap_m2 == pytest.approx(0, abs=0.01)


def test_parent_without_children_is_all_uncovered():
    streets = g.boundary_frame(("110102001", g.SQUARE), ("110102002", g.EAST_NEIGHBOUR))
    communities = g.boundary_frame(("110102001001", g.SQUARE))
    rows = hierarchy_report({Level.STREET: streets, Level.COMMUNITY: communities})

    empty = next(r for r in rows if r.parent_code == "110102002")
    assert empty.children == 0 and empty.children_area_m2 == 0
    assert empty.uncovered_m2 == pytest.approx(100 * 100, rel=1e-3)


def test_child_of_an_unknown_parent_gets_a_row_without_area():
    streets = g.boundary_frame(("110102001", g.SQUARE))
    communities = g.boundary_frame(("110102001001", g.SQUARE), ("110102009001", g.EAST_NEIGHBOUR))
    rows = hierarchy_report({Level.STREET: streets, Level.COMMUNITY: communities})

    orphan = next(r for r in rows if r.parent_code == "110102009")
    assert orphan.parent_area_m2 == 0 and orphan.children == 1
    assert orphan.outside_m2 == pytest.approx(100 * 100, rel=1e-3)


def test_parent_code_column_wins_over_the_code_prefix():
    streets = g.boundary_frame(("110102001", g.SQUARE), ("110102002", g.EAST_NEIGHBOUR))
    communities = g.boundary_frame(("110102001001", g.SQUARE), parent_code=["110102002"])
    rows = {
        r.parent_code: r
        for r in hierarchy_report({Level.STREET: streets, Level.COMMUNITY: communities})
    }

    assert rows["110102002"].children == 1 and rows["110102001"].children == 0


def test_every_level_with_its_child_level_is_reported():
    districts = g.boundary_frame(("110102", g.rect(0, 0, 200, 100)))
    streets = g.boundary_frame(("110102001", g.SQUARE), ("110102002", g.EAST_NEIGHBOUR))
    communities = g.boundary_frame(("110102001001", g.SQUARE))
    grid = g.boundary_frame(
        *((f"110102001001{k + 1:03d}", cell) for k, cell in enumerate(g.cells(2, 2, size=50)))
    )
    levels = {
        Level.DISTRICT: districts,
        Level.STREET: streets,
        Level.COMMUNITY: communities,
        Level.GRID: grid,
    }
    rows = hierarchy_report(levels)

    assert [(r.level, r.parent_code, r.children) for r in rows] == [
        (Level.DISTRICT, "110102", 2),
        (Level.STREET, "110102001", 1),
        (Level.STREET, "110102002", 0),
        (Level.COMMUNITY, "110102001001", 4),
    ]
    assert all(r.overlap_m2 < 0.01 and r.outside_m2 < 0.01 for r in rows)
    assert rows[0].uncovered_m2 < 0.01 and rows[3].uncovered_m2 < 0.01


def test_levels_without_their_child_level_give_no_rows():
    districts = g.boundary_frame(("110102", g.SQUARE))
    communities = g.boundary_frame(("110102001001", g.SQUARE))

    assert hierarchy_report({Level.DISTRICT: districts, Level.COMMUNITY: communities}) == []


def test_format_report_is_a_table():
    text = format_report(one_street_two_communities())

    header, rule, line = text.splitlines()
    assert header.split()[:2] == ["level", "parent"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert line.split()[:2] == ["street", "110102001"]
    assert "5,000.0" in line and "2,000.0" in line and "30,000.0" in line
