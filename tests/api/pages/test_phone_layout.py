"""The pages on a phone (412×860) and on a desktop (1280×800), in headless Chromium: nothing
makes the document wider than the window, each item of the top bar stays on one line with the
unread count in sight, a wide table scrolls sideways in a box that says so, and what a tap
brings (a case's detail in triage, the message after 提交) shows where the user is.

Every page the service serves (``api.pages.views.PAGES``) is visited, as the roles that use it
(the top bar's list, ``TOPBAR_PAGES`` in ui.js): a page added later is checked too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.notifications.fanout import fan_out
from api.pages.views import PAGES
from tests.api.pages.conftest import Person, Site, Tab
from tests.api.pages.test_pages_browser import report_via_api, tap_map, zoom_to

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 412, "height": 860}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
GUANGWAI, XC_CGZF = "110102020", "110102-cgzf"
AT = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)  # when the notifications are fanned out

JURISDICTIONS: dict[Role, str | None] = {
    Role.GRID_WORKER: GUANGWAI,
    Role.COMMUNITY: f"{GUANGWAI}001",
    Role.STREET: GUANGWAI,
    Role.DISTRICT: "110102",
    Role.DEPARTMENT: XC_CGZF,
    Role.ANALYST: None,
    Role.ADMIN: None,
    Role.HOTLINE: None,
    Role.CHIEF: f"C{GUANGWAI}-01",
}

# Each item of the top bar, with the text it shows, its height and its line height.
TOPBAR_ITEMS = """() => [...document.querySelectorAll(
    "#topbar .brand, #topbar nav a, #topbar .who, #topbar .net, #topbar > button,"
    + " #topbar .inbox-wrap > button")]
  .filter((el) => el.getClientRects().length)
  .map((el) => {
    const text = document.createRange();
    text.selectNodeContents(el);
    return {
      text: el.textContent,
      height: text.getBoundingClientRect().height,
      line: parseFloat(getComputedStyle(el).lineHeight),
    };
  })"""

# Every table in sight: how much wider it is than its box, and whether the box says so.
TABLES = """() => [...document.querySelectorAll("table")]
  .filter((t) => t.getClientRects().length)
  .map((t) => {
    const box = t.parentElement;
    const hint = box.parentElement.querySelector(":scope > .scroll-hint");
    return {
      table: t.className,
      boxed: box.classList.contains("table-scroll"),
      hidden: box.scrollWidth - box.clientWidth,
      hint: Boolean(hint && hint.getClientRects().length && hint.textContent.includes("滑动")),
      faded: getComputedStyle(box).maskImage.includes("gradient"),
    };
  })"""

# Where an element is, in the window's coordinates.
TOP_BOTTOM = "(el) => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; }"


@dataclass
class City:
    """A user per role, cases to look at (one whistled), each page's roles."""

    people: dict[Role, Person]
    new_case: int
    whistled_case: int
    roles: dict[str, list[Role]]

    def roles_of(self, name: str) -> list[Role]:
        """The roles to visit page ``name`` as: the first that uses it, and the one whose
        top bar is widest (the most pages)."""
        roles = self.roles.get(name, [])
        if not roles:
            return []
        widest = max(roles, key=lambda r: sum(r in rs for rs in self.roles.values()))
        return list(dict.fromkeys([roles[0], widest]))


def _point(site: Site, area: str, step: int) -> dict:
    lon, lat = site.inside(area)
    return {"type": "Point", "coordinates": [lon + 0.0008 * step, lat]}


@pytest.fixture(scope="module")
def city(site: Site, browser: Browser) -> City:
    people = {role: site.person(role, JURISDICTIONS[role]) for role in Role}
    worker, street = people[Role.GRID_WORKER], people[Role.STREET]
    new_case = report_via_api(site, worker, _point(site, f"{GUANGWAI}001", 0), "E0401")
    whistled = report_via_api(site, worker, _point(site, f"{GUANGWAI}004", 0), "E0404")
    only = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]
    site.api(
        street, "POST", f"/api/cases/{whistled['case_id']}/whistle", json={"departments": only}
    )
    with Session(site.engine) as session:  # the inbox: what the served app's fan-out writes
        fan_out(session=session, now=AT)
        session.commit()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{site.base}/app/login")
        rows = page.evaluate("async () => (await import('/static/app/js/ui.js')).TOPBAR_PAGES")
    finally:
        context.close()
    roles = {href.removeprefix("/app/"): [Role(r) for r in rs] for href, _label, rs in rows}
    return City(people, new_case["case_id"], whistled["case_id"], roles)


