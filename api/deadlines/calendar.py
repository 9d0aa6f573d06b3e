"""China's working-day calendar: statutory holidays, make-up workdays (调休) and deadlines.

Where a day's status comes from, first match wins:

1. an operator-loaded year (:class:`YearData`, usually read from ``data/calendar/YYYY.csv``
   with :func:`read_year_file`): a date it lists as ``holiday`` is a day off, a date it lists
   as ``workday`` (a make-up Saturday or Sunday) is a working day, every other date of that
   year follows the weekend rule (Monday–Friday work). A loaded year replaces the library for
   that year. The State Council's notice for year Y sometimes rearranges the last days of
   December of Y-1 (the 2019 notice made 2018-12-29 a workday), so a year file may also list
   dates of the previous December; those entries win over the library for those dates;
2. ``chinese_calendar`` for the years it knows (2004–2026 in v1.11);
3. any other year: the weekend rule only, and the answer is **provisional**.

Deadlines (:class:`Deadline`, always aware in Asia/Shanghai):

- **working days** — the deadline is the end (24:00 local, stored as 00:00 of the next day)
  of the N-th working day *after* the start day. The start day never counts, whatever the
  time of day; a start on a non-working day therefore counts from the next working day
  (Saturday + 1 working day = end of Monday). N must be at least 1. The deadline is
  provisional when any day examined (start day excluded, last counted day included) lies in a
  year the calendar does not know;
- **calendar days** — the same local clock time N days later (never provisional);
- **hours** — exactly that much elapsed time later (never provisional).

Naive datetimes are refused (a time without a zone is a guess); aware datetimes in any zone
are converted to Asia/Shanghai first, so the start *day* is the local day in China.

Year files (``data/calendar/README.md``): UTF-8 CSV ``date,kind,name`` with ``kind`` either
``holiday`` or ``workday``; ``#`` comments and blank lines are skipped but counted. The year is
the file name's (``2027.csv``) or else that of most dates; a date outside it (other than the
December before), a bad date or kind, a repeated date or a ``workday`` on Monday–Friday is
refused with a :class:`DataFileError` naming file, line and column.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

from geo.datafile import DataFileError, records

TZ = ZoneInfo("Asia/Shanghai")
"""Every deadline is expressed in China Standard Time."""

YEAR_FILE_COLUMNS: tuple[str, ...] = ("date", "kind", "name")
_REQUIRED_YEAR_COLUMNS: tuple[str, ...] = ("date", "kind")
_LIBRARY_VERSION = getattr(chinese_calendar, "__version__", "")


class DayKind(StrEnum):
    """What a year file says about one date."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"


@dataclass(frozen=True)
class YearData:
    """One year's official arrangement: days off and make-up weekend workdays."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str

    def __post_init__(self) -> None:
        for day in self.holidays | self.workdays:
            if not _in_notice_year(day, self.year):
                raise ValueError(
                    f"{self.source}: {day} does not belong to {self.year} "
                    f"(only {self.year} and December {self.year - 1} may be listed)"
                )
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{self.source}: {both[0]} is both a holiday and a workday")
        weekdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekdays:
            raise ValueError(
                f"{self.source}: make-up workday {weekdays[0]} is a {_weekday(weekdays[0])}, "
                "already a working day"
            )


@dataclass(frozen=True)
class Deadline:
    """A due time, whether it rests on a guessed calendar, and how it was computed."""

    due_at: datetime
    provisional: bool
    basis: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "due_at", to_local(self.due_at))


def to_local(moment: datetime) -> datetime:
    """The same instant in Asia/Shanghai; a naive datetime is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"naive datetime {moment.isoformat()} refused: give a time zone "
            "(e.g. Asia/Shanghai or UTC)"
        )
    return moment.astimezone(TZ)


def format_amount(amount: float) -> str:
    """A number as short plain decimal text: 5.0 → ``5``, 0.5 → ``0.5``, 1e-05 → ``0.00001``."""
    return format(Decimal(repr(float(amount))).normalize(), "f")


class YearSource(StrEnum):
    """Where a year's days off and make-up workdays come from."""

    LOADED = "loaded"  # an operator-loaded year file
    PACKAGE = "package"  # chinese_calendar
    UNKNOWN = "unknown"  # neither: deadlines in it are provisional


@dataclass(frozen=True)
class YearStatus:
    """One year of the calendar: its source and, for a loaded year, the file."""

    year: int
    source: YearSource
    detail: str

    @property
    def provisional(self) -> bool:
        """Whether working-day deadlines in this year are provisional."""
        return self.source is YearSource.UNKNOWN


