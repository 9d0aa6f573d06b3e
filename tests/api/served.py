"""The app served over real HTTP on a loopback port with committed users (the event-loop
report path runs only in a served app: its pool opens in the lifespan)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.app import create_app
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.config import Settings
from api.db.aio import APPLICATION_NAME
from api.db.session import engine_for
from tests.browser import serve

TABLES = ("cases", "case_streets", "case_events", "reports", "report_photos")
USERS = {
    "worker-gw": (Role.GRID_WORKER, "110102020"),
    "worker-far": (Role.GRID_WORKER, "110101001"),
}


@dataclass
class Served:
    """The app served on a loopback port, with committed users' tokens."""

    app: FastAPI
    client: httpx.Client
    tokens: dict[str, str]
    engine: Engine

    def post(self, user: str | None, body: dict[str, Any], key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post("/api/reports", json=body, headers=headers)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {t: int(conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in TABLES}

    def pool_queries(self) -> list[str]:
        """The last statement of each of the event-loop pool's connections."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    text(
                        "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = :name"
                    ),
                    {"name": APPLICATION_NAME},
                )
            )


@pytest.fixture
def served(demo_db_url: str) -> Iterator[Served]:
    engine = engine_for(demo_db_url)
    tokens: dict[str, str] = {}
    ids: list[int] = []
    with Session(engine) as session:
        for name, (role, jurisdiction) in USERS.items():
            user = create_user(
                session=session,
                username=f"loop-{name}-{uuid.uuid4().hex[:6]}",
                role=role,
                jurisdiction=jurisdiction,
            )
            tokens[name] = issue_token(session=session, user=user)
            ids.append(user.id)
        session.commit()
    app = create_app(engine=engine, settings=Settings(environment="test"))
    try:
        with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
            yield Served(app=app, client=client, tokens=tokens, engine=engine)
    finally:
        remove_committed_users(engine, ids)


def remove_committed_users(engine: Engine, user_ids: list[int]) -> None:
    """Delete committed users, their tokens, their reports (with photos) and the cases those
    reports went to, with the cases' streets and events (tests that serve the app for real)."""
    cases = "SELECT case_id FROM reports WHERE reporter_id = ANY(:u)"
    with engine.begin() as conn:
        doomed = [r[0] for r in conn.execute(text(cases), {"u": user_ids})]
        conn.execute(
            text(
                "DELETE FROM report_photos WHERE report_id IN (SELECT id FROM reports "
                "WHERE reporter_id = ANY(:u))"
            ),
            {"u": user_ids},
        )
        for table in ("case_events", "case_streets"):
            conn.execute(text(f"DELETE FROM {table} WHERE case_id = ANY(:c)"), {"c": doomed})
        conn.execute(text("DELETE FROM reports WHERE reporter_id = ANY(:u)"), {"u": user_ids})
        conn.execute(text("DELETE FROM cases WHERE id = ANY(:c)"), {"c": doomed})
        conn.execute(text("DELETE FROM api_tokens WHERE user_id = ANY(:u)"), {"u": user_ids})
        conn.execute(text("DELETE FROM users WHERE id = ANY(:u)"), {"u": user_ids})


def wait_healthy(base: str, proc: subprocess.Popen[bytes], *, within_s: float = 90) -> None:
    """Wait until the ``gridwhistle serve`` process ``proc`` answers ``/api/health`` at
    ``base``; fail with its output if it exits first or ``within_s`` passes."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert time.monotonic() < deadline, "the service did not come up"
        time.sleep(0.2)
