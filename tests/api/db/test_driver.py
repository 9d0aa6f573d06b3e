"""Statements run on the driver connection: parameters converted, inside the session's transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db.driver import driver_sql, execute


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
