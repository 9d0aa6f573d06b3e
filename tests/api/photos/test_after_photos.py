"""After-photos: a department attaches them when it resolves; the case shows them after its
reports' photos; the after-photo policy can make the overall lead's resolution and the
street's confirmation wait for them (refused with nothing written)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.cases.models import CaseEvent
from api.config import Settings
from api.reports.models import ReportPhoto
from tests.api.photos.images import decoded, image, photo
from tests.api.support import CENTRE, PIN, PNG, Api, problem

STAFF = {"110102-cgzf": "xc-cgzf", "110102-ghzy": "xc-ghzy"}


def _whistled(api: Api) -> tuple[int, dict[str, int]]:
    """A 违法建设 case reported with one photo, whistled by 广外 to 城管执法 (the overall lead)
    and 规划自然资源 (support), both on site: the case and its assignments by department."""
    reported = api.call(
        "POST", "/api/reports", "worker-gw", json={**PIN, "photos": [photo(image(64, 48))]}
    )
    assert reported.status_code == 201, reported.text
    case_id = reported.json()["case_id"]
    whistle = api.call("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    assert whistle.status_code == 200, whistle.text
    assignments = {
        a["department_code"]: a["id"]
        for a in api.call("GET", f"/api/cases/{case_id}", "gw").json()["assignments"]
    }
    for code, user in STAFF.items():
        aid = assignments[code]
        assert api.call("POST", f"/api/assignments/{aid}/acknowledge", user).status_code == 200
        here = {"lon": CENTRE[0], "lat": CENTRE[1]}
        assert api.call("POST", f"/api/assignments/{aid}/on-site", user, json=here).is_success
    return case_id, assignments


def _resolve(api: Api, aid: int, user: str, *photos: dict[str, str]) -> Any:
    return api.call(
        "POST",
        f"/api/assignments/{aid}/resolve",
        user,
        json={"note": "已拆除", "photos": list(photos)},
    )


def _state(api: Api, case_id: int) -> tuple[dict[str, int], str, list[str], int]:
    """What a refusal must leave as it was: rows, case status, assignment states, events."""
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    events = api.session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
    )
    return api.counts(), case["status"], [a["status"] for a in case["assignments"]], events or 0


@pytest.fixture
def requiring(api: Api, tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Switch the app to a data folder whose after-photo policy is the given text (the
    other files are the shipped ones); back to the shipped folder afterwards."""
    shipped: Settings = api.client.app.state.settings  # type: ignore[attr-defined]
    folder = tmp_path / "data"
    folder.mkdir()
    for entry in shipped.data_dir.iterdir():
        if entry.name != "after_photos.csv":
            (folder / entry.name).symlink_to(entry)

    def use(policy: str) -> None:
        (folder / "after_photos.csv").write_text(
            "category,min_photos,description\n" + policy, encoding="utf-8"
        )
        api.client.app.state.settings = shipped.model_copy(update={"data_dir": folder})  # type: ignore[attr-defined]

    yield use
    api.client.app.state.settings = shipped  # type: ignore[attr-defined]


