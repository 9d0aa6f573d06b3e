"""Raw statements and the two ways they run.

The service reaches PostgreSQL through SQLAlchemy: the ORM and Core for most things, and
``text()`` for the statements PostGIS-heavy or tuned enough to be written as SQL (each says
why where it is defined). A raw statement keeps SQLAlchemy's ``:name`` parameters and runs
either on a session (``rows``, or ``committing`` for the report submission on a session) or
on the report submission's asyncpg connection (``api.db.aio``, which converts the parameters
itself, in one place). Both give rows whose columns are attributes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Query:
    """A statement with its parameters."""

    statement: TextClause
    params: dict[str, Any] = field(default_factory=dict)


@cache
def sql_file(package: str, name: str) -> TextClause:
    """The statement in ``package``'s ``sql/`` folder called ``name`` (read once)."""
    source = resources.files(package).joinpath("sql", name).read_text(encoding="utf-8")
    return text(source)


# runs a query and returns its rows (none for a statement that returns no rows)
Run = Callable[[Query], Awaitable[list[Any]]]


def rows(session: Session, query: Query) -> list[Any]:
    """The rows of ``query`` run in the session's transaction."""
    result = session.connection().execute(query.statement, query.params)
    return list(result) if result.returns_rows else []


@asynccontextmanager
async def committing(session: Session) -> AsyncIterator[Run]:
    """Runs each query on ``session`` in a worker thread and commits it at once, as the
    asyncpg connection of ``api.db.aio`` runs each statement in its own transaction. A failed
    statement is rolled back and its error raised."""

    async def run(query: Query) -> list[Any]:
        return await run_in_threadpool(_commit, session, query)

    yield run


def _commit(session: Session, query: Query) -> list[Any]:
    try:
        found = rows(session, query)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return found
