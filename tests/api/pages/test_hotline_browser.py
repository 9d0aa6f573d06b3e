"""/app/hotline in Chromium: a 12345 call taken from the caller's words to a dispatched case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from api.auth.roles import Role
from tests.api.hotline.conftest import an_ambiguous_text
from tests.api.pages.conftest import Site, Tab
from tests.api.pages.test_pages_browser import log_in


@pytest.mark.browser
def test_a_call_from_the_callers_words_to_a_dispatched_case(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    taker = site.person(Role.HOTLINE, None)
    with Session(site.engine) as session:
        said = an_ambiguous_text(session)
    call = f"你好，{said}门口的路灯不亮了，晚上很黑，好几天了。"

    tab = open_tab()
    page = log_in(tab, site, taker, "/app/hotline")
    page.fill("#call-text", call)
    page.click("#parse")

    # the address part is marked in the caller's words; its candidates are on the map (the
    # first call builds the geocoder and the category model)
    expect(page.locator("#parsed mark.found")).to_have_text(said, timeout=60_000)
    expect(page.locator("#address h3")).to_contain_text("请选择")
    candidates = page.locator("input.candidate")
    assert candidates.count() >= 2
    markers = page.locator(".candidate-pin")
    expect(markers).to_have_count(candidates.count())
    expect(page.locator("#submit")).to_be_disabled()  # nothing is chosen yet

    # the category suggested for the complaint, the candidate picked on the map
    expect(page.locator("#suggestions .suggestion").first).to_contain_text("路灯")
    page.locator("#suggestions .suggestion").first.click()
    markers.nth(1).dispatch_event("click")
    expect(candidates.nth(1)).to_be_checked()
    expect(page.locator("#destination .streets")).to_contain_text("街道")
    page.screenshot(path=str(artifacts / "pages_hotline_call.png"), full_page=True)

    page.click("#submit")
    expect(page.locator("#form-message a.case-link")).to_contain_text("案件")
    case_id = int(page.locator("body").get_attribute("data-case-id") or "0")
    case = site.api(taker, "GET", f"/api/cases/{case_id}")
    chosen = page.locator("input.candidate").nth(1).locator("xpath=..").inner_text()
    assert case["status"] == "new" and case["category"].startswith("C01")
    assert case["lead_street_code"] or case["streets"], case
    report_id = site.scalar("SELECT id FROM reports WHERE case_id = :c", c=case_id)
    assert site.scalar("SELECT source FROM reports WHERE id = :r", r=report_id) == "hotline"
    assert site.scalar("SELECT address_text FROM reports WHERE id = :r", r=report_id) == call
    taken = site.scalar("SELECT address_candidate->>'text' FROM reports WHERE id = :r", r=report_id)
    assert taken and taken in chosen

    # the same call again: the open case is flagged near the candidate it was made at
    page.click("#parse")
    expect(page.locator("input.candidate")).to_have_count(candidates.count())
    page.locator(".candidate-pin").nth(1).dispatch_event("click")
    expect(page.locator("#nearby .duplicate")).to_contain_text(f"案件 {case_id}")
    tab.assert_clean()
