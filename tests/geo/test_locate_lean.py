"""A level kept compact (``WkbAreas``: the served app's grid cells) answers exactly as one that
keeps every polygon, on edges and vertices too."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from geo.codes import Level
from geo.locate import Locator, WkbAreas
from tests.factories import four_streets, frame, two_districts

SIDE = 4  # cells per street side


def _cells() -> list[tuple[str, str, BaseGeometry]]:
    """SIDE × SIDE square cells in each street's bounding box, clipped to the street."""
    rows = []
    for street in four_streets().itertuples():
        minx, miny, maxx, maxy = street.geometry.bounds
        xs, ys = np.linspace(minx, maxx, SIDE + 1), np.linspace(miny, maxy, SIDE + 1)
        n = 0
        for i in range(SIDE):
            for j in range(SIDE):
                cell = shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])
                piece = shapely.intersection(cell, street.geometry)
                if piece.area > 0:
                    n += 1
                    rows.append((f"{street.code}001{n:03d}", f"{street.name}第{n}网格", piece))
    return rows


@pytest.fixture(scope="module")
def cells() -> list[tuple[str, str, BaseGeometry]]:
    return _cells()


def _full(cells: list[tuple[str, str, BaseGeometry]]) -> Locator:
    levels = {
        Level.DISTRICT: two_districts(),
        Level.STREET: four_streets(),
        Level.GRID: frame(Level.GRID, cells),
    }
    return Locator(levels, generation=3)


def _lean(cells: list[tuple[str, str, BaseGeometry]]) -> Locator:
    shuffled = list(reversed(cells))  # any order in, code order kept
    lean = WkbAreas(
        codes=[c for c, _, _ in shuffled],
        names=[n for _, n, _ in shuffled],
        wkb=[shapely.to_wkb(g) for _, _, g in shuffled],
    )
    return Locator(
        {Level.DISTRICT: two_districts(), Level.STREET: four_streets(), Level.GRID: lean},
        generation=3,
    )


def _points(cells: list[tuple[str, str, BaseGeometry]]) -> np.ndarray:
    """Random points over the streets and beyond, every cell vertex, edge midpoints."""
    rng = np.random.default_rng(5)
    geoms = np.array([g for _, _, g in cells], dtype=object)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    pad = 0.2 * (maxx - minx)
    scattered = rng.uniform((minx - pad, miny - pad), (maxx + pad, maxy + pad), size=(400, 2))
    rings = shapely.boundary(geoms)
    vertices = shapely.get_coordinates(rings)
    middles = shapely.get_coordinates(
        shapely.line_interpolate_point(rings, rng.uniform(0, 1, len(rings)), normalized=True)
    )
    return np.vstack([scattered, vertices, middles])


def test_lean_cells_answer_as_full_ones_point_by_point_and_in_batch(
    cells: list[tuple[str, str, BaseGeometry]],
) -> None:
    full, lean = _full(cells), _lean(cells)
    xy = _points(cells)
    expected = full.locate_codes(xy[:, 0], xy[:, 1])
    assert (expected != "").sum() > len(xy) // 2
    assert any(len(c) == 15 for c in expected)
    assert list(lean.locate_codes(xy[:, 0], xy[:, 1])) == list(expected)
    assert [lean.locate_code(x, y) for x, y in xy] == list(expected)
    for x, y in xy[expected != ""][:200]:
        a, b = full.locate_point(float(x), float(y)), lean.locate_point(float(x), float(y))
        assert (a.grid, a.community, a.street, a.district) == (
            b.grid,
            b.community,
            b.street,
            b.district,
        )


def test_lean_level_gives_names_and_polygons(cells: list[tuple[str, str, BaseGeometry]]) -> None:
    index = _lean(cells).index[Level.GRID]
    code, name, geom = sorted(cells)[5]
    ref = index.ref(code)
    assert ref is not None and (ref.code, ref.name) == (code, name)
    assert index.ref(code[:-3] + "999") is None
    assert shapely.equals(index.geoms[5], geom)
    assert list(index.names) == [n for _, n, _ in sorted(cells)]
