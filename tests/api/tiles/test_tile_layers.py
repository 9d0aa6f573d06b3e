"""What each vector tile layer holds: outlines with codes and names, grid cells only where
they are legible, hot spot units carrying the numbers the hot spot API gives, roads with
their chief and load."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from api.maps.analysis import Filters, Scope, cached_scope_data
from api.maps.data import features
from tests.api.tiles.conftest import GUANGWAI, Tiles, xyz

LON, LAT = 116.33, 39.89  # in 广安门外街道


def test_the_street_polygon_of_guangwai_is_in_its_z14_tile(tiles: Tiles) -> None:
    x, y = xyz(LON, LAT, 14)
    found = tiles.layer(f"/tiles/streets/14/{x}/{y}.mvt", "gw")
    by_code = {f["properties"]["code"]: f for f in found}
    assert GUANGWAI in by_code, sorted(by_code)
    street = by_code[GUANGWAI]
    assert street["properties"]["name"] == "广安门外街道"
    assert street["properties"]["parent_code"] == GUANGWAI[:6]
    assert street["geometry"]["type"] in ("Polygon", "MultiPolygon")
    districts = tiles.layer(f"/tiles/districts/14/{x}/{y}.mvt", "gw")
    assert "110102" in {f["properties"]["code"] for f in districts}


def test_grid_cells_carry_their_codes_from_zoom_14_and_are_empty_below(tiles: Tiles) -> None:
    x, y = xyz(LON, LAT, 15)
    cells = tiles.layer(f"/tiles/grid/15/{x}/{y}.mvt", "worker-gw")
    codes = {f["properties"]["code"] for f in cells}
    assert codes and all(len(c) == 15 and c.isdigit() for c in codes)
    assert any(c.startswith(GUANGWAI) for c in codes)
    assert all(f["properties"]["parent_code"] == f["properties"]["code"][:12] for f in cells)
    x, y = xyz(LON, LAT, 13)
    low = tiles.get(f"/tiles/grid/13/{x}/{y}.mvt", "worker-gw")
    assert low.status_code == 204 and low.content == b""
    assert "ETag" in low.headers


def test_communities_tile_at_a_low_zoom_holds_many_communities(tiles: Tiles) -> None:
    x, y = xyz(LON, LAT, 11)
    found = tiles.layer(f"/tiles/communities/11/{x}/{y}.mvt", "hotline")
    codes = {f["properties"]["code"] for f in found}
    assert len(codes) > 50
    assert all(len(c) == 12 for c in codes)


def test_hotspot_units_carry_the_counts_and_classes_the_hotspot_api_gives(tiles: Tiles) -> None:
    api = tiles.get(f"/api/hotspots?level=grid&street={GUANGWAI}", "gw").json()
    expected = {
        f["properties"]["code"]: (f["properties"]["count"], f["properties"]["class"])
        for f in api["features"]
    }
    planted = Counter(tiles.events.loc[tiles.events.street_code == GUANGWAI, "grid_code"])
    assert all(expected[code][0] == n for code, n in planted.items())
    first = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0]
    x, y = xyz(first.lon, first.lat, 14)
    seen: dict[str, tuple[int, str]] = {}
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            url = f"/tiles/hotspots/14/{x + dx}/{y + dy}.mvt"
            for f in tiles.layer(url, "gw"):
                p = f["properties"]
                seen[p["code"]] = (p["count"], p["class"])
                assert p["class_label"] and p["emerging_label"] and "z" in p
    assert seen and all(code.startswith(GUANGWAI) for code in seen)
    assert {code: expected[code] for code in seen} == seen
    assert seen[first.grid_code][0] == planted[first.grid_code] > 0


def test_a_districts_hotspots_are_its_communities(tiles: Tiles) -> None:
    x, y = xyz(LON, LAT, 12)
    found = tiles.layer(f"/tiles/hotspots/12/{x}/{y}.mvt?scope=110102", "xicheng")
    codes = {f["properties"]["code"] for f in found}
    assert codes and all(len(c) == 12 and c.startswith("110102") for c in codes)
    api = tiles.get("/api/hotspots?level=community&street=110102", "xicheng").json()
    counts = {f["properties"]["code"]: f["properties"]["count"] for f in api["features"]}
    assert {f["properties"]["code"]: f["properties"]["count"] for f in found} == {
        c: counts[c] for c in codes
    }


def test_roads_carry_their_chief_and_the_load_the_street_map_draws(tiles: Tiles) -> None:
    data = cached_scope_data(
        session=tiles.api.session,
        scope=Scope("street", GUANGWAI, "广安门外街道"),
        filters=Filters(),
    )
    loads = {f["properties"]["id"]: f["properties"]["count"] for f in features(data.roads)}
    assert loads and any(loads.values())
    first = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0]
    x, y = xyz(first.lon, first.lat, 13)
    seen = {}
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for f in tiles.layer(f"/tiles/roads/13/{x + dx}/{y + dy}.mvt", "gw"):
                seen[f["properties"]["ref"]] = f["properties"]
    assert seen and set(seen) <= set(loads)
    assert all(p["count"] == loads[ref] for ref, p in seen.items())
    assert all(p["street_code"] == GUANGWAI for p in seen.values())
    chiefs = {p["chief"] for p in seen.values() if p["chief_ref"]}
    assert chiefs and all(chiefs)


def test_a_chief_sees_only_the_chiefs_own_roads(tiles: Tiles) -> None:
    mine = {
        r
        for (r,) in tiles.api.session.execute(
            text("SELECT ref FROM roads WHERE chief_ref = :ref"), {"ref": f"C{GUANGWAI}-01"}
        )
    }
    x, y = xyz(LON, LAT, 13)
    seen = set()
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            for f in tiles.layer(f"/tiles/roads/13/{x + dx}/{y + dy}.mvt", "chief"):
                seen.add(f["properties"]["ref"])
    assert mine and seen and seen <= mine
