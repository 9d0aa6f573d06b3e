"""The tiles of a street-and-alley chief's map (``?chief=``): the chief's roads with their
load and the significant grid cells along them, for whoever may open that chief's map (the
chief, the chief's street, its district, administrators and analysts over it) and refused
to everyone else; a malformed, unknown or misplaced chief is refused naming ``chief``."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from api.auth.roles import Role
from api.hotspots.service import load_events
from api.maps.analysis import cached_chief_data
from api.maps.cache import data_version
from api.maps.data import features
from api.tiles.service import TILES_CACHE
from tests.api.support import issue_tokens, problem
from tests.api.tiles.conftest import GUANGWAI, Tiles, extent, xyz

CHIEF = f"C{GUANGWAI}-01"  # the tiles fixture's "chief"
OTHER_CHIEF = f"C{GUANGWAI}-02"
OUTSIDERS = {
    "other-chief": (Role.CHIEF, OTHER_CHIEF),
    "fengtai-analyst": (Role.ANALYST, "110106"),
    "xicheng-analyst": (Role.ANALYST, "110102"),
}


@pytest.fixture
def chief_tiles(tiles: Tiles) -> Tiles:
    """The tiles fixture with a second chief of 广外 and two analysts with a prefix, and ten
    events on the middle of each of the chief's roads (so that every road has a load)."""
    session = tiles.api.session
    tiles.api.tokens.update(issue_tokens(session, OUTSIDERS, prefix="chief-"))
    middles = session.execute(
        text(
            "SELECT ref, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT ref, "
            "ST_LineInterpolatePoint(ST_LineMerge(geom), 0.5) AS p FROM roads "
            "WHERE chief_ref = :c AND generation_high = (SELECT max(id) FROM generations)) r "
            "WHERE ST_GeometryType(p) = 'ST_Point' ORDER BY ref"
        ),
        {"c": CHIEF},
    ).all()
    assert middles, "the chief has no road"
    template = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0].to_dict()
    extra = pd.DataFrame(
        [
            {**template, "event_id": f"T-{m.ref}-{k}", "lon": m.lon, "lat": m.lat}
            for m in middles
            for k in range(10)
        ]
    )
    load_events(session=session, events=extra)
    return tiles


def _features(tiles: Tiles, layer: str, user: str, z: int = 15) -> list[dict[str, Any]]:
    """Every feature of the chief's ``layer`` tiles at zoom ``z`` over the chief's street."""
    west, south, east, north = extent(tiles.api.session, "areas WHERE code = :c", {"c": GUANGWAI})
    (x0, y0), (x1, y1) = xyz(west, north, z), xyz(east, south, z)
    found: list[dict[str, Any]] = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            found += tiles.layer(f"/tiles/{layer}/{z}/{x}/{y}.mvt?chief={CHIEF}", user)
    return found


def _expected(tiles: Tiles) -> Any:
    session = tiles.api.session
    return cached_chief_data(
        session=session,
        chief_ref=CHIEF,
        street_code=GUANGWAI,
        version=data_version(session=session),
    )


def test_the_chiefs_road_tiles_hold_the_chiefs_roads_only_with_their_load(
    chief_tiles: Tiles,
) -> None:
    expected = {
        p["id"]: p for p in (f["properties"] for f in features(_expected(chief_tiles).roads))
    }
    mine = set(
        chief_tiles.api.session.scalars(
            text(
                "SELECT ref FROM roads WHERE chief_ref = :c "
                "AND generation_high = (SELECT max(id) FROM generations)"
            ),
            {"c": CHIEF},
        )
    )
    assert expected and set(expected) == mine
    name, title = chief_tiles.api.session.execute(
        text("SELECT name, title FROM chiefs WHERE ref = :c"), {"c": CHIEF}
    ).one()
    for user in ("chief", "gw", "xicheng", "admin", "analyst", "xicheng-analyst"):
        seen = {
            f["properties"]["ref"]: f["properties"] for f in _features(chief_tiles, "roads", user)
        }
        assert set(seen) == mine, user
        assert {r: p["count"] for r, p in seen.items()} == {
            r: p["count"] for r, p in expected.items()
        }
        assert all(p["count"] >= 10 for p in seen.values())  # the planted events count
        assert {(p["chief_ref"], p["chief"], p["title"]) for p in seen.values()} == {
            (CHIEF, name, title)
        }
        assert {p["kind_label"] for p in seen.values()} <= {"街/路", "胡同/巷"}