def test_after_photos_are_stored_with_the_resolution(api: Api) -> None:
    case_id, assignments = _whistled(api)
    lead = assignments["110102-cgzf"]
    pictures = [image(640, 480), image(300, 200, "PNG")]
    done = _resolve(api, lead, "xc-cgzf", photo(pictures[0]), photo(pictures[1], "image/png"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "resolved"
    rows = api.session.scalars(
        select(ReportPhoto).where(ReportPhoto.assignment_id == lead).order_by(ReportPhoto.id)
    ).all()
    assert [bytes(r.data) for r in rows] == pictures and all(r.report_id is None for r in rows)
    resolved = next(
        e
        for e in api.call("GET", f"/api/cases/{case_id}/events", "gw").json()
        if e["kind"] == "assignment:resolved"
    )
    assert resolved["data"]["photos"] == [r.id for r in rows]
    case = api.call("GET", f"/api/cases/{case_id}", "gw").json()
    assert case["status"] == "resolved"
    assert [(p["kind"], p["department_code"], p["assignment_id"]) for p in case["photos"]] == [
        ("before", None, None),
        ("after", "110102-cgzf", lead),
        ("after", "110102-cgzf", lead),
    ]
    after = case["photos"][1]
    assert after["content_type"] == "image/jpeg" and after["size"] == len(pictures[0])
    # whoever sees the case sees them: the street, the reporter, the departments on it
    for user in ("gw", "worker-gw", "xc-cgzf", "xc-ghzy"):
        thumb = api.call("GET", after["thumb_url"], user)
        assert thumb.status_code == 200 and decoded(thumb.content).size == (320, 240)
    assert api.call("GET", after["url"], "tpq").status_code == 404


def test_a_resolution_without_photos_still_works(api: Api) -> None:
    case_id, assignments = _whistled(api)
    done = api.call(
        "POST",
        f"/api/assignments/{assignments['110102-cgzf']}/resolve",
        "xc-cgzf",
        json={"note": "ok"},
    )
    assert done.status_code == 200, done.text
    assert [p["kind"] for p in api.call("GET", f"/api/cases/{case_id}", "gw").json()["photos"]] == [
        "before"
    ]


@pytest.mark.parametrize(
    ("photos", "field"),
    [
        ([{"content_type": "image/gif", "data": PNG}], "photos.0.content_type"),
        ([photo(image(8, 8)), {"content_type": "image/png", "data": "@@"}], "photos.1.data"),
        ([{"content_type": "image/jpeg", "data": PNG}], "photos.0.data"),
        ([photo(image(8, 8))] * 5, "photos"),
    ],
)
def test_bad_after_photos_are_refused_with_nothing_written(
    api: Api, photos: list[dict[str, str]], field: str
) -> None:
    case_id, assignments = _whistled(api)
    before = _state(api, case_id)
    problem(_resolve(api, assignments["110102-cgzf"], "xc-cgzf", *photos), 422, field)
    assert _state(api, case_id) == before


def test_a_department_not_on_the_case_cannot_attach_photos(api: Api) -> None:
    case_id, assignments = _whistled(api)
    before = _state(api, case_id)
    refused = _resolve(api, assignments["110102-cgzf"], "xc-swj", photo(image(8, 8)))
    problem(refused, 403, "authorization")
    assert _state(api, case_id) == before


def test_the_policy_holds_back_the_lead_resolution_without_photos(
    api: Api, requiring: Callable[[str], None]
) -> None:
    requiring("E03,2,\n")
    case_id, assignments = _whistled(api)
    lead, support = assignments["110102-cgzf"], assignments["110102-ghzy"]
    before = _state(api, case_id)
    body = problem(_resolve(api, lead, "xc-cgzf"), 422, "photos")
    assert "needs 2 after-photo(s)" in body["detail"]
    assert _state(api, case_id) == before
    problem(_resolve(api, lead, "xc-cgzf", photo(image(8, 8))), 422, "photos")
    assert _state(api, case_id) == before
    # a supporting department needs none; the photo it brings counts for the case
    assert _resolve(api, support, "xc-ghzy", photo(image(9, 9))).status_code == 200
    assert _resolve(api, lead, "xc-cgzf", photo(image(8, 8))).status_code == 200
    assert api.call("GET", f"/api/cases/{case_id}", "gw").json()["status"] == "resolved"
    confirmed = api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "verified"


def test_the_policy_holds_back_the_confirmation_without_photos(
    api: Api, requiring: Callable[[str], None]
) -> None:
    case_id, assignments = _whistled(api)
    lead = assignments["110102-cgzf"]
    assert _resolve(api, lead, "xc-cgzf").status_code == 200  # the shipped policy: none needed
    requiring("*,0,\nE0303,1,\n")
    before = _state(api, case_id)
    verify = api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    body = problem(verify, 422, "photos")
    assert "confirming a case of category E0303 needs 1 after-photo(s)" in body["detail"]
    assert _state(api, case_id) == before
    # reopening needs no photos; the lead resolves again with one, then the street confirms
    reopened = api.call(
        "POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": False, "reason": "无照片"}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "whistled"
    assert _resolve(api, lead, "xc-cgzf", photo(image(8, 8))).status_code == 200
    confirmed = api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    assert confirmed.status_code == 200, confirmed.text


def test_a_case_resolved_locally_needs_no_after_photos(
    api: Api, requiring: Callable[[str], None]
) -> None:
    requiring("*,1,\n")
    case_id = api.call("POST", "/api/reports", "worker-gw", json=PIN).json()["case_id"]
    resolved = api.call("POST", f"/api/cases/{case_id}/resolve", "gw", json={"note": "街道已处理"})
    assert resolved.status_code == 200, resolved.text
    confirmed = api.call("POST", f"/api/cases/{case_id}/verify", "gw", json={"confirmed": True})
    assert confirmed.status_code == 200, confirmed.text


def test_the_board_card_shows_the_photos_and_what_the_policy_asks(
    api: Api, requiring: Callable[[str], None]
) -> None:
    requiring("E0303,1,\n")
    case_id, assignments = _whistled(api)
    assert _resolve(api, assignments["110102-ghzy"], "xc-ghzy", photo(image(9, 9))).is_success
    rows = api.call("GET", f"/api/whistles?case_id={case_id}", "xc-cgzf").json()
    (card,) = rows  # a department sees its own assignment
    assert card["case"]["after_photos_required"] == 1
    assert [(p["kind"], p["department_code"]) for p in card["case"]["photos"]] == [
        ("before", None),
        ("after", "110102-ghzy"),
    ]
