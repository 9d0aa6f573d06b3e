"""The whistle board says where a case is (nearest road, 高德 / 百度 links with the map apps'
own coordinates, a small map), refuses a report on site from far away in Chinese, and draws a
card that was out of date again from the server, with the reason (409)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, expect

from api.auth.roles import Role
from api.config import Settings
from geo.coords import CoordinateSystem, from_wgs84
from tests.api.pages.conftest import PHONE, Person, Site, Tab
from tests.api.pages.test_pages_browser import log_in, report_via_api
from tests.api.support import BUILDING

GUANGWAI = "110102020"
XC_CGZF = "110102-cgzf"
ONLY_CGZF = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]
CHINESE = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.browser


def _whistled(site: Site, geometry: dict[str, Any], category: str, departments: Any = None) -> int:
    """A new case (each test its own category and place: no report attaches to another
    test's case), whistled."""
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    case_id = int(report_via_api(site, worker, geometry, category)["case_id"])
    body = {} if departments is None else {"departments": departments}
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json=body)
    return case_id


def _coords(href: str, key: str) -> tuple[float, float]:
    first, second = parse_qs(urlparse(href).query)[key][0].split(",")
    return float(first), float(second)


def _assert_site(box: Locator, site_json: dict[str, Any]) -> None:
    """The words and links of a site box agree with the case's WGS-84 point, converted by
    geo.coords (高德: lng,lat in GCJ-02; 百度: lat,lng in BD-09)."""
    lon, lat = site_json["point"]["lon"], site_json["point"]["lat"]
    amap = box.locator("a.nav-link.amap")
    expect(amap).to_have_text("高德地图")
    href = amap.get_attribute("href") or ""
    assert href.startswith("https://uri.amap.com/marker?")
    assert _coords(href, "position") == pytest.approx(
        from_wgs84(lon, lat, CoordinateSystem.GCJ02), abs=2e-7
    )
    baidu = box.locator("a.nav-link.baidu")
    expect(baidu).to_have_text("百度地图")
    href = baidu.get_attribute("href") or ""
    assert href.startswith("https://api.map.baidu.com/marker?")
    assert parse_qs(urlparse(href).query)["coord_type"] == ["bd09ll"]
    b_lat, b_lon = _coords(href, "location")
    assert (b_lon, b_lat) == pytest.approx(from_wgs84(lon, lat, CoordinateSystem.BD09), abs=2e-7)
    for link in (amap, baidu):  # they open the phone's app; the page itself stays local
        expect(link).to_have_attribute("target", "_blank")


def test_a_card_says_where_the_case_is_and_how_to_get_there(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    staff = site.person(Role.DEPARTMENT, XC_CGZF)
    lon, lat = site.inside(f"{GUANGWAI}003")
    case_id = _whistled(site, {"type": "Point", "coordinates": [lon, lat]}, "E0404", ONLY_CGZF)
    row = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]
    where = row["case"]["site"]
    assert (where["point"]["lon"], where["point"]["lat"]) == pytest.approx((lon, lat), abs=1e-7)

    tab = open_tab(PHONE)
    page = log_in(tab, site, staff, "/app/whistles")
    card = page.locator(f"article[data-assignment-id='{row['id']}']")
    box = card.locator("section.site")
    expect(box).to_have_attribute("data-kind", "point")
    if where["road"]:
        road = where["road"]
        expect(box.locator(".site-road")).to_have_text(
            f"最近道路：{road['name']}（{round(road['distance_m'])} 米）"
        )
    if where["address"]:
        expect(box.locator(".site-address")).to_have_text(f"附近地址：{where['address']}")
    assert where["road"] or where["address"]
    _assert_site(box, where)
    small = box.locator(".site-map")
    small.scroll_into_view_if_needed()
    expect(small).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(small).to_have_attribute("data-drawn", "1")
    expect(small.locator(".leaflet-overlay-pane path").first).to_be_attached()  # pin, streets
    # the named roads from the service's own tiles (the nearest one is well inside the view)
    expect(small.locator(".leaflet-roads-pane path").first).to_be_attached()
    page.screenshot(path=str(artifacts / "pages_whistles_site.png"), full_page=True)
    tab.assert_clean()


