"""Bearer tokens expire unless used, use moves their expiry on up to a maximum, and a revoked
or expired token opens nothing: the API, pages, maps, map tiles and Open311 alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.models import ApiToken, AuditEvent, User
from api.auth.roles import Role
from api.auth.service import (
    OPEN311_SCOPE,
    TokenPolicy,
    create_user,
    issue_token,
    revoke_tokens,
    token_hash,
)
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from tests.api.support import PIN, Api, problem

STREET = "110102020"
# what a bearer token opens, by way of its header or the login cookie
BEARER_URLS = ("/api/auth/me", "/api/cases")
PAGE = f"/maps/street/{STREET}?window=1w"  # a map: the cookie opens it
TILE = f"/api/areas?level=street&code={STREET}"  # map data: the cookie opens it too


def _set(api: Api, name: str, assignment: str) -> None:
    """Change the stored token of ``name`` (the database's clock: ``now()``)."""
    api.session.execute(
        text(f"UPDATE api_tokens SET {assignment} WHERE token_hash = :h"),
        {"h": token_hash(api.tokens[name])},
    )


def _token(api: Api, name: str) -> ApiToken:
    api.session.expire_all()
    found = api.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash(api.tokens[name]))
    )
    assert found is not None
    return found


def _is(api: Api, sql: str, name: str) -> bool:
    """Whether ``sql`` (about the token ``t``) holds for the token of ``name``."""
    return bool(
        api.session.scalar(
            text(f"SELECT {sql} FROM api_tokens t WHERE token_hash = :h"),
            {"h": token_hash(api.tokens[name])},
        )
    )


