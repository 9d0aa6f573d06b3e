"""The database server killed and started again under the served app.

On a throwaway cluster of its own (killing it does not touch the suite's shared cluster), with
the app served in a thread as in production (event-loop pool, catalogue listener, engine).
Part of the normal suite: about 40 s, most of it creating the cluster and its demo city.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.config import Settings
from api.db.embedded import EmbeddedCluster, EmbeddedDatabaseError, port_in_use
from api.db.migrate import upgrade
from api.db.outage import RETRY_AFTER_S
from api.db.session import engine_for
from api.geography.imports import load_demo_into
from api.routing.snapshot import LISTENER_NAME
from tests.api.support import BUILDING, CENTRE
from tests.browser import serve

PASSWORD = "outage-password-1"
CLIENTS = 8
REPORTS_PER_CLIENT = 30
KILL_AFTER = 40  # reports acknowledged before the server is killed
DOWN_S = 2.0
RECOVERY_S = 10.0  # 2xx again within this long after the restart
DEADLINE_S = 60.0  # for each test's loops


@dataclass
class Throwaway:
    """A cluster of this module's own with the demo city and two committed users."""

    cluster: EmbeddedCluster
    engine: Engine
    worker: str  # the grid worker's username
    tokens: dict[str, str]  # by role: grid_worker, admin


@pytest.fixture(scope="module")
def throwaway() -> Iterator[Throwaway]:
    home = Path(tempfile.mkdtemp(prefix="gw-outage-"))
    cluster = EmbeddedCluster(home, "gridwhistle")
    try:
        cluster.start()
        info = cluster.info()
        assert info is not None
        upgrade(info.url())
        load_demo_into(info.url(), cell_area_m2=400_000)
        engine = engine_for(info.url())
        tokens: dict[str, str] = {}
        worker = f"outage-worker-{uuid.uuid4().hex[:6]}"
        with Session(engine) as session:
            for name, role, jurisdiction in (
                (worker, Role.GRID_WORKER, "110102020"),
                (f"outage-admin-{uuid.uuid4().hex[:6]}", Role.ADMIN, None),
            ):
                user = create_user(
                    session=session,
                    username=name,
                    role=role,
                    jurisdiction=jurisdiction,
                    password=PASSWORD,
                )
                tokens[role] = issue_token(session=session, user=user)
            session.commit()
        yield Throwaway(cluster=cluster, engine=engine, worker=worker, tokens=tokens)
        engine.dispose()
    finally:
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(cluster.root.parent, ignore_errors=True)


def kill(cluster: EmbeddedCluster) -> None:
    """SIGKILL the postmaster; return once it no longer listens."""
    pid, port = cluster.status().pid, cluster.status().port
    assert pid is not None and port is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while port_in_use(port):
        assert time.monotonic() < deadline, "the killed server still listens"
        time.sleep(0.05)


