"""The command centre's 合并 form (both cases side by side, a warning when their categories
differ, a reason required and kept on both histories), and a case whose action was refused
because it had moved on (409), drawn again from the server with the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.auth.roles import Role
from tests.api.pages.conftest import Site, Tab
from tests.api.pages.test_pages_browser import log_in

GUANGWAI = "110102020"
CHINESE = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.browser


def _new_case(site: Site, cell: str, category: str, description: str) -> int:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    lon, lat = site.inside(f"{GUANGWAI}{cell}")
    body = {
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "category": category,
        "description": description,
    }
    created = site.api(worker, "POST", "/api/reports", json=body)
    return int(created["case_id"])


def test_the_merge_form_compares_warns_and_needs_a_reason(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    street = site.person(Role.STREET, GUANGWAI)
    kept = _new_case(site, "003", "E0303", "院内加盖彩钢房")
    dropped = _new_case(site, "004", "E0401", "门前摆摊")
    assert site.api(street, "GET", f"/api/cases/{dropped}")["report_count"] == 1

    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    page.locator(f"#queue li[data-case-id='{dropped}']").click()
    detail = page.locator("#detail-body")
    detail.get_by_role("button", name="合并").click()
    form = detail.locator("form.merge-form")
    form.locator("input[name=into]").fill(str(kept))
    sides = form.locator(".merge-sides .merge-side")
    expect(sides).to_have_count(2)
    expect(sides.nth(0)).to_contain_text(f"本案 #{dropped}")
    expect(sides.nth(0)).to_contain_text("门前摆摊")
    expect(sides.nth(0).locator(".merge-category")).to_contain_text("占道经营")
    expect(sides.nth(1)).to_contain_text(f"并入 #{kept}")
    expect(sides.nth(1)).to_contain_text("院内加盖彩钢房")
    expect(sides.nth(1).locator(".merge-category")).to_contain_text("违法建设")
    expect(form.locator(".merge-warning")).to_contain_text("两案问题类别不同")
    page.screenshot(path=str(artifacts / "pages_triage_merge_form.png"))

    form.get_by_role("button", name="确认合并").click()  # no reason: refused in the page
    message = detail.locator(".actions p.message")
    expect(message).to_have_text("请填写合并理由。")
    assert site.api(street, "GET", f"/api/cases/{dropped}")["status"] == "new"

    reason = "同一商户，违建与摆摊分别上报"
    form.locator("textarea[name=reason]").fill(reason)
    form.get_by_role("button", name="确认合并").click()
    expect(page.locator("#detail-message")).to_contain_text(f"已并入案件 {kept}")
    expect(page.locator(f"#queue li[data-case-id='{dropped}']")).to_have_count(0)
    history = detail.locator("details.history")
    history.locator("summary").click()
    expect(history).to_contain_text(f"合并（{reason}）")

    merged = site.api(street, "GET", f"/api/cases/{dropped}")
    assert (merged["status"], merged["merged_into_id"]) == ("merged", kept)
    events = site.api(street, "GET", f"/api/cases/{kept}/events")
    merged_in = [e for e in events if e["kind"] == "case:merged_in"]
    assert [e["reason"] for e in merged_in] == [reason]
    desk.assert_clean()


def test_a_case_that_moved_on_is_drawn_again_with_the_reason(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    street = site.person(Role.STREET, GUANGWAI)
    case_id = _new_case(site, "002", "E0402", "游商聚集")

    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    detail = page.locator("#detail-body")
    detail.get_by_role("button", name="驳回").click()
    detail.locator("form textarea[name=reason]").fill("非本街道职责")
    # a colleague resolved it meanwhile (behind the page's back: no live event redraws it)
    site.execute(
        "UPDATE cases SET status = 'resolved', resolved_at = now(),"
        " resolution_level = 'community', resolution_note = '已劝离' WHERE id = :id",
        id=case_id,
    )
    detail.get_by_role("button", name="确认驳回").click()
    expect(detail.locator(".badge.status-resolved")).to_be_visible()  # as the server has it
    expect(detail.get_by_role("button", name="驳回")).to_have_count(0)
    said = page.locator("#detail-message")
    expect(said).to_have_class(re.compile(r"\berror\b"))
    expect(said).to_contain_text("案件已解决，不能")
    assert CHINESE.search(said.text_content() or "")
    page.screenshot(path=str(artifacts / "pages_triage_stale_case.png"))
    assert site.api(street, "GET", f"/api/cases/{case_id}")["status"] == "resolved"
    desk.log.failed = [f for f in desk.log.failed if not f.startswith("409 ")]
    refused = "the server responded with a status of 409"
    desk.log.console_errors = [e for e in desk.log.console_errors if refused not in e]
    desk.assert_clean()
