"""一哨一考核 on hand-made timelines: each deduction rule, weights, stars, rates (pure)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.assessment.scoring import (
    DisputeOutcome,
    Period,
    Rules,
    Tally,
    Timeline,
    parse_rules,
    read_rules,
    score,
)
from api.config import Settings

BEIJING = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)  # a Monday
ACK_DUE = T0 + timedelta(days=2)
ON_SITE_DUE = T0 + timedelta(days=3)
RESOLVE_DUE = datetime(2026, 12, 1, tzinfo=BEIJING)
H = timedelta(hours=1)
LATER = datetime(2026, 12, 31, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def rules() -> Rules:
    return read_rules(Settings().data_dir / "assessment.toml")


def timeline(**changes: object) -> Timeline:
    """An overall lead that did everything on time; the case is rated 5 and closed.

    A later acknowledgement moves the arrival with it (arriving acknowledges, so a department
    is never on site before it acknowledged).
    """
    base = Timeline(
        overall_lead=True,
        dispatched_at=T0,
        acknowledge_due_at=ACK_DUE,
        on_site_due_at=ON_SITE_DUE,
        resolve_due_at=RESOLVE_DUE,
        whistle_due_at=RESOLVE_DUE,
        acknowledged_at=T0 + H,
        on_site_at=T0 + 5 * H,
        resolved_at=T0 + timedelta(days=3),
        whistle_resolved_at=T0 + timedelta(days=3),
        rating=5,
        case_verified=True,
        case_resolved_at=T0 + timedelta(days=3),
        settled=True,
    )
    t = replace(base, **changes)  # type: ignore[arg-type]
    if "on_site_at" not in changes and t.acknowledged_at and t.on_site_at:
        t = replace(t, on_site_at=max(t.on_site_at, t.acknowledged_at))
    return t


def dims(t: Timeline, rules: Rules, as_of: datetime = LATER) -> dict[str, float | None]:
    return {d.name: d.points for d in score(t, rules=rules, as_of=as_of).dimensions}


def codes(t: Timeline, rules: Rules, as_of: datetime = LATER) -> dict[str, float]:
    return {d.code: d.points for d in score(t, rules=rules, as_of=as_of).deductions}


def test_the_shipped_rules_are_the_ones_the_readme_states(rules: Rules) -> None:
    assert dict(rules.weights) == {"acknowledge": 30, "handling": 40, "satisfaction": 30}
    assert (rules.acknowledge.points, rules.acknowledge.unit, rules.acknowledge.cap) == (2, H, 60)
    assert (rules.on_site.points, rules.on_site.unit, rules.on_site.cap) == (2, H, 40)
    assert (rules.resolve.points, rules.resolve.unit, rules.resolve.cap) == (10, 24 * H, 60)
    assert (rules.approved_extension, rules.reopened, rules.unfounded_dispute) == (5, 10, 20)
    assert dict(rules.stars) == {5: 100, 4: 80, 3: 60, 2: 30, 1: 0}
    assert rules.unrated is None and rules.satisfied_min_stars == 4


def test_everything_on_time_and_five_stars_is_full_marks(rules: Rules) -> None:
    s = score(timeline(), rules=rules, as_of=LATER)
    assert s.total == 100 and s.deductions == () and s.final


@pytest.mark.parametrize(
    ("late", "deducted"),
    [
        (timedelta(0), 0),  # exactly at the due time is on time
        (timedelta(seconds=1), 2),  # a started hour counts in full
        (4 * H + timedelta(minutes=30), 10),
        (5 * H, 10),
        (29 * H, 58),
        (31 * H, 60),  # capped
    ],
)
def test_late_acknowledgement_costs_two_points_per_started_hour(
    rules: Rules, late: timedelta, deducted: float
) -> None:
    t = timeline(acknowledged_at=ACK_DUE + late)
    assert dims(t, rules)["acknowledge"] == 100 - deducted
    assert codes(t, rules).get("acknowledge_late", 0) == deducted


def test_a_dispute_or_an_arrival_is_an_answer_too(rules: Rules) -> None:
    # on site without a separate acknowledgement (the service acknowledges at arrival)
    assert dims(timeline(acknowledged_at=None, on_site_at=ACK_DUE - H), rules)["acknowledge"] == 100
    disputed = timeline(
        acknowledged_at=None,
        on_site_at=None,
        disputed_at=ACK_DUE - H,
        dispute=DisputeOutcome.PENDING,
    )
    assert dims(disputed, rules)["acknowledge"] == 100


def test_an_unmet_obligation_runs_late_until_now(rules: Rules) -> None:
    open_case = timeline(
        acknowledged_at=None,
        on_site_at=None,
        resolved_at=None,
        whistle_resolved_at=None,
        rating=None,
        case_verified=False,
        case_resolved_at=None,
        settled=False,
    )
    before_due = score(open_case, rules=rules, as_of=ACK_DUE - H)
    assert before_due.total == 100 and not before_due.final
    s = score(open_case, rules=rules, as_of=ACK_DUE + 2 * H + timedelta(minutes=1))
    assert {d.code: d.points for d in s.deductions} == {"acknowledge_late": 6}
    assert "not yet done" in s.deductions[0].reason
    # on site is not due yet; satisfaction waits for the resolution: (30 × 94 + 40 × 100) / 70
    assert s.total == pytest.approx((30 * 94 + 40 * 100) / 70)


def test_late_on_site_costs_two_points_per_started_hour_capped_at_40(rules: Rules) -> None:
    assert (
        dims(timeline(on_site_at=ON_SITE_DUE + 6 * H + 30 * timedelta(minutes=1)), rules)[
            "handling"
        ]
        == 100 - 14
    )
    assert dims(timeline(on_site_at=ON_SITE_DUE + 100 * H), rules)["handling"] == 60


def test_late_resolution_costs_ten_points_per_started_day_capped_at_60(rules: Rules) -> None:
    late = RESOLVE_DUE + 34 * H
    t = timeline(resolved_at=late, whistle_resolved_at=late, case_resolved_at=late)
    assert codes(t, rules) == {"resolve_late": 20}
    very = RESOLVE_DUE + timedelta(days=9)
    t = timeline(resolved_at=very, whistle_resolved_at=very, case_resolved_at=very)
    assert dims(t, rules)["handling"] == 40


def test_an_approved_extension_costs_five_points_and_moves_the_due_time(rules: Rules) -> None:
    extended = RESOLVE_DUE + timedelta(days=3)
    within = RESOLVE_DUE + timedelta(days=2)
    t = timeline(
        resolve_due_at=extended,
        whistle_due_at=extended,
        approved_extensions=1,
        resolved_at=within,
        whistle_resolved_at=within,
        case_resolved_at=within,
    )
    assert codes(t, rules) == {"extension_approved": 5}
    assert dims(replace(t, approved_extensions=2), rules)["handling"] == 90


def test_each_reopening_costs_ten_points(rules: Rules) -> None:
    assert codes(timeline(reopened=2), rules) == {"reopened": 20}


def test_deductions_never_take_a_dimension_below_zero(rules: Rules) -> None:
    t = timeline(on_site_at=ON_SITE_DUE + 100 * H, reopened=5, approved_extensions=3)
    assert dims(t, rules)["handling"] == 0


def test_an_upheld_dispute_is_scored_on_the_answer_alone(rules: Rules) -> None:
    t = timeline(
        overall_lead=False,
        acknowledged_at=None,
        on_site_at=None,
        resolved_at=None,
        disputed_at=ACK_DUE + 3 * H,
        dispute=DisputeOutcome.UPHELD,
    )
    s = score(t, rules=rules, as_of=LATER)
    assert [d.name for d in s.dimensions if d.counted] == ["acknowledge"]
    assert s.total == 100 - 6
    assert "upheld" in s.dimensions[1].note


def test_an_unfounded_dispute_costs_twenty_points(rules: Rules) -> None:
    t = timeline(
        overall_lead=False,
        acknowledged_at=None,
        on_site_at=None,
        resolved_at=None,
        disputed_at=T0 + 2 * H,
        dispute=DisputeOutcome.NOT_UPHELD,
    )
    assert codes(t, rules) == {"unfounded_dispute": 20}
    # a pending dispute costs nothing yet, and on-site stops running late at the dispute
    pending = replace(t, dispute=DisputeOutcome.PENDING, settled=False)
    assert codes(pending, rules) == {}
    assert not score(pending, rules=rules, as_of=LATER).final


@pytest.mark.parametrize(("stars", "points"), [(5, 100), (4, 80), (3, 60), (2, 30), (1, 0)])
def test_stars_give_satisfaction_points(rules: Rules, stars: int, points: float) -> None:
    assert dims(timeline(rating=stars), rules)["satisfaction"] == points


def test_four_stars_score_lower_than_five(rules: Rules) -> None:
    four = score(timeline(rating=4), rules=rules, as_of=LATER)
    five = score(timeline(rating=5), rules=rules, as_of=LATER)
    assert four.total < five.total
    assert five.total - four.total == pytest.approx(0.3 * 20)
    assert [d.reason for d in four.deductions] == ["rated 4 stars (基本满意)"]


def test_unrated_is_not_counted_and_the_others_are_reweighted(rules: Rules) -> None:
    t = timeline(rating=None, acknowledged_at=ACK_DUE + 5 * H)
    s = score(t, rules=rules, as_of=LATER)
    assert not s.dimensions[2].counted
    assert s.total == pytest.approx((30 * 90 + 40 * 100) / 70)
    neutral = replace(rules, unrated=60.0)
    assert score(t, rules=neutral, as_of=LATER).total == pytest.approx(
        0.3 * 90 + 0.4 * 100 + 0.3 * 60
    )


def test_weights_are_configuration(rules: Rules) -> None:
    t = timeline(acknowledged_at=ACK_DUE + 10 * H, rating=3)  # 80, 100, 60
    assert score(t, rules=rules, as_of=LATER).total == pytest.approx(
        0.3 * 80 + 0.4 * 100 + 0.3 * 60
    )
    heavy = replace(rules, weights={"acknowledge": 1, "handling": 1, "satisfaction": 2})
    assert score(t, rules=heavy, as_of=LATER).total == pytest.approx((80 + 100 + 2 * 60) / 4)


def test_other_departments_owe_no_resolution_unless_they_report_one(rules: Rules) -> None:
    lead_done = RESOLVE_DUE + 30 * H  # the lead was late; the partner is not blamed for it
    partner = timeline(
        overall_lead=False,
        resolved_at=None,
        whistle_resolved_at=lead_done,
        case_resolved_at=lead_done,
    )
    s = score(partner, rules=rules, as_of=LATER)
    assert s.total == 100 and not s.dimensions[2].counted
    assert s.dimensions[2].note == "carried by the overall lead"
    own_late = replace(partner, resolved_at=RESOLVE_DUE + 2 * H)
    assert codes(own_late, rules) == {"resolve_late": 10}


def test_a_partner_that_never_came_runs_late_until_the_lead_resolved(rules: Rules) -> None:
    lead_done = ON_SITE_DUE + 10 * H
    partner = timeline(
        overall_lead=False, on_site_at=None, resolved_at=None, whistle_resolved_at=lead_done
    )
    assert codes(partner, rules) == {"on_site_late": 20}


def test_a_cancelled_assignment_stops_its_clock(rules: Rules) -> None:
    t = timeline(
        on_site_at=None,
        resolved_at=None,
        whistle_resolved_at=None,
        cancelled_at=ON_SITE_DUE + 3 * H,
    )
    s = score(t, rules=rules, as_of=LATER)
    assert {d.code: d.points for d in s.deductions} == {"on_site_late": 6}
    assert not s.dimensions[2].counted  # a cancelled lead does not carry the rating


# --- rules files -------------------------------------------------------------------------


def _document(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('unit = "1h"', 'unit = "1 hour"', "acknowledge.unit"),
        ("cap = 60", "cap = 160", "acknowledge.cap"),
        ("approved_extension = 5", "approved_extension = -5", "handling.approved_extension"),
        ("5 = 100, ", "", "satisfaction.stars"),
        ('unrated = "exclude"', 'unrated = "never"', "satisfaction.unrated"),
        ("satisfied_min_stars = 4", "satisfied_min_stars = 6", "satisfied_min_stars"),
        ("[handling]", "[handlin]", "[handling] is missing"),
    ],
)
def test_a_bad_rules_file_names_the_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = _document(Settings().data_dir / "assessment.toml")
    assert old in text
    bad = tmp_path / "assessment.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        read_rules(bad)
    assert str(bad) in str(info.value)


def test_all_weights_zero_is_refused() -> None:
    import tomllib

    data = tomllib.loads(_document(Settings().data_dir / "assessment.toml"))
    data["weights"] = {"acknowledge": 0, "handling": 0, "satisfaction": 0}
    with pytest.raises(ValueError, match="at least one weight"):
        parse_rules(data)


# --- periods and rates -------------------------------------------------------------------


def test_periods_are_beijing_months_and_years() -> None:
    november = Period.parse("2026-11")
    assert (november.start, november.end) == (
        datetime(2026, 11, 1, tzinfo=BEIJING),
        datetime(2026, 12, 1, tzinfo=BEIJING),
    )
    assert Period.parse("2026-12").end == datetime(2027, 1, 1, tzinfo=BEIJING)
    assert Period.parse("2026").end == datetime(2027, 1, 1, tzinfo=BEIJING)
    # 2026-11-30 16:30 UTC is 2026-12-01 00:30 in Beijing
    assert datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC")) not in november
    early = Period.month_of(datetime(493, 5, 5, 12, tzinfo=BEIJING))
    assert (early.label, early.start) == ("0493-05", datetime(493, 5, 1, tzinfo=BEIJING))
    for bad in ("2026-13", "26-11", "2026/11", "November"):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_rates_count_tickets_by_their_definitions(rules: Rules) -> None:
    november = Period.parse("2026-11")
    as_of = datetime(2026, 12, 20, tzinfo=BEIJING)
    in_december = datetime(2026, 12, 4, tzinfo=BEIJING)
    items = [
        # on time, resolved, 5 stars, due (and closed on time) in December
        timeline(resolve_due_at=in_december, whistle_due_at=in_december),
        # answered late, partner: resolved with the lead, no rating of its own
        timeline(overall_lead=False, acknowledged_at=ACK_DUE + H, on_site_at=ACK_DUE + 2 * H),
        # lead rated 3 stars, resolved after the whistle's due time
        timeline(
            rating=3,
            resolved_at=RESOLVE_DUE + H,
            whistle_resolved_at=RESOLVE_DUE + H,
            case_resolved_at=RESOLVE_DUE + H,
            whistle_due_at=datetime(2026, 11, 30, tzinfo=BEIJING),
        ),
        # still open: not resolved, due passed in November → due but not closed
        timeline(
            resolved_at=None,
            whistle_resolved_at=None,
            rating=None,
            case_verified=False,
            case_resolved_at=None,
            whistle_due_at=datetime(2026, 11, 29, tzinfo=BEIJING),
        ),
        # upheld dispute: scored, but no ticket in the rates
        timeline(overall_lead=False, disputed_at=T0 + H, dispute=DisputeOutcome.UPHELD),
        # dispatched in October, its due time in November
        timeline(
            dispatched_at=T0 - timedelta(days=40),
            whistle_due_at=datetime(2026, 11, 2, tzinfo=BEIJING),
            case_resolved_at=datetime(2026, 11, 1, tzinfo=BEIJING),
        ),
    ]
    tally = Tally()
    for t in items:
        tally.add(t, score(t, rules=rules, as_of=as_of), period=november, as_of=as_of, rules=rules)
    assert tally.scored == 5 and tally.assigned == 4
    assert tally.responded_on_time == 3 and tally.response_rate == 0.75
    assert tally.resolved == 3 and tally.resolution_rate == 0.75
    assert tally.rated == 2 and tally.satisfied == 1 and tally.satisfaction_rate == 0.5
    # due in November: the third, fourth and last (the first two are due in December)
    assert tally.due == 3 and tally.closed == 2 and tally.closed_on_time == 1
    assert tally.closure_rate == round(2 / 3, 4) and tally.on_time_closure_rate == round(1 / 3, 4)


def test_an_open_ticket_not_yet_due_is_not_counted_due(rules: Rules) -> None:
    december = Period.parse("2026-12")
    t = timeline(resolved_at=None, whistle_resolved_at=None, case_verified=False, rating=None)
    early = datetime(2026, 11, 28, tzinfo=BEIJING)
    tally = Tally()
    tally.add(t, score(t, rules=rules, as_of=early), period=december, as_of=early, rules=rules)
    assert tally.due == 0 and tally.closure_rate is None and tally.average_score is None
