"""City, district and street hot spot views: layers, what each ships, 404s, Chromium."""

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
from api.whistles.models import Assignment
from tests.api.maps.conftest import app_on, contains, tile_features, tile_urls
from tests.api.support import BUILDING, Api, issue_tokens
from tests.browser import browser_page, chromium_or_skip, serve, set_login_cookie

STREET = "110102020"  # 广安门外街道 (西城)
DISTRICT = "110102"  # 西城区
OTHER_DISTRICT = "110106"  # 丰台区
NEW_LAYERS = (
    "时空热点模式",
    "热力图（核密度）",
    "街巷负荷（30米内事件数）",
    "社区/村",
    "街道/乡镇",
    "区",
)
PERSISTENT_ALLEY_COMMUNITY = "110102013008"  # the planted 占道经营 alley (大栅栏街道)


def _codes(session: Session, level: str, prefix: str) -> list[str]:
    return list(
        session.scalars(
            select(Area.code).where(Area.level == level, Area.code.startswith(prefix))
        ).all()
    )


def _names(session: Session, model: type[Road] | type[Chief], prefix: str) -> set[str]:
    return set(session.scalars(select(model.name).where(model.street_code.startswith(prefix))))


def _pin_coordinates(events: pd.DataFrame, prefix: str, n: int = 200) -> list[str]:
    """How the page would write the positions of raw events under ``prefix`` (JSON floats)."""
    mine = events[events["street_code"].str.startswith(prefix)].head(n)
    return [repr(float(v)) for v in mine["lat"]]


def _without_ids(html: str) -> str:
    return re.sub(r"_[0-9a-f]{32}", "_", html)


def _without_heading(html: str) -> str:
    """The page without its <title> and heading (which say the period as it was asked)."""
    heading = (
        r'<div class="gw-map-heading".*?</h1>(<div class="gw-map-subtitle"[^>]*>[^<]*</div>)?</div>'
    )
    return re.sub(rf"{heading}|<title>[^<]*</title>", "", html, flags=re.S)


def _assert_new_layers(html: str) -> None:
    assert re.findall(r"https?://", html) == []
    assert "/static/vendor/leaflet/leaflet.js" in html
    for label in NEW_LAYERS:
        assert contains(html, label), label
    assert "L.control.layers(" in html
    assert "L.imageOverlay(" in html and "data:image/png;base64," in html
    for legend in ("件/km²，带宽", "时空热点模式（52周）", "热点分析（Gi*）", "事件密度（件/km²）"):
        assert contains(html, legend), legend


def test_city_view_ships_every_new_layer_as_aggregates_only(
    loaded: TestClient, demo_session: Session, events: pd.DataFrame
) -> None:
    html = loaded.get("/maps/hotspots").text
    _assert_new_layers(html)
    # alleys city-wide from the roads tiles, each with its chief in the popup
    (roads_url,) = (u for u in tile_urls(html) if u.startswith("/tiles/roads/"))
    roads = tile_features(loaded, roads_url, _bounds(demo_session, STREET), 13)
    chiefs = {f["properties"]["chief"] for f in roads} - {""}
    assert chiefs and chiefs <= _names(demo_session, Chief, "")
    assert not any(contains(html, name) for name in chiefs)  # not in the page itself
    assert "街巷长：" in html or contains(html, "街巷长：")
    # no raw pins: no clusters or markers, and no event position anywhere in the page
    assert "markerClusterGroup" not in html and "circleMarker" not in html
    assert "L.marker(" not in html
    for coordinate in _pin_coordinates(events, ""):
        assert coordinate not in html


def _bounds(session: Session, code: str) -> tuple[float, float, float, float]:
    found = session.execute(
        text(
            "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM (SELECT geom AS g "
            "FROM areas WHERE code = :c ORDER BY generation_high DESC LIMIT 1) a"
        ),
        {"c": code},
    ).one()
    return (float(found[0]), float(found[1]), float(found[2]), float(found[3]))


