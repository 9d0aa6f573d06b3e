"""Photos on the pages, in real headless Chromium: a grid worker's photo in the street's
triage detail and on the department's board card (a tap opens the original); the department
attaches an after-photo when it resolves on the board; the street sees before beside after
where it verifies."""

from __future__ import annotations

import base64
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Locator, Page, expect

from api.auth.roles import Role
from api.photos.thumbnails import THUMB_SIDE
from tests.api.pages.conftest import Site, Tab
from tests.api.pages.test_pages_browser import log_in

GUANGWAI, XC_CGZF = "110102020", "110102-cgzf"


def jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


def shown(image: Locator) -> tuple[int, int]:
    """The size of the picture an <img> loaded (0 × 0: it did not load)."""
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    size: list[int] = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    return size[0], size[1]


def opens_the_original(page: Page, link: Locator, photo_id: int, data: bytes) -> None:
    """A tap on the thumbnail opens the original in a new tab, fetched with the login cookie."""
    with page.context.expect_page() as opened:
        link.click()
    original = opened.value
    original.wait_for_load_state()
    assert original.url.endswith(f"/api/photos/{photo_id}")
    fetched = original.evaluate(
        """async () => {
            const r = await fetch(location.href);
            const bytes = new Uint8Array(await r.arrayBuffer());
            let text = "";
            for (const b of bytes) text += String.fromCharCode(b);
            return [r.status, r.headers.get("content-type"), btoa(text)];
        }"""
    )
    assert fetched == [200, "image/jpeg", base64.b64encode(data).decode()]
    original.close()


@pytest.mark.browser
def test_a_reported_photo_is_seen_in_triage_and_on_the_board_and_after_photos_too(
    site: Site, open_tab: Callable[..., Tab], artifacts: Path
) -> None:
    worker = site.person(Role.GRID_WORKER, GUANGWAI)
    street = site.person(Role.STREET, GUANGWAI)
    staff = site.person(Role.DEPARTMENT, XC_CGZF)
    lon, lat = site.inside("110102020003")
    before = jpeg(800, 600, (200, 40, 40))
    reported = site.api(
        worker,
        "POST",
        "/api/reports",
        json={
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "category": "E0404",
            "description": "照片测试：乱停车",
            "photos": [{"content_type": "image/jpeg", "data": base64.b64encode(before).decode()}],
        },
    )
    case_id = reported["case_id"]
    (photo,) = site.api(street, "GET", f"/api/cases/{case_id}")["photos"]

    # the street's triage detail shows the photo; a tap opens the original
    desk = open_tab()
    page = log_in(desk, site, street, "/app/triage")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    detail = page.locator("#detail-body")
    thumb = detail.locator(f".case-photos .before li[data-photo-id='{photo['id']}'] img")
    assert shown(thumb) == (THUMB_SIDE, 240)
    page.screenshot(path=str(artifacts / "pages_triage_photo.png"))
    opens_the_original(page, thumb, photo["id"], before)

    # whistled to 城管执法: the department's board card shows it too
    lead_only = [{"code": XC_CGZF, "role": "lead", "overall_lead": True}]
    site.api(street, "POST", f"/api/cases/{case_id}/whistle", json={"departments": lead_only})
    task = site.api(staff, "GET", f"/api/whistles?case_id={case_id}")[0]["id"]
    site.api(staff, "POST", f"/api/assignments/{task}/on-site", json={"lon": lon, "lat": lat})
    office = open_tab()
    board = log_in(office, site, staff, "/app/whistles")
    card = board.locator(f"article[data-assignment-id='{task}']")
    card_thumb = card.locator(f".case-photos .before li[data-photo-id='{photo['id']}'] img")
    assert shown(card_thumb) == (THUMB_SIDE, 240)
    expect(card.locator(".case-photos .after")).to_contain_text("暂无")  # none yet
    opens_the_original(board, card_thumb, photo["id"], before)

    # the department resolves with an after-photo picked on the board
    after = jpeg(300, 400, (40, 160, 60))
    card.get_by_role("button", name="办结").click()
    card.locator("textarea[name=note]").fill("车辆已挪走")
    card.locator("input.resolve-photos").set_input_files(
        files=[FilePayload(name="after.jpg", mimeType="image/jpeg", buffer=after)]
    )
    expect(card.locator("img[alt^='处置后照片 1']")).to_have_count(1)
    board.screenshot(path=str(artifacts / "pages_board_after_photo.png"))
    card.get_by_role("button", name="确认办结").click()
    expect(board.locator("#board-message")).to_contain_text(f"案件 #{case_id}：已办结")
    case = site.api(street, "GET", f"/api/cases/{case_id}")
    assert case["status"] == "resolved"
    assert [(p["kind"], p["department_code"]) for p in case["photos"]] == [
        ("before", None),
        ("after", XC_CGZF),
    ]
    after_id = case["photos"][1]["id"]

    # where the street verifies, before and after side by side
    page.select_option("#status-filter", "resolved")
    page.locator(f"#queue li[data-case-id='{case_id}']").click()
    expect(detail.get_by_role("button", name="核查通过")).to_be_visible()
    assert shown(detail.locator(".case-photos .before img")) == (THUMB_SIDE, 240)
    assert shown(detail.locator(f".case-photos .after li[data-photo-id='{after_id}'] img")) == (
        240,
        THUMB_SIDE,
    )
    boxes = [detail.locator(f".case-photos .{kind}").bounding_box() for kind in ("before", "after")]
    assert boxes[0] and boxes[1] and boxes[0]["x"] < boxes[1]["x"]  # side by side
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 1
    page.screenshot(path=str(artifacts / "pages_triage_before_after.png"))
    desk.assert_clean()
    office.assert_clean()
