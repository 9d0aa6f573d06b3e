"""Logins: failed ones slow, then refuse, further attempts for a username or a client address
(429 with Retry-After, the counts in the database); passwords have a minimum length; every
attempt is an audit event."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth import throttle
from api.auth.models import AuditEvent, LoginThrottle
from api.auth.roles import Role
from api.auth.service import create_user
from api.auth.throttle import LoginPolicy
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from api.errors import InvalidInput
from tests.api.support import USERS, Api, issue_tokens, problem

PASSWORD = "correct-horse"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a fixed instant: the tests travel from it


@pytest.fixture
def logins(demo_session: Session, demo_db_url: str) -> Any:
    """A client of the app whose users ``t-gw`` and ``t-tpq`` have the password PASSWORD."""
    issue_tokens(demo_session, {k: USERS[k] for k in ("gw", "tpq")}, password=PASSWORD)

    def client(**settings: Any) -> TestClient:
        app = create_app(
            engine=engine_for(demo_db_url),
            settings=Settings(environment="test", report_connections=0, **settings),
        )
        app.dependency_overrides[get_session] = lambda: demo_session
        return TestClient(app)

    return client


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_twenty_wrong_passwords_at_once_are_refused_after_three(logins: Any) -> None:
    with logins() as client, time_machine.travel(T0, tick=False):
        answers = [_login(client, "t-gw", "wrong-password") for _ in range(20)]
        assert [a.status_code for a in answers] == [401] * 3 + [429] * 17
        for refused in answers[3:]:
            body = problem(refused, 429, "username")
            assert refused.headers["retry-after"] == "1" and body["retry_after"] == 1
            assert "3 failed logins for this username" in body["detail"]
        # the right password is refused too while the wait lasts, unchecked
        problem(_login(client, "t-gw", PASSWORD), 429, "username")


def test_twenty_wrong_passwords_a_second_apart_wait_longer_and_longer(logins: Any) -> None:
    with logins() as client, time_machine.travel(T0, tick=False) as clock:
        answers = []
        for _ in range(20):
            answers.append(_login(client, "t-gw", "wrong-password"))
            clock.shift(1)
        # 3 free failures, then each further one waits 1, 2, 4, 8 … s after the last
        assert [a.status_code for a in answers] == (
            [401] * 4 + [429] + [401] + [429] * 3 + [401] + [429] * 7 + [401] + [429] * 2
        )
        # second 17 was the 7th failure: 16 s to wait from then
        assert [answers[t].headers["retry-after"] for t in (18, 19)] == ["15", "14"]


def test_a_locked_username_logs_in_after_the_lock(logins: Any) -> None:
    with logins() as client, time_machine.travel(T0, tick=False) as clock:
        for _ in range(10):  # each after the wait the last one asked for: no 429
            answer = _login(client, "t-gw", "wrong-password")
            assert answer.status_code == 401, answer.text
            clock.shift(200)
        clock.shift(-200 + 1)  # a second after the tenth failure
        locked = _login(client, "t-gw", PASSWORD)
        problem(locked, 429, "username")
        assert int(locked.headers["retry-after"]) == 15 * 60 - 1
        assert _login(client, "t-tpq", PASSWORD).status_code == 200  # another user: not locked
        clock.shift(15 * 60)
        assert _login(client, "t-gw", PASSWORD).status_code == 200
        # a login forgets the username's failures
        assert _login(client, "t-gw", "wrong-password").status_code == 401
        assert _login(client, "t-gw", "wrong-password").status_code == 401


def test_one_client_address_guessing_many_usernames_is_refused(logins: Any) -> None:
    settings = {"login_address_free_failures": 2, "login_address_lock_failures": 4}
    with logins(**settings) as client, time_machine.travel(T0, tick=False) as clock:
        for n in range(4):
            assert _login(client, f"nobody-{n}", "wrong-password").status_code == 401
            clock.shift(60)
        refused = _login(client, "t-gw", PASSWORD)  # even a good password, from there
        body = problem(refused, 429, "username")
        assert "client address" in body["detail"]
        assert int(refused.headers["retry-after"]) == 15 * 60 - 60


def test_the_counts_are_shared_through_the_database(logins: Any, demo_session: Session) -> None:
    """Two apps (two worker processes) see one username's failures."""
    with logins() as one, logins() as two, time_machine.travel(T0, tick=False):
        for client in (one, two, one):
            assert _login(client, "t-gw", "wrong-password").status_code == 401
        problem(_login(two, "t-gw", PASSWORD), 429, "username")
    counts = {
        (row.kind, row.subject): row.failures for row in demo_session.scalars(select(LoginThrottle))
    }
    assert counts == {("username", "t-gw"): 3, ("address", "testclient"): 3}


def test_the_waits_double_up_to_the_lock() -> None:
    policy = LoginPolicy(free=3, lock=10, address_free=5, address_lock=6, delay_s=2, lock_s=60)
    waits = [policy.wait_s("username", n) for n in range(12)]
    assert waits == [0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert [policy.wait_s("address", n) for n in (4, 5, 6)] == [0, 2, 60]


def test_logins_are_audit_events(logins: Any, demo_session: Session) -> None:
    with logins() as client, time_machine.travel(T0, tick=False) as clock:
        assert _login(client, "t-gw", PASSWORD).status_code == 200
        clock.shift(1)
        assert _login(client, "t-gw", "wrong-password").status_code == 401
        clock.shift(1)
        assert _login(client, "nobody", "wrong-password").status_code == 401
    events = demo_session.scalars(
        select(AuditEvent).where(AuditEvent.kind.like("login%")).order_by(AuditEvent.id)
    ).all()
    seen = [(e.kind, e.username, e.address, e.data.get("reason")) for e in events]
    assert seen == [
        ("login", "t-gw", "testclient", None),
        ("login:failed", "t-gw", "testclient", "wrong password"),
        ("login:failed", "nobody", "testclient", "unknown username"),
    ]
    assert events[0].user_id is not None and events[2].user_id is None
    assert events[1].at - events[0].at == timedelta(seconds=1)


def test_a_short_password_is_refused_naming_the_field(demo_session: Session) -> None:
    with pytest.raises(InvalidInput, match="at least 10 characters") as refused:
        create_user(
            session=demo_session,
            username="t-short",
            role=Role.ADMIN,
            jurisdiction=None,
            password="123456789",
        )
    assert refused.value.field == "password" and refused.value.status == 422
    # the minimum is a setting
    user = create_user(
        session=demo_session,
        username="t-short",
        role=Role.ADMIN,
        jurisdiction=None,
        password="1234",
        password_min_length=4,
    )
    assert user.password_hash


def test_a_wrong_body_counts_no_failure(api: Api) -> None:
    for body in ({"username": "t-gw"}, {"username": "", "password": "x"}):
        assert api.client.post("/api/auth/login", json=body).status_code == 422
    assert api.session.scalar(select(LoginThrottle)) is None


def test_the_examples_in_the_docstrings_hold() -> None:
    assert doctest.testmod(throttle).failed == 0
