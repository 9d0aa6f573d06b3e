"""The supervision ladder (督办/催办) as data, and an obligation's level at an instant (pure).

An obligation not yet met climbs, as time passes, through

``warning`` (黄牌预警)
    ``warning_share`` of its time (from dispatch to the due time) has passed;
``overdue`` (超期)
    its due time has passed;
``chased`` (已催办)
    ``chase_after`` has passed since the due time: a chase notice to the department and its
    district command centre;
``district`` (区级督办) and ``city`` (市级督办)
    ``district_after`` and then ``city_after`` have passed since the due time.

A step is reached at its threshold instant (overdue: strictly after the due time, as the
overdue job counts). The durations are counted from the due time the way an extension is
(:func:`api.deadlines.sla.extend`): ``2wd`` after a due time of 00:00 Tuesday (the end of
Monday) is the end of Wednesday. A step is never reached before the one below it: a threshold
earlier than the previous step's is raised to it.

File format (``data/supervision.csv``, read with :func:`read_ladders`; ``#`` comments and
blank lines are skipped but counted)::

    policy,description,warning_share,chase_after,district_after,city_after
    *,"the default",0.8,24h,2wd,5wd
    emergency,"…",0.5,1h,4h,24h

``policy`` names an SLA policy, or ``*`` for the default of every policy without a row;
``warning_share`` is a decimal strictly between 0 and 1; the three durations are written as
in ``sla_policies.csv`` (``24h``, ``2d``, ``5wd``). Every mistake raises a
:class:`~api.deadlines.calendar.DataFileError` naming file, line and column.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from api.deadlines.calendar import TZ, Deadline, WorkCalendar, to_local
from api.deadlines.sla import Duration, Obligation, Unit, extend
from geo.datafile import DataFileError, records

DEFAULT = "*"
LADDER_COLUMNS: tuple[str, ...] = (
    "policy",
    "description",
    "warning_share",
    "chase_after",
    "district_after",
    "city_after",
)


class Level(StrEnum):
    """How far an obligation (or an assignment, by its worst obligation) has gone, in order."""

    NONE = "none"
    WARNING = "warning"
    OVERDUE = "overdue"
    CHASED = "chased"
    DISTRICT = "district"
    CITY = "city"

    @property
    def rank(self) -> int:
        """The position on the ladder (none = 0, city = 5)."""
        return list(Level).index(self)


STEPS: tuple[Level, ...] = tuple(Level)[1:]
"""The steps an obligation climbs, lowest first."""

ESCALATIONS: tuple[Level, ...] = (Level.CHASED, Level.DISTRICT, Level.CITY)
"""The steps counted from the due time by a duration of the ladder."""


class LadderError(ValueError):
    """A ladder's value is wrong; ``column`` names the file column it comes from."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Ladder:
    """One SLA policy's supervision thresholds."""

    policy: str
    warning_share: float
    chase_after: Duration
    district_after: Duration
    city_after: Duration
    description: str = ""

    def __post_init__(self) -> None:
        share = self.warning_share
        if isinstance(share, bool) or not isinstance(share, int | float):
            raise TypeError(f"warning_share must be a number, not {share!r}")
        if not (math.isfinite(share) and 0 < share < 1):
            raise LadderError(
                "warning_share", f"warning_share must lie strictly between 0 and 1, not {share!r}"
            )
        steps = ((self.chase_after, "chase_after"), (self.district_after, "district_after"))
        for (low, low_name), (high, high_name) in zip(
            steps, (*steps[1:], (self.city_after, "city_after")), strict=True
        ):
            if low.unit is high.unit and high.amount <= low.amount:
                raise LadderError(
                    high_name, f"{high_name} ({high}) must be longer than {low_name} ({low})"
                )

    def after(self, step: Level) -> Duration:
        """The duration from the due time to ``step`` (chased, district or city)."""
        match step:
            case Level.CHASED:
                return self.chase_after
            case Level.DISTRICT:
                return self.district_after
            case Level.CITY:
                return self.city_after
        raise ValueError(f"{step} is not counted from the due time")


