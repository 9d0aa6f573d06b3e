"""The audit trail: logins, account changes and token revocations, listed newest first for
administrators (GET /api/audit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import create_user, revoke_tokens, set_password
from tests.api.support import Api, problem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _audit(api: Api, query: str = "", user: str | None = "admin") -> list[dict[str, object]]:
    answer = api.call("GET", f"/api/audit{query}", user)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def test_only_administrators_read_the_audit_trail(api: Api) -> None:
    problem(api.client.get("/api/audit"), 401, "authorization")
    for user in ("analyst", "gw", "xicheng", "xc-cgzf", "worker-gw"):
        problem(api.call("GET", "/api/audit", user), 403, "authorization")
    assert _audit(api)  # the users the tests made are there


def test_account_changes_and_revocations_are_listed_newest_first(api: Api) -> None:
    admin = api.session.scalars(select(User).where(User.username == "t-admin")).one()
    with time_machine.travel(T0, tick=False) as clock:
        user = create_user(
            session=api.session,
            username="t-new",
            role=Role.STREET,
            jurisdiction="110102020",
            password="a-long-password",
            actor_id=admin.id,
        )
        clock.shift(60)
        assert set_password(session=api.session, user=user, password="another-password") == 0
        clock.shift(60)
        gw = api.session.scalars(select(User).where(User.username == "t-gw")).one()
        assert revoke_tokens(session=api.session, user=gw, actor_id=admin.id) == 1
    about_new = _audit(api, "?user=t-new")
    minute = (T0 + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert [(e["kind"], e["at"]) for e in about_new] == [
        ("token:revoked", minute),  # a new password revokes the user's tokens
        ("user:changed", minute),
        ("user:created", T0.isoformat().replace("+00:00", "Z")),
    ]
    assert about_new[0]["data"] == {"tokens": 0, "reason": "password"}
    assert about_new[1]["data"] == {"changed": ["password"]}
    assert about_new[2]["data"] == {"role": "street", "jurisdiction": "110102020"}
    assert about_new[2]["actor_id"] == admin.id and about_new[2]["user_id"] == user.id
    (revoked,) = _audit(api, "?kind=token:revoked&user=t-gw")
    assert revoked["username"] == "t-gw"
    assert revoked["data"] == {"tokens": 1, "reason": "revoke"}
    # the trail is a log: newest first, at most limit
    newest = _audit(api, "?user=t-new&limit=2")
    assert newest == about_new[:2]


def test_logins_are_listed_with_their_address(api: Api) -> None:
    create_user(
        session=api.session,
        username="t-pw",
        role=Role.ANALYST,
        jurisdiction=None,
        password="a-long-password",
    )
    ok = api.client.post(
        "/api/auth/login", json={"username": "t-pw", "password": "a-long-password"}
    )
    assert ok.status_code == 200
    wrong = {"username": "t-pw", "password": "not-the-password"}
    problem(api.client.post("/api/auth/login", json=wrong), 401, "password")
    logins = _audit(api, "?user=t-pw")
    assert [(e["kind"], e["address"]) for e in logins[:2]] == [
        ("login:failed", "testclient"),
        ("login", "testclient"),
    ]
    assert [e["kind"] for e in _audit(api, "?kind=login&user=t-pw")] == ["login"]


def test_a_malformed_query_names_the_parameter(api: Api) -> None:
    for query, field in (
        ("?kind=logout", "kind"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?user=", "user"),
        ("?user=a%00b", "user"),
        ("?user=a%ffb", "user"),
    ):
        problem(api.call("GET", f"/api/audit{query}", "admin"), 422, field)
