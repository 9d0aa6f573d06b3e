"""Statements run on the driver connection: parameters converted, inside the session's
transaction, alone or several in one round trip."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db.driver import Query, driver_sql, execute, pipeline
from api.db.session import engine_for


def test_parameters_become_psycopg_ones_and_casts_and_literals_stay() -> None:
    sql = "SELECT CAST(:a AS int)::bigint, ':' || :b_2, 'x:y', x LIKE '5%' FROM t WHERE id = :id"
    assert driver_sql(sql) == (
        "SELECT CAST(%(a)s AS int)::bigint, ':' || %(b_2)s, 'x:y', x LIKE '5%%' FROM t "
        "WHERE id = %(id)s"
    )


def test_runs_in_the_sessions_transaction(db_session: Session) -> None:
    db_session.execute(text("CREATE TEMP TABLE driver_probe (v int)"))
    execute(db_session, text("INSERT INTO driver_probe VALUES (:v)"), {"v": 41})
    rows = execute(db_session, text("SELECT v + :d AS w FROM driver_probe"), {"d": 1})
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


def test_a_failing_statement_skips_the_rest_and_the_commit(demo_db_url: str) -> None:
    engine = engine_for(demo_db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS pipe_fail (v int PRIMARY KEY)"))
        conn.execute(text("TRUNCATE pipe_fail"))
    try:
        with Session(engine) as session:
            with pytest.raises(psycopg.errors.UniqueViolation):
                pipeline(
                    session,
                    [
                        Query(text("INSERT INTO pipe_fail VALUES (1)")),
                        Query(text("INSERT INTO pipe_fail VALUES (1)")),
                        Query(text("INSERT INTO pipe_fail VALUES (2)")),
                    ],
                    commit=True,
                )
            session.rollback()
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM pipe_fail")) == 0
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE pipe_fail"))


def test_commit_in_the_pipeline_only_when_the_session_owns_its_connection(
    demo_db_url: str,
) -> None:
    engine = engine_for(demo_db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS pipe_commit (v int)"))
        conn.execute(text("TRUNCATE pipe_commit"))
    insert = Query(text("INSERT INTO pipe_commit VALUES (:v)"), {"v": 1})
    try:
        with Session(engine) as session:
            pipeline(session, [insert], commit=True)
            # no session.commit(): the pipeline's COMMIT made it durable
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM pipe_commit")) == 1
        with engine.connect() as conn:
            outer = conn.begin()
            joined = Session(bind=conn, join_transaction_mode="create_savepoint")
            pipeline(joined, [insert], commit=True)
            joined.close()
            outer.rollback()  # the outer transaction decides, not the pipeline
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM pipe_commit")) == 1
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE pipe_commit"))
