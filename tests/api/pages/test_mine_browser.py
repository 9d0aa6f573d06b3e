"""我的上报 (/app/mine) and the outbox line in real headless Chromium: a grid worker follows
its reports after sending them — the case's status in words, a merge into another case
(followed there), and the evaluation once the street has verified the result."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from api.auth.roles import Role
from tests.api.pages.conftest import PHONE, Person, Site, Tab
from tests.api.pages.test_pages_browser import log_in, tap_map, zoom_to

GUANGWAI = "110102020"
COMMUNITY = f"{GUANGWAI}001"

pytestmark = pytest.mark.browser


def _report(site: Site, worker: Person, category: str, description: str) -> dict[str, Any]:
    lon, lat = site.inside(COMMUNITY)
    body = {
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "category": category,
        "description": description,
    }
    report: dict[str, Any] = site.api(worker, "POST", "/api/reports", json=body)
    return report


def _open_mine(page: Page) -> None:
    page.get_by_role("link", name="我的上报").click()
    page.wait_for_url("**/app/mine")
    page.wait_for_selector("body[data-ready='1']")


def test_a_worker_sends_a_report_and_follows_it_through_a_merge(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    tab = open_tab(PHONE)
    page = log_in(tab, site, worker, "/app/report")
    lon, lat = site.inside(COMMUNITY)
    zoom_to(page, lon, lat, 15)
    tap_map(page, lon, lat)
    page.fill("#category", "C0103 路灯不亮")
    page.fill("#description", "路灯不亮，夜间行人看不清")
    page.click("#submit")
    line = page.locator("#outbox li.item").first
    expect(line.locator(".state")).to_contain_text(re.compile(r"已发送：案件 \d+ · 新案件"))
    found = re.search(r"案件 (\d+)", line.locator(".state").inner_text())
    assert found is not None
    case_id = int(found.group(1))

    _open_mine(page)
    card = page.locator(".my-report").first
    expect(card.locator(".case-line")).to_have_text(f"案件 {case_id} · 新案件")
    expect(card).to_contain_text("路灯不亮，夜间行人看不清")
    expect(page.locator(".my-report")).to_have_count(1)

    # the street merges the worker's case into another case of the same place
    other = _report(site, street, "E0303", "同一处：路灯杆旁违建")["case_id"]
    merge = {"into": other, "reason": "同一处问题"}
    site.api(street, "POST", f"/api/cases/{case_id}/merge", json=merge)

    # 我的上报 follows the report into the case it is in now (live events refresh the page)
    expect(card.locator(".case-line")).to_have_text(
        f"案件 {case_id} · 已合并到案件 {other} · 新案件"
    )
    expect(card).to_have_attribute("data-case-id", str(other))
    card.locator("details.history summary").click()
    history = card.locator("details.history li")
    expect(history.filter(has_text="合并")).not_to_have_count(0)
    expect(history.filter(has_text="同一处问题")).not_to_have_count(0)
    page.screenshot(path=str(artifacts / "mine_merged.png"), full_page=True)

    # back on the report page, the outbox line says so too
    page.get_by_role("link", name="上报", exact=True).click()
    page.wait_for_selector("body[data-ready='1']")
    state = page.locator("#outbox li.item").first.locator(".state")
    expect(state).to_have_text(f"已发送：案件 {case_id} · 已合并到案件 {other} · 新案件")

    # offline, the line keeps what it knew; back online it asks again
    tab.context.set_offline(True)
    site.api(street, "POST", f"/api/cases/{other}/whistle", json={})
    page.wait_for_timeout(500)
    expect(state).to_contain_text("新案件")
    tab.context.set_offline(False)
    line_text = f"案件 {case_id} · 已合并到案件 {other} · 已吹哨"
    expect(state).to_have_text(f"已发送：{line_text}")
    page.screenshot(path=str(artifacts / "mine_outbox_line.png"), full_page=True)

    # 查看进度 opens the report on 我的上报, its history unfolded
    page.locator("#outbox li.item").first.get_by_role("link", name="查看进度").click()
    page.wait_for_url(re.compile(r"/app/mine#report-\d+$"))
    page.wait_for_selector("body[data-ready='1']")
    wanted = page.locator(".my-report.wanted")
    expect(wanted.locator(".case-line")).to_have_text(line_text)
    expect(wanted.locator("details.history li").filter(has_text="吹哨")).not_to_have_count(0)
    tab.assert_clean()


def test_a_worker_evaluates_a_verified_case_which_closes_it(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    waiting = _report(site, worker, "E0401", "占道经营")
    site.api(street, "POST", f"/api/cases/{waiting['case_id']}/whistle", json={})
    done = _report(site, worker, "E0101", "垃圾满溢")
    case = f"/api/cases/{done['case_id']}"
    site.api(street, "POST", f"{case}/resolve", json={"note": "已清运"})
    site.api(street, "POST", f"{case}/verify", json={"confirmed": True})

    tab = open_tab(PHONE)
    page = log_in(tab, site, worker, "/app/report")
    _open_mine(page)
    whistled = page.locator(f".my-report[data-report-id='{waiting['id']}']")
    verified = page.locator(f".my-report[data-report-id='{done['id']}']")
    expect(page.locator(".my-report").first).to_have_attribute("data-report-id", str(done["id"]))
    expect(whistled.locator(".case-line .badge")).to_have_text("已吹哨")
    expect(whistled.locator(".evaluate-form")).to_have_count(0)  # not before it is verified
    expect(verified.locator(".case-line .badge")).to_have_text("已核查")

    form = verified.locator(".evaluate-form")
    form.get_by_role("button", name="提交评价").click()
    expect(verified.locator(".evaluation .message")).to_have_text("请先选择星级。")
    form.locator(".stars label").nth(3).click()
    form.locator("textarea").fill("清运及时")
    form.get_by_role("button", name="提交评价").click()
    expect(verified.locator(".case-line .badge")).to_have_text("已结案")
    expect(verified.locator(".rating")).to_contain_text("4 星")
    expect(verified.locator(".rating")).to_contain_text("清运及时")
    expect(verified.locator(".evaluate-form")).to_have_count(0)
    expect(page.locator("#message")).to_contain_text("已评价 4 星")
    page.screenshot(path=str(artifacts / "mine_evaluated.png"), full_page=True)
    rating = site.scalar(
        "SELECT rating || ' ' || rating_source FROM cases WHERE id = :id", id=done["case_id"]
    )
    assert rating == "4 reporter"  # the reporter's own rating counts as satisfaction
    tab.assert_clean()
