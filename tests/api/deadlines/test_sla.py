"""SLA policies: the shipped file, durations, due times per obligation and extensions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.deadlines.calendar import TZ, Deadline, WorkCalendar, read_year_file
from api.deadlines.sla import (
    Duration,
    Obligation,
    SlaPolicy,
    Unit,
    due,
    extend,
    read_policies,
)
from geo.datafile import DataFileError
from geo.rules import load_shipped_rules

DATA = Path(__file__).resolve().parents[3] / "data"
FICTIONAL_2027 = Path(__file__).parent / "fixtures" / "2027.csv"
HEADER = "name,description,acknowledge,on_site,resolve"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A datetime in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(scope="module")
def policies() -> dict[str, SlaPolicy]:
    return read_policies(DATA / "sla_policies.csv")


@pytest.fixture(scope="module")
def plain() -> WorkCalendar:
    return WorkCalendar()


# --- the shipped file -------------------------------------------------------------------------


def test_shipped_policies_and_their_durations(policies: dict[str, SlaPolicy]) -> None:
    got = {
        name: tuple(str(policy.durations[o]) for o in Obligation)
        for name, policy in policies.items()
    }
    assert got == {
        "huangpu": ("2d", "2d", "5wd"),
        "maanshan": ("1wd", "5wd", "60wd"),
        "emergency": ("0.5h", "2h", "24h"),
    }
    assert policies["huangpu"].durations[Obligation.RESOLVE] == Duration(5, Unit.WORKING_DAYS)
    assert policies["emergency"].durations[Obligation.ACKNOWLEDGE] == Duration(0.5, Unit.HOURS)
    assert all(p.description for p in policies.values())


def test_the_duty_rules_are_checked_against_the_policies_read_here(
    policies: dict[str, SlaPolicy],
) -> None:
    rules = load_shipped_rules(DATA, sla_policies=policies)
    assert {rule.sla_policy for rule in rules} <= set(policies)
    with pytest.raises(DataFileError, match="sla_policy"):
        load_shipped_rules(DATA, sla_policies={"huangpu"})


# --- due times --------------------------------------------------------------------------------


def test_huangpu_from_a_sunday_morning(policies: dict[str, SlaPolicy], plain: WorkCalendar) -> None:
    start = local(2026, 11, 22, 10)  # Sunday
    huangpu = policies["huangpu"]
    assert due(huangpu, Obligation.ACKNOWLEDGE, start, plain).due_at == local(2026, 11, 24, 10)
    assert due(huangpu, Obligation.ON_SITE, start, plain).due_at == local(2026, 11, 24, 10)
    resolve = due(huangpu, Obligation.RESOLVE, start, plain)
    # Mon 23 … Fri 27 are the five working days
    assert (resolve.due_at, resolve.provisional) == (local(2026, 11, 28), False)
    assert resolve.basis.startswith("huangpu resolve 5wd: 5 working days after 2026-11-22")


def test_huangpu_resolve_over_national_day(
    policies: dict[str, SlaPolicy], plain: WorkCalendar
) -> None:
    # Sep 30 (Wed) start: Oct 8 (1), Oct 9 (2), Sat Oct 10 make-up (3), Oct 12 (4), Oct 13 (5)
    got = due(policies["huangpu"], Obligation.RESOLVE, local(2026, 9, 30, 16), plain)
    assert got.due_at == local(2026, 10, 14)


def test_emergency_in_minutes(policies: dict[str, SlaPolicy], plain: WorkCalendar) -> None:
    start = datetime(2026, 10, 1, 1, 50, tzinfo=UTC)  # 09:50 on National Day in Beijing
    emergency = policies["emergency"]
    assert due(emergency, Obligation.ACKNOWLEDGE, start, plain).due_at == local(2026, 10, 1, 10, 20)
    assert due(emergency, Obligation.ON_SITE, start, plain).due_at == local(2026, 10, 1, 11, 50)
    assert due(emergency, Obligation.RESOLVE, start, plain).due_at == local(2026, 10, 2, 9, 50)


def test_maanshan_short_obligations(policies: dict[str, SlaPolicy], plain: WorkCalendar) -> None:
    start = local(2026, 11, 23, 9)  # Monday
    maanshan = policies["maanshan"]
    assert due(maanshan, "acknowledge", start, plain).due_at == local(2026, 11, 25)  # type: ignore[arg-type]
    # Tue 24, Wed 25, Thu 26, Fri 27, Mon 30
    assert due(maanshan, Obligation.ON_SITE, start, plain).due_at == local(2026, 12, 1)


def count_60_working_days_by_hand(holidays_2027: set[date], workdays_2027: set[date]) -> date:
    """The 60th working day after 2026-11-23, listing days one by one (not the code)."""
    day, counted = date(2026, 11, 23), 0
    while counted < 60:
        day += timedelta(days=1)
        if day.year == 2026:
            counted += chinese_calendar.is_workday(day)
        elif day in holidays_2027:
            continue
        else:
            counted += day in workdays_2027 or day.weekday() < 5
    return day


def test_maanshan_quarter_reaches_into_2027(policies: dict[str, SlaPolicy]) -> None:
    start = local(2026, 11, 23, 9)
    maanshan = policies["maanshan"]

    # 2026 gives 28: Nov 24–27 and 30 (5), December's 23 weekdays (no holidays left in 2026).
    # Weekends only, 2027 gives the other 32: Fri Jan 1 (1), four full weeks Jan 4–29 (21),
    # Feb 1–5 (26), Feb 8–12 (31), Mon Feb 15 (32).
    guess = due(maanshan, Obligation.RESOLVE, start, WorkCalendar())
    assert count_60_working_days_by_hand(set(), set()) == date(2027, 2, 15)
    assert guess.due_at == local(2027, 2, 16)
    assert guess.provisional is True
    assert "2027 not in calendar: weekends only, provisional" in guess.basis

    # With the fictional 2027 file: Jan 1 and Jan 20–22 off (−4), Sat Jan 30 works (+1):
    # Jan 4–8 (5), 11–15 (10), 18–19 (12), 25–29 (17), Sat 30 (18), Feb 1–5 (23),
    # Feb 8–12 (28), Feb 15–18 (32): the 60th working day is Thursday Feb 18.
    loaded = WorkCalendar([read_year_file(FICTIONAL_2027)])
    known = due(maanshan, Obligation.RESOLVE, start, loaded)
    holidays = {date(2027, 1, 1), date(2027, 1, 20), date(2027, 1, 21), date(2027, 1, 22)}
    assert count_60_working_days_by_hand(holidays, {date(2027, 1, 30)}) == date(2027, 2, 18)
    assert known.due_at == local(2027, 2, 19)
    assert known.provisional is False
    assert known.due_at != guess.due_at
    assert "2027: 2027.csv" in known.basis and "provisional" not in known.basis


def test_due_refuses_naive_starts(policies: dict[str, SlaPolicy], plain: WorkCalendar) -> None:
    for obligation in Obligation:
        with pytest.raises(ValueError, match="naive"):
            due(policies["emergency"], obligation, datetime(2026, 11, 23, 9), plain)


# --- extensions -------------------------------------------------------------------------------


def test_extend_by_working_days_counts_after_the_day_the_deadline_ends(
    plain: WorkCalendar,
) -> None:
    first = plain.add_working_days(local(2026, 9, 30, 10), 1)  # end of Thu Oct 8
    assert first.due_at == local(2026, 10, 9)
    one_more = extend(first, by=Duration.parse("1wd"), calendar=plain)
    assert one_more.due_at == local(2026, 10, 10)  # end of Fri Oct 9, not of Sat Oct 10
    two_more = extend(first, by=Duration.parse("2wd"), calendar=plain)
    assert two_more.due_at == local(2026, 10, 11)  # the make-up Saturday counts
    three_more = extend(first, by=Duration.parse("3wd"), calendar=plain)
    assert three_more.due_at == local(2026, 10, 13)  # Sunday Oct 11 does not
    assert "extended by 1wd from 2026-10-09T00:00+08:00" in one_more.basis
    assert "before: 1 working day after 2026-09-30T10:00+08:00" in one_more.basis


def test_extend_by_days_and_hours_adds_to_the_old_due_time(plain: WorkCalendar) -> None:
    old = plain.add_hours(local(2026, 11, 23, 9, 15), 0.5)
    assert old.due_at == local(2026, 11, 23, 9, 45)
    assert extend(old, by=Duration.parse("2d"), calendar=plain).due_at == local(2026, 11, 25, 9, 45)
    assert extend(old, by=Duration.parse("1.5h"), calendar=plain).due_at == local(
        2026, 11, 23, 11, 15
    )
    # a working-day extension of a mid-day deadline: that day does not count
    assert extend(old, by=Duration.parse("1wd"), calendar=plain).due_at == local(2026, 11, 25)


def test_extending_a_provisional_deadline_stays_provisional(plain: WorkCalendar) -> None:
    old = plain.add_working_days(local(2026, 12, 30, 9), 2)  # Dec 31, then Jan 1 2027 guessed
    assert old.provisional is True
    later = extend(old, by=Duration.parse("3h"), calendar=plain)
    assert later.due_at == local(2027, 1, 2, 3)
    assert later.provisional is True
    known = Deadline(due_at=local(2026, 12, 1), provisional=False, basis="t")
    into_2027 = extend(known, by=Duration.parse("30wd"), calendar=plain)
    assert into_2027.provisional is True


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [("5wd", 5, Unit.WORKING_DAYS), ("2d", 2, Unit.DAYS), ("0.5h", 0.5, Unit.HOURS),
     (".25h", 0.25, Unit.HOURS), ("60wd", 60, Unit.WORKING_DAYS), (" 24h ", 24, Unit.HOURS)],
)  # fmt: skip
def test_duration_parse(text: str, amount: float, unit: Unit) -> None:
    got = Duration.parse(text)
    assert (got.amount, got.unit) == (amount, unit)
    assert isinstance(got.amount, float)


@pytest.mark.parametrize(
    "text", ["5", "wd", "5 wd", "5w", "5WD", "-1d", "0d", "0h", "1.5wd", "1.5d", "1e3h", "abc", ""]
)
def test_duration_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        Duration.parse(text)


def test_duration_constructor_checks() -> None:
    assert Duration(5, "wd") == Duration(5.0, Unit.WORKING_DAYS)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole numbers"):
        Duration(1.5, Unit.DAYS)
    with pytest.raises(ValueError, match="positive"):
        Duration(float("inf"), Unit.HOURS)
    with pytest.raises(ValueError):
        Duration(1, "w")  # type: ignore[arg-type]


@given(
    st.one_of(
        st.builds(
            Duration, st.integers(1, 10_000), st.sampled_from([Unit.WORKING_DAYS, Unit.DAYS])
        ),
        st.builds(
            Duration,
            st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False),
            st.just(Unit.HOURS),
        ),
    )
)
def test_duration_text_round_trips(duration: Duration) -> None:
    text = str(duration)
    assert Duration.parse(text) == duration
    assert "e" not in text.removesuffix(duration.unit.value)


@pytest.mark.parametrize("text", ["5wd", "2d", "0.5h", "24h", "0.00001h", "100d"])
def test_duration_str_is_canonical(text: str) -> None:
    assert str(Duration.parse(text)) == text


def test_policy_requires_every_obligation() -> None:
    with pytest.raises(ValueError, match="no duration for on_site, resolve"):
        SlaPolicy("x", "", {Obligation.ACKNOWLEDGE: Duration.parse("1h")})
    policy = SlaPolicy("x", "", {o.value: Duration.parse("1h") for o in Obligation})  # type: ignore[misc]
    assert set(policy.durations) == set(Obligation)
    with pytest.raises(TypeError):
        policy.durations[Obligation.RESOLVE] = Duration.parse("2h")  # type: ignore[index]


# --- refusals in the policy file --------------------------------------------------------------


def write_policies(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    """A policy file: a comment on line 1, ``header`` on line 2, ``lines`` from line 3."""
    path = tmp_path / "sla_policies.csv"
    path.write_text("\n".join(["# test", header, *lines]) + "\n", encoding="utf-8")
    return path


GOOD = 'fast,"quick, really",1h,2h,1d'


@pytest.mark.parametrize(
    ("bad", "column", "text"),
    [
        ("slow,,2x,2d,5wd", "acknowledge", "bad duration '2x'"),
        ("slow,,2d,2 d,5wd", "on_site", "bad duration '2 d'"),
        ("slow,,2d,2d,1.5wd", "resolve", "whole numbers"),
        ("slow,,2d,2d,0h", "resolve", "positive"),
        ("slow,,2d,,5wd", "on_site", "on_site is empty"),
        (",,2d,2d,5wd", "name", "name is empty"),
        ("fast,again,2d,2d,5wd", "name", "duplicate policy 'fast' (also line 3)"),
        ("slow,,2d,2d,5wd,9h", "resolve", "6 values"),
    ],
)
def test_bad_policy_lines_name_line_and_column(
    tmp_path: Path, bad: str, column: str, text: str
) -> None:
    path = write_policies(tmp_path, GOOD, "", bad)  # good line 3, blank line 4, bad line 5
    with pytest.raises(DataFileError) as info:
        read_policies(path)
    assert (info.value.line, info.value.column) == (5, column)
    assert str(info.value).startswith(f"sla_policies.csv line 5, column {column}: ")
    assert text in str(info.value)


@pytest.mark.parametrize(
    ("header", "column", "text"),
    [
        ("name,description,acknowledge,resolve", "on_site", "missing column 'on_site'"),
        ("name,acknowledge,on_site,resolve", "description", "missing column 'description'"),
        ("name,description,acknowledge,onsite,resolve", "onsite", "unknown column 'onsite'"),
    ],
)
def test_bad_policy_header(tmp_path: Path, header: str, column: str, text: str) -> None:
    with pytest.raises(DataFileError) as info:
        read_policies(write_policies(tmp_path, header=header))
    assert (info.value.line, info.value.column) == (2, column)
    assert text in str(info.value)


def test_policy_file_with_quoted_description_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "sla_policies.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n", encoding="utf-8-sig")
    policy = read_policies(path)["fast"]
    assert policy.description == "quick, really"
    assert policy.durations[Obligation.RESOLVE] == Duration(1, Unit.DAYS)
