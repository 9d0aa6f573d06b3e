"""The in-process locator on hand-made districts/streets (tests/factories.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.codes import Level
from geo.crs import to_metric, to_storage
from geo.locate import DISC_QUAD_SEGS, Locator, OutsideJurisdiction, degrees_holding
from tests.factories import (
    DX,
    DY,
    LINE_LON,
    M_PER_DEG_LON,
    MID_LAT,
    X0,
    Y0,
    four_streets,
    two_districts,
)


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator({Level.DISTRICT: two_districts(), Level.STREET: four_streets()}, generation=7)


def test_point_inside_resolves_its_chain(locator: Locator) -> None:
    got = locator.locate_point(X0 + 0.9 * DX, MID_LAT)
    assert (got.district.code, got.street and got.street.code) == ("110102", "110102021")
    assert got.generation == 7 and not got.ambiguous and got.candidates == ()


def test_point_on_shared_edge_goes_to_smallest_code(locator: Locator) -> None:
    # exactly on the district line: 110102020 (西城) < 110106002 (丰台)
    on_edge = locator.locate_point(LINE_LON, MID_LAT)
    assert on_edge.street is not None and on_edge.street.code == "110102020"
    # a shared vertex of four areas: the SW corner of 110102020 at lat Y0 is on the outer
    # boundary; an interior shared vertex is where streets meet the line at the top edge
    corner = locator.locate_point(LINE_LON, Y0 + DY)
    assert corner.street is not None and corner.street.code == "110102020"
    # between 110106001 and 110106002 (both 丰台): smallest code
    west_edge = locator.locate_point(X0 + 0.25 * DX, MID_LAT)
    assert west_edge.street is not None and west_edge.street.code == "110106001"


def test_accuracy_disc_across_the_line_gives_both_streets_with_shares(locator: Locator) -> None:
    r = 100.0
    d = 40.0  # metres east of the line, inside 110102020
    lon = LINE_LON + d / M_PER_DEG_LON
    got = locator.locate_point(lon, MID_LAT, accuracy_m=r)
    assert got.street is not None and got.street.code == "110102020"
    assert got.ambiguous
    shares = {c.code: c.share for c in got.candidates}
    assert set(shares) == {"110102020", "110106002"}
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    segment = (r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)) / (math.pi * r * r)
    assert shares["110106002"] == pytest.approx(segment, abs=0.01)
    # the disc well inside one street is not ambiguous
    inside = locator.locate_point(X0 + 0.62 * DX, MID_LAT, accuracy_m=50)
    assert not inside.ambiguous and [c.code for c in inside.candidates] == ["110102020"]


@pytest.mark.parametrize(
    ("d", "streets"),
    [(0.98, {"110102020", "110106002"}), (1.02, {"110102020"}), (0.5, {"110102020", "110106002"})],
)
def test_a_disc_just_reaching_the_line_or_just_short_of_it(
    locator: Locator, d: float, streets: set[str]
) -> None:
    """Near the cut of the one-street shortcut: a disc whose edge passes the line by 2 % of
    its radius has both streets, one that stops 2 % short has its own street alone."""
    r = 200.0
    lon = LINE_LON + d * r / M_PER_DEG_LON
    got = locator.locate_point(lon, MID_LAT, accuracy_m=r)
    assert {c.code for c in got.candidates} == streets
    assert got.ambiguous == (len(streets) > 1)
    # the same as without the located street (no shortcut)
    assert locator.disc_shares(lon, MID_LAT, r) == got.candidates


def _held(lat: float, radius: float) -> float:
    """Check that every vertex of the disc the locator builds, and every point at that
    geodesic distance, lies within ``degrees_holding`` of the centre; return the widest
    offset of those points (degrees)."""
    lon = 116.4
    centre = shapely.Point(lon, lat)
    disc = to_storage(shapely.buffer(to_metric(centre), radius, quad_segs=DISC_QUAD_SEGS))
    bound = degrees_holding(lat, radius)
    assert shapely.hausdorff_distance(shapely.boundary(disc), centre) <= bound
    azimuths = np.linspace(0, 360, 73)
    lons, lats, _ = Geod(ellps="WGS84").fwd(
        np.full(73, lon), np.full(73, lat), azimuths, np.full(73, radius)
    )
    widest = float(np.hypot(lons - lon, lats - lat).max())
    assert widest <= bound
    return widest


@pytest.mark.parametrize("lat", [-60.0, 0.0, 39.9, 41.0, 75.0])
@pytest.mark.parametrize("radius", [0.5, 30.0, 5_000.0])
def test_the_circle_in_degrees_holds_the_disc(lat: float, radius: float) -> None:
    widest = _held(lat, radius)
    # and not needlessly wide: within 5 % of the widest offset (a degree of longitude)
    assert degrees_holding(lat, radius) <= 1.05 * widest


@pytest.mark.parametrize(
    ("lat", "radius"), [(-60.0, 100_000.0), (75.0, 50_000.0), (85.0, 200_000.0)]
)
def test_the_circle_in_degrees_holds_wide_discs_far_north_and_south(
    lat: float, radius: float
) -> None:
    """Wide discs far from the equator (85°/200 km is far outside the product's area, the
    one case where dropping the widening towards the pole shows): the widening keeps them
    inside the circle, the 1 % to spare alone would not."""
    _held(lat, radius)


def test_footprint_across_the_line_is_joint_with_area_shares(locator: Locator) -> None:
    w = 0.0004
    building = shapely.box(LINE_LON - 0.75 * w, MID_LAT, LINE_LON + 0.25 * w, MID_LAT + 0.0003)
    got = locator.locate_footprint(building)
    assert got.joint
    assert got.lead.code == "110106002"
    shares = {s.code: s.share for s in got.streets}
    assert shares == pytest.approx({"110106002": 0.75, "110102020": 0.25}, abs=0.002)


def test_touching_only_along_an_edge_is_not_a_party(locator: Locator) -> None:
    flush = shapely.box(LINE_LON, MID_LAT, LINE_LON + 0.0004, MID_LAT + 0.0003)
    got = locator.locate_footprint(flush)
    assert not got.joint and [s.code for s in got.streets] == ["110102020"]
    along = shapely.LineString([(LINE_LON, MID_LAT), (LINE_LON + 0.001, MID_LAT)])
    line = locator.locate_footprint(along)
    assert [s.code for s in line.streets] == ["110102020"]


def test_equal_shares_tie_goes_to_smallest_code(locator: Locator) -> None:
    w = 0.0004
    building = shapely.box(LINE_LON - w / 2, MID_LAT, LINE_LON + w / 2, MID_LAT + 0.0003)
    got = locator.locate_footprint(building)
    assert got.joint
    assert got.streets[0].share == pytest.approx(got.streets[1].share, abs=1e-4)
    if round(got.streets[0].share, 9) == round(got.streets[1].share, 9):
        assert got.lead.code == "110102020"


def test_line_footprint_shares_by_length(locator: Locator) -> None:
    street = shapely.LineString([(LINE_LON - 0.002, MID_LAT), (LINE_LON + 0.001, MID_LAT)])
    got = locator.locate_footprint(street)
    shares = {s.code: s.share for s in got.streets}
    assert shares == pytest.approx({"110106002": 2 / 3, "110102020": 1 / 3}, abs=0.002)


def test_outside_names_nearest_district_and_distance(locator: Locator) -> None:
    lon = X0 - 1000 / M_PER_DEG_LON  # 1 km west of 丰台's west edge
    with pytest.raises(OutsideJurisdiction) as info:
        locator.locate_point(lon, MID_LAT)
    assert info.value.nearest_code == "110106"
    assert info.value.distance_m == pytest.approx(1000, rel=0.01)
    assert "丰台区" in str(info.value)


def test_batch_agrees_with_single_points(locator: Locator) -> None:
    rng = np.random.default_rng(3)
    lons = X0 + rng.uniform(-0.1, 1.1, 400) * DX
    lats = Y0 + rng.uniform(-0.1, 1.1, 400) * DY
    # and points on shared edges and vertices, where the smallest code must win either way
    edges = X0 + np.array([0.25, 0.5, 0.75, 0.0, 1.0]) * DX
    lons = np.concatenate([lons, np.repeat(edges, 5)])
    lats = np.concatenate([lats, np.tile(Y0 + np.array([0.0, 0.3, 0.5, 0.9, 1.0]) * DY, 5)])
    batch = locator.locate_codes(lons, lats)
    for lon, lat, code in zip(lons, lats, batch, strict=True):
        try:
            single = locator.locate_point(float(lon), float(lat))
        except OutsideJurisdiction:
            assert code == ""
            continue
        assert single.street is not None and single.street.code == code
        assert locator.locate_code(float(lon), float(lat)) == code
