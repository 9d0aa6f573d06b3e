"""The event-loop submission remembers tokens' actors and routes with in-process facts; its
guarded write notices at once when either went stale (``api.reports.loop``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings
from api.db import aio
from api.db.session import engine_for
from tests.api.served import Served, remove_committed_users
from tests.api.support import PIN, problem
from tests.browser import serve
from tests.conftest import TEST_CELL_AREA_M2


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the event-loop submission runs (the served app runs in this process)."""
    seen: list[str] = []
    real = aio.execute

    async def counted(conn: aio.Connection, query: Any) -> list[Any]:
        seen.append(query.statement.text.split(" AS ", 1)[0])
        return await real(conn, query)

    monkeypatch.setattr(aio, "execute", counted)
    return seen


def _user_of(served: Served, name: str) -> int:
    with served.engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                    "WHERE u.username LIKE :pattern"
                ),
                {"pattern": f"loop-{name}-%"},
            )
        )


def _update_user(served: Served, name: str, assignment: str) -> None:
    with served.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE users SET {assignment} WHERE id = :id"), {"id": _user_of(served, name)}
        )


def _key() -> str:
    return f"guard-{uuid.uuid4().hex}"


def test_a_remembered_token_takes_one_statement(served: Served, statements: list[str]) -> None:
    first = served.post("worker-gw", PIN, key=_key())
    assert first.status_code == 201, first.text
    assert len(statements) == 2  # the token's reporter, then the guarded write
    second = served.post("worker-gw", {**PIN, "description": "again"}, key=_key())
    assert second.status_code == 201, second.text
    assert len(statements) == 3  # the guarded write alone
    assert second.json()["case_id"] == first.json()["case_id"]  # a duplicate, attached
    assert second.json()["routing"] == first.json()["routing"]


def test_a_remembered_token_revoked_is_refused_at_once(served: Served) -> None:
    assert served.post("worker-gw", PIN, key=_key()).status_code == 201
    key = _key()
    replayable = served.post("worker-gw", PIN, key=key)
    assert replayable.status_code == 201
    token = served.tokens["worker-gw"]
    assert served.app.state.reporters.get(token) is not None
    _update_user(served, "worker-gw", "active = false")
    before = served.counts()
    problem(served.post("worker-gw", PIN, key=_key()), 401, "authorization")
    problem(served.post("worker-gw", PIN, key=key), 401, "authorization")  # not a replay
    assert served.counts() == before
    assert served.app.state.reporters.get(token) is None


def test_a_moved_worker_is_refused_where_it_no_longer_works(served: Served) -> None:
    assert served.post("worker-gw", PIN, key=_key()).status_code == 201
    _update_user(served, "worker-gw", "jurisdiction = '110101001'")  # to 东华门街道
    before = served.counts()
    problem(served.post("worker-gw", PIN, key=_key()), 403, "geometry")
    assert served.counts() == before


def test_a_worker_moved_here_may_report_at_once(served: Served) -> None:
    problem(served.post("worker-far", PIN, key=_key()), 403, "geometry")  # remembered, refused
    _update_user(served, "worker-far", "jurisdiction = '110102020'")  # to 广安门外街道
    answer = served.post("worker-far", PIN, key=_key())
    assert answer.status_code == 201, answer.text
    with served.engine.connect() as conn:
        actor = conn.execute(
            text(
                "SELECT e.actor_id, r.reporter_id FROM case_events e JOIN reports r "
                "ON r.id = (e.data ->> 'report_id')::bigint WHERE r.id = :r"
            ),
            {"r": answer.json()["id"]},
        ).one()
    assert actor.actor_id == actor.reporter_id == _user_of(served, "worker-far")


def test_a_renamed_worker_reports_under_the_new_name(served: Served) -> None:
    assert served.post("worker-gw", PIN, key=_key()).status_code == 201
    _update_user(served, "worker-gw", "display_name = '新名字'")
    answer = served.post("worker-gw", PIN, key=_key())
    assert answer.status_code == 201, answer.text
    with served.engine.connect() as conn:
        name = conn.scalar(
            text("SELECT reporter_name FROM reports WHERE id = :r"), {"r": answer.json()["id"]}
        )
    assert name == "新名字"


@pytest.fixture
def fresh_city(make_database: Callable[[str], str]) -> Iterator[str]:
    """A demo database of this test's own (it loads a second generation)."""
    from api.geography.imports import load_demo_into

    url = make_database(f"gen_{uuid.uuid4().hex[:6]}")
    load_demo_into(url, cell_area_m2=TEST_CELL_AREA_M2)
    yield url


def test_a_new_generation_is_routed_in_at_once(fresh_city: str) -> None:
    from api.auth.roles import Role
    from api.auth.service import create_user, issue_token
    from api.geography.imports import load_demo

    engine = engine_for(fresh_city)
    settings = Settings(environment="test")
    with Session(engine) as session:
        user = create_user(
            session=session, username="gen-worker", role=Role.GRID_WORKER, jurisdiction="110102020"
        )
        token = issue_token(session=session, user=user)
        session.commit()
        user_id = user.id
    app = create_app(engine=engine, settings=settings)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with serve(app) as base, httpx.Client(base_url=base, timeout=60) as client:
            first = client.post(
                "/api/reports", json=PIN, headers={**headers, "Idempotency-Key": _key()}
            )
            assert first.status_code == 201, first.text
            old = first.json()["routing"]["generation"]
            assert app.state.city_facts.generation == old
            with Session(engine) as session:
                new, loaded = load_demo(
                    session=session,
                    data_dir=settings.data_dir,
                    seed=settings.demo_seed,
                    cell_area_m2=TEST_CELL_AREA_M2,
                    force=True,
                )
                session.commit()
                new_id = new.id
            assert loaded and new_id > old
            second = client.post(
                "/api/reports", json=PIN, headers={**headers, "Idempotency-Key": _key()}
            )
            assert second.status_code == 201, second.text
            assert second.json()["routing"]["generation"] == new_id
            assert app.state.city_facts.generation == new_id
        with engine.connect() as conn:
            stored = conn.scalar(
                text("SELECT generation FROM reports WHERE id = :r"), {"r": second.json()["id"]}
            )
        assert stored == new_id
    finally:
        remove_committed_users(engine, [user_id])


def test_an_open311_key_is_refused_on_the_event_loop(served: Served) -> None:
    from api.auth.models import User
    from api.auth.service import OPEN311_SCOPE, issue_token

    with Session(served.engine) as session:
        user = session.get(User, _user_of(served, "worker-gw"))
        assert user is not None
        served.tokens["key"] = issue_token(session=session, user=user, scope=OPEN311_SCOPE)
        session.commit()
    assert served.post("worker-gw", PIN, key=_key()).status_code == 201  # its bearer token
    before = served.counts()
    problem(served.post("key", PIN, key=_key()), 401, "authorization")
    assert served.counts() == before
