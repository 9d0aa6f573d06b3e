"""The whistle board groups a case's assignments: a joint whistle is one group with a card per
department, not as many loose cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.auth.roles import Role
from tests.api.pages.conftest import Site, Tab
from tests.api.pages.test_pages_browser import log_in, report_via_api
from tests.api.support import BUILDING

GUANGWAI = "110102020"

pytestmark = pytest.mark.browser


def test_a_joint_case_is_one_group_on_the_board(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    joint = report_via_api(site, worker, BUILDING, "E0303")["case_id"]
    site.api(street, "POST", f"/api/cases/{joint}/whistle", json={})
    summoned = site.api(street, "GET", f"/api/cases/{joint}")["assignments"]
    assert len(summoned) >= 2

    tab = open_tab()
    page = log_in(tab, site, street, "/app/triage")  # where a street lands
    page.goto(f"{site.base}/app/whistles")
    page.wait_for_selector("body[data-ready='1']")
    group = page.locator(f"section.case-group[data-case-id='{joint}']")
    expect(group).to_have_count(1)
    expect(group.locator("article.card")).to_have_count(len(summoned))
    expect(group.locator("> header")).to_contain_text(f"{len(summoned)} 个部门")
    expect(group.locator(".badge.joint")).to_have_count(1)  # said once, on the group
    expect(group.locator("p.description")).to_have_count(1)
    page.screenshot(path=str(artifacts / "pages_whistles_joint_group.png"), full_page=True)
    tab.assert_clean()


def test_a_department_asks_for_days_in_words(site: Site, open_tab: Callable[..., Tab]) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    staff = site.person(Role.DEPARTMENT, "110102-cgzf")
    lon, lat = site.inside(f"{GUANGWAI}004")
    case_id = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0404")[
        "case_id"
    ]
    only = [{"code": "110102-cgzf", "role": "lead", "overall_lead": True}]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": only})
    task = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    site.api(staff, "POST", f"/api/assignments/{task}/acknowledge")

    tab = open_tab()
    page = log_in(tab, site, staff, "/app/whistles")
    card = page.locator(f"article[data-assignment-id='{task}']")
    card.get_by_role("button", name="申请延期").click()
    card.locator("input[name=amount]").fill("2")
    card.locator("select[name=unit]").select_option(label="天")
    card.locator("textarea[name=reason]").fill("等待产权单位答复")
    card.get_by_role("button", name="提交申请").click()
    expect(page.locator("#board-message")).to_contain_text("已申请延期")
    asked = site.api(street, "GET", f"/api/extensions?case_id={case_id}")
    assert [e["amount"] for e in asked] == ["2d"]
    tab.assert_clean()
