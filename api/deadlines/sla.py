"""SLA policies as data: how long a department has to acknowledge, come on site and resolve.

File format (``data/sla_policies.csv``, UTF-8, a BOM is tolerated; ``#`` comment lines and
blank lines are skipped but counted, so line numbers are the ones an editor shows)::

    name,description,acknowledge,on_site,resolve
    huangpu,"…",2d,2d,5wd

``name`` (unique, not empty) and ``description`` (may be empty) come first — ``geo/rules.py``
reads just those two — then one duration per :class:`Obligation`. A duration is
``<number><unit>`` with no space:

``wd``
    working days (whole number ≥ 1): the deadline is the end of the N-th working day after
    the start day, see :mod:`api.deadlines.calendar`;
``d``
    calendar days (whole number ≥ 1): the same local clock time N days later;
``h``
    hours (any positive decimal, ``0.5h`` = 30 minutes): exact elapsed time.

Every column is required, unknown columns are refused, and any mistake raises a
:class:`~api.deadlines.calendar.DataFileError` (a ``ValueError``) naming file, line and column.

:func:`due` computes an obligation's deadline from the moment the clock starts;
:func:`extend` moves a deadline on by a duration counted from the old due time (a working-day
extension of a deadline that ends at 24:00 on day D counts the working days after D).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from api.deadlines.calendar import (
    Deadline,
    WorkCalendar,
    format_amount,
    to_local,
)
from geo.datafile import DataFileError, records

_DURATION = re.compile(r"(?P<amount>\d+(?:\.\d+)?|\.\d+)(?P<unit>wd|d|h)")


class Unit(StrEnum):
    """How a duration is counted."""

    WORKING_DAYS = "wd"
    DAYS = "d"
    HOURS = "h"


class Obligation(StrEnum):
    """What a summoned department owes, in the order it owes it."""

    ACKNOWLEDGE = "acknowledge"
    ON_SITE = "on_site"
    RESOLVE = "resolve"


POLICY_COLUMNS: tuple[str, ...] = ("name", "description", *(o.value for o in Obligation))


@dataclass(frozen=True)
class Duration:
    """An amount of working days, calendar days or hours, written like ``5wd``."""

    amount: float
    unit: Unit

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", Unit(self.unit))
        if isinstance(self.amount, bool) or not isinstance(self.amount, int | float):
            raise TypeError(f"duration amount must be a number, not {self.amount!r}")
        amount = float(self.amount)
        if not math.isfinite(amount) or amount <= 0:
            raise ValueError(f"duration amount must be a positive number, not {self.amount!r}")
        if self.unit is not Unit.HOURS and not amount.is_integer():
            raise ValueError(
                f"{format_amount(amount)}{self.unit.value}: working and calendar days must be "
                "whole numbers (use hours for fractions)"
            )
        object.__setattr__(self, "amount", amount)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """``5wd`` → 5 working days, ``2d`` → 2 calendar days, ``0.5h`` → half an hour."""
        match = _DURATION.fullmatch(text.strip())
        if match is None:
            raise ValueError(
                f"bad duration {text!r}: expected <number><unit> with unit wd (working days), "
                "d (calendar days) or h (hours), e.g. 5wd, 2d, 0.5h"
            )
        return cls(float(match["amount"]), Unit(match["unit"]))

    def __str__(self) -> str:
        return f"{format_amount(self.amount)}{self.unit.value}"

    def after(self, start: datetime, *, calendar: WorkCalendar) -> Deadline:
        """The deadline this long after ``start``."""
        if self.unit is Unit.WORKING_DAYS:
            return calendar.add_working_days(start, int(self.amount))
        if self.unit is Unit.DAYS:
            return calendar.add_calendar_days(start, int(self.amount))
        return calendar.add_hours(start, self.amount)


@dataclass(frozen=True)
class SlaPolicy:
    """A named set of durations, one per obligation."""

    name: str
    description: str
    durations: Mapping[Obligation, Duration]

    def __post_init__(self) -> None:
        durations = {Obligation(k): v for k, v in self.durations.items()}
        missing = [o.value for o in Obligation if o not in durations]
        if missing:
            raise ValueError(f"SLA policy {self.name!r} has no duration for {', '.join(missing)}")
        object.__setattr__(self, "durations", MappingProxyType(durations))


def read_policies(path: Path) -> dict[str, SlaPolicy]:
    """The SLA policies of a ``sla_policies.csv`` file by name, in file order."""
    out: dict[str, SlaPolicy] = {}
    lines: dict[str, int] = {}
    non_empty = ("name", *(o.value for o in Obligation))
    rows = records(path, allowed=POLICY_COLUMNS, required=POLICY_COLUMNS, non_empty=non_empty)
    for line, row in rows:
        name = row["name"]
        if name in out:
            raise DataFileError(
                source=path.name,
                line=line,
                column="name",
                message=f"duplicate policy {name!r} (also line {lines[name]})",
            )
        durations: dict[Obligation, Duration] = {}
        for obligation in Obligation:
            try:
                durations[obligation] = Duration.parse(row[obligation.value])
            except ValueError as error:
                raise DataFileError(
                    source=path.name, line=line, column=obligation.value, message=str(error)
                ) from None
        out[name] = SlaPolicy(name=name, description=row["description"], durations=durations)
        lines[name] = line
    return out


def due(
    policy: SlaPolicy, obligation: Obligation, start: datetime, calendar: WorkCalendar
) -> Deadline:
    """When ``obligation`` falls due under ``policy`` if the clock started at ``start``."""
    obligation = Obligation(obligation)
    duration = policy.durations[obligation]
    deadline = duration.after(start, calendar=calendar)
    return Deadline(
        due_at=deadline.due_at,
        provisional=deadline.provisional,
        basis=f"{policy.name} {obligation.value} {duration}: {deadline.basis}",
    )


def extend(deadline: Deadline, *, by: Duration, calendar: WorkCalendar) -> Deadline:
    """A new deadline ``by`` after the old due time; provisional if either rests on a guess."""
    old = to_local(deadline.due_at)
    if by.unit is Unit.WORKING_DAYS:
        # a due time of 00:00 is the end (24:00) of the day before: count after that day
        end_day = old.date() - timedelta(days=1) if old.time() == time(0) else old.date()
        moved = calendar.working_days_after(end_day, int(by.amount))
    else:
        moved = by.after(old, calendar=calendar)
    return Deadline(
        due_at=moved.due_at,
        provisional=deadline.provisional or moved.provisional,
        basis=f"extended by {by} from {old.isoformat('T', 'minutes')}: {moved.basis}; "
        f"before: {deadline.basis}",
    )


_UNIT_WORDS = {Unit.WORKING_DAYS: "个工作日", Unit.DAYS: "天", Unit.HOURS: "小时"}
_OBLIGATION_WORDS = {
    Obligation.ACKNOWLEDGE: "签收",
    Obligation.ON_SITE: "到场",
    Obligation.RESOLVE: "办结",
}


def plain(policy: SlaPolicy) -> str:
    """A policy's time limits as people say them: ``2 天内签收，2 天内到场，5 个工作日内办结``."""
    parts = []
    for obligation in Obligation:
        d = policy.durations[obligation]
        amount = "半" if d.unit is Unit.HOURS and d.amount == 0.5 else format_amount(d.amount)
        unit = "小时" if amount == "半" else _UNIT_WORDS[d.unit]
        joiner = "" if amount == "半" else " "
        parts.append(f"{amount}{joiner}{unit}内{_OBLIGATION_WORDS[obligation]}")
    return "，".join(parts)
