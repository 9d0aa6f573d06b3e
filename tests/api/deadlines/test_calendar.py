"""Working-day calendar: 调休 around National Day and Spring Festival 2026, loaded years,
provisional counting, time zones and the year-file format.

Expected dates are listed by hand from the 2026 arrangement (国办发明电〔2025〕7号 as carried
by chinese_calendar 1.11), which the first test pins against the library itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.deadlines.calendar import (
    TZ,
    DataFileError,
    Deadline,
    WorkCalendar,
    YearData,
    read_year_dir,
    read_year_file,
)

FIXTURES = Path(__file__).parent / "fixtures"
FICTIONAL_2027 = FIXTURES / "2027.csv"
NEW_YORK = ZoneInfo("America/New_York")

# 2026 by hand: days off on Monday–Friday, and weekend days that are working days (调休)
WEEKDAYS_OFF_2026 = {
    date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19),
    date(2026, 2, 20), date(2026, 2, 23),  # 春节: 2026-02-15 (Sun) … 2026-02-23 (Mon)
    date(2026, 9, 25),  # 中秋 (Fri)
    date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6),
    date(2026, 10, 7),  # 国庆: 2026-10-01 (Thu) … 2026-10-07 (Wed)
}  # fmt: skip
WEEKEND_WORKDAYS_2026 = {
    date(2026, 2, 14),  # Sat, 春节调休
    date(2026, 2, 28),  # Sat, 春节调休
    date(2026, 9, 20),  # Sun, 国庆调休
    date(2026, 10, 10),  # Sat, 国庆调休
}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A datetime in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def midnight_after(day: date) -> datetime:
    """24:00 of ``day`` as an aware datetime (00:00 of the next day)."""
    return datetime.combine(day + timedelta(days=1), time(0), TZ)


@pytest.fixture(scope="module")
def plain() -> WorkCalendar:
    return WorkCalendar()


@pytest.fixture(scope="module")
def with_2027() -> WorkCalendar:
    return WorkCalendar([read_year_file(FICTIONAL_2027)])


# --- 2026 from chinese_calendar ---------------------------------------------------------------


def test_hand_lists_agree_with_the_library_around_the_2026_holidays() -> None:
    for month_start, month_end in [(date(2026, 2, 1), date(2026, 3, 1)),
                                   (date(2026, 9, 15), date(2026, 10, 15))]:  # fmt: skip
        day = month_start
        while day <= month_end:
            by_hand = (
                day in WEEKEND_WORKDAYS_2026 if day.weekday() >= 5 else day not in WEEKDAYS_OFF_2026
            )
            assert chinese_calendar.is_workday(day) is by_hand, day
            day += timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 1), (False, False)),  # National Day, Thursday
        (date(2026, 10, 3), (False, False)),  # Saturday inside the break
        (date(2026, 10, 8), (True, False)),
        (date(2026, 10, 10), (True, False)),  # make-up Saturday
        (date(2026, 10, 11), (False, False)),
        (date(2026, 9, 20), (True, False)),  # make-up Sunday
        (date(2026, 2, 14), (True, False)),
        (date(2026, 2, 23), (False, False)),  # Monday, still Spring Festival
        (date(2027, 1, 1), (True, True)),  # unknown year: a Friday, provisionally working
        (date(2027, 1, 2), (False, True)),
        (date(2003, 12, 31), (True, True)),  # before the library's first year
    ],
)
def test_is_workday(plain: WorkCalendar, day: date, expected: tuple[bool, bool]) -> None:
    assert plain.is_workday(day) == expected


@pytest.mark.parametrize(
    ("start", "days", "last_day"),
    [
        # National Day 2026: Oct 1–7 off, Oct 10 (Sat) works, Oct 11 (Sun) off
        (local(2026, 9, 30, 10), 1, date(2026, 10, 8)),
        (local(2026, 9, 30, 10), 2, date(2026, 10, 9)),
        (local(2026, 9, 30, 10), 3, date(2026, 10, 10)),  # the make-up Saturday counts
        (local(2026, 9, 30, 10), 4, date(2026, 10, 12)),
        (local(2026, 10, 3, 10), 1, date(2026, 10, 8)),  # start inside the break
        (local(2026, 9, 24, 18), 1, date(2026, 9, 28)),  # Mid-Autumn Friday, then weekend
        (local(2026, 9, 19, 9), 1, date(2026, 9, 20)),  # Saturday start, make-up Sunday
        # Spring Festival 2026: Feb 14 (Sat) works, Feb 15–23 off, Feb 28 (Sat) works
        (local(2026, 2, 13, 17), 1, date(2026, 2, 14)),
        (local(2026, 2, 13, 17), 2, date(2026, 2, 24)),
        (local(2026, 2, 14, 9), 1, date(2026, 2, 24)),  # start on the make-up Saturday
        (local(2026, 2, 27, 23, 59), 1, date(2026, 2, 28)),
        (local(2026, 2, 27, 23, 59), 2, date(2026, 3, 2)),
        # an ordinary week: Sunday start counts Monday as day 1
        (local(2026, 11, 22, 10), 5, date(2026, 11, 27)),
    ],
)
def test_working_days_around_the_2026_holidays(
    plain: WorkCalendar, start: datetime, days: int, last_day: date
) -> None:
    got = plain.add_working_days(start, days)
    assert got.due_at == midnight_after(last_day)
    assert got.provisional is False
    assert f"ends {last_day} 24:00" in got.basis
    assert "chinese_calendar" in got.basis


def test_due_at_is_shanghai_midnight(plain: WorkCalendar) -> None:
    got = plain.add_working_days(local(2026, 9, 30, 10), 1)
    assert got.due_at.isoformat() == "2026-10-09T00:00:00+08:00"
    assert got.due_at.tzinfo == TZ


def test_working_days_must_be_a_positive_whole_number(plain: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plain.add_working_days(local(2026, 11, 23, 9), 0)
    with pytest.raises(TypeError, match="whole number"):
        plain.add_working_days(local(2026, 11, 23, 9), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 0"):
        plain.add_calendar_days(local(2026, 11, 23, 9), -1)
    with pytest.raises(ValueError, match="finite"):
        plain.add_hours(local(2026, 11, 23, 9), float("nan"))


# --- unknown and loaded years -----------------------------------------------------------------


def test_knows(plain: WorkCalendar, with_2027: WorkCalendar) -> None:
    assert plain.knows(2004) and plain.knows(2026)
    assert not plain.knows(2003) and not plain.knows(2027)
    assert with_2027.knows(2027) and not with_2027.knows(2028)
    assert with_2027.loaded_years == (2027,)


def test_into_an_unknown_year_counts_weekends_only_and_is_provisional(
    plain: WorkCalendar,
) -> None:
    # 2026-12-28 Mon: Dec 29, 30, 31 (1–3), Fri 2027-01-01 (4, a weekday for want of data),
    # Mon 2027-01-04 (5)
    got = plain.add_working_days(local(2026, 12, 28, 9), 5)
    assert got.due_at == midnight_after(date(2027, 1, 4))
    assert got.provisional is True
    assert "2027 not in calendar: weekends only, provisional" in got.basis


def test_inside_a_known_year_a_deadline_is_never_provisional_even_next_to_an_unknown_one(
    plain: WorkCalendar,
) -> None:
    # Dec 29, 30, 31 are the three working days; Jan 1 2027 is never examined
    got = plain.add_working_days(local(2026, 12, 28, 9), 3)
    assert got.due_at == midnight_after(date(2026, 12, 31))
    assert got.provisional is False
    assert "2027" not in got.basis


def test_loaded_year_replaces_the_weekend_guess(with_2027: WorkCalendar) -> None:
    assert with_2027.is_workday(date(2027, 1, 1)) == (False, False)
    assert with_2027.is_workday(date(2027, 1, 21)) == (False, False)
    assert with_2027.is_workday(date(2027, 1, 30)) == (True, False)  # fictional make-up Sat
    assert with_2027.is_workday(date(2027, 1, 31)) == (False, False)
    assert with_2027.is_workday(date(2027, 2, 1)) == (True, False)
    # 2026 still comes from the library
    assert with_2027.is_workday(date(2026, 10, 10)) == (True, False)
    got = with_2027.add_working_days(local(2026, 12, 28, 9), 5)
    # Dec 29, 30, 31 (1–3), Jan 1 off, Jan 4 (4), Jan 5 (5)
    assert got.due_at == midnight_after(date(2027, 1, 5))
    assert got.provisional is False
    assert "2027: 2027.csv" in got.basis


def test_a_years_notice_may_rearrange_the_december_before(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,kind,name\n2026-12-26,workday,test\n2026-12-31,holiday,test\n"
        "2027-01-01,holiday,元旦\n",
        encoding="utf-8",
    )
    data = read_year_file(path)
    assert data.year == 2027
    calendar = WorkCalendar([data])
    assert chinese_calendar.is_workday(date(2026, 12, 26)) is False  # a plain Saturday
    assert calendar.is_workday(date(2026, 12, 26)) == (True, False)
    assert calendar.is_workday(date(2026, 12, 31)) == (False, False)
    assert calendar.is_workday(date(2026, 12, 30)) == (True, False)  # unlisted: library


def test_the_same_year_cannot_be_loaded_twice() -> None:
    data = read_year_file(FICTIONAL_2027)
    with pytest.raises(ValueError, match="2027 loaded twice"):
        WorkCalendar([data, data])


def test_year_data_checks_itself() -> None:
    with pytest.raises(ValueError, match="both a holiday and a workday"):
        YearData(2027, frozenset({date(2027, 1, 2)}), frozenset({date(2027, 1, 2)}), "t")
    with pytest.raises(ValueError, match="does not belong to 2027"):
        YearData(2027, frozenset({date(2028, 1, 3)}), frozenset(), "t")
    with pytest.raises(ValueError, match="already a working day"):
        YearData(2027, frozenset(), frozenset({date(2027, 1, 4)}), "t")


# --- the year-file format ---------------------------------------------------------------------


def test_fixture_file_reads(with_2027: WorkCalendar) -> None:
    data = read_year_file(FICTIONAL_2027)
    assert data.year == 2027
    assert data.holidays == {date(2027, 1, 1), date(2027, 1, 20), date(2027, 1, 21),
                             date(2027, 1, 22)}  # fmt: skip
    assert data.workdays == {date(2027, 1, 30)}
    assert data.source == "2027: 2027.csv"


def test_read_year_dir_reads_only_year_files(tmp_path: Path) -> None:
    (tmp_path / "2027.csv").write_bytes(FICTIONAL_2027.read_bytes())
    (tmp_path / "README.md").write_text("# not a year\n", encoding="utf-8")
    (tmp_path / "2099.example.csv").write_text("nonsense\n", encoding="utf-8")
    assert [d.year for d in read_year_dir(tmp_path)] == [2027]


def test_shipped_calendar_folder_holds_no_unofficial_year() -> None:
    folder = Path(__file__).resolve().parents[3] / "data" / "calendar"
    assert (folder / "README.md").is_file()
    assert read_year_dir(folder) == ()


def write_year(tmp_path: Path, *lines: str, name: str = "2027.csv") -> Path:
    """A year file: a comment on line 1, the header on line 2, ``lines`` from line 3."""
    path = tmp_path / name
    path.write_text("\n".join(["# test", "date,kind,name", *lines]) + "\n", encoding="utf-8-sig")
    return path


GOOD_LINE = "2027-01-01,holiday,元旦"


@pytest.mark.parametrize(
    ("bad", "column", "text"),
    [
        ("2027-02-30,holiday,x", "date", "'2027-02-30' is not a date"),
        ("27-01-02,holiday,x", "date", "not a date"),
        ("20270102,holiday,x", "date", "YYYY-MM-DD"),
        ("2027-01-02,off,x", "kind", "unknown kind 'off'"),
        ("2027-01-02,,x", "kind", "kind is empty"),
        ("2028-01-03,holiday,x", "date", "2028-01-03 is not in 2027"),
        ("2026-06-01,holiday,x", "date", "2026-06-01 is not in 2027"),
        ("2027-01-01,holiday,again", "date", "listed twice (also line 4)"),
        ("2027-01-05,workday,x", "kind", "is a Tuesday, already a working day"),
        ("2027-01-02,holiday,x,extra", "name", "4 values"),
    ],
)
def test_year_file_rejections_name_the_line(
    tmp_path: Path, bad: str, column: str, text: str
) -> None:
    path = write_year(tmp_path, "", GOOD_LINE, bad)  # blank line 3, good line 4, bad line 5
    with pytest.raises(DataFileError) as info:
        read_year_file(path)
    assert (info.value.line, info.value.column) == (5, column)
    assert str(info.value).startswith(f"2027.csv line 5, column {column}: ")
    assert text in str(info.value)


def test_mixed_years_without_a_year_in_the_name_blame_the_odd_line(tmp_path: Path) -> None:
    path = write_year(
        tmp_path, "2027-01-01,holiday,a", "2027-01-02,holiday,b", "2028-01-01,holiday,c",
        name="next.csv",
    )  # fmt: skip
    with pytest.raises(
        DataFileError, match=r"^next.csv line 5, column date: 2028-01-01 is not in 2027"
    ):
        read_year_file(path)


@pytest.mark.parametrize(
    ("header", "column", "text"),
    [
        ("date,name", "kind", "missing column 'kind'"),
        ("date,kind,name,holiday", "holiday", "unknown column"),
        ("date,kind,kind", "kind", "twice"),
    ],
)
def test_year_file_header_rejections(tmp_path: Path, header: str, column: str, text: str) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(f"{header}\n{GOOD_LINE}\n", encoding="utf-8")
    with pytest.raises(DataFileError) as info:
        read_year_file(path)
    assert (info.value.line, info.value.column) == (1, column)
    assert text in str(info.value)


def test_year_file_without_dates_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="no dates"):
        read_year_file(write_year(tmp_path))
    empty = tmp_path / "2028.csv"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="no header"):
        read_year_file(empty)


# --- time zones, hours and calendar days ------------------------------------------------------


def test_naive_datetimes_are_refused(plain: WorkCalendar) -> None:
    naive = datetime(2026, 11, 23, 9)
    for call in (plain.add_working_days, plain.add_calendar_days, plain.add_hours):
        with pytest.raises(ValueError, match="naive datetime"):
            call(naive, 1)
    with pytest.raises(ValueError, match="naive"):
        Deadline(due_at=naive, provisional=False, basis="")


def test_utc_start_takes_the_local_day_in_china(plain: WorkCalendar) -> None:
    # 2026-11-22 17:00 UTC is Monday 2026-11-23 01:00 in Beijing: Monday is the start day,
    # so 1 working day ends on Tuesday (read as Sunday in UTC it would end on Monday)
    got = plain.add_working_days(datetime(2026, 11, 22, 17, tzinfo=UTC), 1)
    assert got.due_at == local(2026, 11, 25)
    assert "2026-11-23T01:00+08:00" in got.basis


def test_hours_are_exact_and_cross_midnight(plain: WorkCalendar) -> None:
    got = plain.add_hours(local(2026, 11, 22, 23, 45), 0.5)
    assert got.due_at == local(2026, 11, 23, 0, 15)
    assert (got.provisional, got.basis) == (False, "0.5 hours after 2026-11-22T23:45+08:00")
    # hours do not care about holidays or unknown years
    assert plain.add_hours(local(2026, 12, 31, 20), 24).due_at == local(2027, 1, 1, 20)
    assert plain.add_hours(local(2026, 12, 31, 20), 24).provisional is False


def test_calendar_days_keep_the_clock_time(plain: WorkCalendar) -> None:
    got = plain.add_calendar_days(local(2026, 9, 30, 10, 30), 2)
    assert got.due_at == local(2026, 10, 2, 10, 30)  # a holiday, but calendar days count it
    assert got.provisional is False
    into_2027 = plain.add_calendar_days(local(2026, 12, 31, 8), 3)
    assert (into_2027.due_at, into_2027.provisional) == (local(2027, 1, 3, 8), False)


def test_inputs_in_a_zone_with_dst_are_converted(plain: WorkCalendar) -> None:
    # New York springs forward on 2026-03-08; Shanghai does not move.
    start = datetime(2026, 3, 7, 20, tzinfo=NEW_YORK)  # = 2026-03-08 09:00 in Beijing
    assert start.astimezone(UTC) == datetime(2026, 3, 8, 1, tzinfo=UTC)
    hours = plain.add_hours(start, 24)
    days = plain.add_calendar_days(start, 1)
    assert hours.due_at == days.due_at == local(2026, 3, 9, 9)
    assert hours.due_at - start == timedelta(hours=24)  # aware subtraction: elapsed time
    assert hours.due_at.utcoffset() == timedelta(hours=8)
    # the New York wall clock moved by 25 hours, Beijing's by exactly one day
    assert hours.due_at.astimezone(NEW_YORK).hour == 21


def test_hours_are_elapsed_time_even_across_shanghai_1986_summer_time(
    plain: WorkCalendar,
) -> None:
    # China used summer time 1986–1991; clocks went 02:00 → 03:00 on 1986-05-04
    start = local(1986, 5, 3, 12)
    hours = plain.add_hours(start, 24)
    # (same-zone subtraction would compare wall clocks, so compare in UTC)
    assert hours.due_at.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert hours.due_at.replace(tzinfo=None) == datetime(1986, 5, 4, 13)
    assert hours.due_at.utcoffset() == timedelta(hours=9)
    days = plain.add_calendar_days(start, 1)
    assert days.due_at.replace(tzinfo=None) == datetime(1986, 5, 4, 12)


# --- properties -------------------------------------------------------------------------------

ZONES = st.sampled_from([TZ, UTC, NEW_YORK, ZoneInfo("Asia/Kolkata")])
STARTS = st.datetimes(
    min_value=datetime(2003, 10, 1), max_value=datetime(2028, 3, 1), timezones=ZONES
)
CALENDARS = st.sampled_from(["plain", "with_2027"])


def independent_is_workday(day: date, *, with_2027: bool) -> tuple[bool, bool]:
    """The expected answer from the library, the fixture and the weekend rule directly."""
    if with_2027 and day.year == 2027:
        if day in {date(2027, 1, 1), date(2027, 1, 20), date(2027, 1, 21), date(2027, 1, 22)}:
            return False, False
        return day == date(2027, 1, 30) or day.weekday() < 5, False
    if 2004 <= day.year <= 2026:
        return chinese_calendar.is_workday(day), False
    return day.weekday() < 5, True


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2002, 1, 1), max_value=date(2029, 12, 31)), which=CALENDARS)
def test_is_workday_matches_the_sources(
    plain: WorkCalendar, with_2027: WorkCalendar, day: date, which: str
) -> None:
    calendar = with_2027 if which == "with_2027" else plain
    assert calendar.is_workday(day) == independent_is_workday(day, with_2027=which == "with_2027")


@settings(max_examples=300, deadline=None)
@given(start=STARTS, days=st.integers(min_value=1, max_value=70), which=CALENDARS)
def test_working_day_deadline_properties(
    plain: WorkCalendar, with_2027: WorkCalendar, start: datetime, days: int, which: str
) -> None:
    calendar = with_2027 if which == "with_2027" else plain
    got = calendar.add_working_days(start, days)
    due_local = got.due_at.astimezone(TZ)
    assert due_local.time() == time(0) and due_local.utcoffset() == timedelta(hours=8)
    assert got.due_at > start
    start_day = start.astimezone(TZ).date()
    last_day = due_local.date() - timedelta(days=1)
    examined = [start_day + timedelta(days=i) for i in range(1, (last_day - start_day).days + 1)]
    answers = [independent_is_workday(d, with_2027=which == "with_2027") for d in examined]
    assert sum(workday for workday, _ in answers) == days
    assert answers[-1][0], "the deadline ends on a working day"
    assert got.provisional == any(provisional for _, provisional in answers)
    # and the calendar's own answers agree with that count
    assert sum(calendar.is_workday(d)[0] for d in examined) == days
