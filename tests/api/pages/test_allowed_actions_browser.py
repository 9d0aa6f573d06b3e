"""The pages draw a case's and an assignment's buttons from the API's ``allowed_actions``: a
button appears when its action becomes allowed and goes when it no longer is."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, expect

from api.auth.roles import Role
from tests.api.pages.conftest import Person, Site, Tab
from tests.api.pages.test_pages_browser import log_in, report_via_api

GUANGWAI = "110102020"
DUTY_BUTTONS = {
    "acknowledge": "签收",
    "arrive": "到场报到",
    "resolve": "办结",
    "extend": "申请延期",
    "dispute": "提出异议",
}

pytestmark = pytest.mark.browser


def _buttons(card: Locator) -> set[str]:
    return {t.strip() for t in card.locator(".buttons button").all_inner_texts()}


def _expect_duties(site: Site, person: Person, card: Locator, task: int, case_id: int) -> None:
    """The card's duty buttons are exactly its allowed actions, as the API lists them."""
    rows = site.api(person, "GET", f"/api/whistles?case_id={case_id}")
    allowed = next(a["allowed_actions"] for a in rows if a["id"] == task)
    shown = {DUTY_BUTTONS[a] for a in allowed if a in DUTY_BUTTONS}
    for label in DUTY_BUTTONS.values():
        expect(card.get_by_role("button", name=label, exact=True)).to_have_count(
            1 if label in shown else 0
        )
    assert _buttons(card) == shown


def test_the_board_shows_the_buttons_the_api_allows(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    staff = site.person(Role.DEPARTMENT, "110102-cgzf")
    lon, lat = site.inside(f"{GUANGWAI}005")
    case_id = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0402")[
        "case_id"
    ]
    both = [
        {"code": "110102-cgzf", "role": "lead", "overall_lead": True},
        {"code": "110102-ghzy", "role": "support"},
    ]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": both})
    rows = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")
    task = next(a["id"] for a in rows if a["department_code"] == "110102-cgzf")

    tab = open_tab()
    page = log_in(tab, site, staff, "/app/whistles")
    card = page.locator(f"article[data-assignment-id='{task}']")
    expect(card.get_by_role("button", name="签收", exact=True)).to_be_visible()
    _expect_duties(site, staff, card, task, case_id)

    card.get_by_role("button", name="签收", exact=True).click()
    expect(page.locator("#board-message")).to_contain_text("已签收")
    card = page.locator(f"article[data-assignment-id='{task}'][data-status='acknowledged']")
    expect(card.get_by_role("button", name="签收", exact=True)).to_have_count(0)  # gone
    expect(card.get_by_role("button", name="申请延期")).to_be_visible()  # appeared
    _expect_duties(site, staff, card, task, case_id)

    # the lead street decides on a request; the buttons go with the request
    site.api(
        staff,
        "POST",
        f"/api/assignments/{task}/extensions",
        json={"amount": "2wd", "reason": "等待产权单位答复"},
    )
    tab2 = open_tab()
    board = log_in(tab2, site, street, "/app/triage")
    board.goto(f"{site.base}/app/whistles")
    board.wait_for_selector("body[data-ready='1']")
    decision = board.locator(f"article[data-assignment-id='{task}'] .extension")
    expect(decision.get_by_role("button", name="批准", exact=True)).to_be_visible()
    # the street sees both departments' cards, with none of their duties to do
    cards = board.locator(f"section.case-group[data-case-id='{case_id}'] article.card")
    expect(cards).to_have_count(2)
    expect(cards.locator(".buttons button")).to_have_count(0)
    decision.get_by_role("button", name="批准", exact=True).click()
    expect(board.locator("#board-message")).to_contain_text("已批准延期")
    expect(board.locator(f"article[data-assignment-id='{task}'] .extension")).to_have_count(0)
    tab.assert_clean()
    tab2.assert_clean()


def test_the_triage_page_shows_the_case_actions_the_api_allows(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    lon, lat = site.inside(f"{GUANGWAI}006")
    case_id = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0403")[
        "case_id"
    ]
    tab = open_tab()
    page = log_in(tab, site, street, "/app/triage")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    detail = page.locator("#detail-body")
    expect(detail.get_by_role("button", name="吹哨", exact=True)).to_be_visible()
    expect(detail.get_by_role("button", name="核查通过")).to_have_count(0)

    detail.get_by_role("button", name="就地解决").click()
    detail.locator("textarea[name=note]").fill("社区已劝离")
    detail.get_by_role("button", name="确认就地解决").click()
    expect(page.locator("#detail-message")).to_contain_text("已就地解决")
    # resolved: the triage buttons are gone, verification is what the API allows now
    expect(detail.get_by_role("button", name="核查通过")).to_be_visible()
    expect(detail.get_by_role("button", name="吹哨", exact=True)).to_have_count(0)
    expect(detail.get_by_role("button", name="就地解决")).to_have_count(0)
    allowed = site.api(street, "GET", f"/api/cases/{case_id}")["allowed_actions"]
    assert "verify" in allowed and "whistle" not in allowed
    tab.assert_clean()
