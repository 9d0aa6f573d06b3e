"""The supervision ladder: the shipped file, steps at written-out instants, the database
cutoffs agreeing with the thresholds, and refusals in the file."""

from __future__ import annotations

import doctest
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import api.deadlines.supervision as supervision
from api.deadlines.calendar import TZ, DataFileError, WorkCalendar, read_year_file
from api.deadlines.sla import Duration, Obligation, read_policies
from api.deadlines.supervision import (
    ESCALATIONS,
    AssignmentTimes,
    Ladder,
    Ladders,
    Level,
    ObligationTimes,
    due_cutoff,
    level,
    obligation_level,
    reached,
    read_ladders,
    thresholds,
)

DATA = Path(__file__).resolve().parents[3] / "data"
FICTIONAL_2027 = Path(__file__).parent / "fixtures" / "2027.csv"
HEADER = "policy,description,warning_share,chase_after,district_after,city_after"
POLICIES = ("huangpu", "maanshan", "emergency")
PLAIN = WorkCalendar()


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def ladder(chase: str = "24h", district: str = "2wd", city: str = "5wd") -> Ladder:
    return Ladder(
        "test",
        0.8,
        Duration.parse(chase),
        Duration.parse(district),
        Duration.parse(city),
    )


def fmt(steps: dict[Level, datetime]) -> dict[str, str]:
    return {str(k): f"{v:%a %Y-%m-%d %H:%M}" for k, v in steps.items()}


# --- the shipped file -------------------------------------------------------------------------


def test_every_shipped_policy_has_a_ladder() -> None:
    policies = read_policies(DATA / "sla_policies.csv")
    ladders = read_ladders(DATA / "supervision.csv", policies=policies)
    got = {
        name: (
            ladders.of(name).warning_share,
            str(ladders.of(name).chase_after),
            str(ladders.of(name).district_after),
            str(ladders.of(name).city_after),
        )
        for name in policies
    }
    assert got == {
        "huangpu": (0.8, "24h", "2wd", "5wd"),  # the default row
        "maanshan": (0.8, "24h", "2wd", "10wd"),
        "emergency": (0.5, "1h", "4h", "24h"),
    }
    assert ladders.of("huangpu") is ladders.default


