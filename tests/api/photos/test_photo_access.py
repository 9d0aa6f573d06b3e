"""Photos are served to whoever may see their case (bearer token or the login cookie), as
the original and as a thumbnail; to anyone else a photo does not exist."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import func, select

from api.auth.roles import Role
from api.photos.models import PhotoThumbnail
from api.photos.thumbnails import THUMB_SIDE
from tests.api.photos.images import decoded, image, photo
from tests.api.support import PIN, PNG, Api, issue_tokens, problem

CHIEF = {"chief": (Role.CHIEF, "C110102020-01")}


def _report(api: Api, user: str, *photos: dict[str, str], **extra: Any) -> dict[str, Any]:
    response = api.call("POST", "/api/reports", user, json={**PIN, **extra, "photos": list(photos)})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _case(api: Api, case_id: int, user: str = "gw") -> dict[str, Any]:
    response = api.call("GET", f"/api/cases/{case_id}", user)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def reported(api: Api) -> tuple[int, int, bytes]:
    """A case reported by the 广外 grid worker with an 800 × 600 JPEG: (case, photo, bytes)."""
    data = image(800, 600)
    case_id = _report(api, "worker-gw", photo(data))["case_id"]
    (listed,) = _case(api, case_id)["photos"]
    return case_id, listed["id"], data


def test_the_case_lists_its_photos(api: Api, reported: tuple[int, int, bytes]) -> None:
    case_id, photo_id, data = reported
    (listed,) = _case(api, case_id)["photos"]
    report_id = api.call("GET", f"/api/cases/{case_id}/events", "gw").json()[1]["data"]
    assert listed == {
        "id": photo_id,
        "kind": "before",
        "content_type": "image/jpeg",
        "size": len(data),
        "report_id": report_id["report_id"],
        "assignment_id": None,
        "department_code": None,
        "url": f"/api/photos/{photo_id}",
        "thumb_url": f"/api/photos/{photo_id}/thumb",
    }


def test_the_original_comes_as_it_was_sent(api: Api, reported: tuple[int, int, bytes]) -> None:
    _, photo_id, data = reported
    response = api.call("GET", f"/api/photos/{photo_id}", "worker-gw")
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"].split(",")[0] == "private"
    assert response.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'


@pytest.mark.parametrize("path", ["", "/thumb"])
def test_who_may_see_the_case_sees_its_photos(
    api: Api, reported: tuple[int, int, bytes], path: str
) -> None:
    case_id, photo_id, _ = reported
    url = f"/api/photos/{photo_id}{path}"
    api.tokens |= issue_tokens(api.session, CHIEF, prefix="ph-")
    seeing = {"worker-gw", "gw", "xicheng", "analyst", "admin"}
    others = {"tpq", "fengtai", "dongcheng", "xc-cgzf", "xc-swj", "worker-tpq", "chief"}
    got = {user: api.call("GET", url, user).status_code for user in seeing | others}
    assert got == {**dict.fromkeys(seeing, 200), **dict.fromkeys(others, 404)}
    problem(api.call("GET", url, None), 401, "authorization")
    # a photo one may not see reads exactly as one that does not exist
    hidden = api.call("GET", url, "tpq").json()
    missing = api.call("GET", f"/api/photos/{photo_id + 1000}{path}", "tpq").json()
    assert hidden["detail"].replace(str(photo_id), "N") == missing["detail"].replace(
        str(photo_id + 1000), "N"
    )
    # a department sees the photos once the case is whistled to it (not one it was not sent)
    assert api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={}).status_code == 200
    assert api.call("GET", url, "xc-cgzf").status_code == 200
    assert api.call("GET", url, "xc-swj").status_code == 404


def test_a_chief_sees_the_photos_of_a_case_they_reported(api: Api) -> None:
    api.tokens |= issue_tokens(api.session, CHIEF, prefix="ph-")
    case_id = _report(api, "chief", photo(image(40, 30)))["case_id"]
    (listed,) = _case(api, case_id, "chief")["photos"]
    assert api.call("GET", listed["url"], "chief").status_code == 200
    assert api.call("GET", listed["url"], "worker-gw").status_code == 404


def test_the_login_cookie_opens_a_photo(api: Api, reported: tuple[int, int, bytes]) -> None:
    _, photo_id, data = reported
    api.client.cookies.set("gridwhistle_token", api.tokens["gw"])
    try:
        assert api.client.get(f"/api/photos/{photo_id}").content == data
        assert api.client.get(f"/api/photos/{photo_id}/thumb").status_code == 200
        api.client.cookies.set("gridwhistle_token", api.tokens["tpq"])
        assert api.client.get(f"/api/photos/{photo_id}").status_code == 404
        api.client.cookies.set("gridwhistle_token", "not-a-token")
        problem(api.client.get(f"/api/photos/{photo_id}"), 401, "authorization")
    finally:
        api.client.cookies.clear()


def test_the_thumbnail_fits_320_pixels_and_is_kept(
    api: Api, reported: tuple[int, int, bytes]
) -> None:
    _, photo_id, _ = reported
    first = api.call("GET", f"/api/photos/{photo_id}/thumb", "gw")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["cache-control"].split(",")[0] == "private"
    picture = decoded(first.content)
    assert picture.format == "JPEG" and picture.size == (THUMB_SIDE, 240)
    # the left half is still red, the right half blue
    left, right = picture.getpixel((40, 120)), picture.getpixel((280, 120))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[0] > 150 and right[2] > 150
    stored = select(func.count()).select_from(PhotoThumbnail)
    assert api.session.scalar(stored) == 1
    again = api.call("GET", f"/api/photos/{photo_id}/thumb", "worker-gw")
    assert again.content == first.content and api.session.scalar(stored) == 1


def test_a_transparent_png_keeps_png_and_a_small_photo_its_size(api: Api) -> None:
    png = image(300, 900, "PNG", mode="RGBA")
    small = image(120, 80)
    case_id = _report(api, "worker-gw", photo(png, "image/png"), photo(small))["case_id"]
    tall, little = _case(api, case_id)["photos"]
    thumb = api.call("GET", tall["thumb_url"], "gw")
    assert thumb.headers["content-type"] == "image/png"
    picture = decoded(thumb.content)
    assert picture.size == (107, THUMB_SIDE) and picture.mode == "RGBA"
    pixel = picture.getpixel((80, 10))
    assert isinstance(pixel, tuple) and pixel[3] == 128  # the right half stays half transparent
    assert decoded(api.call("GET", little["thumb_url"], "gw").content).size == (120, 80)


def test_a_photo_that_does_not_decode_has_no_thumbnail(api: Api) -> None:
    # the report checks only the first bytes: this "PNG" is its signature and zeros
    case_id = _report(api, "worker-gw", {"content_type": "image/png", "data": PNG})["case_id"]
    (listed,) = _case(api, case_id)["photos"]
    body = problem(api.call("GET", listed["thumb_url"], "gw"), 422, "photo_id")
    assert "cannot be decoded" in body["detail"]
    assert api.call("GET", listed["url"], "gw").status_code == 200


def test_the_pages_read_the_limits_from_the_api(api: Api) -> None:
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    limits = api.call("GET", "/api/photos/limits", "worker-gw").json()
    assert limits == {
        "max_photos": settings.max_photos,
        "max_bytes": settings.max_photo_bytes,
        "content_types": ["image/jpeg", "image/png", "image/webp"],
        "thumb_side": THUMB_SIDE,
    }
    problem(api.call("GET", "/api/photos/limits", None), 401, "authorization")


@pytest.mark.parametrize("photo_id", ["0", "-1", "2147483648", "abc"])
def test_a_photo_id_that_cannot_be_one_is_refused(api: Api, photo_id: str) -> None:
    problem(api.call("GET", f"/api/photos/{photo_id}", "gw"), 422, "photo_id")
    problem(api.call("GET", f"/api/photos/{photo_id}/thumb", "gw"), 422, "photo_id")
