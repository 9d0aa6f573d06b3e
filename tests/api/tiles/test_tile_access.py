"""Who sees what in the tiles: raw events narrowed to the caller's own (area, community,
reports, assigned cases, roads), aggregate layers refused to roles without a hot spot map,
and the refusals of bad tile addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from api.auth.roles import Role
from tests.api.support import issue_tokens, problem
from tests.api.tiles.conftest import GUANGWAI, TAIPINGQIAO, Tiles, xyz


def _border_tile(tiles: Tiles, z: int = 13) -> tuple[int, int]:
    """A tile holding planted events of both 广外 and 太平桥 (they share a district line)."""
    events = tiles.events
    for street in (GUANGWAI, TAIPINGQIAO):
        assert (events.street_code == street).any()
    tiles_of = {
        street: {
            xyz(lon, lat, z)
            for lon, lat in events.loc[events.street_code == street, ["lon", "lat"]].to_numpy()
        }
        for street in (GUANGWAI, TAIPINGQIAO)
    }
    shared = tiles_of[GUANGWAI] & tiles_of[TAIPINGQIAO]
    assert shared, "no tile holds planted events of both streets"
    return min(shared)


def _refs(tiles: Tiles, user: str, x: int, y: int, z: int = 13) -> set[str]:
    return {f["properties"]["ref"] for f in tiles.layer(f"/tiles/events/{z}/{x}/{y}.mvt", user)}


def test_a_street_sees_its_own_events_only_and_an_analyst_all(tiles: Tiles) -> None:
    x, y = _border_tile(tiles)
    ref_street = dict(zip(tiles.events.event_id, tiles.events.street_code, strict=True))
    gw, tpq, analyst = (_refs(tiles, u, x, y) for u in ("gw", "tpq", "analyst"))
    assert gw and tpq
    assert {ref_street[r] for r in gw} == {GUANGWAI}
    assert {ref_street[r] for r in tpq} == {TAIPINGQIAO}
    assert gw | tpq <= analyst
    assert _refs(tiles, "admin", x, y) == analyst
    assert _refs(tiles, "xicheng", x, y) == gw  # the district: its streets' events


def test_scope_narrows_the_events_to_an_area_of_the_callers_own(tiles: Tiles) -> None:
    x, y = _border_tile(tiles)
    street_of = dict(zip(tiles.events.event_id, tiles.events.street_code, strict=True))
    url = f"/tiles/events/13/{x}/{y}.mvt?scope={GUANGWAI}"
    narrowed = {f["properties"]["ref"] for f in tiles.layer(url, "admin")}
    assert narrowed and narrowed == {
        r for r in _refs(tiles, "admin", x, y) if street_of.get(r) == GUANGWAI
    }
    assert {f["properties"]["ref"] for f in tiles.layer(url, "xicheng")} == narrowed
    problem(tiles.get(f"/tiles/events/13/{x}/{y}.mvt?scope={TAIPINGQIAO}", "gw"), 403, "scope")


def test_another_streets_tile_holds_none_of_a_streets_events(tiles: Tiles) -> None:
    events = tiles.events
    lon, lat = events.loc[events.street_code == TAIPINGQIAO, ["lon", "lat"]].to_numpy()[0]
    x, y = xyz(lon, lat, 16)
    assert _refs(tiles, "tpq", x, y, 16)
    assert _refs(tiles, "gw", x, y, 16) <= set(events.event_id[events.street_code == GUANGWAI])


def test_a_community_sees_the_events_of_its_community_only(tiles: Tiles) -> None:
    first = tiles.events[tiles.events.street_code == GUANGWAI].iloc[0]
    own = str(first.community_code)
    tiles.api.tokens.update(
        issue_tokens(tiles.api.session, {"own": (Role.COMMUNITY, own)}, prefix="tile-")
    )
    x, y = xyz(first.lon, first.lat, 14)
    community = dict(zip(tiles.events.event_id, tiles.events.community_code, strict=True))
    seen = _refs(tiles, "own", x, y, 14)
    everyone = _refs(tiles, "admin", x, y, 14)
    assert first.event_id in seen
    assert seen == {r for r in everyone if community.get(r) == own}
    assert {community[r] for r in everyone} - {own}, "the tile holds no other community"


def test_workers_see_their_own_reports_and_departments_their_assigned_cases(
    tiles: Tiles,
) -> None:
    api = tiles.api
    lon, lat = api.session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas "
            "WHERE code = :c ORDER BY generation_high DESC LIMIT 1) a"
        ),
        {"c": GUANGWAI + "001"},
    ).one()
    report = {"geometry": {"type": "Point", "coordinates": [lon, lat]}, "category": "E0303"}
    made = api.call("POST", "/api/reports", "worker-gw", json=report)
    assert made.status_code == 201, made.text
    case = made.json()["case_id"]
    x, y = xyz(lon, lat, 15)
    url = f"/tiles/events/15/{x}/{y}.mvt"
    mine = {f["properties"]["ref"] for f in tiles.layer(url, "worker-gw")}
    assert len(mine) == 1 and next(iter(mine)).startswith("R")
    assert tiles.layer(url, "worker-tpq") == []
    assert tiles.layer(url, "xc-cgzf") == []  # not yet assigned
    assert api.call("POST", f"/api/cases/{case}/whistle", "gw", json={}).status_code == 200
    assigned = {
        d
        for (d,) in api.session.execute(
            text("SELECT department_code FROM assignments WHERE case_id = :c"), {"c": case}
        )
    }
    for department in ("xc-cgzf", "ft-cgzf"):
        code = {"xc-cgzf": "110102-cgzf", "ft-cgzf": "110106-cgzf"}[department]
        got = {f["properties"]["ref"] for f in tiles.layer(url, department)}
        assert got == (mine if code in assigned else set()), (department, assigned)
    assert "110102-cgzf" in assigned


def test_a_chief_sees_the_events_along_the_chiefs_roads(tiles: Tiles) -> None:
    x, y = _border_tile(tiles)
    near = {
        r
        for (r,) in tiles.api.session.execute(
            text(
                "SELECT e.ref FROM events e WHERE e.street_code = :s AND EXISTS (SELECT 1 FROM "
                "roads r WHERE r.chief_ref = :c AND ST_DWithin(ST_Transform(r.geom, 4548), "
                "ST_Transform(e.geom, 4548), 30))"
            ),
            {"s": GUANGWAI, "c": f"C{GUANGWAI}-01"},
        )
    }
    seen = _refs(tiles, "chief", x, y)
    assert seen <= near
    assert seen == near & _refs(tiles, "admin", x, y)


def test_events_below_zoom_13_are_empty(tiles: Tiles) -> None:
    x, y = xyz(116.33, 39.89, 12)
    assert tiles.get(f"/tiles/events/12/{x}/{y}.mvt", "admin").status_code == 204


@pytest.mark.parametrize("layer", ["hotspots", "roads"])
@pytest.mark.parametrize("user", ["xc-cgzf", "worker-gw", "hotline"])
def test_roles_without_a_hotspot_map_may_not_see_the_aggregate_layers(
    tiles: Tiles, layer: str, user: str
) -> None:
    x, y = xyz(116.33, 39.89, 14)
    problem(tiles.get(f"/tiles/{layer}/14/{x}/{y}.mvt", user), 403, "layer")


def test_a_street_may_not_see_another_streets_or_the_citys_aggregates(tiles: Tiles) -> None:
    x, y = xyz(116.33, 39.89, 14)
    url = f"/tiles/hotspots/14/{x}/{y}.mvt"
    problem(tiles.get(f"{url}?scope={TAIPINGQIAO}", "gw"), 403, "scope")
    problem(tiles.get(f"{url}?scope=110102", "gw"), 403, "scope")
    problem(tiles.get(f"{url}?scope=110106", "xicheng"), 403, "scope")
    assert tiles.get(url, "xicheng").status_code in (200, 204)  # its own district
    assert tiles.get(f"{url}?scope={GUANGWAI}", "xicheng").status_code in (200, 204)
    problem(tiles.get(f"/tiles/hotspots/14/{x}/{y}.mvt", "chief"), 403, "layer")


def test_an_unknown_scope_is_a_404(tiles: Tiles) -> None:
    problem(tiles.get("/tiles/hotspots/14/1/1.mvt?scope=110102999", "admin"), 404, "scope")


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/tiles/streets/23/0/0.mvt", 422, "z"),
        ("/tiles/streets/-1/0/0.mvt", 422, "z"),
        ("/tiles/streets/a/0/0.mvt", 422, "z"),
        ("/tiles/streets/14/1.5/0.mvt", 422, "x"),
        ("/tiles/streets/14/0/y.mvt", 422, "y"),
        ("/tiles/streets/2/4/0.mvt", 422, "x"),
        ("/tiles/streets/2/0/4.mvt", 422, "y"),
        ("/tiles/streets/0/0/0.mvt?window=0d", 422, "window"),
        ("/tiles/hotspots/14/0/0.mvt?scope=1101", 422, "scope"),
        ("/tiles/rivers/14/0/0.mvt", 404, "layer"),
        ("/tiles/streets/0/0/0.mvt?generation=99999", 404, "generation"),
        ("/tiles/streets/0/0/0.mvt?generation=0", 422, "generation"),
    ],
)
def test_bad_tile_addresses_are_refused_naming_the_field(
    tiles: Tiles, url: str, status: int, field: str
) -> None:
    problem(tiles.get(url, "admin"), status, field)


def test_anonymous_callers_get_a_401_problem(tiles: Tiles) -> None:
    problem(tiles.get("/tiles/streets/14/13485/6207.mvt", None), 401, "authorization")


def test_the_login_cookie_opens_tiles(tiles: Tiles) -> None:
    client = tiles.api.client
    client.cookies.set("gridwhistle_token", tiles.api.tokens["gw"])
    try:
        x, y = xyz(116.33, 39.89, 14)
        assert client.get(f"/tiles/streets/14/{x}/{y}.mvt").status_code == 200
    finally:
        client.cookies.clear()
