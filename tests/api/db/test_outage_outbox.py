"""The phone's outbox sends a report again after a 503 as soon as its Retry-After allows (in
real headless Chromium; the 503 is the service's own problem, answered in its place)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Route, expect

from api.auth.roles import Role
from api.db.outage import DatabaseUnavailable
from tests.api.pages import conftest as pages
from tests.api.pages.conftest import PHONE, Site, Tab
from tests.api.pages.test_pages_browser import GUANGWAI, log_in, tap_map, zoom_to

# the page tests' served demo city and Chromium
browser, open_tab, pages_db_url, site = (
    pages.browser,
    pages.open_tab,
    pages.pages_db_url,
    pages.site,
)


class _Soon(DatabaseUnavailable):
    retry_after_s = 1


@pytest.mark.browser
def test_the_outbox_sends_again_when_the_503_says(site: Site, open_tab: Callable[..., Tab]) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    lon, lat = site.inside("110102020008")
    phone = open_tab(PHONE)
    page = log_in(phone, site, worker, "/app/report")
    expect(page.locator("#category-list option")).not_to_have_count(0)

    refused: list[str | None] = []

    def database_away_once(route: Route) -> None:
        if route.request.method != "POST" or refused:
            route.continue_()
            return
        refused.append(route.request.headers.get("idempotency-key"))
        problem = _Soon()
        route.fulfill(
            status=problem.status,
            headers={"Retry-After": str(problem.retry_after_s)},
            content_type="application/problem+json",
            body=json.dumps(problem.problem("/api/reports")),
        )

    phone.context.route("**/api/reports", database_away_once)
    zoom_to(page, lon, lat, 16)
    tap_map(page, lon, lat)
    page.fill("#category", "C0101 井盖缺失")
    page.fill("#description", "井盖缺失，服务器的数据库刚好不在")
    page.click("#submit")
    queued = page.locator("#outbox li.item").first
    # sent again after 1 s, long before the outbox's 30 s round
    expect(queued).to_contain_text("已发送：案件", timeout=8_000)
    key = queued.get_attribute("data-key")
    assert refused == [key]
    stored = site.scalar("SELECT count(*) FROM reports WHERE idempotency_key = :key", key=key)
    assert stored == 1
    # the browser's own line about the 503, nothing else
    assert [e for e in phone.log.console_errors if "status of 503" not in e] == []
