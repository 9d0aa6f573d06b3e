"""Raw statements on a session: in its transaction, or committed one by one (the report
submission on a session, as its asyncpg connection commits each statement)."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db.statements import Query, committing, rows


def test_rows_run_in_the_sessions_transaction(db_session: Session) -> None:
    db_session.execute(text("CREATE TEMP TABLE stmt_probe (v int)"))
    assert rows(db_session, Query(text("INSERT INTO stmt_probe VALUES (:v)"), {"v": 41})) == []
    found = rows(db_session, Query(text("SELECT v + :d AS w FROM stmt_probe"), {"d": 1}))
    assert [r.w for r in found] == [42]
    db_session.rollback()
    gone = db_session.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename = 'stmt_probe'"))
    assert gone == 0


def test_committing_commits_each_statement_and_rolls_back_a_failed_one(
    db_session: Session,
) -> None:
    db_session.execute(text("CREATE TEMP TABLE stmt_commit (v int PRIMARY KEY)"))
    db_session.commit()

    async def drive() -> list[int]:
        async with committing(db_session) as run:
            (row,) = await run(Query(text("INSERT INTO stmt_commit VALUES (1) RETURNING v")))
            with pytest.raises(IntegrityError):
                await run(Query(text("INSERT INTO stmt_commit VALUES (2), (1)")))
            await run(Query(text("INSERT INTO stmt_commit VALUES (3)")))
            return [row.v]

    assert anyio.run(drive) == [1]
    # the first and third statements were committed (a rollback keeps them), the failed one
    # left nothing behind
    db_session.rollback()
    kept = db_session.scalars(text("SELECT v FROM stmt_commit ORDER BY v")).all()
    assert kept == [1, 3]