def restart(cluster: EmbeddedCluster) -> float:
    """Start the server again (once the killed one's backends have gone); return when."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.start()
            return time.monotonic()
        except EmbeddedDatabaseError:
            # the previous server's backends still hold its shared memory
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@dataclass
class Answer:
    at: float
    status: int
    retry_after: str | None = None
    content_type: str = ""


@dataclass
class Burst:
    """Clients that submit reports and retry like the phone's outbox (503: after
    Retry-After, with the same Idempotency-Key) until each is acknowledged."""

    base: str
    token: str
    answers: list[Answer] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=dict)  # key: report id
    failures: list[str] = field(default_factory=list)
    stop_at: float = field(default_factory=lambda: time.monotonic() + DEADLINE_S)

    def client(self, n: int) -> None:
        categories = ("E0401", "E0101")
        with httpx.Client(base_url=self.base, timeout=30) as http:
            for i in range(REPORTS_PER_CLIENT):
                key = f"burst-{n}-{i}-{uuid.uuid4().hex[:8]}"
                body = {
                    "geometry": {"type": "Point", "coordinates": list(CENTRE)},
                    "category": categories[i % 2],
                }
                headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
                while time.monotonic() < self.stop_at:
                    try:
                        response = http.post("/api/reports", json=body, headers=headers)
                    except httpx.TransportError as exc:
                        self.failures.append(f"{key}: {exc!r}")
                        return
                    self.answers.append(
                        Answer(
                            time.monotonic(),
                            response.status_code,
                            response.headers.get("retry-after"),
                            response.headers.get("content-type", ""),
                        )
                    )
                    if response.status_code in (200, 201):
                        self.acknowledged[key] = response.json()["id"]
                        break
                    if response.status_code != 503:
                        self.failures.append(f"{key}: {response.status_code} {response.text}")
                        return
                    time.sleep(float(response.headers.get("retry-after", "1")))


def test_a_burst_of_reports_rides_out_a_killed_database(throwaway: Throwaway) -> None:
    app = create_app(engine=throwaway.engine, settings=Settings(environment="test"))
    with serve(app) as base:
        pool = app.state.reports_pool
        burst = Burst(base=base, token=throwaway.tokens[Role.GRID_WORKER])
        clients = [threading.Thread(target=burst.client, args=(n,)) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        while len(burst.acknowledged) < KILL_AFTER and time.monotonic() < burst.stop_at:
            time.sleep(0.01)
        killed_at = time.monotonic()
        kill(throwaway.cluster)
        time.sleep(DOWN_S)
        up_at = restart(throwaway.cluster)
        for thread in clients:
            thread.join(timeout=max(0.0, burst.stop_at - time.monotonic()) + 5)
        # the same service throughout: its server thread and its event-loop pool
        assert app.state.reports_pool is pool
        with httpx.Client(base_url=base) as http:
            assert http.get("/api/health").status_code == 200

    assert burst.failures == []
    assert not any(thread.is_alive() for thread in clients)
    assert len(burst.acknowledged) == CLIENTS * REPORTS_PER_CLIENT
    refused = [a for a in burst.answers if a.status == 503]
    assert refused, "the outage was not noticed: kill earlier"
    assert all(a.at >= killed_at for a in refused)
    assert all(a.retry_after and a.content_type == "application/problem+json" for a in refused)
    after = sorted(a.at for a in burst.answers if a.at >= up_at and a.status in (200, 201))
    assert after and after[0] - up_at <= RECOVERY_S
    assert all(a.at - up_at <= RECOVERY_S for a in refused)

    with throwaway.engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT r.idempotency_key, r.id FROM reports r JOIN users u "
                "ON u.id = r.reporter_id WHERE u.username = :name AND r.idempotency_key "
                "LIKE 'burst-%'"
            ),
            {"name": throwaway.worker},
        ).all()
    keys = [row.idempotency_key for row in stored]
    assert len(keys) == len(set(keys))  # none stored twice
    assert dict(stored) == burst.acknowledged  # each acknowledged one stored, as answered


def _calls(throwaway: Throwaway, report_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """One request of each kind the pools serve: a login and a token check (engine, on a
    worker thread), a report read (engine), a point submitted (event-loop pool), a footprint
    submitted (engine, a session)."""
    admin = {"Authorization": f"Bearer {throwaway.tokens[Role.ADMIN]}"}
    reporter = {"Authorization": f"Bearer {throwaway.tokens[Role.GRID_WORKER]}"}
    body = {"geometry": {"type": "Point", "coordinates": list(CENTRE)}, "category": "E0401"}
    login = {"username": throwaway.worker, "password": PASSWORD}
    return [
        ("POST", "/api/auth/login", {"json": login}),
        ("GET", "/api/auth/me", {"headers": admin}),
        ("GET", f"/api/reports/{report_id}", {"headers": admin}),
        (
            "POST",
            "/api/reports",
            {"json": body, "headers": {**reporter, "Idempotency-Key": uuid.uuid4().hex}},
        ),
        (
            "POST",
            "/api/reports",
            {
                "json": {"geometry": BUILDING, "category": "E0303"},
                "headers": {**reporter, "Idempotency-Key": uuid.uuid4().hex},
            },
        ),
    ]


def _at_once(
    base: str, calls: list[tuple[str, str, dict[str, Any]]], times: int
) -> list[tuple[str, httpx.Response]]:
    """Each call ``times`` times, all at once (so that each pool hands out several
    connections); the path and answer of each."""
    answers: list[tuple[str, httpx.Response]] = []

    def run(method: str, url: str, kwargs: dict[str, Any]) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            answers.append((url, http.request(method, url, **kwargs)))

    threads = [threading.Thread(target=run, args=call) for call in calls for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DEADLINE_S)
    return answers


def _first_report(base: str, token: str) -> int:
    with httpx.Client(base_url=base, timeout=30) as http:
        body = {"geometry": {"type": "Point", "coordinates": list(CENTRE)}, "category": "E0101"}
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        response = http.post("/api/reports", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _listening(engine: Engine) -> bool:
    """Whether the catalogue listener's connection is open."""
    with engine.connect() as conn:
        found = conn.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": LISTENER_NAME},
        )
    return bool(found)


def test_no_request_meets_a_connection_of_the_killed_server(throwaway: Throwaway) -> None:
    """Pooled connections die with the server while no request runs; after the restart, the
    first requests on every pool succeed and the catalogue listener listens again."""
    app = create_app(engine=throwaway.engine, settings=Settings(environment="test"))
    with serve(app) as base:
        report_id = _first_report(base, throwaway.tokens[Role.GRID_WORKER])
        calls = _calls(throwaway, report_id)
        warm = _at_once(base, calls, times=4)
        assert all(r.status_code in (200, 201) for _, r in warm), warm
        kill(throwaway.cluster)
        restart(throwaway.cluster)
        answers = _at_once(base, calls, times=4)
        deadline = time.monotonic() + RECOVERY_S
        while not _listening(throwaway.engine) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _listening(throwaway.engine)
    failed = [(url, r.status_code, r.text[:200]) for url, r in answers if r.status_code >= 300]
    assert failed == []
    assert len(answers) == 4 * len(calls)


def test_every_route_answers_503_with_retry_after_while_the_database_is_away(
    throwaway: Throwaway,
) -> None:
    app = create_app(engine=throwaway.engine, settings=Settings(environment="test"))
    admin = {"Authorization": f"Bearer {throwaway.tokens[Role.ADMIN]}"}
    with serve(app) as base:
        report_id = _first_report(base, throwaway.tokens[Role.GRID_WORKER])
        calls = _calls(throwaway, report_id)
        # every GET of the OpenAPI document that takes no path parameter
        listed = [
            ("GET", path, {"headers": admin})
            for path, operations in app.openapi()["paths"].items()
            if "get" in operations and "{" not in path and path != "/api/health"
        ]
        kill(throwaway.cluster)
        try:
            answers = _at_once(base, calls, times=2)
            others = _at_once(base, listed, times=1)
        finally:
            restart(throwaway.cluster)
    assert sorted((url, r.status_code) for url, r in answers) == sorted(
        (url, 503) for _, url, _ in calls * 2
    )
    server_errors = {url: r.status_code for url, r in others if r.status_code >= 500}
    assert set(server_errors.values()) == {503}, server_errors
    for _, response in [*answers, *others]:
        if response.status_code == 503:
            assert response.headers["retry-after"] == str(RETRY_AFTER_S)
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["status"] == 503 and problem["retry_after"] == RETRY_AFTER_S
