"""Run ``text()`` statements straight on the session's psycopg connection (hot paths only).

SQLAlchemy's statement machinery costs ≈ 0.2 ms of CPU per execution on top of psycopg's
(measured on the locate-and-route statement), and on this kind of machine every wait for the
server costs the client ≈ 0.1–0.2 ms of CPU as well (going to sleep and waking up). The
report submission therefore runs its statements here, and several at a time: ``pipeline``
sends a batch in one round trip (psycopg's pipeline mode).

The statements join the session's transaction (the same connection), the SQL keeps
SQLAlchemy's ``:name`` parameters, rows are named tuples.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from psycopg import Connection
from psycopg.rows import namedtuple_row
from sqlalchemy import TextClause
from sqlalchemy.orm import Session

# ``:name`` but not the ``::`` of a cast nor a colon inside a word (also used by ``aio``)
PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True)
class Query:
    """A statement with its parameters, to run alone or in a pipeline."""

    statement: TextClause
    params: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=128)
def driver_sql(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (literal ``%`` doubled)."""
    return PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


def connection(session: Session) -> Connection[Any]:
    """The psycopg connection under the session (its transaction begins if none is open)."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, Connection)
    return raw


def execute(session: Session, query: Query) -> list[Any]:
    """The rows of ``query`` run on the session's connection, in its transaction."""
    with connection(session).cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(driver_sql(query.statement.text), query.params)
        return cursor.fetchall() if cursor.description is not None else []


def pipeline(session: Session, queries: Sequence[Query]) -> list[list[Any]]:
    """The rows of each query, all sent in one round trip.

    The server still runs the statements one after the other, each with its own snapshot
    (READ COMMITTED). When one fails, the later ones are skipped and the error is raised.
    """
    raw = connection(session)
    with raw.pipeline() as batch:
        cursors = []
        for query in queries:
            cursor = raw.cursor(row_factory=namedtuple_row)
            cursor.execute(driver_sql(query.statement.text), query.params)
            cursors.append(cursor)
        batch.sync()
        return [c.fetchall() if c.description is not None else [] for c in cursors]
