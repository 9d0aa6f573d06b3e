"""The scheduled overdue job: record each obligation that passed its due time, once, and each
supervision step (warning, chase, district and city supervision) it reached, once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.cases.models import Case, CaseEvent
from api.cases.queries import overdue_condition, overdue_obligations
from api.deadlines.service import calendar
from api.whistles.models import Assignment
from api.whistles.supervision import ladders_from, supervise

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


@dataclass(frozen=True)
class Round:
    """What one round recorded: obligations newly overdue, supervision steps newly reached."""

    overdue: int
    supervision: int


def run_round(*, session: Session, now: datetime, data_dir: Path) -> Round:
    """One round at ``now``: overdue obligations, then supervision steps (not committed)."""
    overdue = mark_overdue(session=session, now=now)
    steps = supervise(
        session=session,
        now=now,
        ladders=ladders_from(data_dir),
        calendar=calendar(session=session),
    )
    return Round(overdue=overdue, supervision=steps)


def run_once(factory: sessionmaker[Session], data_dir: Path | None = None) -> int | None:
    """One round of the job (the data files of ``data_dir``, by default the settings');
    the events it recorded, or None when another process is running it."""
    from api.cases.service import utcnow
    from api.config import get_settings

    folder = data_dir or get_settings().data_dir
    with factory() as session:
        if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": JOB_LOCK}):
            return None
        done = run_round(session=session, now=utcnow(), data_dir=folder)
        session.commit()
    return done.overdue + done.supervision


async def run_periodically(factory: sessionmaker[Session], interval_s: float) -> None:
    """Run a round every ``interval_s`` seconds until cancelled (in a worker thread,
    so the event loop keeps serving requests meanwhile)."""
    while True:
        try:
            count = await asyncio.to_thread(run_once, factory)
            if count:
                log.info("overdue job: %d event(s) recorded", count)
        except Exception:  # the job must survive a database hiccup and try again
            log.exception("overdue job failed; retrying next round")
        await asyncio.sleep(interval_s)