def open_as(tab: Tab, site: Site, person: Person, name: str) -> Page:
    """Log in on the login page and go on to page ``name``; wait until it is ready."""
    page = tab.page
    page.goto(f"{site.base}/app/login?next=/app/{name}")
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/app/{name}")
    page.wait_for_selector("body[data-ready='1']")
    return page


def assert_fits_the_window(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url}: the document is {widths[0]} px wide in {widths}"


def assert_topbar_items_on_one_line(page: Page) -> None:
    items = page.evaluate(TOPBAR_ITEMS)
    assert len(items) >= 3  # title, the user, 退出 at least
    broken = [i for i in items if i["height"] >= 1.5 * i["line"]]
    assert broken == [], f"{page.url}: on more than one line: {[i['text'] for i in broken]}"


def assert_unread_count_in_sight(page: Page) -> bool:
    """The unread badge, when there is one, is the topmost thing at its centre, in the
    window; whether there was one."""
    badge = page.locator("#inbox-count")
    if not badge.is_visible():
        return False
    seen = badge.evaluate(
        """(el) => {
            const r = el.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            return x >= 0 && x <= innerWidth && y >= 0 && y <= innerHeight
              && el.contains(document.elementFromPoint(x, y));
        }"""
    )
    assert seen, f"{page.url}: the unread count is hidden"
    return True


def assert_tables_scroll_with_a_cue(page: Page) -> list[dict]:
    """Each table sits in a sideways-scrolling box, which (when the table is wider) has a
    hint and faded edges; the tables."""
    tables: list[dict] = page.evaluate(TABLES)
    for table in tables:
        assert table["boxed"], f"{page.url}: {table}"
        if table["hidden"] > 0:
            assert table["hint"] and table["faded"], f"{page.url}: {table}"
    return tables


def in_sight(page: Page, selector: str) -> tuple[float, float]:
    """Top and bottom of ``selector`` in the window, asserted to be within it."""
    top, bottom = page.locator(selector).evaluate(TOP_BOTTOM)
    height = page.evaluate("() => innerHeight")
    assert top >= 0 and bottom <= height, f"{selector} is at {top}–{bottom}, window {height}"
    return top, bottom


