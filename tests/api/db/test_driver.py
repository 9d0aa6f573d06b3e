"""Statements run on the driver connection: parameters converted, inside the session's
transaction, alone or several in one round trip."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db.driver import Query, driver_sql, execute, pipeline


def test_parameters_become_psycopg_ones_and_casts_and_literals_stay() -> None:
    sql = "SELECT CAST(:a AS int)::bigint, ':' || :b_2, 'x:y', x LIKE '5%' FROM t WHERE id = :id"
    assert driver_sql(sql) == (
        "SELECT CAST(%(a)s AS int)::bigint, ':' || %(b_2)s, 'x:y', x LIKE '5%%' FROM t "
        "WHERE id = %(id)s"
    )


def test_runs_in_the_sessions_transaction(db_session: Session) -> None:
    db_session.execute(text("CREATE TEMP TABLE driver_probe (v int)"))
    execute(db_session, Query(text("INSERT INTO driver_probe VALUES (:v)"), {"v": 41}))
    rows = execute(db_session, Query(text("SELECT v + :d AS w FROM driver_probe"), {"d": 1}))
    assert [r.w for r in rows] == [42]
    assert db_session.scalar(text("SELECT count(*) FROM driver_probe")) == 1
    db_session.rollback()
    gone = db_session.scalar(
        text("SELECT count(*) FROM pg_tables WHERE tablename = 'driver_probe'")
    )
    assert gone == 0


def test_a_pipeline_answers_each_statement_in_order(db_session: Session) -> None:
    results = pipeline(
        db_session,
        [
            Query(text("CREATE TEMP TABLE pipe_probe (v int)")),
            Query(text("INSERT INTO pipe_probe VALUES (:a), (:b) RETURNING v"), {"a": 1, "b": 2}),
            Query(text("SELECT sum(v) AS total FROM pipe_probe")),
        ],
    )
    assert results[0] == []
    assert sorted(r.v for r in results[1]) == [1, 2]
    assert [r.total for r in results[2]] == [3]
    # still the session's transaction: the session sees the rows, and a rollback removes them
    assert db_session.scalar(text("SELECT count(*) FROM pipe_probe")) == 2


def test_a_failing_statement_skips_the_rest(db_session: Session) -> None:
    db_session.execute(text("CREATE TEMP TABLE pipe_fail (v int PRIMARY KEY)"))
    db_session.commit()
    with pytest.raises(psycopg.errors.UniqueViolation):
        pipeline(
            db_session,
            [
                Query(text("INSERT INTO pipe_fail VALUES (1)")),
                Query(text("INSERT INTO pipe_fail VALUES (1)")),
                Query(text("INSERT INTO pipe_fail VALUES (2)")),
            ],
        )
    db_session.rollback()
    assert db_session.scalar(text("SELECT count(*) FROM pipe_fail")) == 0
