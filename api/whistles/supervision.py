"""Supervision (督办/催办) of assignments: their level, the board's filter, the job's steps.

The ladder and the level at an instant are pure (:mod:`api.deadlines.supervision`); this
module applies them to assignments: the level of one row, the SQL condition "at exactly this
level" (the due-time cutoffs make it exact, working days included), and :func:`supervise`,
which the overdue job runs in its round to record each step reached once per due time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import ColumnElement, and_, false, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.cases.models import CaseEvent
from api.cases.queries import LIVE
from api.deadlines.calendar import WorkCalendar, to_local
from api.deadlines.service import policies_from
from api.deadlines.sla import Obligation
from api.deadlines.supervision import (
    STEPS,
    AssignmentTimes,
    Ladder,
    Ladders,
    Level,
    ObligationTimes,
    due_cutoff,
    reached,
    read_ladders,
    thresholds,
)
from api.whistles.models import Assignment, Whistle

LADDER_FILE = "supervision.csv"
RECORDED = (Level.WARNING, Level.CHASED, Level.DISTRICT, Level.CITY)
"""The steps recorded as ``supervision:<step>`` (overdue is the job's ``obligation:overdue``)."""


def event_kind(step: Level) -> str:
    """The case event kind recording ``step``: ``supervision:chased`` …"""
    return f"supervision:{step}"


EVENT_KINDS = tuple(event_kind(step) for step in RECORDED)

_COLUMNS: dict[Obligation, tuple[InstrumentedAttribute[datetime], InstrumentedAttribute]] = {
    Obligation.ACKNOWLEDGE: (Assignment.acknowledge_due_at, Assignment.acknowledged_at),
    Obligation.ON_SITE: (Assignment.on_site_due_at, Assignment.on_site_at),
    Obligation.RESOLVE: (Assignment.resolve_due_at, Assignment.resolved_at),
}


@lru_cache(maxsize=4)
def ladders_from(data_dir: Path) -> Ladders:
    """The ladders of ``data_dir``/supervision.csv, checked against the SLA policies."""
    return read_ladders(data_dir / LADDER_FILE, policies=policies_from(data_dir))


def times_of(assignment: Assignment) -> AssignmentTimes:
    """An assignment's obligations as the ladder reads them."""
    return AssignmentTimes(
        obligations={
            ob: ObligationTimes(
                started_at=assignment.dispatched_at,
                due_at=getattr(assignment, due.key),
                done_at=getattr(assignment, done.key),
            )
            for ob, (due, done) in _COLUMNS.items()
        },
        live=assignment.status in LIVE,
    )


def _reached(step: Level, ladder: Ladder, now: datetime, calendar: WorkCalendar) -> ColumnElement:
    """SQL: some obligation of the assignment not yet met has reached ``step``."""
    hits = []
    for due, done in _COLUMNS.values():
        if step is Level.WARNING:
            # in seconds: the database has no product of an interval and a number here
            passed = func.extract("epoch", literal(now) - Assignment.dispatched_at)
            span = func.extract("epoch", due - Assignment.dispatched_at)
            hit = passed >= span * ladder.warning_share
        elif step is Level.OVERDUE:
            hit = due < now
        else:
            hit = due <= due_cutoff(step, ladder, now, calendar)
        hits.append(and_(done.is_(None), hit))
    return or_(*hits)


def _per_policy(ladders: Ladders, build: Callable[[Ladder], ColumnElement]) -> ColumnElement:
    """SQL over Assignment joined with its Whistle: ``build`` with the whistle's ladder."""
    own = list(ladders.by_policy)
    parts = [and_(Whistle.sla_policy == name, build(ladders.by_policy[name])) for name in own]
    if ladders.default is not None:
        parts.append(and_(Whistle.sla_policy.not_in(own), build(ladders.default)))
    return or_(*parts) if parts else false()


def level_condition(
    level: Level, *, ladders: Ladders, now: datetime, calendar: WorkCalendar
) -> ColumnElement[bool]:
    """SQL (over Assignment joined with Whistle): live assignments at exactly ``level``."""
    if level is Level.NONE:
        raise ValueError("filter by a step of the ladder, not none")
    above = STEPS[STEPS.index(level) + 1] if level is not STEPS[-1] else None

    def exactly(ladder: Ladder) -> ColumnElement:
        at = _reached(level, ladder, now, calendar)
        if above is None:
            return at
        return and_(at, ~_reached(above, ladder, now, calendar))

    return and_(Assignment.status.in_(LIVE), _per_policy(ladders, exactly))


def supervise(*, session: Session, now: datetime, ladders: Ladders, calendar: WorkCalendar) -> int:
    """Record each supervision step newly reached by an obligation not yet met; return count.

    A step is recorded once per obligation and due time (an approved extension starts the
    ladder of the new due time); a warning is not recorded once the obligation is overdue.
    """
    from api.cases.service import record_system

    def warned(ladder: Ladder) -> ColumnElement:
        return _reached(Level.WARNING, ladder, now, calendar)

    rows = session.execute(
        select(Assignment, Whistle.sla_policy)
        .join(Whistle, Whistle.id == Assignment.whistle_id)
        .where(Assignment.status.in_(LIVE), _per_policy(ladders, warned))
        .order_by(Assignment.id)
    ).all()
    if not rows:
        return 0
    done = _recorded(session, {a.case_id for a, _ in rows})
    new = 0
    for assignment, policy in rows:
        ladder = ladders.of(policy)
        for obligation, times in times_of(assignment).obligations.items():
            steps = reached(times, ladder, now, calendar)
            when = thresholds(times, ladder, calendar)
            for step in steps:
                late_warning = step is Level.WARNING and Level.OVERDUE in steps
                key = (assignment.id, str(obligation), str(step), times.due_at)
                if step not in RECORDED or late_warning or key in done:
                    continue
                record_system(
                    session=session,
                    case_id=assignment.case_id,
                    name="overdue job",
                    kind=event_kind(step),
                    at=now,
                    data={
                        "assignment_id": assignment.id,
                        "department_code": assignment.department_code,
                        "district_code": assignment.district_code,
                        "obligation": str(obligation),
                        "due_at": to_local(times.due_at).isoformat(),
                        "reached_at": when[step].isoformat(),
                        "sla_policy": policy,
                    },
                )
                done.add(key)
                new += 1
    return new


def _recorded(session: Session, case_ids: set[int]) -> set[tuple[int, str, str, datetime]]:
    """(assignment, obligation, step, due time) of the steps already recorded on the cases."""
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind.in_(EVENT_KINDS))
    )
    return {
        (
            e.data["assignment_id"],
            e.data["obligation"],
            e.kind.removeprefix("supervision:"),
            datetime.fromisoformat(e.data["due_at"]),
        )
        for e in events
    }