def _refused_everywhere(api: Api, name: str) -> None:
    """The token of ``name`` opens no API route, page, map or tile, by header or cookie."""
    before = api.counts()
    for url in BEARER_URLS:
        problem(api.call("GET", url, name), 401, "authorization")
    problem(
        api.call("POST", "/api/reports", name, json=PIN, headers={"Idempotency-Key": "x"}),
        401,
        "authorization",
    )
    assert api.counts() == before
    token = api.tokens[name]
    api.client.cookies.set("gridwhistle_token", token)
    try:
        page = api.client.get(PAGE, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/app/login")
        problem(api.client.get(TILE), 401, "authorization")
    finally:
        api.client.cookies.clear()


def test_a_fresh_token_opens_the_api_pages_and_tiles(api: Api) -> None:
    assert api.call("GET", "/api/auth/me", "gw").status_code == 200
    api.client.cookies.set("gridwhistle_token", api.tokens["gw"])
    assert api.client.get(PAGE).status_code == 200
    assert api.client.get(TILE).status_code == 200
    assert _is(api, "t.expires_at = t.created_at + interval '12 hours'", "gw")


def test_an_expired_token_opens_nothing(api: Api) -> None:
    _set(api, "gw", "expires_at = now() - interval '1 second'")
    _refused_everywhere(api, "gw")
    assert api.call("GET", "/api/auth/me", "tpq").status_code == 200  # others' still work


def test_a_revoked_token_opens_nothing(api: Api) -> None:
    user = api.session.scalar(select(User).where(User.username == "t-gw"))
    assert user is not None
    assert revoke_tokens(session=api.session, user=user) == 1
    _refused_everywhere(api, "gw")


def test_a_user_deactivated_opens_nothing(api: Api) -> None:
    api.session.execute(text("UPDATE users SET active = false WHERE username = 't-gw'"))
    _refused_everywhere(api, "gw")


def test_using_a_token_moves_its_expiry_on_at_most_once_a_minute(api: Api) -> None:
    # used 30 s ago: not moved (no write on every request)
    _set(
        api,
        "gw",
        "last_used_at = now() - interval '30 seconds', expires_at = now() + interval '1 hour'",
    )
    assert api.call("GET", "/api/auth/me", "gw").status_code == 200
    assert _is(api, "t.expires_at = now() + interval '1 hour'", "gw")
    # used 2 minutes ago: 12 hours from now on
    _set(api, "gw", "last_used_at = now() - interval '2 minutes'")
    assert api.call("GET", "/api/cases", "gw").status_code == 200
    assert _is(api, "t.expires_at = now() + interval '12 hours' AND t.last_used_at = now()", "gw")


@pytest.mark.parametrize("url", [PAGE, TILE])
def test_the_login_cookie_moves_the_expiry_on_too(api: Api, url: str) -> None:
    _set(api, "gw", "last_used_at = now() - interval '2 minutes'")
    api.client.cookies.set("gridwhistle_token", api.tokens["gw"])
    assert api.client.get(url).status_code == 200
    assert _is(api, "t.expires_at = now() + interval '12 hours'", "gw")


def test_use_never_moves_the_expiry_past_the_maximum(api: Api) -> None:
    # issued 30 days less an hour ago: used now, it lives one more hour, not 12
    _set(
        api,
        "gw",
        "created_at = now() - interval '30 days' + interval '1 hour', "
        "last_used_at = now() - interval '2 minutes', expires_at = now() + interval '5 minutes'",
    )
    assert api.call("GET", "/api/auth/me", "gw").status_code == 200
    assert _is(api, "t.expires_at = now() + interval '1 hour'", "gw")


def test_the_lifetimes_are_settings(demo_session: Session, demo_db_url: str) -> None:
    settings = Settings(
        environment="test", token_idle_s=600, token_max_s=3600, open311_key_max_s=86400
    )
    user = create_user(session=demo_session, username="t-life", role=Role.ADMIN, jurisdiction=None)
    policy = TokenPolicy.of(settings)
    bearer = issue_token(session=demo_session, user=user, policy=policy)
    key = issue_token(session=demo_session, user=user, policy=policy, scope=OPEN311_SCOPE)
    keyless = issue_token(session=demo_session, user=user, scope=OPEN311_SCOPE)
    lifetimes: dict[str, timedelta | None] = dict(
        demo_session.execute(
            text("SELECT token_hash, expires_at - created_at FROM api_tokens WHERE user_id = :u"),
            {"u": user.id},
        ).all()
    )
    assert lifetimes[token_hash(bearer)] == timedelta(minutes=10)
    assert lifetimes[token_hash(key)] == timedelta(days=1)
    assert lifetimes[token_hash(keyless)] is None  # an Open311 key lives until revoked
    # the app uses its settings when it moves a token on
    app = create_app(engine=engine_for(demo_db_url), settings=settings)
    app.dependency_overrides[get_session] = lambda: demo_session
    demo_session.execute(
        text(
            "UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE token_hash = :h"
        ),
        {"h": token_hash(bearer)},
    )
    with TestClient(app) as client:
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {bearer}"})
        assert me.status_code == 200, me.text
    moved = demo_session.scalar(
        text("SELECT expires_at - now() FROM api_tokens WHERE token_hash = :h"),
        {"h": token_hash(bearer)},
    )
    assert moved == timedelta(minutes=10)


def test_logout_revokes_the_callers_token_only(api: Api) -> None:
    second = issue_token(
        session=api.session,
        user=api.session.scalars(select(User).where(User.username == "t-gw")).one(),
    )
    api.client.cookies.set("gridwhistle_token", api.tokens["gw"])
    out = api.call("POST", "/api/auth/logout", "gw")
    assert out.status_code == 204, out.text
    assert 'gridwhistle_token=""' in out.headers["set-cookie"]  # the cookie is cleared
    api.client.cookies.clear()
    assert _token(api, "gw").revoked_at is not None
    _refused_everywhere(api, "gw")
    problem(api.call("POST", "/api/auth/logout", "gw"), 401, "authorization")
    api.tokens["gw-phone"] = second
    assert api.call("GET", "/api/auth/me", "gw-phone").status_code == 200  # another device's
    event = api.session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "token:revoked", AuditEvent.username == "t-gw")
    ).one()
    assert event.data == {"tokens": 1, "reason": "logout"} and event.actor_id == event.user_id


def test_logout_needs_a_bearer_token(api: Api) -> None:
    problem(api.client.post("/api/auth/logout"), 401, "authorization")
    api.client.cookies.set("gridwhistle_token", api.tokens["gw"])
    try:  # a cookie authorises no change, not even a logout (no cross-site form can)
        problem(api.client.post("/api/auth/logout"), 401, "authorization")
    finally:
        api.client.cookies.clear()
    assert _token(api, "gw").revoked_at is None


def test_a_revoked_or_expired_open311_key_is_refused(api: Api) -> None:
    user = create_user(session=api.session, username="t-o311", role=Role.ADMIN, jurisdiction=None)
    api.tokens["key"] = issue_token(session=api.session, user=user, scope=OPEN311_SCOPE)
    url = "/open311/v2/requests.json?api_key={}"
    assert api.client.get(url.format(api.tokens["key"])).status_code == 200
    _set(api, "key", "expires_at = now() - interval '1 second'")
    refused = api.client.get(url.format(api.tokens["key"]))
    assert refused.status_code == 403 and "invalid api_key" in refused.text
    _set(api, "key", "expires_at = NULL, revoked_at = now()")
    refused = api.client.get(url.format(api.tokens["key"]))
    assert refused.status_code == 403 and "invalid api_key" in refused.text
