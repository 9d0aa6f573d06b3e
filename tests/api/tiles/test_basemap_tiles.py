"""The working maps' basemap: the named streets and alleys (``roadnet``) and the address
register (``addresses``) as vector tiles, for every logged-in role, empty below their first
zoom, cached until the generation changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from api.addresses.service import import_register, read_entries
from api.geography.service import active_generation
from api.tiles.service import MIN_ZOOM, TILES_CACHE, Layer
from tests.api.support import problem
from tests.api.tiles.conftest import GUANGWAI, TAIPINGQIAO, Tiles, xyz

ROLES = ("worker-gw", "gw", "xc-cgzf", "chief", "hotline", "community", "analyst", "admin")


def a_named_road(tiles: Tiles) -> Any:
    """A road of 广外 in the active generation, with a point on it."""
    return tiles.api.session.execute(
        text(
            "SELECT ref, name, kind, ST_X(ST_LineInterpolatePoint(ST_GeometryN(geom, 1), 0.5)) "
            "AS lon, ST_Y(ST_LineInterpolatePoint(ST_GeometryN(geom, 1), 0.5)) AS lat "
            "FROM roads WHERE street_code = :street "
            "AND generation_high = (SELECT max(id) FROM generations) ORDER BY ref LIMIT 1"
        ),
        {"street": GUANGWAI},
    ).one()


def a_plate(tiles: Tiles, street: str = GUANGWAI) -> Any:
    """A door plate of ``street`` in the active register."""
    return tiles.api.session.execute(
        text(
            "SELECT ref, text, number, suffix, lon, lat FROM address_entries "
            "WHERE kind = 'plate' AND street_code = :street "
            "AND generation_high = (SELECT max(id) FROM generations) ORDER BY ref LIMIT 1"
        ),
        {"street": street},
    ).one()


@pytest.mark.parametrize("user", ROLES)
def test_every_signed_in_role_gets_the_named_roads_at_street_zoom(tiles: Tiles, user: str) -> None:
    road = a_named_road(tiles)
    x, y = xyz(road.lon, road.lat, 16)
    found = tiles.layer(f"/tiles/roadnet/16/{x}/{y}.mvt", user)
    by_ref = {f["properties"]["ref"]: f for f in found}
    assert road.ref in by_ref, sorted(by_ref)
    props = by_ref[road.ref]["properties"]
    assert props["name"] == road.name and props["kind"] == road.kind
    assert props["street_code"] == GUANGWAI
    assert by_ref[road.ref]["geometry"]["type"] in ("LineString", "MultiLineString")
    assert all(f["properties"]["name"] for f in found)
    assert not {"count", "chief", "chief_ref"} & set(props)  # no load, no chief: not case data


def test_the_roads_are_empty_below_their_first_zoom(tiles: Tiles) -> None:
    road = a_named_road(tiles)
    first = MIN_ZOOM[Layer.ROADNET]
    x, y = xyz(road.lon, road.lat, first)
    assert road.ref in {
        f["properties"]["ref"]
        for f in tiles.layer(f"/tiles/roadnet/{first}/{x}/{y}.mvt", "worker-gw")
    }
    x, y = xyz(road.lon, road.lat, first - 1)
    low = tiles.get(f"/tiles/roadnet/{first - 1}/{x}/{y}.mvt", "worker-gw")
    assert low.status_code == 204 and low.content == b""


def test_door_numbers_are_in_the_address_tiles_from_zoom_17(tiles: Tiles) -> None:
    plate = a_plate(tiles)
    assert MIN_ZOOM[Layer.ADDRESSES] == 17
    x, y = xyz(plate.lon, plate.lat, 17)
    found = tiles.layer(f"/tiles/addresses/17/{x}/{y}.mvt", "worker-gw")
    by_ref = {f["properties"]["ref"]: f for f in found}
    assert plate.ref in by_ref, sorted(by_ref)[:10]
    props = by_ref[plate.ref]["properties"]
    assert props["text"] == plate.text and props["kind"] == "plate"
    assert props["label"] == f"{plate.number}{plate.suffix}号"
    assert by_ref[plate.ref]["geometry"]["type"] == "Point"
    assert {f["properties"]["kind"] for f in found} <= {
        "plate",
        "compound",
        "building",
        "village",
        "poi",
    }
    assert all(f["properties"]["label"] for f in found)
    x, y = xyz(plate.lon, plate.lat, 16)
    low = tiles.get(f"/tiles/addresses/16/{x}/{y}.mvt", "worker-gw")
    assert low.status_code == 204 and low.content == b""


def test_a_worker_sees_the_roads_and_doors_across_the_street_line(tiles: Tiles) -> None:
    plate = a_plate(tiles, TAIPINGQIAO)  # another street (and district) than the worker's
    x, y = xyz(plate.lon, plate.lat, 17)
    refs = {f["properties"]["ref"] for f in tiles.layer(f"/tiles/addresses/17/{x}/{y}.mvt", "gw")}
    assert plate.ref in refs
    roads = tiles.layer(f"/tiles/roadnet/17/{x}/{y}.mvt", "worker-gw")
    assert all(f["properties"]["street_code"] for f in roads)


@pytest.mark.parametrize("layer", ["roadnet", "addresses"])
def test_anonymous_callers_are_refused_the_basemap(tiles: Tiles, layer: str) -> None:
    plate = a_plate(tiles)
    x, y = xyz(plate.lon, plate.lat, 17)
    assert tiles.get(f"/tiles/{layer}/17/{x}/{y}.mvt", None).status_code == 401


def test_basemap_tiles_are_cached_until_a_new_generation(tiles: Tiles) -> None:
    plate = a_plate(tiles)
    x, y = xyz(plate.lon, plate.lat, 17)
    url = f"/tiles/addresses/17/{x}/{y}.mvt"
    before = tiles.get(url, "worker-gw")
    hits = TILES_CACHE.hits
    again = tiles.get(url, "gw")  # another user: the same tile, not cut again
    assert TILES_CACHE.hits == hits + 1 and again.content == before.content
    session = tiles.api.session
    active = active_generation(session=session)  # ids have gaps where tests rolled back
    register = read_entries(session=session)
    kept = register[register["street_code"] != GUANGWAI].reset_index(drop=True)
    report, generation = import_register(session=session, frame=kept, source="test")
    assert report.ok and generation is not None
    after = tiles.layer(url, "worker-gw")
    assert plate.ref not in {f["properties"]["ref"] for f in after}
    # the earlier generation is still there to ask for
    earlier = tiles.get(f"{url}?generation={active}", "worker-gw")
    assert earlier.status_code == 200 and earlier.content == before.content


def test_an_unknown_generation_of_the_basemap_is_404(tiles: Tiles) -> None:
    problem(tiles.get("/tiles/roadnet/16/53941/24837.mvt?generation=99999", "gw"), 404)