@dataclass(frozen=True)
class Ladders:
    """The ladder of each SLA policy, with the default for the others."""

    by_policy: Mapping[str, Ladder]
    default: Ladder | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_policy", MappingProxyType(dict(self.by_policy)))

    def of(self, policy: str) -> Ladder:
        """The ladder of an SLA policy (its own row, else the default)."""
        ladder = self.by_policy.get(policy, self.default)
        if ladder is None:
            raise KeyError(f"no supervision ladder for SLA policy {policy!r} and no default")
        return ladder


@dataclass(frozen=True)
class ObligationTimes:
    """When an obligation's clock started, when it is due and when it was met (if it was)."""

    started_at: datetime
    due_at: datetime
    done_at: datetime | None = None


@dataclass(frozen=True)
class AssignmentTimes:
    """An assignment's obligations; ``live`` is false once it is resolved, disputed or
    cancelled (nothing runs late any more)."""

    obligations: Mapping[Obligation, ObligationTimes]
    live: bool = True


def thresholds(
    times: ObligationTimes, ladder: Ladder, calendar: WorkCalendar
) -> dict[Level, datetime]:
    """When an obligation reaches each step, in Beijing time.

    >>> from datetime import datetime
    >>> ladder = Ladder("x", 0.8, Duration.parse("24h"), Duration.parse("2wd"),
    ...                 Duration.parse("5wd"))
    >>> start = datetime(2026, 6, 1, 9, 0, tzinfo=TZ)  # a Monday
    >>> steps = thresholds(ObligationTimes(start, datetime(2026, 6, 3, 9, 0, tzinfo=TZ)),
    ...                    ladder, WorkCalendar())
    >>> [f"{s}: {t:%a %m-%d %H:%M}" for s, t in steps.items()]  # doctest: +NORMALIZE_WHITESPACE
    ['warning: Tue 06-02 23:24', 'overdue: Wed 06-03 09:00', 'chased: Thu 06-04 09:00',
     'district: Sat 06-06 00:00', 'city: Thu 06-11 00:00']
    """
    started, due = to_local(times.started_at), to_local(times.due_at)
    span = max(due - started, timedelta(0))
    out = {Level.WARNING: started + span * ladder.warning_share, Level.OVERDUE: due}
    floor = due
    for step in ESCALATIONS:
        moved = extend(_deadline(due), by=ladder.after(step), calendar=calendar).due_at
        floor = max(floor, moved)
        out[step] = floor
    return out


def obligation_level(
    times: ObligationTimes, ladder: Ladder, now: datetime, calendar: WorkCalendar
) -> Level:
    """The step an obligation has reached at ``now`` (none once it is met)."""
    if times.done_at is not None:
        return Level.NONE
    return _level_at(thresholds(times, ladder, calendar), to_local(now))


def reached(
    times: ObligationTimes, ladder: Ladder, now: datetime, calendar: WorkCalendar
) -> list[Level]:
    """Every step an obligation not yet met has reached at ``now``, lowest first."""
    top = obligation_level(times, ladder, now, calendar)
    return [step for step in STEPS if step.rank <= top.rank]


def level(times: AssignmentTimes, ladder: Ladder, now: datetime, calendar: WorkCalendar) -> Level:
    """An assignment's level at ``now``: its worst obligation not yet met (none unless live).

    >>> from datetime import datetime
    >>> ladder = Ladder("x", 0.8, Duration.parse("24h"), Duration.parse("2wd"),
    ...                 Duration.parse("5wd"))
    >>> start = datetime(2026, 6, 1, 9, 0, tzinfo=TZ)
    >>> times = AssignmentTimes({
    ...     Obligation.ACKNOWLEDGE: ObligationTimes(start, start + timedelta(hours=2), start),
    ...     Obligation.RESOLVE: ObligationTimes(start, start + timedelta(days=2)),
    ... })
    >>> str(level(times, ladder, start + timedelta(days=2, hours=1), WorkCalendar()))
    'overdue'
    """
    if not times.live:
        return Level.NONE
    found = [obligation_level(t, ladder, now, calendar) for t in times.obligations.values()]
    return max(found, key=lambda step: step.rank, default=Level.NONE)