def test_city_view_for_a_category_finds_the_planted_persistent_alley(
    loaded: TestClient, demo_session: Session
) -> None:
    html = loaded.get("/maps/hotspots", params={"category": "E0401"}).text
    assert contains(html, "持续热点")
    url = next(u for u in tile_urls(html) if u.startswith("/tiles/hotspots/"))
    assert "scope=" not in url and "category=E0401" in url  # the city's communities
    found = tile_features(loaded, url, _bounds(demo_session, PERSISTENT_ALLEY_COMMUNITY), 13)
    emerging = {f["properties"]["code"]: f["properties"]["emerging"] for f in found}
    assert emerging[PERSISTENT_ALLEY_COMMUNITY] == "persistent hot spot"


def test_street_view_shows_only_that_street_with_its_raw_events(
    loaded: TestClient, demo_session: Session, events: pd.DataFrame
) -> None:
    r = loaded.get(f"/maps/street/{STREET}")
    assert r.status_code == 200, r.text
    html = r.text
    _assert_new_layers(html)
    assert contains(html, "广安门外街道")
    assert "/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js" in html
    assert contains(html, "超期吹哨") and contains(html, "事件点（13级起显示）")
    assert f"/tiles/hotspots/{{z}}/{{x}}/{{y}}.mvt?scope={STREET}" in tile_urls(html)
    assert not any(code in html for code in _codes(demo_session, "grid", "110102019"))
    assert not any(code in html for code in _codes(demo_session, "community", "110102019"))
    # the street's roads and chiefs come as tiles of the street, none in the page
    (roads_url,) = (u for u in tile_urls(html) if u.startswith("/tiles/roads/"))
    assert f"scope={STREET}" in roads_url
    roads = tile_features(loaded, roads_url, _bounds(demo_session, STREET), 14)
    road_names = {f["properties"]["name"] for f in roads}
    chiefs = {f["properties"]["chief"] for f in roads} - {""}
    assert road_names == _names(demo_session, Road, STREET)
    assert chiefs == _names(demo_session, Chief, STREET)
    assert not any(contains(html, name) for name in chiefs)
    assert not any(f'"{f["properties"]["ref"]}"' in html for f in roads)
    assert '"kind_label":' not in html  # no road GeoJSON
    assert {f["properties"]["street_code"] for f in roads} == {STREET}
    # raw events come as tiles: none in the page, the street's in its events tiles
    assert not any(c in html for c in _pin_coordinates(events, STREET))
    (events_url,) = (u for u in tile_urls(html) if u.startswith("/tiles/events/"))
    first = events[events["street_code"] == STREET].iloc[0]
    near = (first.lon - 1e-4, first.lat - 1e-4, first.lon + 1e-4, first.lat + 1e-4)
    refs = {f["properties"]["ref"] for f in tile_features(loaded, events_url, near, 16)}
    assert first.event_id in refs
    same = loaded.get("/maps/hotspots", params={"street": STREET}).text
    assert _without_ids(same) == _without_ids(html)


def test_district_view_shows_only_that_district_as_aggregates(
    loaded: TestClient, demo_session: Session, events: pd.DataFrame
) -> None:
    r = loaded.get(f"/maps/district/{DISTRICT}")
    assert r.status_code == 200, r.text
    html = r.text
    _assert_new_layers(html)
    assert contains(html, "西城区") and contains(html, "超期吹哨")
    mine = _codes(demo_session, "community", DISTRICT)
    url = next(u for u in tile_urls(html) if u.startswith("/tiles/hotspots/"))
    assert f"scope={DISTRICT}" in url
    found = tile_features(loaded, url, _bounds(demo_session, DISTRICT), 12)
    assert mine and {f["properties"]["code"] for f in found} == set(mine)
    assert not any(code in html for code in _codes(demo_session, "community", OTHER_DISTRICT))
    assert "markerClusterGroup" not in html and "circleMarker" not in html
    for coordinate in _pin_coordinates(events, DISTRICT):
        assert coordinate not in html


def test_unknown_codes_are_404_problems_and_malformed_ones_422(
    signed_demo_client: TestClient,
) -> None:
    demo_client = signed_demo_client
    for url in ("/maps/district/999999", "/maps/street/110102999"):
        r = demo_client.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == "code"
    assert demo_client.get("/maps/street/12").status_code == 422
    assert demo_client.get("/maps/district/1101021").status_code == 422