def test_the_joint_building_shows_its_point_and_the_streets_it_spans(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    street = site.person(Role.STREET, GUANGWAI)
    case_id = _whistled(site, BUILDING, "E0303")
    where = site.api(street, "GET", f"/api/whistles?case_id={case_id}")[0]["case"]["site"]
    assert where["kind"] == "polygon"

    tab = open_tab()
    page = log_in(tab, site, street, "/app/triage")
    page.goto(f"{site.base}/app/whistles")
    page.wait_for_selector("body[data-ready='1']")
    group = page.locator(f"section.case-group[data-case-id='{case_id}']")
    box = group.locator("> section.site")  # once for the case, not per department
    expect(box).to_have_count(1)
    expect(group.locator("section.site")).to_have_count(1)
    expect(box.locator(".site-spans")).to_have_text("建筑跨 广安门外街道、太平桥街道")
    _assert_site(box, where)
    small = box.locator(".site-map")
    small.scroll_into_view_if_needed()
    expect(small).to_have_attribute("data-drawn", "1")
    tab.assert_clean()


def _refusal_seen(tab: Tab, status: int) -> None:
    """Forget the one refusal the test provoked (the browser logs it as a failed load)."""
    tab.log.failed = [f for f in tab.log.failed if not f.startswith(f"{status} ")]
    refused = f"the server responded with a status of {status}"
    tab.log.console_errors = [e for e in tab.log.console_errors if refused not in e]


def test_reporting_on_site_from_far_away_is_refused_in_chinese(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    staff = site.person(Role.DEPARTMENT, XC_CGZF)
    lon, lat = site.inside(f"{GUANGWAI}004")
    case_id = _whistled(site, {"type": "Point", "coordinates": [lon, lat]}, "E0402", ONLY_CGZF)
    task = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]

    far = {"longitude": lon, "latitude": lat + 0.02, "accuracy": 10}  # about 2.2 km north
    tab = open_tab(PHONE, permissions=["geolocation"], geolocation=far)
    page = log_in(tab, site, staff, "/app/whistles")
    card = page.locator(f"article[data-assignment-id='{task}']")
    card.get_by_role("button", name="到场报到").click()
    message = card.locator("p.message.error")
    limit = Settings(environment="test").on_site_max_distance_m  # the served app's
    expect(message).to_contain_text(f"须在 {limit:,.0f} 米以内")
    text = message.text_content() or ""
    assert CHINESE.search(text) and not re.search(r"\bfrom the case\b", text), text
    expect(card).to_have_attribute("data-status", "dispatched")
    assert site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["on_site_at"] is None
    _refusal_seen(tab, 422)
    tab.assert_clean()


def test_a_stale_card_is_drawn_again_and_keeps_the_reason(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    staff: Person = site.person(Role.DEPARTMENT, XC_CGZF)
    lon, lat = site.inside(f"{GUANGWAI}002")
    case_id = _whistled(site, {"type": "Point", "coordinates": [lon, lat]}, "E0401", ONLY_CGZF)
    task = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]

    tab = open_tab()
    page = log_in(tab, site, staff, "/app/whistles")
    card = page.locator(f"article[data-assignment-id='{task}']")
    expect(card).to_have_attribute("data-status", "dispatched")
    # a colleague signed meanwhile (behind the page's back: no live event redraws it)
    site.execute(
        "UPDATE assignments SET status = 'acknowledged', acknowledged_at = now() WHERE id = :id",
        id=task,
    )
    card.get_by_role("button", name="签收").click()
    expect(card).to_have_attribute("data-status", "acknowledged")  # drawn again from the server
    expect(card.get_by_role("button", name="签收")).to_have_count(0)
    message = card.locator("p.message.error")
    expect(message).to_contain_text("任务已签收，不能")
    page.locator("#refresh").click()  # a later redraw keeps the reason in view
    page.wait_for_selector(f"article[data-assignment-id='{task}'] p.message.error")
    expect(card.locator("p.message.error")).to_contain_text("任务已签收，不能")
    page.screenshot(path=str(artifacts / "pages_whistles_stale_card.png"))
    _refusal_seen(tab, 409)
    tab.assert_clean()
