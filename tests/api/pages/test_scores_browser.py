"""The scoreboard page (/app/scores) in real headless Chromium, checked against the API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.auth.roles import Role
from tests.api.pages.conftest import Person, Site, Tab

GUANGWAI = "110102020"
XC_CGZF, XC_CSGLW = "110102-cgzf", "110102-csglw"
SCOREBOARD = "/api/assessment/scoreboard"
RATES: tuple[str, ...] = ("response_rate", "resolution_rate", "satisfaction_rate", "closure_rate")
RATES += ("on_time_closure_rate",)


@pytest.fixture(scope="module")
def pages_db_url(make_database: Callable[[str], str]) -> str:
    """This module's own demo city (the other page tests' database is named "pages")."""
    from api.geography.imports import load_demo_into

    url = make_database("scores")
    load_demo_into(url, cell_area_m2=250_000)
    return url


def whistle_case(site: Site, worker: Person, street: Person, cell: str, dept: str) -> int:
    """A report in ``cell`` whistled to ``dept`` as the overall lead; the assignment id."""
    lon, lat = site.inside(cell)
    here = {"type": "Point", "coordinates": [lon, lat]}
    body = {"geometry": here, "category": "E0404", "description": "考核测试"}
    case_id = site.api(worker, "POST", "/api/reports", json=body)["case_id"]
    lead = [{"code": dept, "role": "lead", "overall_lead": True}]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": lead})
    return case_id


def handle(site: Site, staff: Person, case_id: int, *, resolve: bool) -> None:
    """The department signs for the task, reports on site and (maybe) resolves it."""
    assignment = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    lon, lat = site.scalar(
        "SELECT ARRAY[ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom))] FROM cases WHERE id = :id",
        id=case_id,
    )
    site.api(staff, "POST", f"/api/assignments/{assignment}/acknowledge")
    site.api(staff, "POST", f"/api/assignments/{assignment}/on-site", json={"lon": lon, "lat": lat})
    if resolve:
        site.api(staff, "POST", f"/api/assignments/{assignment}/resolve", json={"note": "已处置"})


def close(site: Site, street: Person, worker: Person, case_id: int, stars: int) -> None:
    site.api(street, "POST", f"/api/cases/{case_id}/verify", json={"confirmed": True})
    site.api(worker, "POST", f"/api/cases/{case_id}/evaluate", json={"stars": stars})


def score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def check_against_api(page: Page, board: dict) -> None:
    """The table shows the API's rows in the API's rank order (final scores; unranked rows
    last), their final average, and the API's total."""
    rows = sorted(board["rows"], key=lambda r: (r["rank"] or 10**6, r["code"]))
    shown = page.locator("#scoreboard tbody tr")
    expect(shown).to_have_count(len(rows))
    assert [shown.nth(i).get_attribute("data-code") for i in range(len(rows))] == [
        r["code"] for r in rows
    ]
    for row in [*rows, board["total"]]:
        tr = page.locator(f"#scoreboard tr[data-code='{row['code']}']")
        expect(tr.locator("td.score")).to_have_text(score(row["final_average_score"]))
        expect(tr.locator("td.scored")).to_have_text(str(row["scored"]))
        for key in RATES:
            expect(tr.locator(f"td[data-rate='{key}']")).to_have_text(rate(row[key]))
        if row["name"]:
            expect(tr.locator("td.name")).to_contain_text(row["name"])


@pytest.mark.browser
def test_analyst_sees_the_scoreboard_and_a_grid_worker_is_refused(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    cgzf = site.person(Role.DEPARTMENT, XC_CGZF)
    csglw = site.person(Role.DEPARTMENT, XC_CSGLW)
    analyst = site.person(Role.ANALYST, None)

    # 城管执法: one whistle handled on time and rated 5 stars, one still open
    good = whistle_case(site, worker, street, "110102020001", XC_CGZF)
    handle(site, cgzf, good, resolve=True)
    close(site, street, worker, good, 5)
    open_ = whistle_case(site, worker, street, "110102020002", XC_CGZF)
    handle(site, cgzf, open_, resolve=False)
    # 城管委: signed for five hours late, rated 3 stars
    late = whistle_case(site, worker, street, "110102020003", XC_CSGLW)
    site.execute(
        "UPDATE assignments SET acknowledge_due_at = now() - interval '5 hours',"
        " on_site_due_at = now() + interval '1 hour' WHERE case_id = :id",
        id=late,
    )
    handle(site, csglw, late, resolve=True)
    close(site, street, worker, late, 3)

    board = site.api(analyst, "GET", SCOREBOARD)
    assert {r["code"] for r in board["rows"]} == {XC_CGZF, XC_CSGLW}
    by_code = {r["code"]: r for r in board["rows"]}
    assert by_code[XC_CGZF]["average_score"] > by_code[XC_CSGLW]["average_score"]

    desk = open_tab()
    page = desk.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", analyst.username)
    page.fill("#password", analyst.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/triage")
    page.goto(f"{site.base}/app/scores")
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("body")).to_have_attribute("data-state", "shown")
    check_against_api(page, board)
    expect(page.locator("#scoreboard tbody tr").first.locator("td.rank")).to_have_text("1")
    expect(page.locator(f"#scoreboard tr[data-code='{XC_CGZF}'] td.provisional")).to_contain_text(
        "1 个"
    )
    expect(page.locator("#topbar nav a.current")).to_have_text("考核")
    # a click on a row lists its whistle scores with the itemised deductions
    page.click(f"#scoreboard tr[data-code='{XC_CSGLW}']")
    detail = page.locator("#row-detail .row-scores tbody tr")
    expect(detail).to_have_count(1)
    expect(detail.locator("li[data-code='acknowledge_late']")).to_contain_text("acknowledged 5")
    expect(detail.locator("li[data-code='stars']")).to_contain_text("rated 3 stars")
    page.screenshot(path=str(artifacts / "pages_scores.png"), full_page=True)

    page.select_option("#by", "street")  # the same whistles, grouped by the lead street
    expect(page.locator("#scoreboard tbody tr")).to_have_count(1)
    check_against_api(page, site.api(analyst, "GET", f"{SCOREBOARD}?by=street"))
    desk.assert_clean()

    phone = open_tab()
    page = phone.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", worker.username)
    page.fill("#password", worker.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/report")
    page.goto(f"{site.base}/app/scores")
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#scores-message")).to_contain_text("无权查看考核")
    expect(page.locator("#period-kind")).to_be_hidden()
    expect(page.locator("#scoreboard")).to_be_hidden()
    page.screenshot(path=str(artifacts / "pages_scores_denied.png"))
    denied = [f for f in phone.log.failed if SCOREBOARD in f]
    assert denied and all(f.startswith("403 ") for f in denied)
    # Chromium reports the refused fetch on the console too: that one line is expected
    phone.log.failed = [f for f in phone.log.failed if f not in denied]
    refused = "Failed to load resource: the server responded with a status of 403"
    phone.log.console_errors = [e for e in phone.log.console_errors if refused not in e]
    phone.assert_clean()
