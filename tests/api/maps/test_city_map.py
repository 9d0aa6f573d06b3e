"""The city map page: rendered HTML and a real headless Chromium run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.auth.roles import Role
from tests.api.maps.conftest import app_on, tile_urls
from tests.api.support import issue_tokens
from tests.browser import browser_page, chromium_or_skip, serve, set_login_cookie


def _contains(html: str, label: str) -> bool:
    """Chinese text appears literally or JSON-escaped (folium escapes inside scripts)."""
    return label in html or json.dumps(label)[1:-1] in html


def test_city_map_html_uses_only_local_assets(signed_demo_client: TestClient) -> None:
    demo_client = signed_demo_client
    r = demo_client.get("/maps/city")
    assert r.status_code == 200
    html = r.text
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet/leaflet.css" in html
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert external == []
    for label in ("区", "街道/乡镇", "社区/村", "网格", "广安门外街道", "太平桥街道"):
        assert _contains(html, label), label
    assert demo_client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    # communities and grid cells come as vector tiles, not in the page
    assert set(tile_urls(html)) == {
        "/tiles/communities/{z}/{x}/{y}.mvt",
        "/tiles/grid/{z}/{x}/{y}.mvt",
    }
    assert not re.search(r'"code": "\d{12}"', html)


@pytest.mark.browser
def test_city_map_draws_in_chromium_without_errors_or_foreign_requests(
    demo_db_url: str, demo_session: Session, artifacts: Path
) -> None:
    chromium = chromium_or_skip()
    app = app_on(demo_db_url, demo_session)
    # a district command centre: the city map (no events) is open to every role
    token = issue_tokens(demo_session, {"xicheng": (Role.DISTRICT, "110102")})["xicheng"]
    with serve(app) as base, browser_page(chromium) as (page, log):
        set_login_cookie(page, base, token)
        page.goto(f"{base}/maps/city", wait_until="networkidle")  # type: ignore[attr-defined]
        page.wait_for_selector("path.leaflet-interactive")  # type: ignore[attr-defined]
        drawn = page.locator("path.leaflet-interactive").count()  # type: ignore[attr-defined]
        page.screenshot(path=str(artifacts / "city_map_overview.png"))  # type: ignore[attr-defined]
        # zoom in on the 西城/丰台 line: the grid cells' vector tiles are fetched
        page.evaluate(  # type: ignore[attr-defined]
            "() => { const m = Object.values(window).find(v => v && v._leaflet_id && v.setView);"
            " m.setView([39.890, 116.320], 16); }"
        )
        page.wait_for_function(  # type: ignore[attr-defined]
            # a function, not an expression: the page's CSP allows no eval of a string;
            # each vector tile is an <svg class="leaflet-tile"> holding its cells
            "(n) => document.querySelectorAll('svg.leaflet-tile path').length > n",
            arg=50,
            timeout=15000,
        )
        page.screenshot(path=str(artifacts / "city_map.png"))  # type: ignore[attr-defined]
    assert drawn > 50
    assert log.failed == []
    assert log.console_errors == []
    assert log.foreign_hosts() == set()
    # the grid layer's tiles, from zoom 14 on (the layer's first zoom)
    grid = re.compile(r"/tiles/grid/1[4-9]/\d+/\d+\.mvt$")
    assert any(grid.search(u.split("?")[0]) for u in log.requests)
