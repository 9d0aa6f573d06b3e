"""The report submission's event-loop connections: asyncpg, no threads.

Under load, a worker thread that waits for PostgreSQL has to win the GIL back from the event
loop and the other workers after every answer. The served app therefore submits a point on
the event loop, with a pool of its own (``asyncpg``) next to the engine's. asyncpg's protocol
is compiled: a submission's statements cost the event loop about a quarter less CPU than
with psycopg's asynchronous driver, and the server less as well (binary results). Its
connections run each statement as its own transaction (no BEGIN or COMMIT round trips),
prepare every statement once per connection and use generic plans.

The statements are the same ``text()`` SQL as everywhere else (``api.db.statements``):
``:name`` parameters become asyncpg's ``$n`` here and nowhere else, rows are named tuples,
``json`` columns arrive decoded and ``json``/``jsonb`` parameters are passed as JSON text (as
with psycopg).
"""

from __future__ import annotations

import json
import re
from collections import namedtuple
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

import asyncpg
from asyncpg import Connection as Connection
from asyncpg import Pool as Pool
from sqlalchemy import Engine

from api.db.outage import CONNECT_TIMEOUT_S, DatabaseUnavailable, unavailable_state
from api.db.session import libpq_url
from api.db.statements import Query, Run

# ``:name`` but not the ``::`` of a cast nor a colon inside a word
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")

APPLICATION_NAME = "gridwhistle reports"  # what pg_stat_activity shows for these connections


def pool_for(engine: Engine, *, size: int, plan_cache_mode: str = "auto") -> Pool:
    """A pool of ``size`` connections to the engine's database. ``await`` it on the event loop
    that uses it (which opens them all: no request waits for a new connection), ``close()``
    it there."""
    return asyncpg.create_pool(
        libpq_url(engine.url),
        min_size=size,
        max_size=size,
        init=_json_codecs,
        reset=_nothing_to_reset,
        timeout=CONNECT_TIMEOUT_S,  # for each new connection
        server_settings={"plan_cache_mode": plan_cache_mode, "application_name": APPLICATION_NAME},
    )


@asynccontextmanager
async def running(pool: Pool) -> AsyncIterator[Run]:
    """Runs queries on one connection of ``pool`` for the block (as ``connection_of``)."""
    async with connection_of(pool) as conn:

        async def run(query: Query) -> list[Any]:
            return await execute(conn, query)

        yield run


@asynccontextmanager
async def connection_of(pool: Pool) -> AsyncIterator[Connection]:
    """A connection of ``pool`` for the block. The database out of reach is
    ``DatabaseUnavailable``: no connection could be made, the server refused the
    connection, or the connection closed under the block. (The pool replaces a closed
    connection when it is next acquired.)"""
    try:
        conn = await pool.acquire()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # OSError: refused, reset, unreachable, timed out (TimeoutError is one)
        if isinstance(exc, OSError) or _unavailable(exc):
            raise DatabaseUnavailable() from exc
        raise
    try:
        yield conn
    except asyncpg.InternalClientError as exc:
        # the server spoke while the connection sat idle: its last words (a FATAL) before
        # it closed the connection, which the protocol cannot take; the connection is
        # unusable, so it goes (and the pool connects anew)
        if not _closed(conn):
            conn.terminate()
        raise DatabaseUnavailable() from exc
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        if _unavailable(exc) or _closed(conn):
            raise DatabaseUnavailable() from exc
        raise
    finally:
        await pool.release(conn)


def _unavailable(exc: asyncpg.PostgresError | asyncpg.InterfaceError) -> bool:
    if isinstance(exc, asyncpg.PostgresConnectionError):
        return True
    return unavailable_state(getattr(exc, "sqlstate", None))


def _closed(conn: Connection) -> bool:
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:  # a closing connection returns to the pool by itself
        return True


async def _nothing_to_reset(conn: Connection) -> None:
    """Instead of asyncpg's default reset on release (a round trip that unlistens, unlocks,
    closes cursors and resets settings): the submission's statements leave none of these
    behind. (An open transaction would still be rolled back: asyncpg does that first.)"""


async def _json_codecs(conn: Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, schema="pg_catalog", encoder=_json_text, decoder=json.loads)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=128)
def positional_sql(sql: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` parameters as ``$1``, ``$2`` … and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAMETER.sub(number, sql), tuple(names)


@lru_cache(maxsize=128)
def _row_type(columns: tuple[str, ...]) -> Any:
    return namedtuple("Row", columns, rename=True)


def _rows(records: Sequence[Any]) -> list[Any]:
    if not records:
        return []
    row = _row_type(tuple(records[0].keys()))
    return [row(*record.values()) for record in records]


async def execute(conn: Connection, query: Query) -> list[Any]:
    """The rows of ``query`` (a statement that returns rows), as named tuples."""
    sql, names = positional_sql(query.statement.text)
    return _rows(await conn.fetch(sql, *(query.params[name] for name in names)))