FIRST_STATUS_YEAR = 2024
"""The first year ``gridwhistle calendar status`` lists."""


def status_years(today: date) -> range:
    """The years a status report covers: from 2024 to the year after ``today``'s.

    >>> list(status_years(date(2026, 12, 6)))
    [2024, 2025, 2026, 2027]
    """
    return range(FIRST_STATUS_YEAR, today.year + 2)


class WorkCalendar:
    """Working days in China from loaded years, then chinese_calendar, then weekends only."""

    def __init__(self, loaded: Iterable[YearData] = ()) -> None:
        self._years: dict[int, YearData] = {}
        for data in sorted(loaded, key=lambda d: d.year):
            if data.year in self._years:
                raise ValueError(
                    f"year {data.year} loaded twice ({self._years[data.year].source} "
                    f"and {data.source})"
                )
            self._years[data.year] = data
        # later notices win for the December days they rearrange
        self._explicit: dict[date, tuple[bool, str]] = {}
        for data in self._years.values():
            for day in data.holidays:
                self._explicit[day] = (False, data.source)
            for day in data.workdays:
                self._explicit[day] = (True, data.source)

    @property
    def loaded_years(self) -> tuple[int, ...]:
        """The operator-loaded years, ascending."""
        return tuple(self._years)

    def knows(self, year: int) -> bool:
        """Whether the year is loaded or covered by chinese_calendar."""
        return year in self._years or _library_knows(year)

    def year_status(self, year: int) -> YearStatus:
        """Where the year's holidays and make-up workdays come from (unknown: provisional)."""
        if year in self._years:
            source = self._years[year].source  # "2027: 2027.csv"
            return YearStatus(year, YearSource.LOADED, source.removeprefix(f"{year}: "))
        if _library_knows(year):
            return YearStatus(year, YearSource.PACKAGE, f"chinese_calendar {_LIBRARY_VERSION}")
        return YearStatus(year, YearSource.UNKNOWN, "weekend rule only")

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is a working day, the answer is provisional because the year is unknown)."""
        workday, provisional, _ = self._classify(day)
        return workday, provisional

    def add_working_days(self, start: datetime, days: int) -> Deadline:
        """The end of the ``days``-th working day after the start's local day."""
        local = to_local(start)
        _check_count(days, minimum=1, what="working days")
        return self._working_days_after(local.date(), days, origin=local.isoformat("T", "minutes"))

    def working_days_after(self, day: date, days: int) -> Deadline:
        """The end of the ``days``-th working day after ``day`` (``day`` itself not counted)."""
        _check_count(days, minimum=1, what="working days")
        return self._working_days_after(day, days, origin=day.isoformat())

    def add_calendar_days(self, start: datetime, days: int) -> Deadline:
        """The same local clock time ``days`` calendar days later."""
        local = to_local(start)
        _check_count(days, minimum=0, what="calendar days")
        due_day = local.date() + timedelta(days=days)
        due_at = datetime.combine(due_day, local.timetz().replace(tzinfo=None), TZ)
        unit = "calendar day" if days == 1 else "calendar days"
        return Deadline(
            due_at=due_at,
            provisional=False,
            basis=f"{days} {unit} after {local.isoformat('T', 'minutes')}, same clock time",
        )

    def add_hours(self, start: datetime, hours: float) -> Deadline:
        """Exactly ``hours`` hours of elapsed time later."""
        local = to_local(start)
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise TypeError(f"hours must be a number, not {type(hours).__name__}")
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite number ≥ 0, not {hours!r}")
        due_at = (local.astimezone(UTC) + timedelta(hours=hours)).astimezone(TZ)
        unit = "hour" if hours == 1 else "hours"
        return Deadline(
            due_at=due_at,
            provisional=False,
            basis=f"{format_amount(hours)} {unit} after {local.isoformat('T', 'minutes')}",
        )

    def _working_days_after(self, start_day: date, days: int, *, origin: str) -> Deadline:
        """Count working days after ``start_day``; the deadline is midnight after the last."""
        counted = 0
        day = start_day
        provisional = False
        sources: list[str] = []
        while counted < days:
            day += timedelta(days=1)
            workday, unknown, source = self._classify(day)
            provisional = provisional or unknown
            if source not in sources:
                sources.append(source)
            counted += workday
        due_at = datetime.combine(day + timedelta(days=1), time(0), TZ)
        unit = "working day" if days == 1 else "working days"
        basis = (
            f"{days} {unit} after {origin} (start day not counted), ends {day} 24:00 "
            f"({'; '.join(sources)})"
        )
        return Deadline(due_at=due_at, provisional=provisional, basis=basis)

    def _classify(self, day: date) -> tuple[bool, bool, str]:
        """(working day, provisional, where the answer comes from) for one date."""
        explicit = self._explicit.get(day)
        if explicit is not None:
            return explicit[0], False, explicit[1]
        data = self._years.get(day.year)
        if data is not None:
            return day.weekday() < 5, False, data.source
        if _library_knows(day.year):
            label = f"{day.year}: chinese_calendar {_LIBRARY_VERSION}".rstrip()
            return bool(chinese_calendar.is_workday(day)), False, label
        return (
            day.weekday() < 5,
            True,
            f"{day.year} not in calendar: weekends only, provisional",
        )


