"""The in-process locator's shares at their edges: ties, slivers, whole discs, multi-part
lines and footprints off the map."""

from __future__ import annotations

import math

import pytest
import shapely
from pyproj import Geod

from geo.codes import Level
from geo.locate import (
    Locator,
    OutsideJurisdiction,
    StreetShare,
    rank_shares,
)
from tests.factories import (
    DX,
    LINE_LON,
    M_PER_DEG_LON,
    MID_LAT,
    X0,
    four_streets,
    two_districts,
)


@pytest.fixture(scope="module")
def locator() -> Locator:
    return Locator({Level.DISTRICT: two_districts(), Level.STREET: four_streets()}, generation=7)


def test_shares_equal_to_1e9_go_to_the_smallest_code() -> None:
    ranked = rank_shares(
        [
            StreetShare("110106002", "太平桥街道", "110106", 0.5 + 1e-12),
            StreetShare("110102021", "东侧街道", "110102", 0.0),
            StreetShare("110102020", "广安门外街道", "110102", 0.5 - 1e-12),
        ]
    )
    assert [s.code for s in ranked] == ["110102020", "110106002"]


def test_a_sliver_over_the_line_is_still_a_party(locator: Locator) -> None:
    """Only a zero length or area leaves a street out; a few millimetres count."""
    w = 0.0004  # about 34 m
    building = shapely.box(LINE_LON - 1e-4 * w, MID_LAT, LINE_LON + w, MID_LAT + 0.0003)
    got = locator.locate_footprint(building)
    assert [s.code for s in got.streets] == ["110102020", "110106002"] and got.joint
    assert got.streets[1].share == pytest.approx(1e-4, rel=0.01)


def test_a_disc_inside_one_street_is_all_that_streets(locator: Locator) -> None:
    lon = X0 + 0.62 * DX
    whole = StreetShare("110102020", "广安门外街道", "110102", 1.0)
    assert locator.locate_point(lon, MID_LAT, accuracy_m=50).candidates == (whole,)
    assert locator.disc_shares(lon, MID_LAT, 50) == (whole,)


def test_footprint_streets_carry_their_district(locator: Locator) -> None:
    w = 0.0004
    building = shapely.box(LINE_LON - 0.75 * w, MID_LAT, LINE_LON + 0.25 * w, MID_LAT + 0.0003)
    got = locator.locate_footprint(building)
    assert [(s.code, s.name, s.district_code) for s in got.streets] == [
        ("110106002", "太平桥街道", "110106"),
        ("110102020", "广安门外街道", "110102"),
    ]


def test_a_multi_part_line_is_shared_by_length(locator: Locator) -> None:
    two_stretches = shapely.MultiLineString(
        [
            [(LINE_LON - 0.002, MID_LAT), (LINE_LON - 0.001, MID_LAT)],
            [(LINE_LON + 0.001, MID_LAT), (LINE_LON + 0.0015, MID_LAT)],
        ]
    )
    got = locator.locate_footprint(two_stretches)
    shares = {s.code: s.share for s in got.streets}
    assert shares == pytest.approx({"110106002": 2 / 3, "110102020": 1 / 3}, abs=0.002)


def test_a_footprint_outside_every_district_names_the_nearest(locator: Locator) -> None:
    west = X0 - 1000 / M_PER_DEG_LON  # 1 km west of 丰台's west edge
    building = shapely.box(west - 0.0002, MID_LAT, west + 0.0002, MID_LAT + 0.0003)
    with pytest.raises(OutsideJurisdiction) as info:
        locator.locate_footprint(building)
    assert info.value.nearest_code == "110106"
    assert info.value.distance_m == pytest.approx(1000, rel=0.01)


@pytest.mark.parametrize("line", [0.25, 0.5, 0.75], ids=["west", "district-line", "east"])
@pytest.mark.parametrize("side", [-1, 1], ids=["from-the-west", "from-the-east"])
def test_a_disc_across_any_street_line_from_either_side_is_ambiguous(
    locator: Locator, line: float, side: int
) -> None:
    """Whichever street the point is in, and in whatever order the index returns the two."""
    r, d = 100.0, 40.0
    line_lon = X0 + line * DX
    lon = line_lon + side * d / M_PER_DEG_LON
    got = locator.locate_point(lon, MID_LAT, accuracy_m=r)
    assert got.street is not None and got.ambiguous
    far = next(c for c in got.candidates if c.code != got.street.code)
    segment = (r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)) / (math.pi * r * r)
    assert far.share == pytest.approx(segment, abs=0.01)
    assert got.candidates[0].code == got.street.code  # the larger share


def test_line_shares_are_measured_in_metres_not_degrees(locator: Locator) -> None:
    """An L: 0.0009° north-south in 太平桥, then 0.0009° east-west into 广安门外. Equal in
    degrees, but a degree of latitude is longer than one of longitude here (about 100 m
    against 77 m)."""
    corner = (LINE_LON - 1e-6, MID_LAT)
    top = (corner[0], MID_LAT + 0.0009)
    end = (LINE_LON + 0.0009, MID_LAT)
    got = locator.locate_footprint(shapely.LineString([top, corner, end]))
    geod = Geod(ellps="WGS84")
    west = geod.line_length([top[0], corner[0], LINE_LON], [top[1], corner[1], MID_LAT])
    east = geod.line_length([LINE_LON, end[0]], [MID_LAT, end[1]])
    shares = {s.code: s.share for s in got.streets}
    assert shares["110106002"] == pytest.approx(west / (west + east), abs=0.002)
    assert shares["110106002"] > 0.55
