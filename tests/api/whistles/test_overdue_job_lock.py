"""The overdue job runs in one process at a time (several ``serve --workers``)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.db.session import engine_for
from api.whistles.jobs import JOB_LOCK, run_once


def test_a_round_is_skipped_while_another_process_holds_the_job(demo_db_url: str) -> None:
    engine = engine_for(demo_db_url)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with Session(engine) as other:  # another worker in the middle of its round
        assert other.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": JOB_LOCK})
        assert run_once(factory) is None
    # the other worker's transaction ended (rolled back on close): the lock is free again
    count = run_once(factory)
    assert count is not None and count >= 0