def test_street_and_district_views_mark_overdue_whistles(request: pytest.FixtureRequest) -> None:
    api: Api = request.getfixturevalue("api")
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
    label = f"案件 {case_id}（E0303）"
    pages = (f"/maps/street/{STREET}", f"/maps/district/{DISTRICT}")
    assert not any(contains(api.call("GET", url, "admin").text, label) for url in pages)
    past = datetime.now(UTC) - timedelta(days=30)
    for assignment in api.session.scalars(select(Assignment).where(Assignment.case_id == case_id)):
        assignment.acknowledge_due_at = past
    api.session.flush()
    for url in pages:  # overdue whistles are never served from the cache
        assert contains(api.call("GET", url, "admin").text, label), url
    city = api.call("GET", "/maps/hotspots", "admin").text
    assert not contains(city, label)  # city: aggregates only


@pytest.mark.browser
def test_city_street_and_district_views_draw_in_chromium(
    demo_db_url: str, demo_session: Session, events: pd.DataFrame, artifacts: Path
) -> None:
    chromium = chromium_or_skip()
    load_events(session=demo_session, events=events)
    app = app_on(demo_db_url, demo_session)
    token = issue_tokens(demo_session, {"admin": (Role.ADMIN, None)})["admin"]
    pages = {
        "hotspot_layers_city.png": "/maps/hotspots",
        "hotspot_street_view.png": f"/maps/street/{STREET}",
        "hotspot_district_view.png": f"/maps/district/{DISTRICT}",
    }
    drawn: dict[str, tuple[int, int]] = {}
    with serve(app) as base, browser_page(chromium) as (page, log):
        set_login_cookie(page, base, token)
        for shot, url in pages.items():
            page.goto(f"{base}{url}", wait_until="networkidle")  # type: ignore[attr-defined]
            page.wait_for_selector("path.leaflet-interactive")  # type: ignore[attr-defined]
            before = page.locator("path.leaflet-interactive").count()  # type: ignore[attr-defined]
            for layer in ("热力图（核密度）", "时空热点模式"):  # hidden by default: switch on
                control = page.locator(".leaflet-control-layers label", has_text=layer)  # type: ignore[attr-defined]
                control.first.click()
            page.wait_for_selector("img.leaflet-image-layer")  # type: ignore[attr-defined]
            after = page.locator("path.leaflet-interactive").count()  # type: ignore[attr-defined]
            drawn[shot] = (before, after)
            page.screenshot(path=str(artifacts / shot))  # type: ignore[attr-defined]
    assert all(0 < before <= after for before, after in drawn.values()), drawn
    assert drawn["hotspot_layers_city.png"][1] > drawn["hotspot_layers_city.png"][0]
    assert log.failed == []
    assert log.console_errors == []
    assert log.foreign_hosts() == set()


def test_window_narrows_the_street_view_and_a_bad_one_is_a_422(
    loaded: TestClient, events: pd.DataFrame
) -> None:
    until = pd.Timestamp(events["at"].max()).isoformat()
    recent = loaded.get(f"/maps/street/{STREET}", params={"window": "1w", "until": until})
    since = (pd.Timestamp(events["at"].max()) - pd.Timedelta(days=7)).isoformat()
    same = loaded.get(f"/maps/street/{STREET}", params={"since": since, "until": until})
    whole = loaded.get(f"/maps/street/{STREET}", params={"until": until})
    assert recent.status_code == same.status_code == whole.status_code == 200
    assert _without_ids(_without_heading(recent.text)) == _without_ids(_without_heading(same.text))
    assert _without_ids(_without_heading(recent.text)) != _without_ids(_without_heading(whole.text))
    for url in (f"/maps/street/{STREET}", "/maps/hotspots", "/maps/district/110102"):
        r = loaded.get(url, params={"window": "fortnight"})
        assert r.status_code == 422 and r.json()["field"] == "window", url
