"""Which driver errors are the database out of reach (503), and which stay a 500."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import errors
from sqlalchemy import exc as sa_exc

from api.app import create_app
from api.config import Settings
from api.db.aio import pool_for
from api.db.outage import CONNECT_TIMEOUT_S, RETRY_AFTER_S, install_handlers, lost_connection
from api.db.session import engine_for


def _wrapped(orig: Exception, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    error = sa_exc.DBAPIError.instance(
        "SELECT 1", None, orig, psycopg.Error, connection_invalidated=invalidated
    )
    assert isinstance(error, sa_exc.DBAPIError)
    return error


AWAY = {
    "refused (libpq, no SQLSTATE)": psycopg.OperationalError("connection refused"),
    "admin shutdown": errors.AdminShutdown("terminating connection"),
    "starting up": errors.CannotConnectNow("the database system is starting up"),
    "connection exception": errors.ConnectionFailure("lost"),
    "too many connections": errors.TooManyConnections("sorry"),
    "wrapped by SQLAlchemy": _wrapped(psycopg.OperationalError("server closed the connection")),
    "invalidated by SQLAlchemy": _wrapped(psycopg.InterfaceError("closed"), invalidated=True),
    "pool timeout": sa_exc.TimeoutError("QueuePool limit of size 20 overflow 20 reached"),
}
NOT_AWAY = {
    "unique violation": errors.UniqueViolation("duplicate key"),
    "cancelled statement": errors.QueryCanceled("canceling statement due to statement timeout"),
    "a batch's earlier failure": errors.PipelineAborted("pipeline aborted"),
    "syntax error": errors.SyntaxError("syntax error at or near"),
    "misuse of the driver": psycopg.InterfaceError("the cursor is closed"),
    "wrapped integrity error": _wrapped(errors.UniqueViolation("duplicate key")),
    "a bug": ValueError("not a database error"),
}


@pytest.mark.parametrize("error", AWAY.values(), ids=AWAY.keys())
def test_lost_connections_are_the_database_away(error: Exception) -> None:
    assert lost_connection(error)


@pytest.mark.parametrize("error", NOT_AWAY.values(), ids=NOT_AWAY.keys())
def test_other_errors_are_not(error: Exception) -> None:
    assert not lost_connection(error)


def _raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def test_a_lost_connection_is_503_problem_json_with_retry_after() -> None:
    response = _raising(_wrapped(psycopg.OperationalError("refused"))).get("/boom")
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_S)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/DatabaseUnavailable"


def test_any_other_driver_error_stays_a_500() -> None:
    response = _raising(_wrapped(errors.UniqueViolation("duplicate key"))).get("/boom")
    assert response.status_code == 500
    assert "retry-after" not in response.headers


@contextmanager
def _silent_server() -> Iterator[str]:
    """A URL of a server that takes connections and never says a word (a host that drops
    what it is sent behaves the same for the client)."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(64)  # the kernel completes the handshakes; nobody accepts
        port = listening.getsockname()[1]
        yield f"postgresql+psycopg://gridwhistle:secret@127.0.0.1:{port}/gridwhistle"


def test_a_server_that_never_answers_is_503_after_the_connect_timeout() -> None:
    answers: list[int] = []
    with _silent_server() as url:
        engine = engine_for(url)
        app = create_app(engine=engine, settings=Settings(environment="test"))
        client = TestClient(app, raise_server_exceptions=False)  # no lifespan: sessions only

        def ask() -> None:
            response = client.get("/api/auth/me", headers={"Authorization": "Bearer x"})
            answers.append(response.status_code)

        started = time.monotonic()
        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        asking.join(timeout=CONNECT_TIMEOUT_S + 10)
        waited = time.monotonic() - started
    engine.dispose()
    assert answers == [503]
    assert CONNECT_TIMEOUT_S - 1 <= waited <= CONNECT_TIMEOUT_S + 5


def test_the_event_loop_pool_gives_up_on_a_silent_server_after_the_connect_timeout() -> None:
    async def open_pool(url: str) -> None:
        await asyncio.wait_for(pool_for(engine_for(url), size=1), CONNECT_TIMEOUT_S + 10)

    with _silent_server() as url:
        started = time.monotonic()
        with pytest.raises(TimeoutError):  # an OSError: DatabaseUnavailable in connection_of
            asyncio.run(open_pool(url))
        waited = time.monotonic() - started
    assert waited <= CONNECT_TIMEOUT_S + 5
