"""Supervision on the pages, in real headless Chromium: the board's badges and filter, the
scoreboard's chase and escalation columns. Due times are set relative to the database's
clock, so the levels do not depend on the day the test runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.cases.service import utcnow
from api.config import get_settings
from api.whistles.jobs import run_round
from tests.api.pages.conftest import Site, Tab
from tests.api.pages.test_pages_browser import log_in
from tests.api.pages.test_scores_browser import GUANGWAI, SCOREBOARD, XC_CGZF, whistle_case


@pytest.fixture(scope="module")
def pages_db_url(make_database: Callable[[str], str]) -> str:
    """This module's own demo city."""
    from api.geography.imports import load_demo_into

    url = make_database("supervision")
    load_demo_into(url, cell_area_m2=250_000)
    return url


def assignment_of(site: Site, case_id: int) -> int:
    return int(site.scalar("SELECT id FROM assignments WHERE case_id = :id", id=case_id))


@pytest.mark.browser
def test_the_board_shows_levels_and_filters_and_the_scoreboard_counts_chases(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    staff = site.person(Role.DEPARTMENT, XC_CGZF)
    analyst = site.person(Role.ANALYST, None)
    chased = whistle_case(site, worker, street, "110102020001", XC_CGZF)
    warned = whistle_case(site, worker, street, "110102020002", XC_CGZF)
    calm = whistle_case(site, worker, street, "110102020003", XC_CGZF)
    # acknowledgement due 25 hours ago (the default ladder chases after 24 hours), and one
    # with 91 % of its time gone (warned from 80 %)
    site.execute(
        "UPDATE assignments SET acknowledge_due_at = now() - interval '25 hours'"
        " WHERE case_id = :id",
        id=chased,
    )
    site.execute(
        "UPDATE assignments SET dispatched_at = now() - interval '10 hours',"
        " acknowledge_due_at = now() + interval '1 hour' WHERE case_id = :id",
        id=warned,
    )
    with Session(site.engine) as session:
        done = run_round(session=session, now=utcnow(), data_dir=get_settings().data_dir)
        session.commit()
    assert (done.overdue, done.supervision) == (1, 2)  # the chase; the warning

    page = log_in(open_tab(), site, staff, "/app/whistles")
    cards = {
        case: page.locator(f"article[data-assignment-id='{assignment_of(site, case)}']")
        for case in (chased, warned, calm)
    }
    expect(cards[chased].locator(".badge.supervision")).to_have_text("已催办")
    expect(cards[chased].locator(".badge.supervision-chased")).to_have_count(1)
    expect(cards[warned].locator(".badge.supervision")).to_have_text("黄牌预警")
    expect(cards[calm].locator(".badge.supervision")).to_have_count(0)
    expect(page.locator("article.card").first).to_have_attribute(
        "data-assignment-id", str(assignment_of(site, chased))
    )
    page.select_option("#supervision-filter", "chased")
    expect(page.locator("article.card")).to_have_count(1)
    expect(cards[chased]).to_be_visible()
    page.screenshot(path=str(artifacts / "pages_whistles_supervision.png"), full_page=True)
    page.select_option("#supervision-filter", "")
    expect(page.locator("article.card")).to_have_count(3)

    # the scoreboard of the month the whistles went out in
    month = site.scalar(
        "SELECT to_char(dispatched_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
        " FROM assignments WHERE case_id = :id",
        id=chased,
    )
    board = site.api(analyst, "GET", f"{SCOREBOARD}?period={month}")
    row = next(r for r in board["rows"] if r["code"] == XC_CGZF)
    assert (row["chases"], row["escalations"]) == (1, 0)
    desk = open_tab()
    scores = log_in(desk, site, analyst, "/app/triage")
    scores.goto(f"{site.base}/app/scores")
    scores.wait_for_selector("body[data-ready='1']")
    scores.select_option("#period-kind", "pick")
    scores.fill("#month", month)
    tr = scores.locator(f"#scoreboard tr[data-code='{XC_CGZF}']")
    expect(tr.locator("td.chases")).to_have_text("1")
    expect(tr.locator("td.escalations")).to_have_text("0")
    total = scores.locator("#scoreboard tr[data-code='total']")
    expect(total.locator("td.chases")).to_have_text(str(board["total"]["chases"]))
    desk.assert_clean()
