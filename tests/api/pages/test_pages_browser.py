"""The pages people use, in real headless Chromium against the service on 127.0.0.1."""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import FilePayload, Page, Route, expect

from api.auth.deps import viewer
from api.auth.roles import Actor, Role
from api.deps import get_session
from api.pages.views import APP_DIR, PAGES, router
from api.problems import install_handlers
from tests.api.pages.conftest import PHONE, Person, Site, Tab
from tests.api.support import BUILDING  # astride the 西城/丰台 line

GUANGWAI, TAIPINGQIAO = "110102020", "110106002"
XC_CGZF, FT_CGZF = "110102-cgzf", "110106-cgzf"


def log_in(tab: Tab, site: Site, person: Person, lands_on: str) -> Page:
    """Log in through the login page and wait for the role's page to be ready."""
    page = tab.page
    page.goto(f"{site.base}/app/login")
    page.fill("#username", person.username)
    page.fill("#password", person.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{lands_on}")
    page.wait_for_selector("body[data-ready='1']")
    return page


def tap_map(page: Page, lon: float, lat: float) -> None:
    """A real click on the map at a WGS-84 position (the map scrolled into view first)."""
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = window.gridwhistle.map;
            const p = map.latLngToContainerPoint([lat, lon]);
            const { top, bottom } = map.getContainer().getBoundingClientRect();
            if (top < 0 || bottom > innerHeight) map.getContainer().scrollIntoView({block: "start"});
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def zoom_to(page: Page, lon: float, lat: float, zoom: int) -> None:
    page.evaluate(
        "([lat, lon, z]) => window.gridwhistle.map.setView([lat, lon], z, {animate: false})",
        [lat, lon, zoom],
    )


def report_via_api(site: Site, worker: Person, geometry: dict, category: str) -> dict:
    return site.api(
        worker,
        "POST",
        "/api/reports",
        json={"geometry": geometry, "category": category, "description": "测试准备"},
    )


def outbox_item(page: Page, key: str | None) -> dict[str, Any]:
    """The phone's outbox entry of ``key``, as stored in IndexedDB."""
    item: dict[str, Any] = page.evaluate(
        """(key) => new Promise((resolve, reject) => {
            const open = indexedDB.open("gridwhistle");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
                const get = open.result.transaction("outbox").objectStore("outbox").get(key);
                get.onsuccess = () => resolve(get.result);
            };
        })""",
        key,
    )
    return item


def tiny_png(rgb: tuple[int, int, int] = (200, 40, 40), side: int = 8) -> bytes:
    """A real (decodable) PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes(rgb) * side for _ in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pages_app() -> FastAPI:
    app = FastAPI()
    install_handlers(app)
    app.include_router(router)
    return app


def test_pages_are_static_shells_that_load_only_local_assets() -> None:
    app = _pages_app()
    app.dependency_overrides[viewer] = lambda: Actor(1, Role.STREET, GUANGWAI)
    client = TestClient(app)
    for name in PAGES:
        page = client.get(f"/app/{name}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert re.findall(r"""(?:src|href)=["'](?!/)([^"']+)""", page.text) == []
        assert "/static/app/app.css" in page.text
    assert client.get("/app/", follow_redirects=False).headers["location"] == "/app/login"
    assert client.get("/app/nowhere").status_code == 404
    worker = client.get("/app/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]


def test_an_anonymous_browser_gets_only_the_login_page_and_the_worker() -> None:
    app = _pages_app()
    app.dependency_overrides[get_session] = lambda: None  # no token: no query
    client = TestClient(app, follow_redirects=False)
    assert client.get("/app/login").status_code == 200
    assert client.get("/app/sw.js").status_code == 200
    assert client.get("/app/").headers["location"] == "/app/login"
    for name in set(PAGES) - {"login"}:
        r = client.get(f"/app/{name}?case=7")
        assert r.status_code == 303, name
        assert r.headers["location"] == f"/app/login?next=/app/{name}%3Fcase%3D7"


def test_the_service_worker_precaches_every_page_and_script() -> None:
    shell = set(re.findall(r'"(/[^"]+)"', (APP_DIR / "sw.js").read_text()))
    scripts = {f"/static/app/js/{p.name}" for p in (APP_DIR / "js").glob("*.js")}
    pages = {f"/app/{name}" for name in PAGES}
    assert scripts | pages | {"/static/app/app.css"} <= shell


@pytest.mark.browser
def test_worker_drops_a_pin_and_the_street_sees_it_in_triage(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    lon, lat = site.inside("110102020001")

    # the phone's GPS fix is on the 西城/丰台 line, 60 m accurate
    on_the_line = {"longitude": 116.3200, "latitude": 39.8900, "accuracy": 60}
    phone = open_tab(PHONE, permissions=["geolocation"], geolocation=on_the_line)
    phone.page.goto(f"{site.base}/app/login")
    phone.page.wait_for_selector("#username")
    phone.page.screenshot(path=str(artifacts / "pages_login.png"))
    page = log_in(phone, site, worker, "/app/report")
    expect(page.locator("#map path")).not_to_have_count(0)
    page.click("#gps")
    expect(page.locator("#accuracy")).to_have_value("60")
    page.wait_for_function("() => window.gridwhistle.map.getZoom() >= 16")  # closer to the fix
    where = page.locator("#destination")
    candidates = where.locator(".ambiguous li")
    expect(candidates).to_have_count(2)
    expect(candidates.filter(has_text="广安门外街道")).to_contain_text("%")
    expect(candidates.filter(has_text="太平桥街道")).to_contain_text("%")
    page.screenshot(path=str(artifacts / "pages_report_gps_on_the_line.png"), full_page=True)

    zoom_to(page, lon, lat, 15)  # the worker taps the spot instead: no accuracy circle
    tap_map(page, lon, lat)
    expect(page.locator("#accuracy")).to_have_value("")
    expect(where.locator(".ambiguous")).to_have_count(0)
    expect(where).to_contain_text("广安门外街道")
    expect(where.locator(".grid-code")).to_have_text(re.compile(r"^110102020\d{6}$"))
    page.fill("#category", "C0103 路灯不亮")
    page.fill("#description", "路灯不亮，夜间行人看不清")
    expect(where).to_contain_text("城市管理委员会")  # the departments a whistle would summon
    page.screenshot(path=str(artifacts / "pages_report_pin.png"), full_page=True)
    page.click("#submit")
    sent = page.locator("#outbox li.item").first
    expect(sent).to_contain_text("已发送：案件", timeout=15_000)
    found = re.search(r"已发送：案件 (\d+)", sent.inner_text())
    assert found is not None
    case_id = int(found.group(1))
    page.screenshot(path=str(artifacts / "pages_report.png"), full_page=True)

    # footprint mode: the building astride the line, corner by corner
    zoom_to(page, 116.3203, 39.8900, 17)
    page.click("[data-mode=polygon]")
    for corner in BUILDING["coordinates"][0][:4]:
        tap_map(page, *corner)
    expect(page.locator("#vertex-count")).to_have_text("已画 4 点")
    page.fill("#category", "E0303 违法建设")
    joint = where.locator(".ambiguous")
    expect(joint).to_contain_text("跨界：联合处置")
    expect(joint).to_contain_text(re.compile(r"广安门外街道 7\d%"))
    expect(joint).to_contain_text(re.compile(r"太平桥街道 [23]\d%"))
    page.screenshot(path=str(artifacts / "pages_report_footprint.png"), full_page=True)

    desk = open_tab()
    triage = log_in(desk, site, street, "/app/triage")
    item = triage.locator(f"#queue li[data-case-id='{case_id}']")
    expect(item).to_contain_text("路灯不亮")
    item.click()
    detail = triage.locator("#detail-body")
    expect(detail).to_contain_text(f"案件 #{case_id}")
    expect(detail.locator(".explanation li")).not_to_have_count(0)
    expect(detail.get_by_role("button", name="就地解决")).to_be_visible()
    triage.screenshot(path=str(artifacts / "pages_triage.png"))

    phone.assert_clean()
    desk.assert_clean()


@pytest.mark.browser
def test_triager_blows_a_joint_whistle_with_the_proposed_departments(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    lead = site.person(Role.STREET, GUANGWAI)
    partner = site.person(Role.STREET, TAIPINGQIAO)
    created = report_via_api(site, worker, BUILDING, "E0303")
    case_id, routing = created["case_id"], created["routing"]
    assert routing["joint"] is True
    proposed = {d["code"] for d in routing["departments"]}
    assert {XC_CGZF, FT_CGZF} <= proposed

    desk = open_tab()
    page = log_in(desk, site, lead, "/app/triage")
    item = page.locator(f"#queue li[data-case-id='{case_id}']")
    expect(item.locator(".badge.joint")).to_have_text("联合")
    item.click()
    detail = page.locator("#detail-body")
    expect(detail.locator(".routing.joint")).to_contain_text("跨界联合处置")
    expect(detail.locator(".routing .streets")).to_contain_text("太平桥街道")
    expect(detail.locator(".explanation")).to_contain_text("联合吹哨")
    detail.get_by_role("button", name="联合吹哨").click()
    form = detail.locator("form.whistle-form")
    for code in proposed:  # pre-filled from the router's proposal
        expect(form.locator(f"input[name=dept][value='{code}']")).to_be_checked()
    expect(form.locator(f"input[name=overall][value='{XC_CGZF}']")).to_be_checked()
    expect(form.locator(f"input[name=partner][value='{TAIPINGQIAO}']")).to_be_checked()
    page.screenshot(path=str(artifacts / "pages_triage_joint_whistle.png"))
    form.get_by_role("button", name="确认联合吹哨").click()
    expect(page.locator("#detail-message")).to_contain_text("已联合吹哨")
    expect(detail.locator(".badge.status-whistled")).to_be_visible()

    case = site.api(lead, "GET", f"/api/cases/{case_id}")
    assert case["status"] == "whistled"
    assert {a["department_code"] for a in case["assignments"]} == proposed
    overall = [a["department_code"] for a in case["assignments"] if a["overall_lead"]]
    assert overall == [XC_CGZF]
    assert {s["street_code"]: s["role"] for s in case["streets"]} == {
        GUANGWAI: "lead",
        TAIPINGQIAO: "partner",
    }

    # the partner street sees the joint case, read-only
    other = open_tab()
    view = log_in(other, site, partner, "/app/triage")
    view.select_option("#status-filter", "whistled")
    shared = view.locator(f"#queue li[data-case-id='{case_id}']")
    shared.click()
    expect(view.locator("#detail-body .note")).to_contain_text("本街道为联合方")
    expect(view.locator("#detail-body").get_by_role("button", name="吹哨")).to_have_count(0)
    view.screenshot(path=str(artifacts / "pages_triage_partner.png"))

    desk.assert_clean()
    other.assert_clean()


@pytest.mark.browser
def test_department_acknowledges_and_reports_on_site(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    staff = site.person(Role.DEPARTMENT, XC_CGZF)
    lead_only = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]
    lon, lat = site.inside("110102020003")
    here = {"type": "Point", "coordinates": [lon, lat]}
    case_id = report_via_api(site, worker, here, "E0404")["case_id"]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": lead_only})
    late_lon, late_lat = site.inside("110102020004")
    late_case = report_via_api(
        site, worker, {"type": "Point", "coordinates": [late_lon, late_lat]}, "E0402"
    )["case_id"]
    site.api(street, "POST", f"/api/cases/{late_case}/whistle", json={"departments": lead_only})
    assignment = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    late = site.api(staff, "GET", f"/api/whistles?case_id={late_case}")[0]["id"]
    # one task is past its acknowledgement deadline, computed on a provisional calendar
    site.execute(
        "UPDATE assignments SET acknowledge_due_at = now() - interval '1 hour',"
        " due_provisional = true WHERE id = :id",
        id=late,
    )

    field = open_tab(
        PHONE,
        permissions=["geolocation"],
        geolocation={"longitude": lon, "latitude": lat + 0.0002, "accuracy": 10},
    )
    page = log_in(field, site, staff, "/app/whistles")
    overdue = page.locator(f"article[data-assignment-id='{late}']")
    expect(overdue).to_have_class(re.compile(r"\boverdue\b"))
    expect(overdue.locator("tr.overdue")).to_contain_text("已超期")
    expect(overdue.locator(".badge.provisional")).to_have_text("时限暂定")
    card = page.locator(f"article[data-assignment-id='{assignment}']")
    expect(card).not_to_have_class(re.compile(r"\boverdue\b"))
    card.get_by_role("button", name="签收").click()
    expect(card).to_have_attribute("data-status", "acknowledged")
    card.get_by_role("button", name="到场报到").click()
    expect(card).to_have_attribute("data-status", "on_site")
    expect(card).to_contain_text("到场位置距案件")
    expect(page.locator("#board-message")).to_contain_text("已到场报到")
    page.screenshot(path=str(artifacts / "pages_whistles.png"), full_page=True)

    done = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]
    assert done["status"] == "on_site" and done["acknowledged_at"] is not None
    assert 15 < done["on_site_distance_m"] < 30
    field.assert_clean()


@pytest.mark.browser
def test_offline_report_survives_a_reload_and_is_sent_once(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    lon, lat = site.inside("110102020002")
    existing = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0401")
    count = "SELECT count(*) FROM reports WHERE idempotency_key = :key"

    phone = open_tab(PHONE)
    page = log_in(phone, site, worker, "/app/report")
    expect(page.locator("#category-list option")).not_to_have_count(0)
    # the worker, installed on the login page, caches the pages once the browser is logged in
    for _ in range(50):
        cached = page.evaluate(
            "async () => { await navigator.serviceWorker.ready;"
            " return Boolean(await caches.match('/app/report')); }"
        )
        if cached:
            break
        page.wait_for_timeout(200)
    assert cached, "shell not cached"

    # a report queued by the old page version in localStorage moves to IndexedDB and is sent
    old_lon, old_lat = site.inside("110102020003")
    legacy = str(uuid.uuid4())
    page.evaluate(
        """([key, user, lon, lat]) => localStorage.setItem("gw.outbox", JSON.stringify([{
            key, user, summary: "旧版队列", created_at: new Date().toISOString(),
            state: "waiting", body: {geometry: {type: "Point", coordinates: [lon, lat]},
            crs: "wgs84", category: "C0103", description: "旧版队列中的上报", source: "patrol"}
        }]))""",
        [legacy, worker.username, old_lon, old_lat],
    )
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator(f"#outbox li[data-key='{legacy}']")).to_contain_text("已发送：案件")
    assert page.evaluate("() => localStorage.getItem('gw.outbox')") is None
    assert site.scalar(count, key=legacy) == 1
    zoom_to(page, lon, lat, 16)

    phone.context.set_offline(True)
    expect(page.locator("#net")).to_have_text("离线")
    tap_map(page, lon, lat)
    expect(page.locator("#destination")).to_contain_text("离线")
    page.fill("#category", "E0401 占道经营")
    page.fill("#description", "早市占道")
    photo = tiny_png()
    picked: list[FilePayload] = [
        {"name": "not-a-photo.jpg", "mimeType": "image/jpeg", "buffer": b"just text"},
        {"name": "stall.png", "mimeType": "image/png", "buffer": photo},
    ]
    page.set_input_files("#photo-pick", files=picked)
    expect(page.locator("#form-message")).to_contain_text("不是可识别的图片")
    expect(page.locator("#photo-list img")).to_have_count(1)
    page.screenshot(path=str(artifacts / "pages_report_photo.png"), full_page=True)
    page.click("#submit")
    queued = page.locator("#outbox li.item").first
    expect(queued).to_have_attribute("data-state", "waiting")
    expect(queued).to_contain_text("等待发送")
    expect(queued).to_contain_text("1 张照片")
    expect(page.locator("#photo-list img")).to_have_count(0)
    key = queued.get_attribute("data-key")

    page.reload()  # still offline: the service worker serves the page, the queue is in IndexedDB
    page.wait_for_selector("body[data-ready='1']")
    assert page.evaluate("() => navigator.serviceWorker.controller !== null")
    queued = page.locator(f"#outbox li[data-key='{key}']")
    expect(queued).to_contain_text("等待发送")
    expect(queued).to_contain_text("1 张照片")
    stored = outbox_item(page, key)["body"]["photos"]
    assert [p["content_type"] for p in stored] == ["image/png"]
    page.screenshot(path=str(artifacts / "pages_report_offline.png"), full_page=True)
    # Chromium's emulated offline mode does not always hold for a page under a service worker
    # right after a reload (CI once saw the queue sent here): what must hold is that it is
    # never sent twice and that it arrives (below)
    assert site.scalar(count, key=key) <= 1

    phone.context.set_offline(False)  # the "online" event sends the queue
    expect(queued).to_contain_text(f"已并入案件 {existing['case_id']}", timeout=15_000)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    expect(page.locator(f"#outbox li[data-key='{key}']")).to_have_attribute("data-state", "merged")
    page.wait_for_timeout(500)
    assert site.scalar(count, key=key) == 1
    arrived = site.scalar(
        "SELECT string_agg(p.sha256 || ':' || p.content_type, ',') FROM report_photos p"
        " JOIN reports r ON r.id = p.report_id WHERE r.idempotency_key = :key",
        key=key,
    )
    assert arrived == f"{hashlib.sha256(photo).hexdigest()}:image/png"
    case = site.api(worker, "GET", f"/api/cases/{existing['case_id']}")
    assert case["report_count"] == 2
    phone.assert_clean()


@pytest.mark.browser
def test_a_report_whose_answer_is_lost_is_sent_again_and_stored_once(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    lon, lat = site.inside("110102020008")
    count = "SELECT count(*) FROM reports WHERE idempotency_key = :key"
    phone = open_tab(PHONE)
    page = log_in(phone, site, worker, "/app/report")
    expect(page.locator("#category-list option")).not_to_have_count(0)

    # the server gets the report and answers, but the answer never reaches the phone (a
    # connection dropped on the way back, as on a flaky mobile network)
    answered: list[dict[str, Any]] = []

    def lose_the_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch()
        answered.append({"status": response.status, **response.json()})
        route.abort("connectionreset")

    phone.context.route("**/api/reports", lose_the_answer)
    zoom_to(page, lon, lat, 16)
    tap_map(page, lon, lat)
    page.fill("#category", "C0101 井盖缺失")
    page.fill("#description", "井盖缺失，应答在路上丢了")
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/api/reports")):
        page.click("#submit")
    queued = page.locator("#outbox li.item").first
    expect(queued).to_contain_text("等待发送")  # no answer: it stays in the outbox
    key = queued.get_attribute("data-key")
    assert [a["status"] for a in answered] == [201]
    assert site.scalar(count, key=key) == 1  # … although the server has it

    phone.context.unroute("**/api/reports")
    page.reload()  # the page sends what waits when it opens (as on "online" and every 30 s)
    page.wait_for_selector("body[data-ready='1']")
    item = page.locator(f"#outbox li[data-key='{key}']")
    expect(item).to_contain_text(re.compile(r"已(发送：|并入)案件"), timeout=15_000)
    page.wait_for_timeout(500)
    assert site.scalar(count, key=key) == 1  # the retry was answered with the same report
    mine = (
        "SELECT count(*) FROM reports r JOIN users u ON u.id = r.reporter_id WHERE u.username = :u"
    )
    assert site.scalar(mine, u=worker.username) == 1
    kept = outbox_item(page, key)
    assert kept["report_id"] == answered[0]["id"]
    assert kept["case_id"] == answered[0]["case_id"]
    # the one failed request is the lost answer itself
    assert all("ERR_CONNECTION_RESET" in e for e in phone.log.console_errors)
    assert phone.log.failed == [] and phone.log.foreign_hosts() == set()


@pytest.mark.browser
def test_a_suggested_duplicate_is_drawn_as_a_link_and_merged_through_it(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    first_at, second_at = (116.3230, 39.8930), (116.3238, 39.8930)  # about 70 m apart
    first = report_via_api(site, worker, {"type": "Point", "coordinates": first_at}, "E0402")
    second = report_via_api(site, worker, {"type": "Point", "coordinates": second_at}, "E0402")
    older, newer = first["case_id"], second["case_id"]
    assert older != newer  # past the 50 m attach radius: two cases

    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    link = page.locator(f"path.duplicate-link[data-from='{newer}'][data-into='{older}']")
    expect(link).to_have_count(1)
    expect(page.locator(f"#queue li[data-case-id='{newer}'] .badge.duplicate")).to_have_text(
        "疑似重复"
    )
    middle = ((first_at[0] + second_at[0]) / 2, first_at[1])
    zoom_to(page, *middle, 17)
    tap_map(page, *middle)
    popup = page.locator(".leaflet-popup .duplicate-popup")
    expect(popup).to_contain_text(f"#{newer} 与 #{older}")
    expect(popup).to_contain_text(re.compile(r"相距 (6\d|7\d) 米"))
    page.screenshot(path=str(artifacts / "pages_triage_duplicate_link.png"))
    popup.get_by_role("button", name=f"将 #{newer} 并入 #{older}").click()
    expect(page.locator("#detail-message")).to_contain_text(f"案件 #{newer} 已并入案件 #{older}")
    expect(page.locator(f"#queue li[data-case-id='{newer}']")).to_have_count(0)
    expect(page.locator("path.duplicate-link")).to_have_count(0)
    expect(page.locator("#detail-body")).to_contain_text(f"案件 #{older}")
    page.screenshot(path=str(artifacts / "pages_triage_duplicate_merged.png"))

    merged = site.api(street, "GET", f"/api/cases/{newer}")
    assert merged["status"] == "merged" and merged["merged_into_id"] == older
    assert site.api(street, "GET", f"/api/cases/{older}")["report_count"] == 2
    desk.assert_clean()


@pytest.mark.browser
def test_the_street_verifies_and_evaluates_through_the_buttons(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    staff = site.person(Role.DEPARTMENT, XC_CGZF)
    lon, lat = site.inside("110102020005")
    case_id = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0404")[
        "case_id"
    ]
    lead_only = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": lead_only})
    task = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    site.api(staff, "POST", f"/api/assignments/{task}/on-site", json={"lon": lon, "lat": lat})
    site.api(staff, "POST", f"/api/assignments/{task}/resolve", json={"note": "已清理"})

    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    page.select_option("#status-filter", "resolved")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    detail = page.locator("#detail-body")
    expect(detail.get_by_role("button", name="满意度评价")).to_have_count(0)  # not yet verified
    detail.get_by_role("button", name="核查通过").click()
    detail.get_by_role("button", name="确认核查通过").click()
    expect(page.locator("#detail-message")).to_contain_text("已核查通过")
    expect(detail.locator(".badge.status-verified")).to_be_visible()

    detail.get_by_role("button", name="满意度评价").click()
    form = detail.locator("form.evaluate-form")
    form.get_by_role("button", name="提交评价").click()
    expect(detail.locator(".message.error")).to_contain_text("请先选择星级")
    form.locator(".stars label").nth(3).click()
    expect(form).to_contain_text("4 星 · 基本满意")
    form.locator("textarea[name=comment]").fill("处理及时")
    page.screenshot(path=str(artifacts / "pages_triage_evaluate.png"))
    form.get_by_role("button", name="提交评价").click()
    expect(page.locator("#detail-message")).to_contain_text("已评价 4 星，案件结案")
    expect(detail.locator(".badge.status-closed")).to_be_visible()
    expect(detail.locator(".lifecycle")).to_have_count(0)  # nothing left to do
    page.screenshot(path=str(artifacts / "pages_triage_closed.png"))

    case = site.api(street, "GET", f"/api/cases/{case_id}")
    assert case["status"] == "closed" and case["rating"] == 4
    assert case["verified_at"] is not None and case["closed_at"] is not None
    desk.assert_clean()


@pytest.mark.browser
def test_the_street_reroutes_a_disputed_case_and_approves_an_extension(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    cgzf = site.person(Role.DEPARTMENT, XC_CGZF)
    lon, lat = site.inside("110102020006")
    created = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0404")
    case_id = created["case_id"]
    proposed = {d["code"]: d for d in created["routing"]["departments"]}
    overall = next(code for code, d in proposed.items() if d["overall_lead"])
    assert overall != XC_CGZF and XC_CGZF in proposed
    wrong = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": wrong})
    task = site.api(cgzf, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    site.api(cgzf, "POST", f"/api/assignments/{task}/dispute", json={"reason": "属公安职责"})

    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    page.select_option("#status-filter", "disputed")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    detail = page.locator("#detail-body")
    expect(detail.locator(".disputes")).to_contain_text("属公安职责")
    detail.get_by_role("button", name="改派部门").click()
    form = detail.locator("form.reroute-form")
    expect(form.locator(f"input[name=dept][value='{XC_CGZF}']")).not_to_be_checked()
    expect(form.locator(f"input[name=dept][value='{overall}']")).to_be_checked()
    page.screenshot(path=str(artifacts / "pages_triage_reroute.png"))
    form.get_by_role("button", name="确认改派").click()
    expect(page.locator("#detail-message")).to_contain_text("已改派")
    expect(detail.locator(".badge.status-whistled")).to_be_visible()
    live = {
        a["department_code"]
        for a in site.api(street, "GET", f"/api/cases/{case_id}")["assignments"]
        if a["status"] == "dispatched"
    }
    assert live == set(proposed) - {XC_CGZF}

    lead_staff = site.person(Role.DEPARTMENT, overall)
    mine = site.api(lead_staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    site.api(lead_staff, "POST", f"/api/assignments/{mine}/acknowledge")
    asked = site.api(
        lead_staff,
        "POST",
        f"/api/assignments/{mine}/extensions",
        json={"amount": "2wd", "reason": "等待监控调取"},
    )
    page.goto(f"{site.base}/app/whistles")
    page.wait_for_selector("body[data-ready='1']")
    card = page.locator(f"article[data-assignment-id='{mine}']")
    expect(card.locator(".extension")).to_contain_text("等待监控调取")
    expect(card.locator(".extension")).to_contain_text("申请延期 2 个工作日")  # words, not "2wd"
    page.screenshot(path=str(artifacts / "pages_whistles_extension.png"), full_page=True)
    card.get_by_role("button", name="批准", exact=True).click()
    expect(page.locator("#board-message")).to_contain_text("已批准延期")
    expect(page.locator(f"article[data-assignment-id='{mine}'] .extension")).to_have_count(0)
    decided = site.api(street, "GET", f"/api/extensions?case_id={case_id}")
    assert [(e["id"], e["status"]) for e in decided] == [(asked["id"], "approved")]
    desk.assert_clean()


@pytest.mark.browser
def test_the_district_escalates_a_whistled_case_to_the_city(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    district = site.person(Role.DISTRICT, "110102")
    lon, lat = site.inside("110102020007")
    case_id = report_via_api(site, worker, {"type": "Point", "coordinates": [lon, lat]}, "E0303")[
        "case_id"
    ]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={})

    street_tab = open_tab()
    page = log_in(street_tab, site, street, "/app/triage")
    page.select_option("#status-filter", "whistled")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    expect(page.locator("#detail-body .badge.status-whistled")).to_be_visible()
    expect(page.get_by_role("button", name="上报市级")).to_have_count(0)  # the district's step
    street_tab.assert_clean()

    desk = open_tab()
    page = log_in(desk, site, district, "/app/triage")
    page.select_option("#status-filter", "whistled")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    detail = page.locator("#detail-body")
    detail.get_by_role("button", name="上报市级").click()
    detail.locator("textarea[name=note]").fill("涉及多个委办局，区级难以协调")
    page.screenshot(path=str(artifacts / "pages_triage_escalate.png"))
    detail.get_by_role("button", name="确认上报市级").click()
    expect(page.locator("#detail-message")).to_contain_text("已上报市级")

    case = site.api(district, "GET", f"/api/cases/{case_id}")
    live = {
        a["department_code"]: a["role"] for a in case["assignments"] if a["status"] == "dispatched"
    }
    assert live == {"110000-ghzy": "lead", "110000-cgzf": "support", "110000-zjw": "support"}
    assert all(
        a["status"] == "cancelled" for a in case["assignments"] if a["department_code"] not in live
    )
    events = site.api(district, "GET", f"/api/cases/{case_id}/events")
    escalated = [e for e in events if e["kind"] == "whistle:escalated"]
    assert [e["data"]["level"] for e in escalated] == ["city"]
    assert escalated[0]["reason"] == "涉及多个委办局，区级难以协调"
    desk.assert_clean()


@pytest.mark.browser
def test_a_chief_lands_on_the_chiefs_map_and_next_stays_on_this_site(
    site: Site, open_tab: Callable[..., Tab]
) -> None:
    chief = site.person(Role.CHIEF, "C110102020-01")
    tab = open_tab()
    page = tab.page
    page.goto(f"{site.base}/maps/chief/C110102020-01")  # anonymous: sent to log in first
    page.wait_for_url("**/app/login?next=/maps/chief/C110102020-01")
    page.fill("#username", chief.username)
    page.fill("#password", chief.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/maps/chief/C110102020-01", timeout=60_000)  # the map is computed
    page.wait_for_selector("path.leaflet-interactive", timeout=60_000)
    assert "街巷长" in page.title()
    cookie = next(c for c in tab.context.cookies() if c["name"] == "gridwhistle_token")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    safe_next = page.evaluate(
        """async (values) => {
            const { safeNext } = await import("/static/app/js/api.js");
            return values.map((v) => safeNext(v));
        }""",
        [
            "/maps/street/110102020?window=8w",
            "/app/report",
            "//evil.example/app/report",
            "https://evil.example/",
            "/\\\\evil.example",
            "/\t/evil.example",
            "javascript:alert(1)",
            "maps/city",
            "",
        ],
    )
    assert safe_next == ["/maps/street/110102020?window=8w", "/app/report"] + [None] * 7
    # logged in, with a foreign next: the chief's own map instead
    page.goto(f"{site.base}/app/login?next=//evil.example/x")
    page.fill("#username", chief.username)
    page.fill("#password", chief.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/maps/chief/C110102020-01")
    tab.assert_clean()