def test_the_chiefs_cell_tiles_hold_the_significant_cells_along_the_roads(
    chief_tiles: Tiles,
) -> None:
    expected = {
        p["code"]: (p["count"], p["class"])
        for p in (f["properties"] for f in features(_expected(chief_tiles).hotspots))
    }
    assert expected, "no significant cell along the chief's roads"
    assert all(c != "not significant" for _, c in expected.values())
    for user in ("chief", "gw"):
        seen = {
            f["properties"]["code"]: (f["properties"]["count"], f["properties"]["class"])
            for f in _features(chief_tiles, "hotspots", user, z=14)
        }
        assert seen == expected, user
    street_cells = chief_tiles.api.session.scalar(
        text("SELECT count(*) FROM areas WHERE level = 'grid' AND code LIKE :p"),
        {"p": f"{GUANGWAI}%"},
    )
    assert len(expected) < street_cells


@pytest.mark.parametrize("layer", ["roads", "hotspots"])
@pytest.mark.parametrize(
    "user",
    [
        "other-chief",  # another chief of the same street
        "tpq",  # another street
        "community",  # a community of the chief's street: not the chief's map
        "fengtai",  # another district
        "fengtai-analyst",  # an analyst outside the chief's street
        "xc-cgzf",
        "worker-gw",
        "hotline",
    ],
)
def test_who_may_not_open_the_chiefs_map_may_not_fetch_its_tiles(
    chief_tiles: Tiles, layer: str, user: str
) -> None:
    x, y = xyz(116.33, 39.89, 14)
    problem(chief_tiles.get(f"/tiles/{layer}/14/{x}/{y}.mvt?chief={CHIEF}", user), 403, "chief")


def test_without_chief_a_chief_gets_its_own_roads_and_no_hotspots(chief_tiles: Tiles) -> None:
    x, y = xyz(116.33, 39.89, 14)
    problem(chief_tiles.get(f"/tiles/hotspots/14/{x}/{y}.mvt", "chief"), 403, "layer")
    assert chief_tiles.get(f"/tiles/roads/14/{x}/{y}.mvt", "chief").status_code in (200, 204)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("chief=abc", 422),
        ("chief=", 422),
        ("chief=110102020-01", 422),
        (f"chief=C{GUANGWAI}", 422),
        (f"chief=C{GUANGWAI}-01x", 422),
        (f"chief=C{GUANGWAI}-99", 404),  # no such chief
        (f"chief={CHIEF}&scope={GUANGWAI}", 422),  # two scopes
    ],
)
def test_a_malformed_or_unknown_chief_is_refused_naming_it(
    chief_tiles: Tiles, query: str, status: int
) -> None:
    x, y = xyz(116.33, 39.89, 14)
    problem(chief_tiles.get(f"/tiles/roads/14/{x}/{y}.mvt?{query}", "admin"), status, "chief")


@pytest.mark.parametrize("layer", ["events", "streets", "grid", "roadnet"])
def test_chief_on_a_layer_it_does_not_apply_to_is_refused(chief_tiles: Tiles, layer: str) -> None:
    x, y = xyz(116.33, 39.89, 14)
    problem(chief_tiles.get(f"/tiles/{layer}/14/{x}/{y}.mvt?chief={CHIEF}", "gw"), 422, "chief")


def test_the_chiefs_tiles_are_shared_and_cut_again_when_events_arrive(
    chief_tiles: Tiles,
) -> None:
    session = chief_tiles.api.session
    ref, lon, lat = session.execute(
        text(
            "SELECT ref, ST_X(p), ST_Y(p) FROM (SELECT ref, "
            "ST_LineInterpolatePoint(ST_LineMerge(geom), 0.5) AS p FROM roads "
            "WHERE chief_ref = :c AND generation_high = (SELECT max(id) FROM generations)) r "
            "WHERE ST_GeometryType(p) = 'ST_Point' ORDER BY ref LIMIT 1"
        ),
        {"c": CHIEF},
    ).one()
    x, y = xyz(lon, lat, 16)
    url = f"/tiles/roads/16/{x}/{y}.mvt?chief={CHIEF}"

    def load() -> int:
        found = [f for f in chief_tiles.layer(url, "gw") if f["properties"]["ref"] == ref]
        assert len(found) == 1
        return int(found[0]["properties"]["count"])

    before = load()
    hits = TILES_CACHE.hits
    chief_tiles.layer(url, "chief")  # the chief gets the tile the street's user had cut
    assert TILES_CACHE.hits == hits + 1
    template = chief_tiles.events[chief_tiles.events.street_code == GUANGWAI].iloc[0].to_dict()
    extra = pd.DataFrame(
        [{**template, "event_id": f"T-late-{k}", "lon": lon, "lat": lat} for k in range(3)]
    )
    load_events(session=session, events=extra)
    assert load() == before + 3
