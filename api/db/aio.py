"""The report submission's asynchronous connections: psycopg on the event loop, no threads.

Under load, a worker thread that waits for PostgreSQL has to win the GIL back from the event
loop and the other workers after every answer. The hot path therefore runs its two round
trips on the event loop with an ``AsyncConnectionPool`` of its own (``psycopg_pool``), next
to the engine's pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from api.db.driver import Query, driver_sql


def pool_for(engine: Engine, *, size: int) -> AsyncConnectionPool[AsyncConnection[Any]]:
    """A closed pool of ``size`` connections to the engine's database (``open`` it)."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return AsyncConnectionPool(url, min_size=size, max_size=size, open=False, name="reports")


async def pipeline(
    conn: AsyncConnection[Any], queries: Sequence[Query], *, commit: bool = False
) -> list[list[Any]]:
    """The rows of each query, sent in one round trip (and the COMMIT with ``commit``); as
    ``api.db.driver.pipeline`` but on the event loop."""
    async with conn.pipeline() as batch:
        cursors = []
        for query in queries:
            cursor = conn.cursor(row_factory=namedtuple_row)
            await cursor.execute(driver_sql(query.statement.text), query.params)
            cursors.append(cursor)
        if commit:
            await conn.commit()
        else:
            await batch.sync()
        return [await c.fetchall() if c.description is not None else [] for c in cursors]
