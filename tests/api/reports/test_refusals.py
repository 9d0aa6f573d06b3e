"""Bad reports: a 4xx problem+json naming the field, and nothing written."""

from __future__ import annotations

import base64

import pytest

from tests.api.support import BAD_REPORTS, JPEG_BYTES, PIN, PNG, Api, problem


@pytest.mark.parametrize("case", sorted(BAD_REPORTS))
def test_bad_reports_write_nothing(api: Api, case: str) -> None:
    user, body, status, field = BAD_REPORTS[case]
    before = api.counts()
    problem(api.call("POST", "/api/reports", user, json=body), status, field)
    assert api.counts() == before


def test_a_photo_too_large_is_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    big = base64.b64encode(JPEG_BYTES + b"\0" * (2 * 1024 * 1024)).decode()
    before = api.counts()
    body = {**PIN, "photos": [{"content_type": "image/jpeg", "data": big}]}
    problem(api.call("POST", "/api/reports", "worker-gw", json=body), 422, "photos.0.data")
    assert api.counts() == before


def test_valid_photos_are_stored(api: Api) -> None:
    body = {**PIN, "photos": [{"content_type": "image/png", "data": PNG}]}
    assert api.call("POST", "/api/reports", "worker-gw", json=body).status_code == 201
    assert api.counts()["report_photos"] == 1


def test_bad_token_is_401(api: Api) -> None:
    r = api.client.post("/api/reports", json=PIN, headers={"Authorization": "Bearer nope"})
    problem(r, 401, "authorization")


def test_idempotency_key_reused_for_another_report_is_409(api: Api) -> None:
    assert (
        api.call(
            "POST", "/api/reports", "worker-gw", headers={"Idempotency-Key": "k"}, json=PIN
        ).status_code
        == 201
    )
    before = api.counts()
    other = {**PIN, "description": "something else"}
    problem(
        api.call("POST", "/api/reports", "worker-gw", headers={"Idempotency-Key": "k"}, json=other),
        409,
        "idempotency_key",
    )
    assert api.counts() == before
