"""The statements a report takes on the event loop are typed as the values the app sends.

A parameter PostgreSQL types ``numeric`` (e.g. from a ``1.0`` literal beside it) makes
asyncpg encode the Python float as a numeric on every request, one of its slow paths, and
the database cast it back. The report write divides its duplicate radius by a constant, so
it is cast to ``float8`` explicitly.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from api.db.aio import positional_sql
from api.db.session import libpq_url
from api.reports import store

STATEMENTS = {
    "opening": store.opening("token", "key").statement.text,
    "write": store._WRITE.text,
}
# what the app sends and PostgreSQL may type them as
SENT_AS = {"float8", "int4", "int8", "text", "varchar", "timestamptz", "jsonb", "bool", "bytea"}


async def _parameter_types(url: str, sql: str) -> dict[str, str]:
    conn = await asyncpg.connect(libpq_url(url))
    try:
        positional, names = positional_sql(sql)
        statement = await conn.prepare(positional)
        return {n: t.name for n, t in zip(names, statement.get_parameters(), strict=True)}
    finally:
        await conn.close()


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_no_parameter_is_typed_numeric(empty_db_url: str, name: str) -> None:
    types = asyncio.run(_parameter_types(empty_db_url, STATEMENTS[name]))
    assert types, "the statement has parameters"
    odd = {n: t for n, t in types.items() if t.removesuffix("[]") not in SENT_AS}
    assert not odd, f"{name}: {odd}"
