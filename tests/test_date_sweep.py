"""The date-sensitive rules at fixed instants across the edges, each expectation written out.

The instants: the last second of 2026 and the first of 2027 in Beijing (the same UTC day,
different Beijing days), the days around the Spring Festival of 2027 (a year the shipped
calendar does not know: working days follow the weekend rule and are provisional until the
operator loads the year), the National Day of 2027 and the leap day of 2028. Every rule is
called with the instant passed in, so nothing here reads the wall clock.

Covered: the Beijing day of an instant, working-day and calendar-day deadlines under each
shipped SLA policy, provisional flags and what loading a year changes, overdue obligations,
the scoreboard's default month, the hot spot windows (30d, 12w, 6m, 1y), Open311's default
90-day range, and the monthly review's month.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from api.assessment.scoring import Period
from api.cases.queries import overdue_obligations
from api.deadlines.calendar import TZ, WorkCalendar, read_year_file, to_local
from api.deadlines.sla import Obligation, SlaPolicy, due, read_policies
from api.hotspots.window import time_window
from api.open311.service import parse_query
from api.whistles.models import Assignment
from geo.hotspots import review_month
from tests.conftest import REPO

LAST_SECOND_2026 = datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ)  # Thursday
FIRST_SECOND_2027 = datetime(2027, 1, 1, 0, 0, 0, tzinfo=TZ)  # Friday
NATIONAL_DAY_2027 = datetime(2027, 10, 1, 10, 0, tzinfo=TZ)  # Friday
LEAP_DAY_2028 = datetime(2028, 2, 29, 10, 0, tzinfo=TZ)  # Tuesday
FIXTURE_2027 = REPO / "tests" / "api" / "deadlines" / "fixtures" / "2027.csv"


def bj(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


@pytest.fixture(scope="module")
def policies() -> dict[str, SlaPolicy]:
    return read_policies(REPO / "data" / "sla_policies.csv")


@pytest.fixture(scope="module")
def shipped() -> WorkCalendar:
    """The calendar as shipped: chinese_calendar only, nothing loaded."""
    return WorkCalendar()


def deadlines(policy: SlaPolicy, start: datetime, work: WorkCalendar):
    """(due_at in Beijing, provisional) of acknowledge, on site, resolve."""
    out = []
    for obligation in Obligation:
        d = due(policy, obligation, start, work)
        out.append((to_local(d.due_at), d.provisional))
    return tuple(out)


# --- the year's edge: one second apart, two Beijing days, one UTC day ----------------------


def test_the_beijing_day_is_not_the_utc_day() -> None:
    assert LAST_SECOND_2026.astimezone(UTC).date() == date(2026, 12, 31)
    assert FIRST_SECOND_2027.astimezone(UTC).date() == date(2026, 12, 31)
    assert to_local(LAST_SECOND_2026.astimezone(UTC)).date() == date(2026, 12, 31)
    assert to_local(FIRST_SECOND_2027.astimezone(UTC)).date() == date(2027, 1, 1)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            LAST_SECOND_2026,
            {
                # 2 calendar days: the same clock time; 5 working days after Thursday 31 Dec:
                # Fri 1 Jan (a weekday to the weekend rule), Mon 4 … Thu 7 → end of Thu 7
                "huangpu": (
                    (bj(2027, 1, 2, 23, 59, 59), False),
                    (bj(2027, 1, 2, 23, 59, 59), False),
                    (bj(2027, 1, 8), True),
                ),
                # 1 working day: Fri 1 Jan; 5: Thu 7 Jan; 60: Thu 25 Mar 2027
                "maanshan": (
                    (bj(2027, 1, 2), True),
                    (bj(2027, 1, 8), True),
                    (bj(2027, 3, 26), True),
                ),
                "emergency": (
                    (bj(2027, 1, 1, 0, 29, 59), False),
                    (bj(2027, 1, 1, 1, 59, 59), False),
                    (bj(2027, 1, 1, 23, 59, 59), False),
                ),
            },
        ),
        (
            FIRST_SECOND_2027,
            {
                # one second later the start day is Friday 1 Jan: counting starts on Monday 4
                "huangpu": (
                    (bj(2027, 1, 3), False),
                    (bj(2027, 1, 3), False),
                    (bj(2027, 1, 9), True),
                ),
                "maanshan": (
                    (bj(2027, 1, 5), True),
                    (bj(2027, 1, 9), True),
                    (bj(2027, 3, 27), True),
                ),
                "emergency": (
                    (bj(2027, 1, 1, 0, 30), False),
                    (bj(2027, 1, 1, 2, 0), False),
                    (bj(2027, 1, 2, 0, 0), False),
                ),
            },
        ),
        (
            NATIONAL_DAY_2027,
            {
                # the weekend rule does not know the National Day week: Mon 4 … Fri 8 Oct
                "huangpu": (
                    (bj(2027, 10, 3, 10), False),
                    (bj(2027, 10, 3, 10), False),
                    (bj(2027, 10, 9), True),
                ),
                "maanshan": (
                    (bj(2027, 10, 5), True),
                    (bj(2027, 10, 9), True),
                    # 60 weekdays after Fri 1 Oct 2027: Fri 24 Dec
                    (bj(2027, 12, 25), True),
                ),
                "emergency": (
                    (bj(2027, 10, 1, 10, 30), False),
                    (bj(2027, 10, 1, 12), False),
                    (bj(2027, 10, 2, 10), False),
                ),
            },
        ),
        (
            LEAP_DAY_2028,
            {
                # 2 days after 29 Feb is 2 Mar; 5 working days: Wed 1 … Tue 7 Mar
                "huangpu": (
                    (bj(2028, 3, 2, 10), False),
                    (bj(2028, 3, 2, 10), False),
                    (bj(2028, 3, 8), True),
                ),
                "maanshan": (
                    (bj(2028, 3, 2), True),
                    (bj(2028, 3, 8), True),
                    # 60 weekdays after Tue 29 Feb 2028: Tue 23 May
                    (bj(2028, 5, 24), True),
                ),
                "emergency": (
                    (bj(2028, 2, 29, 10, 30), False),
                    (bj(2028, 2, 29, 12), False),
                    (bj(2028, 3, 1, 10), False),
                ),
            },
        ),
    ],
    ids=["2026-12-31T23:59:59", "2027-01-01T00:00:00", "2027-10-01", "2028-02-29"],
)
def test_deadlines_of_each_policy(
    start: datetime,
    expected: dict[str, tuple],
    policies: dict[str, SlaPolicy],
    shipped: WorkCalendar,
) -> None:
    assert set(expected) == set(policies)
    for name, want in expected.items():
        assert deadlines(policies[name], start, shipped) == want, name
    # the same instant given in UTC gives the same deadlines
    for name, want in expected.items():
        assert deadlines(policies[name], start.astimezone(UTC), shipped) == want, name


# --- the Spring Festival of a year the shipped calendar does not know ----------------------

SPRING_2027 = [
    # (day, weekday, is a working day to the weekend rule, huangpu resolve due)
    (date(2027, 2, 5), "Friday", True, bj(2027, 2, 13)),
    (date(2027, 2, 6), "Saturday", False, bj(2027, 2, 13)),
    (date(2027, 2, 7), "Sunday", False, bj(2027, 2, 13)),
    (date(2027, 2, 8), "Monday", True, bj(2027, 2, 16)),
    (date(2027, 2, 9), "Tuesday", True, bj(2027, 2, 17)),
    (date(2027, 2, 10), "Wednesday", True, bj(2027, 2, 18)),
    (date(2027, 2, 11), "Thursday", True, bj(2027, 2, 19)),
    (date(2027, 2, 12), "Friday", True, bj(2027, 2, 20)),
]


@pytest.mark.parametrize(("day", "weekday", "workday", "resolve_due"), SPRING_2027)
def test_spring_festival_2027_is_provisional_and_not_guessed(
    day: date,
    weekday: str,
    workday: bool,
    resolve_due: datetime,
    policies: dict[str, SlaPolicy],
    shipped: WorkCalendar,
) -> None:
    assert day.strftime("%A") == weekday
    # no holiday is invented: the weekend rule, flagged provisional
    assert shipped.is_workday(day) == (workday, True)
    resolve = due(policies["huangpu"], Obligation.RESOLVE, bj(day.year, day.month, day.day, 10),
                  shipped)  # fmt: skip
    assert (to_local(resolve.due_at), resolve.provisional) == (resolve_due, True)
    assert "provisional" in resolve.basis


def test_loading_the_year_makes_its_deadlines_final(policies: dict[str, SlaPolicy]) -> None:
    # the test fixture (invented days, not the State Council's) makes 20-22 Jan 2027 a break
    # and Saturday 30 Jan a make-up workday
    loaded = WorkCalendar([read_year_file(FIXTURE_2027)])
    start = bj(2027, 1, 19, 10)  # Tuesday
    resolve = due(policies["huangpu"], Obligation.RESOLVE, start, loaded)
    # Mon 25, Tue 26, Wed 27, Thu 28, Fri 29 Jan
    assert (to_local(resolve.due_at), resolve.provisional) == (bj(2027, 1, 30), False)
    guessed = due(policies["huangpu"], Obligation.RESOLVE, start, WorkCalendar())
    # the weekend rule: Wed 20 … Tue 26 Jan
    assert (to_local(guessed.due_at), guessed.provisional) == (bj(2027, 1, 27), True)
    assert loaded.is_workday(date(2027, 1, 30)) == (True, False)
    assert loaded.is_workday(date(2027, 2, 8)) == (True, False)  # not in the file: weekdays


# --- overdue obligations at the edge -------------------------------------------------------


def test_an_obligation_due_at_midnight_is_overdue_one_second_later() -> None:
    assignment = Assignment(
        status="dispatched",
        acknowledged_at=None,
        on_site_at=None,
        resolved_at=None,
        acknowledge_due_at=FIRST_SECOND_2027,
        on_site_due_at=bj(2027, 1, 9),
        resolve_due_at=bj(2027, 1, 9),
    )
    assert overdue_obligations(assignment, LAST_SECOND_2026) == []
    assert overdue_obligations(assignment, FIRST_SECOND_2027) == []
    assert overdue_obligations(assignment, FIRST_SECOND_2027 + timedelta(seconds=1)) == [
        "acknowledge"
    ]
    assert overdue_obligations(assignment, bj(2027, 1, 9, 0, 0, 1)) == [
        "acknowledge",
        "on_site",
        "resolve",
    ]


# --- periods and windows -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "label", "start", "end"),
    [
        (LAST_SECOND_2026, "2026-12", bj(2026, 12, 1), bj(2027, 1, 1)),
        (FIRST_SECOND_2027.astimezone(UTC), "2027-01", bj(2027, 1, 1), bj(2027, 2, 1)),
        (bj(2027, 2, 8, 10), "2027-02", bj(2027, 2, 1), bj(2027, 3, 1)),
        (NATIONAL_DAY_2027, "2027-10", bj(2027, 10, 1), bj(2027, 11, 1)),
        (LEAP_DAY_2028, "2028-02", bj(2028, 2, 1), bj(2028, 3, 1)),
    ],
)
def test_the_scoreboard_month_is_the_beijing_month(
    moment: datetime, label: str, start: datetime, end: datetime
) -> None:
    period = Period.month_of(moment)
    assert (period.label, period.start, period.end) == (label, start, end)
    assert moment in period


@pytest.mark.parametrize(
    ("now", "window", "since"),
    [
        # windows end at the hour (UTC) the instant falls in
        (LAST_SECOND_2026, "30d", datetime(2026, 12, 1, 15, tzinfo=UTC)),
        (FIRST_SECOND_2027, "30d", datetime(2026, 12, 1, 16, tzinfo=UTC)),
        (FIRST_SECOND_2027, "12w", datetime(2026, 10, 8, 16, tzinfo=UTC)),
        (FIRST_SECOND_2027, "6m", datetime(2026, 7, 4, 16, tzinfo=UTC)),
        (FIRST_SECOND_2027, "1y", datetime(2025, 12, 31, 16, tzinfo=UTC)),
        (LEAP_DAY_2028, "30d", bj(2028, 1, 30, 10)),
        (LEAP_DAY_2028, "12w", bj(2027, 12, 7, 10)),
        (LEAP_DAY_2028, "6m", bj(2027, 9, 2, 10)),
        (LEAP_DAY_2028, "1y", bj(2027, 3, 1, 10)),
    ],
)
def test_hot_spot_windows(now: datetime, window: str, since: datetime) -> None:
    assert time_window(window, None, None, now=now) == (since, None)


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (FIRST_SECOND_2027, bj(2026, 10, 3)),
        (LEAP_DAY_2028, bj(2027, 12, 1, 10)),
    ],
)
def test_open311_lists_the_last_90_days_by_default(now: datetime, start: datetime) -> None:
    query = parse_query({}, now=now)
    assert (query.start, query.end) == (start, now)


@pytest.mark.parametrize(
    ("newest", "month"),
    [
        (LAST_SECOND_2026, "2026-11"),
        (FIRST_SECOND_2027, "2026-12"),
        (FIRST_SECOND_2027.astimezone(UTC), "2026-12"),
        (bj(2027, 2, 8, 10), "2027-01"),
        (NATIONAL_DAY_2027, "2027-09"),
        (LEAP_DAY_2028, "2028-01"),
    ],
)
def test_the_monthly_review_takes_the_last_full_month(newest: datetime, month: str) -> None:
    assert str(review_month(newest)) == month
