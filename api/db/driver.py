"""Run a ``text()`` statement straight on the session's psycopg connection (hot paths only).

SQLAlchemy's statement machinery costs ≈ 0.2 ms of CPU per execution on top of psycopg's
(measured on the locate-and-route statement); the report submission runs five statements
per request, so it uses this. The statement joins the session's transaction (the same
connection), the SQL keeps SQLAlchemy's ``:name`` parameters, rows are named tuples.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from psycopg import Connection
from psycopg.rows import namedtuple_row
from sqlalchemy import TextClause
from sqlalchemy.orm import Session

# ``:name`` but not the ``::`` of a cast nor a colon inside a word
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=128)
def driver_sql(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (literal ``%`` doubled)."""
    return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


def execute(session: Session, statement: TextClause, params: dict[str, Any]) -> list[Any]:
    """The rows of ``statement`` run on the session's connection, in its transaction."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, Connection)
    with raw.cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(driver_sql(statement.text), params)
        return cursor.fetchall() if cursor.description is not None else []
