"""The pin-drop form does not accept what will fail and does not lose input: a position outside
the worker's jurisdiction is refused at the form with the draft kept (also across a reload),
a double tap queues one report, the category is found by part of a name or a caller's word,
and a refused report goes back into the form to be corrected."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from api.auth.roles import Role
from tests.api.pages.conftest import PHONE, Site, Tab
from tests.api.pages.test_pages_browser import log_in, tap_map, zoom_to

GUANGWAI, TAIPINGQIAO = "110102020", "110106002"

pytestmark = pytest.mark.browser


def _reports_by(site: Site, username: str) -> int:
    count: int = site.scalar(
        "SELECT count(*) FROM reports r JOIN users u ON u.id = r.reporter_id "
        "WHERE u.username = :name",
        name=username,
    )
    return count


def _drop_pin(page: Page, site: Site, area: str) -> None:
    lon, lat = site.inside(area)
    zoom_to(page, lon, lat, 15)
    tap_map(page, lon, lat)


def test_outside_the_jurisdiction_is_refused_at_the_form_and_the_draft_survives_a_reload(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    tab = open_tab(PHONE)
    page = log_in(tab, site, worker, "/app/report")
    _drop_pin(page, site, TAIPINGQIAO)  # the next street, in 丰台
    page.fill("#category", "C0103 路灯不亮")
    page.fill("#description", "路灯不亮，夜间看不清")
    expect(page.locator("#destination .outside")).to_contain_text("不在您的辖区")
    page.click("#submit")
    expect(page.locator("#form-message")).to_contain_text("不能提交")
    expect(page.locator("#form-message")).to_contain_text("草稿已保留")
    expect(page.locator("#description")).to_have_value("路灯不亮，夜间看不清")
    expect(page.locator("#outbox li.item")).to_have_count(0)

    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#description")).to_have_value("路灯不亮，夜间看不清")
    expect(page.locator("#category")).to_have_value("C0103 路灯不亮")
    expect(page.locator("#destination .outside")).to_be_visible()
    assert _reports_by(site, worker.username) == 0
    tab.assert_clean()


def test_a_double_tap_queues_one_report(site: Site, open_tab: Callable[..., Tab]) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    tab = open_tab(PHONE)
    page = log_in(tab, site, worker, "/app/report")
    _drop_pin(page, site, f"{GUANGWAI}001")
    page.fill("#category", "C0103 路灯不亮")
    expect(page.locator("#destination")).to_contain_text("广安门外街道")
    page.locator("#submit").dblclick()
    expect(page.locator("#outbox li.item").first).to_contain_text("已发送：案件", timeout=15_000)
    expect(page.locator("#outbox li.item")).to_have_count(1)
    assert _reports_by(site, worker.username) == 1
    expect(page.locator("#description")).to_have_value("")  # the draft went with the report
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator("#category")).to_have_value("")
    tab.assert_clean()


def test_the_category_is_found_by_part_of_a_name_or_a_callers_word(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    tab = open_tab(PHONE)
    page = log_in(tab, site, worker, "/app/report")
    _drop_pin(page, site, f"{GUANGWAI}001")
    page.fill("#category", "垃圾")  # several categories: the form says which
    page.click("#submit")
    expect(page.locator("#form-message")).to_contain_text("可能是")
    expect(page.locator("#form-message")).to_contain_text("市容环境·事件")
    page.fill("#category", "井盖没了")  # a caller's words for one category only
    expect(page.locator("#destination")).to_contain_text("如需吹哨", timeout=15_000)
    page.click("#submit")
    expect(page.locator("#outbox li.item").first).to_contain_text("已发送：案件", timeout=15_000)
    category = site.scalar(
        "SELECT r.category FROM reports r JOIN users u ON u.id = r.reporter_id "
        "WHERE u.username = :name",
        name=worker.username,
    )
    assert category.startswith("C")  # a component (部件): the manhole cover
    tab.assert_clean()