def test_the_docstring_examples_hold() -> None:
    result = doctest.testmod(supervision, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 3 and result.failed == 0


# --- steps at fixed instants ------------------------------------------------------------------


def test_the_steps_of_a_friday_deadline_skip_the_weekend() -> None:
    # huangpu on site 2d: dispatched Wednesday 18:00, due Friday 18:00
    times = ObligationTimes(bj(2026, 6, 3, 18), bj(2026, 6, 5, 18))
    assert fmt(thresholds(times, ladder(), PLAIN)) == {
        "warning": "Fri 2026-06-05 08:24",  # 80 % of 48 h
        "overdue": "Fri 2026-06-05 18:00",
        "chased": "Sat 2026-06-06 18:00",  # 24 h later, weekend or not
        "district": "Wed 2026-06-10 00:00",  # end of Tuesday: Monday and Tuesday counted
        "city": "Sat 2026-06-13 00:00",  # end of Friday: Monday to Friday counted
    }
    expected = [
        (bj(2026, 6, 5, 8, 23), Level.NONE),
        (bj(2026, 6, 5, 8, 24), Level.WARNING),
        (bj(2026, 6, 5, 18, 0), Level.WARNING),  # due, not yet overdue
        (bj(2026, 6, 5, 18, 1), Level.OVERDUE),
        (bj(2026, 6, 6, 17, 59), Level.OVERDUE),
        (bj(2026, 6, 6, 18, 0), Level.CHASED),
        (bj(2026, 6, 9, 23, 59), Level.CHASED),
        (bj(2026, 6, 10, 0, 0), Level.DISTRICT),
        (bj(2026, 6, 12, 23, 59), Level.DISTRICT),
        (bj(2026, 6, 13, 0, 0), Level.CITY),
        (bj(2027, 6, 13, 0, 0), Level.CITY),
    ]
    assert [(now, obligation_level(times, ladder(), now, PLAIN)) for now, _ in expected] == expected


def test_a_due_time_at_midnight_counts_from_the_day_it_ends() -> None:
    # due 00:00 Tuesday = the end of Monday: 2 working days are Tuesday and Wednesday
    times = ObligationTimes(bj(2026, 6, 1, 9), bj(2026, 6, 9, 0))
    steps = thresholds(times, ladder(), PLAIN)
    assert steps[Level.DISTRICT] == bj(2026, 6, 11)


def test_the_steps_across_national_day() -> None:
    # due Wednesday 30 September 2026; 1–7 October are holidays, Saturday 10 October is worked
    times = ObligationTimes(bj(2026, 9, 28, 10), bj(2026, 9, 30, 10))
    steps = fmt(thresholds(times, ladder(), PLAIN))
    assert steps["district"] == "Sat 2026-10-10 00:00"  # 8 and 9 October
    assert steps["city"] == "Wed 2026-10-14 00:00"  # 8, 9, 10 (make-up), 12 and 13


def test_the_steps_across_the_year_s_edge() -> None:
    # due on the last evening of 2026; 2027 is unknown to the library (weekends only)
    times = ObligationTimes(bj(2026, 12, 29, 18), bj(2026, 12, 31, 18))
    plain = fmt(thresholds(times, ladder(), PLAIN))
    assert plain["chased"] == "Fri 2027-01-01 18:00"
    assert plain["district"] == "Tue 2027-01-05 00:00"  # 1 and 4 January, guessed
    assert plain["city"] == "Fri 2027-01-08 00:00"
    loaded = WorkCalendar([read_year_file(FICTIONAL_2027)])  # 1 January is a holiday
    known = fmt(thresholds(times, ladder(), loaded))
    assert known["district"] == "Wed 2027-01-06 00:00"  # 4 and 5 January
    assert known["city"] == "Sat 2027-01-09 00:00"
    first_second = bj(2027, 1, 1)
    assert obligation_level(times, ladder(), first_second, PLAIN) is Level.OVERDUE
    assert obligation_level(times, ladder(), bj(2027, 1, 5), PLAIN) is Level.DISTRICT
    assert obligation_level(times, ladder(), bj(2027, 1, 5), loaded) is Level.CHASED


def test_a_step_never_comes_before_the_one_below() -> None:
    # chase after 3 days but district after 1 working day: district waits for the chase
    steps = thresholds(
        ObligationTimes(bj(2026, 6, 1, 9), bj(2026, 6, 3, 9)),
        ladder(chase="3d", district="1wd", city="2wd"),
        PLAIN,
    )
    assert steps[Level.CHASED] == steps[Level.DISTRICT] == bj(2026, 6, 6, 9)
    assert steps[Level.CITY] == bj(2026, 6, 6, 9)  # 2 working days end on Friday: also raised


def test_reached_lists_every_step_up_to_the_level() -> None:
    times = ObligationTimes(bj(2026, 6, 3, 18), bj(2026, 6, 5, 18))
    assert reached(times, ladder(), bj(2026, 6, 10, 1), PLAIN) == [
        Level.WARNING,
        Level.OVERDUE,
        Level.CHASED,
        Level.DISTRICT,
    ]
    met = ObligationTimes(times.started_at, times.due_at, done_at=bj(2026, 6, 5, 9))
    assert reached(met, ladder(), bj(2026, 6, 10, 1), PLAIN) == []


def test_an_assignment_s_level_is_its_worst_open_obligation() -> None:
    start = bj(2026, 6, 1, 9)
    obligations = {
        Obligation.ACKNOWLEDGE: ObligationTimes(start, bj(2026, 6, 3, 9), bj(2026, 6, 5, 9)),
        Obligation.ON_SITE: ObligationTimes(start, bj(2026, 6, 3, 9)),
        Obligation.RESOLVE: ObligationTimes(start, bj(2026, 6, 9, 0)),
    }
    now = bj(2026, 6, 4, 10)  # on site 25 h late (chased); acknowledged late but met
    assert level(AssignmentTimes(obligations), ladder(), now, PLAIN) is Level.CHASED
    assert level(AssignmentTimes(obligations, live=False), ladder(), now, PLAIN) is Level.NONE
    assert level(AssignmentTimes({}), ladder(), now, PLAIN) is Level.NONE


def test_naive_instants_are_refused() -> None:
    times = ObligationTimes(bj(2026, 6, 3, 18), bj(2026, 6, 5, 18))
    with pytest.raises(ValueError, match="naive"):
        obligation_level(times, ladder(), datetime(2026, 6, 5, 18), PLAIN)


# --- the cutoffs a database tests agree with the thresholds --------------------------------

LADDERS = [
    ladder(),
    ladder("1h", "4h", "24h"),
    ladder("2d", "3wd", "10wd"),
    ladder("3wd", "4wd"),
    ladder("3d", "1wd", "2wd"),  # raised to the chase
]
INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(TZ)
)