def read_year_file(path: Path) -> YearData:
    """One year's holidays and make-up workdays from a ``date,kind,name`` CSV file."""
    rows = list(
        records(
            path,
            allowed=YEAR_FILE_COLUMNS,
            required=_REQUIRED_YEAR_COLUMNS,
            non_empty=_REQUIRED_YEAR_COLUMNS,
        )
    )
    source = path.name

    def fail(line: int, column: str, message: str) -> DataFileError:
        return DataFileError(source=source, line=line, column=column, message=message)

    parsed: list[tuple[int, date, DayKind]] = []
    for line, row in rows:
        try:
            day = date.fromisoformat(row["date"])
        except ValueError:
            raise fail(line, "date", f"{row['date']!r} is not a date (YYYY-MM-DD)") from None
        if len(row["date"]) != 10:
            raise fail(line, "date", f"{row['date']!r} is not written YYYY-MM-DD")
        try:
            kind = DayKind(row["kind"])
        except ValueError:
            raise fail(
                line, "kind", f"unknown kind {row['kind']!r} (expected holiday or workday)"
            ) from None
        parsed.append((line, day, kind))
    if not parsed:
        raise fail(max((line for line, _ in rows), default=1), "date", "no dates in the file")

    year, why = _file_year(path, [day for _, day, _ in parsed])
    seen: dict[date, int] = {}
    holidays: set[date] = set()
    workdays: set[date] = set()
    for line, day, kind in parsed:
        if not _in_notice_year(day, year):
            raise fail(
                line,
                "date",
                f"{day} is not in {year} ({why}): one year per file; only December "
                f"{year - 1} may also appear, for days a New Year notice rearranges",
            )
        if day in seen:
            raise fail(line, "date", f"{day} listed twice (also line {seen[day]})")
        seen[day] = line
        if kind is DayKind.WORKDAY:
            if day.weekday() < 5:
                raise fail(
                    line,
                    "kind",
                    f"{day} is a {_weekday(day)}, already a working day: list only make-up "
                    "Saturdays and Sundays as workday",
                )
            workdays.add(day)
        else:
            holidays.add(day)
    return YearData(
        year=year,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        source=f"{year}: {source}",
    )


def read_year_dir(folder: Path) -> tuple[YearData, ...]:
    """Every ``YYYY.csv`` in a folder; other files (README.md, examples) are ignored."""
    return tuple(read_year_file(p) for p in sorted(folder.glob("[0-9][0-9][0-9][0-9].csv")))


def _check_count(days: int, *, minimum: int, what: str) -> None:
    """Refuse a non-integer or too small number of days."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"{what} must be a whole number, not {days!r}")
    if days < minimum:
        raise ValueError(f"{what} must be at least {minimum}, not {days}")


def _file_year(path: Path, days: Sequence[date]) -> tuple[int, str]:
    """The year a file is for: from a ``YYYY.csv`` name, else the most common year."""
    if len(path.stem) == 4 and path.stem.isdigit():
        return int(path.stem), "the file's year, from its name"
    # December dates may belong to next year's notice, so the other months decide first
    decisive = [d.year for d in days if d.month != 12] or [d.year for d in days]
    return Counter(decisive).most_common(1)[0][0], "the year of most of its dates"


def _in_notice_year(day: date, year: int) -> bool:
    """Whether a date may appear in the notice for ``year`` (the year or the December before)."""
    return day.year == year or (day.year == year - 1 and day.month == 12)


def _weekday(day: date) -> str:
    """The English weekday name."""
    return day.strftime("%A")


@cache
def _library_knows(year: int) -> bool:
    """Whether chinese_calendar has data for the year."""
    if not 1 <= year <= 9999:
        return False
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True
