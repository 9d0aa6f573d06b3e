"""Retries racing each other over real HTTP and real connections store one report."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.cases.service import utcnow
from api.config import Settings
from api.db.session import engine_for
from api.reports.service import Limits, Submission
from api.routing.service import rules_from
from geo.coords import CoordinateSystem
from tests.api.served import remove_committed_users
from tests.api.support import CENTRE
from tests.browser import serve

RACERS = 8


@pytest.fixture
def worker_token(demo_db_url: str) -> Iterator[tuple[str, int]]:
    """A committed grid worker of 广外 with a token; it and its reports are removed afterwards."""
    engine = engine_for(demo_db_url)
    with Session(engine) as session:
        user = create_user(
            session=session,
            username=f"racer-{uuid.uuid4().hex[:8]}",
            role=Role.GRID_WORKER,
            jurisdiction="110102020",
        )
        token = issue_token(session=session, user=user, label="race")
        session.commit()
        user_id = user.id
    yield token, user_id
    remove_committed_users(engine, [user_id])


def test_simultaneous_retries_with_one_key_store_one_report(
    demo_db_url: str, worker_token: tuple[str, int]
) -> None:
    token, user_id = worker_token
    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    key = f"race-{uuid.uuid4().hex}"
    body = {"geometry": {"type": "Point", "coordinates": list(CENTRE)}, "category": "E0401"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, int]] = []
    failures: list[str] = []

    def race(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            start.wait()
            response = client.post("/api/reports", json=body, headers=headers)
            if response.status_code in (200, 201):
                answers.append((response.status_code, response.json()["id"]))
            else:
                failures.append(f"{response.status_code} {response.text[:200]}")

    with serve(app) as base:
        threads = [threading.Thread(target=race, args=(base,)) for _ in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    assert len(answers) == RACERS
    assert sorted(status for status, _ in answers) == [200] * (RACERS - 1) + [201]
    assert len({report_id for _, report_id in answers}) == 1
    with Session(engine_for(demo_db_url)) as session:
        stored = session.execute(
            text("SELECT id FROM reports WHERE reporter_id = :u AND idempotency_key = :k"),
            {"u": user_id, "k": key},
        ).all()
    assert [row.id for row in stored] == [answers[0][1]]


def test_simultaneous_reports_of_one_problem_count_every_reporter(
    demo_db_url: str, worker_token: tuple[str, int]
) -> None:
    """Reports of one problem arriving together attach to the open case; none is lost from its
    count, and each attached event says how many had reported by then."""
    token, _ = worker_token
    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    body = {"geometry": {"type": "Point", "coordinates": list(CENTRE)}, "category": "E0101"}
    auth = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(RACERS)
    answers: list[dict[str, object]] = []
    failures: list[str] = []

    def race(base: str, n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            start.wait()
            headers = {**auth, "Idempotency-Key": f"attach-{n}-{uuid.uuid4().hex}"}
            response = client.post("/api/reports", json=body, headers=headers)
            if response.status_code == 201:
                answers.append(response.json())
            else:
                failures.append(f"{response.status_code} {response.text[:200]}")

    with serve(app) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            first = client.post(
                "/api/reports", json=body, headers={**auth, "Idempotency-Key": "a0"}
            )
        assert first.status_code == 201, first.text
        case_id = first.json()["case_id"]
        threads = [threading.Thread(target=race, args=(base, n)) for n in range(RACERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    assert {a["case_id"] for a in answers} == {case_id}
    assert all(a["attached"] for a in answers)
    with Session(engine_for(demo_db_url)) as session:
        count = session.scalar(text("SELECT report_count FROM cases WHERE id = :c"), {"c": case_id})
        reports = session.scalar(
            text("SELECT count(*) FROM reports WHERE case_id = :c"), {"c": case_id}
        )
        told = session.scalars(
            text(
                "SELECT (data->>'reporters')::int FROM case_events "
                "WHERE case_id = :c AND kind = 'report:attached' ORDER BY id"
            ),
            {"c": case_id},
        ).all()
    assert count == reports == RACERS + 1
    assert told == list(range(2, RACERS + 2))


def test_simultaneous_retries_on_sessions_store_one_report(
    demo_db_url: str, worker_token: tuple[str, int]
) -> None:
    """The session path (footprints, tests, Open311) resolves the same race the same way."""
    token, user_id = worker_token
    engine = engine_for(demo_db_url)
    settings = Settings(environment="test")
    key = f"session-race-{uuid.uuid4().hex}"
    start = threading.Barrier(RACERS)
    answers: list[tuple[int, bool]] = []
    failures: list[str] = []

    def race() -> None:
        with Session(engine) as session:
            start.wait()
            try:
                done = Submission(
                    who=token,
                    geometry=shapely.Point(*CENTRE),
                    crs=CoordinateSystem.WGS84,
                    category="E0401",
                    description="",
                    source="patrol",
                    reporter_name="",
                    accuracy_m=None,
                    photos=[],
                    idempotency_key=key,
                    rules=rules_from(settings.data_dir),
                    limits=Limits.of(settings),
                    at=utcnow(),
                ).run(session)
                session.commit()
            except Exception as exc:
                failures.append(repr(exc))
                return
            answers.append((done.report_id, done.replayed))

    threads = [threading.Thread(target=race) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len({report_id for report_id, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * (RACERS - 1)
    with Session(engine) as session:
        stored = session.scalar(
            text("SELECT count(*) FROM reports WHERE reporter_id = :u AND idempotency_key = :k"),
            {"u": user_id, "k": key},
        )
    assert stored == 1
