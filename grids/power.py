"""Power diagrams with area targets: cut a metric polygon into pieces of prescribed areas.

A power diagram gives site ``i`` the points ``x`` where ``|x - p_i|² - w_i`` is smallest.
Raising a site's weight ``w_i`` (m²) moves its edges away from it, so the weights can be
fitted until every cell clipped to the domain has its target area (a capacity-constrained
power diagram). Cells are convex before clipping; edges are straight lines. Pure numpy and
shapely in EPSG:4548 metres.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_EDGE_EPS_M = 0.01
"""Cells nearer than this (m) count as neighbours along the boundary they share."""


def power_owner(xy: np.ndarray, sites: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Index of the site with the smallest power distance for every point (n, 2).

    >>> sites = np.array([[0.0, 0.0], [2.0, 0.0]])
    >>> power_owner(np.array([[1.0, 0.0]]), sites, np.array([0.0, 3.0]))
    array([1])
    """
    distance = ((xy[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2) - weights[None, :]
    return np.asarray(distance.argmin(axis=1))


def power_cells(sites: np.ndarray, weights: np.ndarray, bounds: tuple[float, ...]) -> np.ndarray:
    """Convex power cells (shapely Polygons, empty when a site owns nothing) inside ``bounds``."""
    minx, miny, maxx, maxy = bounds
    box = np.array([[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy]])
    cells = []
    for i in range(len(sites)):
        ring = box
        for j in range(len(sites)):
            if j != i and len(ring):
                ring = _clip(ring, sites[i], sites[j], weights[i], weights[j])
        cells.append(shapely.Polygon(ring) if len(ring) >= 3 else shapely.Polygon())
    return np.array(cells, dtype=object)


def fit_weights(
    domain: BaseGeometry,
    sites: np.ndarray,
    targets: np.ndarray,
    *,
    rel_tol: float = 0.002,
    max_iterations: int = 60,
) -> np.ndarray:
    """Weights whose power cells clipped to ``domain`` have the ``targets`` areas (m²).

    Damped Newton steps (Kitagawa, Mérigot and Thibert 2019): the Jacobian of the areas is
    the weighted graph Laplacian of shared edge length / (2 * site distance); a step is
    halved until no cell empties and the largest error shrinks. ``targets`` are rescaled to
    add up to the domain's area. Sites must lie inside ``domain`` (every Voronoi cell, where
    the iteration starts, is then non-empty). Stops when every cell is within ``rel_tol`` of
    its target or after ``max_iterations``; the caller checks the result.
    """
    targets = targets * (domain.area / targets.sum())
    bounds = shapely.buffer(shapely.envelope(domain), 1000.0).bounds
    shapely.prepare(domain)
    weights = np.zeros(len(sites))
    areas, jacobian = _areas_and_jacobian(domain, sites, weights, bounds)
    for _ in range(max_iterations):
        error = targets - areas
        worst = np.abs(error).max()
        if (np.abs(error) <= rel_tol * targets).all():
            break
        step = np.linalg.lstsq(jacobian, error, rcond=None)[0]
        tau = 1.0
        while tau > 1e-3:
            trial = weights + tau * step
            trial_areas, trial_jacobian = _areas_and_jacobian(domain, sites, trial, bounds)
            if trial_areas.min() > 0 and np.abs(targets - trial_areas).max() < worst:
                break
            tau /= 2
        else:
            break
        weights, areas, jacobian = trial, trial_areas, trial_jacobian
    return weights - weights.mean()


def _areas_and_jacobian(
    domain: BaseGeometry, sites: np.ndarray, weights: np.ndarray, bounds: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Clipped cell areas and d area_i / d w_j."""
    cells = power_cells(sites, weights, bounds)
    areas = shapely.area(shapely.intersection(cells, domain))
    i, j = np.triu_indices(len(sites), k=1)
    near = shapely.dwithin(cells[i], cells[j], _EDGE_EPS_M)
    i, j = i[near], j[near]
    shared = shapely.intersection(shapely.boundary(cells[i]), shapely.buffer(cells[j], _EDGE_EPS_M))
    length = shapely.length(shapely.intersection(shared, domain))
    coupling = length / (2.0 * np.linalg.norm(sites[i] - sites[j], axis=1))
    jacobian = np.zeros((len(sites), len(sites)))
    jacobian[i, j] = jacobian[j, i] = -coupling
    jacobian[np.diag_indices(len(sites))] = -jacobian.sum(axis=1)
    return areas, jacobian


def power_edges(sites: np.ndarray, weights: np.ndarray, bounds: tuple[float, ...]) -> BaseGeometry:
    """The boundaries of all power cells inside ``bounds`` as one (multi)line geometry.

    Neighbouring cells are clipped separately, so where three meet the lines may differ by
    float noise; callers node them on a precision grid (``grids.demo``'s ``_cut_faces``).
    """
    cells = power_cells(sites, weights, bounds)
    return shapely.union_all(shapely.boundary(cells[~shapely.is_empty(cells)]))


def _clip(ring: np.ndarray, p: np.ndarray, q: np.ndarray, wp: float, wq: float) -> np.ndarray:
    """Sutherland-Hodgman: the part of a convex ring closer (in power) to ``p`` than to ``q``."""
    normal = 2.0 * (q - p)
    limit = q @ q - p @ p - wq + wp
    value = ring @ normal - limit  # <= 0 inside
    inside = value <= 0
    if inside.all():
        return ring
    if not inside.any():
        return ring[:0]
    out = []
    n = len(ring)
    for k in range(n):
        a, b = ring[k], ring[(k + 1) % n]
        va, vb = value[k], value[(k + 1) % n]
        if va <= 0:
            out.append(a)
        if (va <= 0) != (vb <= 0):
            out.append(a + (b - a) * (va / (va - vb)))
    return np.array(out)


__all__ = ["fit_weights", "power_cells", "power_edges", "power_owner"]
