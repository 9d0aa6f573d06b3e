"""Open311 api_keys open Open311 and nothing else; bearer tokens still work as api_keys."""

from __future__ import annotations

from api.auth.roles import Role
from api.auth.service import OPEN311_SCOPE, create_user, issue_token
from tests.api.open311.conftest import BASE, GUANGWAI_PIN, pin
from tests.api.open311.test_open311 import post
from tests.api.support import Api


def _hotline_key(api: Api) -> str:
    user = create_user(
        session=api.session, username="o311-hotline", role=Role.ADMIN, jurisdiction=None
    )
    return issue_token(session=api.session, user=user, label="12345", scope=OPEN311_SCOPE)


def test_an_open311_key_creates_requests(o311: Api) -> None:
    key = _hotline_key(o311)
    r = o311.client.post(f"{BASE}/requests.json", data={"api_key": key, **pin()})
    assert r.status_code == 201, r.text
    assert r.json()[0]["service_request_id"].isdigit()


def test_an_open311_key_is_not_a_bearer_token(o311: Api) -> None:
    key = _hotline_key(o311)
    o311.tokens["hotline"] = key
    before = o311.counts()
    body = {"geometry": {"type": "Point", "coordinates": list(GUANGWAI_PIN)}, "category": "E0101"}
    for method, url, kwargs in (
        ("GET", "/api/auth/me", {}),
        ("GET", "/api/cases", {}),
        ("POST", "/api/reports", {"json": body, "headers": {"Idempotency-Key": "k"}}),
    ):
        refused = o311.call(method, url, "hotline", **kwargs)
        assert refused.status_code == 401, (url, refused.text)
        assert refused.json()["field"] == "authorization"
    assert o311.counts() == before


def test_a_bearer_token_still_works_as_an_api_key(o311: Api) -> None:
    assert post(o311, "admin", **pin()).status_code == 201  # KEYS are bearer tokens
