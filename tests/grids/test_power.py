"""Power diagrams with area targets on small hand-made domains (metres)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from grids.power import fit_weights, power_cells, power_edges, power_owner

SQUARE = shapely.box(0.0, 0.0, 1000.0, 1000.0)
L_SHAPE = shapely.difference(SQUARE, shapely.box(500.0, 500.0, 1000.0, 1000.0))
SITES = np.array([[200.0, 200.0], [800.0, 300.0], [300.0, 800.0], [600.0, 600.0]])


def test_power_cells_tile_their_bounds() -> None:
    weights = np.array([0.0, 5e4, -3e4, 1e4])
    cells = power_cells(SITES, weights, SQUARE.bounds)
    assert shapely.area(cells).sum() == pytest.approx(SQUARE.area)
    assert shapely.area(shapely.union_all(cells)) == pytest.approx(SQUARE.area)


def test_owner_is_the_cell_holding_the_point() -> None:
    weights = np.array([0.0, 5e4, -3e4, 1e4])
    cells = power_cells(SITES, weights, SQUARE.bounds)
    xy = np.random.default_rng(3).uniform(0, 1000, size=(500, 2))
    owner = power_owner(xy, SITES, weights)
    assert shapely.contains_xy(cells[owner], xy[:, 0], xy[:, 1]).all()


def test_equal_weights_give_the_voronoi_diagram() -> None:
    xy = np.random.default_rng(4).uniform(0, 1000, size=(500, 2))
    nearest = np.linalg.norm(xy[:, None, :] - SITES[None, :, :], axis=2).argmin(axis=1)
    assert (power_owner(xy, SITES, np.zeros(len(SITES))) == nearest).all()
    cells = power_cells(SITES[:2], np.zeros(2), SQUARE.bounds)  # bisector: 6x + y = 3250
    assert shapely.contains_xy(cells[0], 540.5, 6.0) and shapely.contains_xy(cells[1], 540.8, 6.0)


@pytest.mark.parametrize("domain", [SQUARE, L_SHAPE], ids=["square", "L"])
def test_fitted_weights_give_each_site_its_share(domain: shapely.Polygon) -> None:
    sites = SITES[[0, 1, 2]] if domain is L_SHAPE else SITES
    shares = np.arange(1.0, len(sites) + 1)
    weights = fit_weights(domain, sites, shares, rel_tol=1e-3)
    areas = shapely.area(shapely.intersection(power_cells(sites, weights, domain.bounds), domain))
    assert areas == pytest.approx(shares / shares.sum() * domain.area, rel=2e-3)


def test_edges_cut_the_bounds_into_one_face_per_site() -> None:
    edges = power_edges(SITES, np.array([0.0, 5e4, -3e4, 1e4]), SQUARE.bounds)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    assert shapely.area(faces).sum() == pytest.approx(SQUARE.area)
    assert (shapely.area(faces) > 1.0).sum() == len(SITES)  # the rest: sub-mm slivers at joints
