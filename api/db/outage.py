"""The database out of reach: one domain error (503 with Retry-After) and what counts as one.

While PostgreSQL is down or restarting, every statement fails at the connection: refused,
reset, closed under the statement, "the database system is starting up". These are not the
request's fault nor a bug, so the client is told to come back (503, ``Retry-After``) instead
of a 500. Everything else a driver raises (a constraint, a syntax error, a misuse of the
driver) stays what it is.

Pooled connections that died while the server was away are found before use: the engine
checks each one as it leaves the pool (``hung_up``, ``api.db.session``), the event-loop pool
replaces closed ones itself (``api.db.aio``).
"""

from __future__ import annotations

import select
from typing import Any, ClassVar

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg.errors import PipelineAborted
from sqlalchemy import exc as sa_exc

from api.errors import PROBLEM_JSON, DomainError

# how long a client should wait before trying again (a restart and its crash recovery take
# seconds)
RETRY_AFTER_S = 5
# a server that has not answered a new connection within this is away (without it, a host
# that drops packets keeps the request waiting for the kernel's TCP timeout: minutes)
CONNECT_TIMEOUT_S = 10

# SQLSTATEs that mean the server cannot serve this connection: class 08 (connection
# exception, any code), shutting down or starting up (57P01-57P03), too many connections
_CONNECTION_CLASS = "08"
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


class DatabaseUnavailable(DomainError):
    """The database cannot be reached; the request may be sent again later."""

    status = 503
    title = "Service unavailable"
    retry_after_s: ClassVar[int] = RETRY_AFTER_S

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or f"the database cannot be reached; retry in {self.retry_after_s} s",
            retry_after=self.retry_after_s,
        )


def unavailable_state(sqlstate: str | None) -> bool:
    """Whether a server error's SQLSTATE says the server cannot serve the connection.

    >>> unavailable_state("57P03"), unavailable_state("08006"), unavailable_state("23505")
    (True, True, False)
    """
    return sqlstate is not None and (
        sqlstate.startswith(_CONNECTION_CLASS) or sqlstate in _UNAVAILABLE_STATES
    )


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` (psycopg's, or SQLAlchemy's around it) is the database out of reach:
    no connection could be made or kept, or the pool had none to give in time."""
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection busy for pool_timeout
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        return lost_connection(exc.orig) if exc.orig is not None else False
    if isinstance(exc, PipelineAborted):  # an earlier statement of the batch failed
        return False
    if isinstance(exc, psycopg.OperationalError):
        # no SQLSTATE: libpq's own error (refused, reset, closed, timed out)
        return exc.sqlstate is None or unavailable_state(exc.sqlstate)
    return False


def hung_up(conn: psycopg.Connection[Any]) -> bool:
    """Whether the server closed ``conn`` while it sat idle in the pool (no round trip).

    An idle connection has nothing to read: anything readable is the end of the stream or
    the server's last words (a FATAL before it shut down).
    """
    if conn.closed or conn.broken:
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def install_handlers(app: FastAPI) -> None:
    """Answer a lost database connection with 503 problem+json and ``Retry-After``; other
    driver errors go on to the server's 500."""

    @app.exception_handler(DatabaseUnavailable)
    async def _unavailable(request: Request, exc: DatabaseUnavailable) -> JSONResponse:
        return JSONResponse(
            exc.problem(str(request.url.path)),
            exc.status,
            headers={"Retry-After": str(exc.retry_after_s)},
            media_type=PROBLEM_JSON,
        )

    async def _driver(request: Request, exc: Exception) -> JSONResponse:
        if not lost_connection(exc):
            raise exc
        return await _unavailable(request, DatabaseUnavailable())

    for kind in (psycopg.OperationalError, sa_exc.DBAPIError, sa_exc.TimeoutError):
        app.add_exception_handler(kind, _driver)
