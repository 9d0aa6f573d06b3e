"""Security headers on every answer, and /docs and /redoc from the service's own assets (in
headless Chromium: no request leaves 127.0.0.1, no console error, no CSP violation)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from api.db.session import engine_for
from api.docs import content_security_policy
from tests.browser import browser_page, chromium_or_skip, serve


def _policy(header: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in header.split(";"))


def test_every_answer_carries_the_security_headers(demo_client: TestClient) -> None:
    for url in ("/docs", "/redoc", "/app/login", "/maps/city", "/api/cases", "/static/app/app.css"):
        r = demo_client.get(url, follow_redirects=False)
        assert r.headers["x-content-type-options"] == "nosniff", url
        assert r.headers["referrer-policy"] == "same-origin", url
        policy = _policy(r.headers["content-security-policy"])
        assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'self'", url
        assert policy["object-src"] == "'none'", url
        sources = " ".join(policy.values())
        assert re.findall(r"https?:|\*", sources) == [], (url, sources)  # nothing remote


def test_the_policy_admits_the_configured_tile_server_for_images_only() -> None:
    tiles = Settings(_env_file=None, tile_url="https://{s}.tiles.intranet.example/{z}/{x}/{y}.png")
    policy = _policy(content_security_policy(tiles))
    assert policy["img-src"] == "'self' data: blob: https://*.tiles.intranet.example"
    assert "intranet" not in policy["script-src"] + policy["connect-src"]
    portal = Settings(_env_file=None, frame_ancestors="'self' https://portal.example")
    assert _policy(content_security_policy(portal))["frame-ancestors"] == (
        "'self' https://portal.example"
    )


def test_the_documents_name_only_local_assets(demo_client: TestClient) -> None:
    for url in ("/docs", "/redoc"):
        html = demo_client.get(url).text
        assert re.findall(r"""(?:src|href)=["']?(https?://[^"' >]+)""", html) == [], url
        assert "/static/vendor/" in html
    assert demo_client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").is_success
    assert demo_client.get("/static/vendor/redoc/redoc.standalone.js").is_success


@pytest.mark.browser
def test_swagger_ui_and_redoc_draw_offline_in_chromium(demo_db_url: str, artifacts: Path) -> None:
    chromium = chromium_or_skip()
    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    with serve(app) as base, browser_page(chromium) as (page, log):
        page.goto(f"{base}/docs", wait_until="networkidle")  # type: ignore[attr-defined]
        page.wait_for_selector(".opblock")  # type: ignore[attr-defined]
        operations = page.locator(".opblock").count()  # type: ignore[attr-defined]
        page.screenshot(path=str(artifacts / "docs_swagger.png"))  # type: ignore[attr-defined]
        page.goto(f"{base}/redoc", wait_until="networkidle")  # type: ignore[attr-defined]
        page.wait_for_selector("[role=menuitem]")  # type: ignore[attr-defined]
        page.screenshot(path=str(artifacts / "docs_redoc.png"))  # type: ignore[attr-defined]
    assert operations > 40
    assert log.failed == []
    assert log.console_errors == []
    assert log.foreign_hosts() == set()
    assert any(u.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for u in log.requests)
    assert any(u.endswith("/static/vendor/redoc/redoc.standalone.js") for u in log.requests)