def due_cutoff(step: Level, ladder: Ladder, now: datetime, calendar: WorkCalendar) -> datetime:
    """The latest due time whose obligation has reached ``step`` (chased, district or city)
    at ``now``: reached exactly when ``due_at <= due_cutoff(...)`` — a condition a database
    can test on a due time column.

    >>> from datetime import datetime
    >>> ladder = Ladder("x", 0.8, Duration.parse("24h"), Duration.parse("2wd"),
    ...                 Duration.parse("5wd"))
    >>> now = datetime(2026, 6, 10, 15, 0, tzinfo=TZ)  # a Wednesday
    >>> f"{due_cutoff(Level.DISTRICT, ladder, now, WorkCalendar()):%a %m-%d %H:%M}"
    'Mon 06-08 00:00'
    """
    if step not in ESCALATIONS:
        raise ValueError(f"{step} has no due cutoff (only {', '.join(ESCALATIONS)})")
    local = to_local(now)
    cutoffs = [
        _latest_due(ladder.after(s), local, calendar)
        for s in ESCALATIONS[: ESCALATIONS.index(step) + 1]
    ]
    return min(cutoffs)


def read_ladders(path: Path, *, policies: Collection[str]) -> Ladders:
    """The ladders of a ``supervision.csv`` file; every SLA policy of ``policies`` must have
    one (its own row or the ``*`` default) and every row must name one of them or ``*``."""
    rows = records(
        path,
        allowed=LADDER_COLUMNS,
        required=LADDER_COLUMNS,
        non_empty=tuple(c for c in LADDER_COLUMNS if c != "description"),
    )
    found: dict[str, Ladder] = {}
    lines: dict[str, int] = {}
    last = 1
    for line, row in rows:
        last = line
        ladder = _ladder(path.name, line, row, policies)
        if ladder.policy in found:
            raise DataFileError(
                source=path.name,
                line=line,
                column="policy",
                message=f"policy {ladder.policy!r} twice (also line {lines[ladder.policy]})",
            )
        found[ladder.policy] = ladder
        lines[ladder.policy] = line
    default = found.pop(DEFAULT, None)
    missing = sorted(p for p in policies if p not in found)
    if missing and default is None:
        raise DataFileError(
            source=path.name,
            line=last,
            column="policy",
            message=f"no ladder for SLA policy {', '.join(missing)} and no default row "
            f"({DEFAULT!r})",
        )
    return Ladders(by_policy=found, default=default)


def _ladder(source: str, line: int, row: Mapping[str, str], policies: Collection[str]) -> Ladder:
    def fail(column: str, message: str) -> DataFileError:
        return DataFileError(source=source, line=line, column=column, message=message)

    policy = row["policy"]
    if policy != DEFAULT and policy not in policies:
        known = ", ".join(sorted(policies))
        raise fail("policy", f"unknown SLA policy {policy!r} (known: {known}; {DEFAULT} = default)")
    try:
        share = float(row["warning_share"])
    except ValueError:
        raise fail("warning_share", f"{row['warning_share']!r} is not a number") from None
    durations: dict[str, Duration] = {}
    for column in ("chase_after", "district_after", "city_after"):
        try:
            durations[column] = Duration.parse(row[column])
        except ValueError as error:
            raise fail(column, str(error)) from None
    try:
        return Ladder(
            policy=policy, warning_share=share, description=row["description"], **durations
        )
    except LadderError as error:
        raise fail(error.column, str(error)) from None


def _deadline(due: datetime) -> Deadline:
    return Deadline(due_at=due, provisional=False, basis="due time")


def _level_at(steps: Mapping[Level, datetime], now: datetime) -> Level:
    if now > steps[Level.OVERDUE]:
        return next((s for s in reversed(ESCALATIONS) if now >= steps[s]), Level.OVERDUE)
    return Level.WARNING if now >= steps[Level.WARNING] else Level.NONE


def _latest_due(after: Duration, now: datetime, calendar: WorkCalendar) -> datetime:
    """The latest due time ``d`` with ``extend(d, by=after) <= now`` (``now`` local)."""
    if after.unit is Unit.HOURS:
        return now - timedelta(hours=after.amount)
    if after.unit is Unit.DAYS:
        return now - timedelta(days=int(after.amount))
    # N working days after a due time end at 24:00 of the N-th working day after the day the
    # due time ends in; that is at or before now when the N-th working day counted back from
    # the last day that has fully ended lies after that day
    last_ended = now.date() - timedelta(days=1)
    day, counted = last_ended, 0
    while True:
        workday, _provisional = calendar.is_workday(day)
        counted += workday
        if counted == int(after.amount):
            return datetime.combine(day, time(0), TZ)
        day -= timedelta(days=1)
