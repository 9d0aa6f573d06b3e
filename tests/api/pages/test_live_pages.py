"""Live pages in headless Chromium: the unread count in the top bar (the served app's own
fan-out writes the inbox) and the triage queue updating itself when a case arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.app import create_app
from api.auth.roles import Role
from api.config import Settings
from api.db.session import engine_for
from api.pages.views import router as pages_router
from tests.api.pages.conftest import Site, Tab
from tests.api.pages.test_pages_browser import log_in, report_via_api
from tests.browser import serve

GUANGWAI = "110102020"


@pytest.fixture(scope="module")
def live_site(pages_db_url: str) -> Iterator[Site]:
    """The service with its background jobs (the fan-out among them), as ``gridwhistle serve``."""
    engine = engine_for(pages_db_url)
    app = create_app(engine=engine, settings=Settings(environment="test"), jobs=True)
    app.include_router(pages_router)
    with serve(app) as base:
        yield Site(base=base, engine=engine)


def pin(site: Site, street: str, step: int) -> dict:
    """A point inside ``street``, a little further east each step (no duplicate)."""
    lon, lat = site.inside(street)
    return {"type": "Point", "coordinates": [lon + 0.0008 * step, lat]}


def test_the_top_bar_counts_unread_notifications_and_reads_them(
    live_site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = live_site.person(Role.GRID_WORKER, GUANGWAI)
    street = live_site.person(Role.STREET, GUANGWAI)
    first = report_via_api(live_site, worker, pin(live_site, GUANGWAI, 0), "E0401")["case_id"]
    second = report_via_api(live_site, worker, pin(live_site, GUANGWAI, 0), "E0303")["case_id"]

    tab = open_tab()
    page = log_in(tab, live_site, street, "/app/triage")
    badge = page.locator("#inbox-count")
    expect(badge).to_have_text("2", timeout=20_000)  # written by the app's fan-out
    page.click("#inbox-button")
    items = page.locator("#inbox-panel li.unread")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(f"新案件 {second} 待受理")
    expect(items.nth(1)).to_contain_text(f"新案件 {first} 待受理")
    page.screenshot(path=str(artifacts / "pages_inbox.png"))
    items.first.click()
    expect(badge).to_have_text("1")
    page.get_by_role("button", name="全部已读").click()
    expect(badge).to_be_hidden()
    unread = live_site.api(street, "GET", "/api/notifications?unread=true")
    assert unread == {"notifications": [], "unread": 0}
    tab.assert_clean()


def test_a_new_case_appears_in_the_triage_queue_without_a_reload(
    live_site: Site, open_tab: Callable[..., Tab]
) -> None:
    worker = live_site.person(Role.GRID_WORKER, GUANGWAI)
    street = live_site.person(Role.STREET, GUANGWAI)
    tab = open_tab()
    page = log_in(tab, live_site, street, "/app/triage")
    page.wait_for_selector("body[data-live='1']")  # the event stream is open
    page.evaluate("window.__notReloaded = true")
    case_id = report_via_api(live_site, worker, pin(live_site, GUANGWAI, 3), "E0401")["case_id"]
    expect(page.locator(f"#queue li[data-case-id='{case_id}']")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("#inbox-count")).not_to_be_hidden(timeout=20_000)
    tab.assert_clean()