@pytest.mark.parametrize("name", PAGES)
def test_every_page_fits_a_phone(
    name: str, site: Site, city: City, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    if name == "login":
        tab = open_tab(PHONE)
        tab.page.goto(f"{site.base}/app/login")
        tab.page.wait_for_selector("#username")
        tab.page.screenshot(path=str(tmp_path / "login-phone.png"), full_page=True)
        assert_fits_the_window(tab.page)
        tab.assert_clean()
        return
    roles = city.roles_of(name)
    assert roles, f"/app/{name} is served but has no roles in the top bar (ui.js TOPBAR_PAGES)"
    for role in roles:
        tab = open_tab(PHONE)
        page = open_as(tab, site, city.people[role], name)
        page.screenshot(path=str(tmp_path / f"{name}-{role}-phone.png"), full_page=True)
        assert_fits_the_window(page)
        assert_topbar_items_on_one_line(page)
        assert_unread_count_in_sight(page)
        assert_tables_scroll_with_a_cue(page)
        tab.assert_clean()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_fits_a_desktop(
    name: str, site: Site, city: City, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    tab = open_tab(DESKTOP)
    if name == "login":
        tab.page.goto(f"{site.base}/app/login")
        tab.page.wait_for_selector("#username")
        page = tab.page
    else:
        roles = city.roles_of(name)
        assert roles, f"/app/{name} is served but has no roles in the top bar"
        page = open_as(tab, site, city.people[roles[-1]], name)
        assert_topbar_items_on_one_line(page)
    page.screenshot(path=str(tmp_path / f"{name}-desktop.png"))
    assert_fits_the_window(page)
    tab.assert_clean()


def test_the_unread_count_stays_in_sight_on_a_phone_with_the_widest_top_bar(
    site: Site, city: City, open_tab: Callable[..., Tab]
) -> None:
    street = city.people[Role.STREET]  # told of the new cases in its street
    tab = open_tab(PHONE)
    page = open_as(tab, site, street, "triage")
    expect(page.locator("#inbox-count")).to_have_text("2")
    assert assert_unread_count_in_sight(page)
    page.click("#inbox-button")  # the drop-down opens within the window
    expect(page.locator("#inbox-panel li.unread")).to_have_count(2)
    left, right = page.locator("#inbox-panel").evaluate(
        "(el) => { const r = el.getBoundingClientRect(); return [r.left, r.right]; }"
    )
    assert left >= 0 and right <= PHONE["width"]
    assert_fits_the_window(page)
    tab.assert_clean()


def test_a_tapped_case_shows_its_detail_where_the_user_is(
    site: Site, city: City, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    street, worker = city.people[Role.STREET], city.people[Role.GRID_WORKER]
    for community in range(5, 11):  # a morning's queue: the detail is far below it and the map
        report_via_api(site, worker, _point(site, f"{GUANGWAI}{community:03}", 0), "E0303")
    case_id = report_via_api(site, worker, _point(site, f"{GUANGWAI}002", 0), "E0303")["case_id"]
    tab = open_tab(PHONE)
    page = open_as(tab, site, street, "triage")
    below = page.locator(".detail-pane").evaluate("(el) => el.getBoundingClientRect().top")
    assert below > PHONE["height"]
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    expect(page.locator("#detail-body h2")).to_contain_text(f"案件 #{case_id}")
    in_sight(page, "#detail-body h2")
    page.screenshot(path=str(tmp_path / "triage-tapped-phone.png"))
    page.get_by_role("button", name="↑ 回到案件队列").click()
    in_sight(page, "#queue li.selected")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    in_sight(page, "#detail-body h2")

    # an action's message is in sight too: 驳回, the button at the foot of the window
    page.get_by_role("button", name="驳回").click()
    page.fill("#detail-body textarea[name=reason]", "重复上报")
    confirm = page.get_by_role("button", name="确认驳回")
    confirm.evaluate("(el) => el.scrollIntoView({block: 'end'})")
    confirm.click()
    expect(page.locator("#detail-message")).to_have_text("已驳回。")
    in_sight(page, "#detail-message")
    assert_fits_the_window(page)
    tab.assert_clean()


def test_the_message_after_a_report_is_in_sight_on_a_phone(
    site: Site, city: City, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    tab = open_tab(PHONE)
    page = open_as(tab, site, city.people[Role.GRID_WORKER], "report")
    lon, lat = site.inside(f"{GUANGWAI}003")
    zoom_to(page, lon, lat, 15)
    tap_map(page, lon, lat)
    page.fill("#category", "C0103 路灯不亮")
    page.fill("#description", "路灯不亮")
    expect(page.locator("#destination")).to_contain_text("广安门外街道")
    submit = page.locator("#submit")
    submit.evaluate("(el) => el.scrollIntoView({block: 'end'})")  # as far as a thumb scrolls
    submit.click()
    expect(page.locator("#form-message")).to_contain_text("发送队列")
    in_sight(page, "#form-message")
    page.screenshot(path=str(tmp_path / "report-sent-phone.png"))
    expect(page.locator("#outbox li.item").first).to_contain_text("已发送：案件", timeout=15_000)
    assert_fits_the_window(page)
    tab.assert_clean()


def test_the_scoreboard_scrolls_sideways_with_a_cue_on_a_phone(
    site: Site, city: City, open_tab: Callable[..., Tab], tmp_path: Path
) -> None:
    tab = open_tab(PHONE)
    page = open_as(tab, site, city.people[Role.DEPARTMENT], "scores")
    expect(page.locator("#scoreboard")).to_be_visible()
    tables = assert_tables_scroll_with_a_cue(page)
    board = next(t for t in tables if t["table"] == "scoreboard")
    assert board["hidden"] > 0  # twelve columns do not fit a phone: it scrolls, and says so
    page.screenshot(path=str(tmp_path / "scores-phone.png"))
    assert_fits_the_window(page)
    tab.assert_clean()
