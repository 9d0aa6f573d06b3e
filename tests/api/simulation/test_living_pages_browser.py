"""The pages after a simulated month ending now, in real headless Chromium: the triage
queue has new cases, the board overdue assignments, the scoreboard departments that differ."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.config import Settings
from api.db.session import engine_for
from api.geography.imports import load_demo_into
from api.simulation.service import simulate_operations
from grids.demo import build_demo_city
from tests.api.pages.conftest import Person, Site, Tab, browser, open_tab, site  # noqa: F401  (fixtures)

BEIJING = ZoneInfo("Asia/Shanghai")
CELL_M2 = 250_000  # coarse cells: quick to load, as the other page tests


@pytest.fixture(scope="module")
def simulated_end() -> datetime:
    """Now: the end of the simulated month, as ``gridwhistle demo`` simulates it."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def pages_db_url(make_database: Callable[[str], str], simulated_end: datetime) -> str:
    """A demo city with the 30 days ending now simulated, as ``gridwhistle demo`` loads it."""
    url = make_database("living")
    load_demo_into(url, cell_area_m2=CELL_M2)
    settings = Settings(environment="test")
    city = build_demo_city(seed=settings.demo_seed, cell_area_m2=CELL_M2)
    end = simulated_end
    with Session(engine_for(url)) as session:
        simulate_operations(
            session=session, settings=settings, city=city, seed=2026, end=end, days=30, volume=150
        )
        session.commit()
    return url


def _open(tab: Tab, on: Site, person: Person, path: str) -> Page:
    page = tab.page
    page.goto(f"{on.base}/app/login")
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/app/login" not in url)
    page.goto(f"{on.base}{path}")
    page.wait_for_selector("body[data-ready='1']")
    return page


@pytest.mark.browser
def test_the_pages_show_a_living_platform(
    site: Site,  # noqa: F811
    open_tab: Callable[..., Tab],  # noqa: F811
    artifacts: Path,
    simulated_end: datetime,
) -> None:
    admin = site.person(Role.ADMIN, None)
    tab = open_tab()
    triage = _open(tab, site, admin, "/app/triage")
    expect(triage.locator("#queue li[data-case-id]").first).to_be_visible()
    triage.screenshot(path=str(artifacts / "living_triage.png"))
    board = _open(tab, site, admin, "/app/whistles")
    expect(board.locator("article.card").first).to_be_visible()
    overdue = board.locator("article.card .badge.supervision")
    expect(overdue.first).to_be_visible()
    board.screenshot(path=str(artifacts / "living_whistles.png"), full_page=True)
    scores = _open(tab, site, admin, "/app/scores")
    expect(scores.locator("body")).to_have_attribute("data-state", "shown")
    # the month holding the middle of the simulated 30 days (本月 may have just begun)
    middle = (simulated_end - timedelta(days=15)).astimezone(BEIJING).strftime("%Y-%m")
    scores.eval_on_selector("#month", "(input, month) => { input.value = month; }", middle)
    scores.select_option("#period-kind", "pick")  # one load, of that month
    expect(scores.locator("#summary")).to_contain_text(middle)
    averages = scores.locator("#scoreboard tbody tr td.score")
    expect(scores.locator("#scoreboard tbody tr").nth(2)).to_be_visible()
    scores.screenshot(path=str(artifacts / "living_scores.png"), full_page=True)
    shown = {averages.nth(i).inner_text() for i in range(averages.count())}
    assert len(shown) >= 3, shown
    tab.assert_clean()
