"""The working maps' basemap in headless Chromium: at building zoom the report map asks for
the named roads and the address register as vector tiles and writes the road's name and the
door numbers; 我的位置 in footprint mode brings the map there without dropping a pin; the
triage map draws the roads too."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from api.auth.roles import Role
from tests.api.pages.conftest import PHONE, Site, Tab
from tests.api.pages.test_pages_browser import log_in, tap_map, zoom_to

GUANGWAI = "110102020"
M = 1 / 111_000  # about a metre of latitude, in degrees


def a_plate_on_a_road(site: Site) -> Any:
    """A door plate of 广外 on a named road of the demo city, with its road's name."""
    with site.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT a.text, a.number, a.suffix, a.road, a.lon, a.lat FROM address_entries a "
                "JOIN roads r ON r.name = a.road AND r.generation_high = a.generation_high "
                "WHERE a.kind = 'plate' AND a.street_code = :street "
                "AND a.generation_high = (SELECT max(id) FROM generations) "
                "ORDER BY a.ref LIMIT 1"
            ),
            {"street": GUANGWAI},
        ).one()


def tile_requests(tab: Tab, layer: str) -> list[tuple[int, int, int]]:
    """The z/x/y of the ``layer`` tiles the page asked for."""
    found = (re.search(rf"/tiles/{layer}/(\d+)/(\d+)/(\d+)\.mvt", u) for u in tab.log.requests)
    return [(int(m[1]), int(m[2]), int(m[3])) for m in found if m]


@pytest.mark.browser
def test_the_report_map_draws_the_roads_and_doors_at_building_zoom(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    plate = a_plate_on_a_road(site)
    here = {"longitude": plate.lon, "latitude": plate.lat, "accuracy": 15}
    phone = open_tab(PHONE, permissions=["geolocation"], geolocation=here)
    page = log_in(phone, site, worker, "/app/report")
    assert tile_requests(phone, "addresses") == []  # the street's whole view: no doors yet

    # drawing a building: 我的位置 brings the map to the phone at building zoom, no pin
    page.click("[data-mode=polygon]")
    expect(page.locator("#gps")).to_be_visible()
    page.click("#gps")
    page.wait_for_function("() => window.gridwhistle.map.getZoom() >= 18")
    expect(page.locator("#form-message")).to_contain_text("依次点击建筑的各个角")
    expect(page.locator(".pin")).to_have_count(0)
    centre = page.evaluate("() => window.gridwhistle.map.getCenter()")
    assert abs(centre["lat"] - plate.lat) < 20 * M and abs(centre["lng"] - plate.lon) < 20 * M

    road = page.locator("#map text.road-label", has_text=plate.road)
    expect(road.first).to_be_visible(timeout=20_000)
    door = f"{plate.number}{plate.suffix}号"
    expect(page.locator("#map text.address-label", has_text=door).first).to_be_visible()
    assert {z for z, _, _ in tile_requests(phone, "roadnet")} >= {18}
    assert {z for z, _, _ in tile_requests(phone, "addresses")} >= {18}
    drawn = page.locator("#map .leaflet-pane.leaflet-roads-pane path")
    expect(drawn).not_to_have_count(0)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the coarser zoom's tiles go once the new ones are in
    page.screenshot(path=str(artifacts / "pages_report_basemap_z18.png"), full_page=True)

    # the corners of the building behind the door, tapped over the roads and door dots
    lon, lat = plate.lon, plate.lat
    for dx, dy in ((-6, 4), (6, 4), (6, 16), (-6, 16)):
        tap_map(page, lon + dx * M * 1.3, lat + dy * M)
    expect(page.locator("#vertex-count")).to_have_text("已画 4 点")
    page.fill("#category", "E0303 违法建设")
    expect(page.locator("#destination")).to_contain_text("广安门外街道")

    # back to the street's view: the doors go, the roads stay until zoom 13
    zoom_to(page, lon, lat, 14)
    page.wait_for_timeout(300)
    expect(page.locator("#map text.address-label")).to_have_count(0)
    expect(page.locator("#map text.road-label")).to_have_count(0)  # names from zoom 16
    expect(drawn).not_to_have_count(0)
    phone.assert_clean()


@pytest.mark.browser
def test_the_triage_map_draws_the_named_roads(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    street = site.person(Role.STREET, GUANGWAI)
    plate = a_plate_on_a_road(site)
    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    zoom_to(page, plate.lon, plate.lat, 17)
    expect(page.locator("#map text.road-label", has_text=plate.road).first).to_be_visible(
        timeout=20_000
    )
    assert any(z == 17 for z, _, _ in tile_requests(desk, "roadnet"))
    page.screenshot(path=str(artifacts / "pages_triage_basemap_z17.png"))
    desk.assert_clean()
