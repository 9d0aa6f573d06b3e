"""The hotline page's 回访 section in headless Chromium: a verified hotline case is listed,
a 不满意 without a reason is refused on the page, 基本满意 closes the case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.auth.roles import Role
from tests.api.pages.conftest import Site, Tab

GUANGWAI = "110102020"


@pytest.mark.browser
def test_the_hotline_calls_back_a_verified_case_from_its_page(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    hotline = site.person(Role.HOTLINE, None)
    lon, lat = site.inside("110102020002")
    body = {
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "category": "E0101",
        "description": "回访页面测试",
        "source": "hotline",
    }
    case_id = site.api(worker, "POST", "/api/reports", json=body)["case_id"]
    site.api(street, "POST", f"/api/cases/{case_id}/resolve", json={"note": "已清理"})
    site.api(street, "POST", f"/api/cases/{case_id}/verify", json={"confirmed": True})

    desk = open_tab()
    page = desk.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", hotline.username)
    page.fill("#password", hotline.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/hotline")
    page.wait_for_selector("#callbacks[data-ready='1']")
    card = page.locator(f"#callbacks li[data-case-id='{case_id}']")
    expect(card).to_contain_text("回访页面测试")

    card.locator("button[data-result='不满意']").click()  # no reason: refused, nothing written
    expect(card.locator(".message")).to_contain_text("理由")
    assert site.api(street, "GET", f"/api/cases/{case_id}")["status"] == "verified"
    desk.log.failed = [f for f in desk.log.failed if not f.startswith("422 ")]
    refused = "Failed to load resource: the server responded with a status of 422"
    desk.log.console_errors = [e for e in desk.log.console_errors if refused not in e]

    card.locator("button[data-result='基本满意']").click()
    expect(page.locator(f"#callbacks li[data-case-id='{case_id}']")).to_have_count(0)
    closed = site.api(street, "GET", f"/api/cases/{case_id}")
    assert (closed["status"], closed["rating"]) == ("closed", 4)
    page.screenshot(path=str(artifacts / "pages_callbacks.png"), full_page=True)
    desk.assert_clean()


@pytest.mark.browser
def test_the_lead_street_accepts_a_dissatisfied_call_back_on_the_triage_page(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    hotline = site.person(Role.HOTLINE, None)
    lon, lat = site.inside("110102020003")
    body = {
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "category": "E0101",
        "description": "回访不满意测试",
        "source": "hotline",
    }
    case_id = site.api(worker, "POST", "/api/reports", json=body)["case_id"]
    site.api(street, "POST", f"/api/cases/{case_id}/resolve", json={"note": "已清理"})
    site.api(street, "POST", f"/api/cases/{case_id}/verify", json={"confirmed": True})
    said = {"result": "不满意", "reason": "垃圾还在"}
    callback = site.api(hotline, "POST", f"/api/cases/{case_id}/callback", json=said)

    desk = open_tab()
    page = desk.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", street.username)
    page.fill("#password", street.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/triage")
    page.wait_for_selector("#callback-review[data-ready='1']")
    card = page.locator(f"#callback-review li[data-callback-id='{callback['id']}']")
    expect(card).to_contain_text("垃圾还在")
    card.locator("button[data-accept='true']").click()
    expect(card).to_have_count(0)  # decided: the list reloads without it
    expect(page.locator("#callback-review")).to_be_hidden()
    reopened = site.api(street, "GET", f"/api/cases/{case_id}")
    assert reopened["status"] == "new"  # a local resolution goes back to triage (重办)
    page.screenshot(path=str(artifacts / "pages_callback_review.png"), full_page=True)
    desk.assert_clean()
