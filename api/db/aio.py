"""The report submission's event-loop connections: psycopg's async driver, no threads.

Under load, a worker thread that waits for PostgreSQL has to win the GIL back from the event
loop and the other workers after every answer. The served app therefore submits a point on
the event loop, with an ``AsyncConnectionPool`` of its own (``psycopg_pool``) next to the
engine's pool. Its connections are in autocommit mode (each of the submission's statements
is its own transaction: no BEGIN or COMMIT round trips) and use generic plans.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from api.db.driver import Query, driver_sql

Pool = AsyncConnectionPool[AsyncConnection[Any]]


def pool_for(engine: Engine, *, size: int, plan_cache_mode: str = "auto") -> Pool:
    """A closed pool of ``size`` autocommit connections to the engine's database (``open``
    it on the event loop that uses it)."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def configure(conn: AsyncConnection[Any]) -> None:
        await conn.execute("SELECT set_config('plan_cache_mode', %s, false)", (plan_cache_mode,))

    return AsyncConnectionPool(
        url,
        min_size=size,
        max_size=size,
        open=False,
        name="reports",
        kwargs={"autocommit": True},
        configure=configure,
    )


async def execute(conn: AsyncConnection[Any], query: Query) -> list[Any]:
    """The rows of ``query`` (a statement that returns rows), as named tuples."""
    async with conn.cursor(row_factory=namedtuple_row) as cursor:
        await cursor.execute(driver_sql(query.statement.text), query.params)
        return await cursor.fetchall()
