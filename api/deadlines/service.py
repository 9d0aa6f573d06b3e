"""The working-day calendar and SLA policies as the service uses them."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deadlines.calendar import WorkCalendar, YearData
from api.deadlines.models import CalendarDay
from api.deadlines.sla import SlaPolicy, read_policies


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
