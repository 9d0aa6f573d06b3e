"""Points at the locator's limits: a hair outside the map's outer edge, and a locator over
fewer levels than the full hierarchy (districts only, or a level whose frame is empty, as in a
generation whose streets are not loaded yet)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.codes import Level
from geo.locate import EDGE_TOLERANCE_DEG, Locator
from tests.factories import DX, MID_LAT, X0, four_streets, two_districts

BUILDING = shapely.box(X0 + 0.6 * DX, MID_LAT, X0 + 0.6 * DX + 0.0004, MID_LAT + 0.0003)


@pytest.mark.parametrize("offset", [0.0, 0.5 * EDGE_TOLERANCE_DEG])
def test_a_point_within_the_tolerance_outside_the_outer_edge_is_located(offset: float) -> None:
    """Every lookup, one point or a batch, takes the 1e-9 degree tolerance at the map's edge."""
    locator = Locator({Level.DISTRICT: two_districts(), Level.STREET: four_streets()}, generation=1)
    lon = X0 - offset  # on or just west of 丰台's west edge
    assert locator.locate_code(lon, MID_LAT) == "110106001"
    assert list(locator.locate_codes(np.array([lon]), np.array([MID_LAT]))) == ["110106001"]
    got = locator.locate_point(lon, MID_LAT)
    assert got.street is not None and got.street.code == "110106001"


@pytest.mark.parametrize(
    "levels",
    [{Level.STREET: four_streets()}, {Level.DISTRICT: two_districts().iloc[0:0]}],
    ids=["no-district-level", "empty-district-frame"],
)
def test_a_locator_needs_districts(levels: dict[Level, gpd.GeoDataFrame]) -> None:
    with pytest.raises(ValueError, match="at least the district level"):
        Locator(levels, generation=1)


@pytest.mark.parametrize(
    "levels",
    [
        {Level.DISTRICT: two_districts()},
        {Level.DISTRICT: two_districts(), Level.STREET: four_streets().iloc[0:0]},
    ],
    ids=["no-street-level", "empty-street-frame"],
)
def test_districts_only_locate_points_but_not_footprints(
    levels: dict[Level, gpd.GeoDataFrame],
) -> None:
    locator = Locator(levels, generation=1)
    got = locator.locate_point(X0 + 0.6 * DX, MID_LAT, accuracy_m=50)
    assert got.district.code == "110102" and got.street is None
    assert got.candidates == () and not got.ambiguous
    with pytest.raises(ValueError, match="no streets"):
        locator.locate_footprint(BUILDING)
