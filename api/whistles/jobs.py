"""The scheduled overdue job: record each obligation that passed its due time, once."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.cases.models import Case, CaseEvent
from api.cases.queries import overdue_condition, overdue_obligations
from api.whistles.models import Assignment

log = logging.getLogger(__name__)


def mark_overdue(*, session: Session, now: datetime) -> int:
    """Append an ``obligation:overdue`` event for every newly overdue obligation; return count."""
    from api.cases.service import record_system

    recorded = {
        (e.data.get("assignment_id"), e.data.get("obligation"))
        for e in session.scalars(select(CaseEvent).where(CaseEvent.kind == "obligation:overdue"))
    }
    new = 0
    rows = session.scalars(
        select(Assignment)
        .join(Case, Case.id == Assignment.case_id)
        .where(and_(overdue_condition(now)))
    )
    for assignment in rows:
        for obligation in overdue_obligations(assignment, now):
            if (assignment.id, obligation) in recorded:
                continue
            due = getattr(assignment, f"{obligation}_due_at")
            record_system(
                session=session,
                case_id=assignment.case_id,
                name="overdue job",
                kind="obligation:overdue",
                at=now,
                data={
                    "assignment_id": assignment.id,
                    "department_code": assignment.department_code,
                    "obligation": obligation,
                    "due_at": due.isoformat(),
                },
            )
            new += 1
    return new


# One runner at a time across processes (``gridwhistle serve --workers N``): a transaction-
# scoped advisory lock on this key; a process that cannot take it skips the round.
JOB_LOCK = 0x6777_6F76_6572_6475  # "gwoverdu"


def run_once(factory: sessionmaker[Session]) -> int | None:
    """One round of the job; None when another process is running it."""
    from api.cases.service import utcnow

    with factory() as session:
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": JOB_LOCK}):
            return None
        count = mark_overdue(session=session, now=utcnow())
        session.commit()
    return count


async def run_periodically(factory: sessionmaker[Session], interval_s: float) -> None:
    """Run ``mark_overdue`` every ``interval_s`` seconds until cancelled (in a worker thread,
    so the event loop keeps serving requests meanwhile)."""
    while True:
        try:
            count = await asyncio.to_thread(run_once, factory)
            if count:
                log.info("overdue job: %d obligation(s) newly overdue", count)
        except Exception:  # the job must survive a database hiccup and try again
            log.exception("overdue job failed; retrying next round")
        await asyncio.sleep(interval_s)
