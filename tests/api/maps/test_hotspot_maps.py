"""Hot spot and street-and-alley chief map pages: rendered HTML and a headless Chromium run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.geography.models import Area, Chief, Road
from api.hotspots.service import load_events
from api.maps.analysis import cached_chief_data
from api.maps.cache import data_version
from api.whistles.models import Assignment
from grids.demo import build_demo_city
from grids.simulate import simulate_year
from tests.api.maps.conftest import app_on, contains, tile_features, tile_urls
from tests.api.support import BUILDING, Api, issue_tokens
from tests.api.tiles.conftest import extent
from tests.browser import browser_page, chromium_or_skip, serve, set_login_cookie
from tests.conftest import TEST_CELL_AREA_M2

STREET = "110102020"  # 广安门外街道
VECTORGRID = "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"
ROAD_IN_TILE = '.leaflet-tile path[stroke-width="6"]'
CLASS_LABELS = ("热点99%", "热点95%", "热点90%", "不显著", "冷点90%", "冷点95%", "冷点99%")


def _local_only(html: str) -> None:
    assert re.findall(r"https?://", html) == []
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet/leaflet.css" in html


def _two_chiefs(session: Session) -> tuple[str, str]:
    refs = session.scalars(
        select(Chief.ref).where(Chief.street_code == STREET).order_by(Chief.ref)
    ).all()
    assert len(refs) >= 2
    return refs[0], refs[1]


def _road_names(session: Session, chief_ref: str) -> set[str]:
    return set(session.scalars(select(Road.name).where(Road.chief_ref == chief_ref)).all())


def test_city_hotspot_map_ships_aggregates_with_legend_and_no_pins(loaded: TestClient) -> None:
    r = loaded.get("/maps/hotspots")
    assert r.status_code == 200, r.text
    html = r.text
    _local_only(html)
    for label in ("事件数", "热点分析（Gi*）", "区", "街道/乡镇", *CLASS_LABELS):
        assert contains(html, label), label
    assert "leaflet.markercluster" not in html
    assert "markerClusterGroup" not in html
    assert contains(html, "事件点（聚合）") is False


def test_street_hotspot_map_draws_grid_cells_and_events_from_local_vector_tiles(
    loaded: TestClient, demo_session: Session
) -> None:
    r = loaded.get("/maps/hotspots", params={"street": STREET, "category": "E04"})
    assert r.status_code == 200, r.text
    html = r.text
    _local_only(html)
    assert VECTORGRID in html and loaded.get(VECTORGRID).is_success
    assert "leaflet.markercluster" not in html and "markerClusterGroup" not in html
    urls = tile_urls(html)
    cells = f"/tiles/hotspots/{{z}}/{{x}}/{{y}}.mvt?scope={STREET}&category=E04"
    assert (
        cells in urls and f"/tiles/events/{{z}}/{{x}}/{{y}}.mvt?scope={STREET}&category=E04" in urls
    )
    assert contains(html, "事件点（13级起显示）")
    assert not re.search(r'"code": "\d{15}"', html)  # grid cells come as tiles
    bounds = demo_session.execute(
        text(
            "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT geom AS g "
            "FROM areas WHERE code = :c ORDER BY generation_high DESC LIMIT 1) a"
        ),
        {"c": STREET},
    ).one()
    codes = {f["properties"]["code"] for f in tile_features(loaded, cells, tuple(bounds), 14)}
    street_cells = set(
        demo_session.scalars(
            select(Area.code).where(Area.level == "grid", Area.code.startswith(STREET))
        )
    )
    assert codes == street_cells  # every cell of the street, and only those
    for label in CLASS_LABELS:
        assert contains(html, label), label
    assert loaded.get("/maps/hotspots", params={"street": "12"}).status_code == 422


def test_chief_map_draws_exactly_that_chiefs_roads_from_the_chiefs_tiles(
    loaded: TestClient, demo_session: Session
) -> None:
    mine, other = _two_chiefs(demo_session)
    mine_names, other_names = _road_names(demo_session, mine), _road_names(demo_session, other)
    assert mine_names and other_names and not mine_names & other_names
    r = loaded.get(f"/maps/chief/{mine}")
    assert r.status_code == 200, r.text
    html = r.text
    _local_only(html)
    roads_url = f"/tiles/roads/{{z}}/{{x}}/{{y}}.mvt?chief={mine}"
    urls = tile_urls(html)
    assert roads_url in urls and f"/tiles/hotspots/{{z}}/{{x}}/{{y}}.mvt?chief={mine}" in urls
    assert VECTORGRID in html
    # no roads FeatureCollection in the page: no line geometry, no kind in words, no names
    assert '"LineString"' not in html and '"MultiLineString"' not in html
    assert '"kind_label":' not in html
    assert not any(contains(html, name) for name in mine_names | other_names)
    chief = demo_session.scalars(select(Chief).where(Chief.ref == mine)).one()
    for label in (chief.name, chief.title, "责任街巷", "街巷30米内事件", "超期吹哨", "街道/乡镇"):
        assert contains(html, label), label
    # the tiles hold the chief's roads, named, with the chief and the load of the page
    box = extent(demo_session, "roads WHERE chief_ref = :c", {"c": mine})
    drawn = {
        f["properties"]["ref"]: f["properties"] for f in tile_features(loaded, roads_url, box, 15)
    }
    refs = set(demo_session.scalars(select(Road.ref).where(Road.chief_ref == mine)))
    assert set(drawn) == refs
    assert {p["name"] for p in drawn.values()} == mine_names
    assert {(p["chief"], p["title"]) for p in drawn.values()} == {(chief.name, chief.title)}
    data = cached_chief_data(
        session=demo_session,
        chief_ref=mine,
        street_code=STREET,
        version=data_version(session=demo_session),
    )
    loads = {f["properties"]["id"]: f["properties"]["count"] for f in data.roads["features"]}
    assert {ref: p["count"] for ref, p in drawn.items()} == loads
    assert any(loads.values())  # the simulated year has events along the chief's roads


def test_chief_of_the_planted_alley_sees_its_hot_cells_and_only_cells_near_the_roads(
    loaded: TestClient, demo_session: Session
) -> None:
    truth = next(
        p
        for p in simulate_year(build_demo_city(cell_area_m2=TEST_CELL_AREA_M2), seed=2026).truth
        if p.kind == "persistent"
    )
    assert truth.road_id is not None
    road = demo_session.scalars(select(Road).where(Road.ref == truth.road_id)).one()
    assert road.chief_ref is not None
    html = loaded.get(f"/maps/chief/{road.chief_ref}").text
    assert contains(html, "热点分析（Gi*）") and contains(html, "热点99%")
    assert not re.search(r'"code": "\d{15}"', html)  # the cells come as tiles
    (cells,) = (u for u in tile_urls(html) if u.startswith("/tiles/hotspots/"))
    assert cells == f"/tiles/hotspots/{{z}}/{{x}}/{{y}}.mvt?chief={road.chief_ref}"
    street = road.chief_ref[1:10]
    box = extent(demo_session, "areas WHERE code = :c", {"c": street})
    found = tile_features(loaded, cells, box, 14)
    shown = {f["properties"]["code"]: f["properties"]["class"] for f in found}
    assert shown, "no grid cells on the chief's map"
    assert all(code.startswith(street) or code[:9] == truth.cells[0][:9] for code in shown)
    assert "not significant" not in shown.values()
    planted_hot = [c for c in truth.cells if shown.get(c, "").startswith("hot")]
    assert planted_hot, f"none of the planted cells {truth.cells} is hot on the chief's map"
    street_cells = demo_session.scalar(
        text("SELECT count(*) FROM areas WHERE level = 'grid' AND code LIKE :p"),
        {"p": truth.cells[0][:9] + "%"},
    )
    assert len(shown) < street_cells  # only cells along the chief's roads


def test_chief_map_marks_the_streets_overdue_whistles(request: pytest.FixtureRequest) -> None:
    api: Api = request.getfixturevalue("api")  # the lifecycle's rolled-back client
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
    mine, _other = _two_chiefs(api.session)
    before = api.call("GET", f"/maps/chief/{mine}", "gw").text
    assert contains(before, f"案件 {case_id}（E0303）：已吹哨，办理中")  # at work, in time
    assert contains(before, "办理中的吹哨") and not contains(before, f"案件 {case_id}（E0303）：1")
    past = datetime.now(UTC) - timedelta(days=30)
    for assignment in api.session.scalars(select(Assignment).where(Assignment.case_id == case_id)):
        assignment.acknowledge_due_at = past
    api.session.flush()
    after = api.call("GET", f"/maps/chief/{mine}", "gw").text
    assert contains(after, f"案件 {case_id}（E0303）") and contains(after, "派单超期")
    assert not contains(after, f"案件 {case_id}（E0303）：已吹哨，办理中")  # overdue instead


def test_unknown_chief_is_a_404_problem(signed_demo_client: TestClient) -> None:
    r = signed_demo_client.get("/maps/chief/C000000000-99")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.browser
def test_hotspot_and_chief_maps_draw_in_chromium(
    demo_db_url: str,
    demo_session: Session,
    events: pd.DataFrame,
    artifacts: Path,
) -> None:
    chromium = chromium_or_skip()
    load_events(session=demo_session, events=events)
    mine, _other = _two_chiefs(demo_session)
    app = app_on(demo_db_url, demo_session)
    token = issue_tokens(demo_session, {"admin": (Role.ADMIN, None)})["admin"]
    pages = {
        "hotspot_map_city.png": "/maps/hotspots",
        "hotspot_map_street.png": f"/maps/hotspots?street={STREET}",
        "chief_map.png": f"/maps/chief/{mine}",
    }
    with serve(app) as base, browser_page(chromium) as (page, log):
        set_login_cookie(page, base, token)
        drawn = {}
        for shot, url in pages.items():
            page.goto(f"{base}{url}", wait_until="networkidle")  # type: ignore[attr-defined]
            page.wait_for_selector("path.leaflet-interactive")  # type: ignore[attr-defined]
            drawn[shot] = page.locator("path.leaflet-interactive").count()  # type: ignore[attr-defined]
            if shot == "chief_map.png":  # the roads (6 px wide) are drawn in the tiles' SVG
                page.wait_for_selector(ROAD_IN_TILE)  # type: ignore[attr-defined]
                drawn["chief roads"] = page.locator(ROAD_IN_TILE).count()  # type: ignore[attr-defined]
            page.screenshot(path=str(artifacts / shot))  # type: ignore[attr-defined]
    assert all(n > 0 for n in drawn.values()), drawn
    assert any(re.search(rf"/tiles/roads/\d+/\d+/\d+\.mvt\?chief={mine}$", u) for u in log.requests)
    assert log.failed == []
    assert log.console_errors == []
    assert log.foreign_hosts() == set()
    assert any("Leaflet.VectorGrid.bundled.min.js" in u for u in log.requests)
    assert any(u.split("?")[0].endswith(".mvt") for u in log.requests)