@settings(max_examples=300, deadline=None)
@given(
    now=INSTANTS,
    lag=st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=21)),
    which=st.sampled_from(range(len(LADDERS))),
    step=st.sampled_from(ESCALATIONS),
    midnight=st.booleans(),
)
def test_due_cutoff_agrees_with_the_thresholds(
    now: datetime, lag: timedelta, which: int, step: Level, midnight: bool
) -> None:
    due = (now - lag).astimezone(TZ)
    if midnight:  # due times of working-day deadlines are midnights
        due = due.replace(hour=0, minute=0, second=0, microsecond=0)
    chosen = LADDERS[which]
    times = ObligationTimes(due - timedelta(days=3), due)
    by_threshold = now >= thresholds(times, chosen, PLAIN)[step]
    assert (due <= due_cutoff(step, chosen, now, PLAIN)) == by_threshold


def test_due_cutoff_at_a_written_out_instant() -> None:
    now = bj(2026, 10, 12, 9)  # Monday after National Day week and the make-up Saturday
    # 2wd: Saturday 10 and Monday 12 are not both over; Friday 9 and Saturday 10 are
    assert due_cutoff(Level.DISTRICT, ladder(), now, PLAIN) == bj(2026, 10, 9)
    assert due_cutoff(Level.CHASED, ladder(), now, PLAIN) == bj(2026, 10, 11, 9)
    with pytest.raises(ValueError, match="no due cutoff"):
        due_cutoff(Level.OVERDUE, ladder(), now, PLAIN)


# --- refusals in the file ----------------------------------------------------------------------


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    """A ladder file: a comment on line 1, ``header`` on line 2, ``lines`` from line 3."""
    path = tmp_path / "supervision.csv"
    path.write_text("\n".join(["# test", header, *lines]) + "\n", encoding="utf-8")
    return path


GOOD = '*,"the default, for all",0.8,24h,2wd,5wd'


@pytest.mark.parametrize(
    ("bad", "column", "text"),
    [
        ("nowhere,,0.8,24h,2wd,5wd", "policy", "unknown SLA policy 'nowhere'"),
        ("*,,0.8,24h,2wd,5wd", "policy", "policy '*' twice (also line 3)"),
        ("huangpu,,1,24h,2wd,5wd", "warning_share", "strictly between 0 and 1"),
        ("huangpu,,0,24h,2wd,5wd", "warning_share", "strictly between 0 and 1"),
        ("huangpu,,nan,24h,2wd,5wd", "warning_share", "strictly between 0 and 1"),
        ("huangpu,,80%,24h,2wd,5wd", "warning_share", "'80%' is not a number"),
        ("huangpu,,0.8,24 h,2wd,5wd", "chase_after", "bad duration '24 h'"),
        ("huangpu,,0.8,24h,1.5wd,5wd", "district_after", "whole numbers"),
        ("huangpu,,0.8,24h,2wd,0h", "city_after", "positive"),
        ("huangpu,,0.8,24h,5wd,5wd", "city_after", "must be longer than district_after"),
        ("huangpu,,0.8,48h,24h,5wd", "district_after", "must be longer than chase_after"),
        ("huangpu,,0.8,24h,,5wd", "district_after", "district_after is empty"),
        ("huangpu,,0.8,24h,2wd,5wd,1", "city_after", "7 values"),
    ],
)
def test_bad_ladder_lines_name_line_and_column(
    tmp_path: Path, bad: str, column: str, text: str
) -> None:
    path = write(tmp_path, GOOD, "", bad)  # good line 3, blank line 4, bad line 5
    with pytest.raises(DataFileError) as info:
        read_ladders(path, policies=POLICIES)
    assert (info.value.line, info.value.column) == (5, column)
    assert str(info.value).startswith(f"supervision.csv line 5, column {column}: ")
    assert text in str(info.value)


def test_a_policy_without_a_ladder_or_default_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "huangpu,,0.8,24h,2wd,5wd", "emergency,,0.5,1h,4h,24h")
    with pytest.raises(DataFileError) as info:
        read_ladders(path, policies=POLICIES)
    assert (info.value.line, info.value.column) == (4, "policy")
    assert "no ladder for SLA policy maanshan and no default row" in str(info.value)
    assert read_ladders(path, policies=("huangpu", "emergency")).default is None


@pytest.mark.parametrize(
    ("header", "column", "text"),
    [
        (HEADER.replace(",city_after", ""), "city_after", "missing column 'city_after'"),
        (HEADER.replace("warning_share", "warning"), "warning", "unknown column 'warning'"),
    ],
)
def test_bad_ladder_header(tmp_path: Path, header: str, column: str, text: str) -> None:
    with pytest.raises(DataFileError) as info:
        read_ladders(write(tmp_path, header=header), policies=POLICIES)
    assert (info.value.line, info.value.column) == (2, column)
    assert text in str(info.value)


def test_ladders_without_a_default_name_the_policy() -> None:
    ladders = Ladders(by_policy={"huangpu": ladder()})
    with pytest.raises(KeyError, match="no supervision ladder for SLA policy 'emergency'"):
        ladders.of("emergency")
