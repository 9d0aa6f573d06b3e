"""The working-day calendar and SLA policies as the service uses them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.deadlines.calendar import WorkCalendar, YearData
from api.deadlines.models import CalendarDay
from api.deadlines.sla import Duration, Obligation, SlaPolicy, due, extend, read_policies


@lru_cache(maxsize=4)
def policies_from(data_dir: Path) -> dict[str, SlaPolicy]:
    """The SLA policies of ``data_dir``/sla_policies.csv (read once per process)."""
    return read_policies(data_dir / "sla_policies.csv")


def calendar(*, session: Session) -> WorkCalendar:
    """The working-day calendar: library years plus the years the operator loaded."""
    days: dict[int, dict[str, set]] = defaultdict(lambda: {"holiday": set(), "workday": set()})
    sources: dict[int, str] = {}
    for row in session.scalars(select(CalendarDay)):
        days[row.year][row.kind].add(row.day)
        sources[row.year] = row.source
    loaded = [
        YearData(
            year=year,
            holidays=frozenset(kinds["holiday"]),
            workdays=frozenset(kinds["workday"]),
            source=sources[year],
        )
        for year, kinds in sorted(days.items())
    ]
    return WorkCalendar(loaded)


def load_year(*, session: Session, year: YearData) -> int:
    """Store an operator-supplied year (replacing an earlier load of it); return its days."""
    session.execute(delete(CalendarDay).where(CalendarDay.year == year.year))
    rows = [
        CalendarDay(day=day, year=year.year, kind=kind, name="", source=year.source)
        for kind, days in (("holiday", year.holidays), ("workday", year.workdays))
        for day in sorted(days)
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def recompute_provisional(
    *, session: Session, work: WorkCalendar, policies: dict[str, SlaPolicy], at: datetime
) -> int:
    """Recompute every provisional due time with the calendar as it is now; return how many."""
    from api.cases.service import record_system
    from api.whistles.models import Assignment, Extension, Whistle

    changed = 0
    rows = session.execute(
        select(Assignment, Whistle)
        .join(Whistle, Whistle.id == Assignment.whistle_id)
        .where(Assignment.due_provisional.is_(True))
        .order_by(Assignment.id)
    ).all()
    for assignment, whistle in rows:
        policy = policies[whistle.sla_policy]
        fresh = {ob: due(policy, ob, assignment.dispatched_at, work) for ob in Obligation}
        resolve = fresh[Obligation.RESOLVE]
        approved = session.scalars(
            select(Extension)
            .where(Extension.assignment_id == assignment.id, Extension.status == "approved")
            .order_by(Extension.id)
        )
        for ext in approved:
            resolve = extend(resolve, by=Duration.parse(ext.amount), calendar=work)
        old = (assignment.acknowledge_due_at, assignment.on_site_due_at, assignment.resolve_due_at)
        assignment.acknowledge_due_at = fresh[Obligation.ACKNOWLEDGE].due_at
        assignment.on_site_due_at = fresh[Obligation.ON_SITE].due_at
        assignment.resolve_due_at = resolve.due_at
        assignment.due_provisional = any(d.provisional for d in (*fresh.values(), resolve))
        record_system(
            session=session,
            case_id=assignment.case_id,
            name="calendar",
            kind="deadline:recomputed",
            at=at,
            data={
                "assignment_id": assignment.id,
                "before": [t.isoformat() for t in old],
                "after": [
                    assignment.acknowledge_due_at.isoformat(),
                    assignment.on_site_due_at.isoformat(),
                    assignment.resolve_due_at.isoformat(),
                ],
                "provisional": assignment.due_provisional,
            },
        )
        changed += 1
    return changed
