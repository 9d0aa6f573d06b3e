"""Between the pages and the hot spot maps in real headless Chromium: the top bar links to
the map of the user's own area when the role may open it (a chief: the chief's roads), the
map links back, and a map's legends follow the layers ticked in its layer control."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from api.auth.roles import Role
from geo import map_labels as ml
from tests.api.pages.conftest import PHONE, Site, Tab
from tests.api.pages.test_pages_browser import log_in

GUANGWAI = "110102020"

pytestmark = pytest.mark.browser


def _legend(page: Page, layer: str) -> Locator:
    return page.locator(f'.gw-legend[data-layer="{layer}"]')


def _tick(page: Page, layer: str) -> None:
    """Click the layer's line in the layer control."""
    label = page.locator(".leaflet-control-layers-overlays label").filter(
        has=page.get_by_text(layer, exact=True)
    )
    label.locator("input").click()


def test_a_street_goes_to_its_map_whose_legends_follow_the_layers_and_back(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    street = site.person(Role.STREET, GUANGWAI)
    tab = open_tab()
    page = log_in(tab, site, street, "/app/triage")
    link = page.locator("#topbar nav a", has_text="热点图")
    expect(link).to_have_attribute("href", f"/maps/street/{GUANGWAI}")
    link.click()
    page.wait_for_url(f"**/maps/street/{GUANGWAI}")
    page.wait_for_selector(".leaflet-control-layers-overlays label")
    expect(page.locator(".gw-map-title")).to_have_text("广安门外街道 网格事件热点图")
    # at opening: the density choropleth and its legend; raw counts off, their legend hidden
    expect(_legend(page, ml.PER_KM2)).to_be_visible()
    expect(_legend(page, ml.COUNT)).to_be_hidden()
    expect(_legend(page, ml.GI)).to_be_hidden()
    _tick(page, ml.COUNT)
    expect(_legend(page, ml.COUNT)).to_be_visible()
    _tick(page, ml.PER_KM2)
    expect(_legend(page, ml.PER_KM2)).to_be_hidden()
    _tick(page, ml.GI)
    expect(_legend(page, ml.GI)).to_be_visible()
    # the visible legends of a side are stacked without overlapping
    boxes = [
        box
        for box in (
            page.locator(".gw-legend").nth(i).bounding_box()
            for i in range(page.locator(".gw-legend").count())
        )
        if box is not None and box["width"] > 0
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (a, b)
    page.screenshot(path=str(artifacts / "hotspot_map_legends.png"))
    page.locator("a.gw-back").click()
    page.wait_for_url("**/app/triage")
    page.wait_for_selector("body[data-ready='1']")
    tab.assert_clean()


def test_a_chief_moves_between_the_chiefs_map_and_reports_and_a_department_has_no_map(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    ref = site.scalar(
        "SELECT ref FROM chiefs WHERE street_code = :s ORDER BY ref LIMIT 1", s=GUANGWAI
    )
    chief = site.person(Role.CHIEF, ref)
    tab = open_tab()
    page = tab.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", chief.username)
    page.fill("#password", chief.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/maps/chief/{ref}")  # a chief starts on the chief's map
    back = page.locator("a.gw-back")
    expect(back).to_have_text("← 返回我的上报")
    back.click()
    page.wait_for_url("**/app/mine")
    page.wait_for_selector("body[data-ready='1']")
    link = page.locator("#topbar nav a", has_text="我的街巷图")
    expect(link).to_have_attribute("href", f"/maps/chief/{ref}")
    link.click()
    page.wait_for_url(f"**/maps/chief/{ref}")
    tab.assert_clean()

    department = site.person(Role.DEPARTMENT, "110102-cgzf")
    other = open_tab()
    page = log_in(other, site, department, "/app/whistles")
    expect(page.locator("#topbar nav a").first).to_be_visible()
    expect(page.locator('#topbar a[href^="/maps/"]')).to_have_count(0)
    other.assert_clean()


def test_on_a_phone_the_heading_and_the_layer_control_do_not_cover_each_other(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    street = site.person(Role.STREET, GUANGWAI)
    tab = open_tab(viewport=PHONE)
    page = log_in(tab, site, street, "/app/triage")
    page.goto(f"{site.base}/maps/street/{GUANGWAI}")
    page.wait_for_selector(".leaflet-control-layers-overlays label")
    heading = page.locator(".gw-map-heading").bounding_box()
    control = page.locator(".leaflet-control-layers").bounding_box()
    assert heading is not None and control is not None
    assert heading["x"] >= 0 and heading["x"] + heading["width"] <= PHONE["width"]
    assert heading["y"] + heading["height"] <= control["y"], (heading, control)
    expect(page.locator("a.gw-back")).to_be_in_viewport()
    page.screenshot(path=str(artifacts / "hotspot_map_phone.png"))
    tab.assert_clean()
