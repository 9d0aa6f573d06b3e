"""The behaviour profiles and the random draws of the operations simulation (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from api.config import get_settings
from api.deadlines.calendar import DataFileError
from api.simulation.behaviour import (
    DepartmentProfile,
    department_profile,
    office_time,
    plan_duty,
    read_departments,
    read_streets,
    stars,
    street_profile,
    triage_choice,
)

DATA = get_settings().data_dir / "simulation"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DUE = (T0 + timedelta(hours=48), T0 + timedelta(hours=48), T0 + timedelta(days=7))


def _profile(**changes: float) -> DepartmentProfile:
    default = read_departments(DATA / "departments.csv")["*"]
    return replace(default, **changes)  # type: ignore[arg-type]


def test_shipped_profiles_read_and_resolve_by_code_then_kind_then_default() -> None:
    departments = read_departments(DATA / "departments.csv")
    assert department_profile(departments, "110106-cgzf").department == "110106-cgzf"
    assert department_profile(departments, "110102-cgzf").department == "cgzf"
    assert department_profile(departments, "110102-scjg").department == "*"
    streets = read_streets(DATA / "streets.csv")
    assert street_profile(streets, "110102020").street == "110102020"
    assert street_profile(streets, "110101001").street == "*"


def test_a_probability_outside_0_to_1_names_file_line_and_column(tmp_path: Path) -> None:
    text = (DATA / "departments.csv").read_text(encoding="utf-8")
    bad = tmp_path / "departments.csv"
    bad.write_text(text.replace("0.03,0.04,0.08", "0.03,1.4,0.08", 1), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"departments\.csv line \d+, column dispute_p"):
        read_departments(bad)


def test_a_file_without_default_row_is_refused(tmp_path: Path) -> None:
    lines = (DATA / "streets.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "streets.csv"
    bad.write_text("\n".join(x for x in lines if not x.startswith("*,")), encoding="utf-8")
    with pytest.raises(DataFileError, match="no default row"):
        read_streets(bad)


def test_the_same_generator_state_gives_the_same_plan() -> None:
    profile = _profile()
    plans = [plan_duty(np.random.default_rng([5, 9]), profile, dispatched=T0, due=DUE)]
    plans.append(plan_duty(np.random.default_rng([5, 9]), profile, dispatched=T0, due=DUE))
    assert plans[0] == plans[1]


def test_acts_come_in_order_and_their_median_is_the_profile_share() -> None:
    profile = _profile(silent_p=0, dispute_p=0, extension_p=0, acknowledge_share=0.5)
    rng = np.random.default_rng(1)
    plans = [plan_duty(rng, profile, dispatched=T0, due=DUE) for _ in range(2000)]
    for p in plans:
        assert p.acknowledge_at and p.on_site_at and p.resolve_at and p.dispute_at is None
        assert T0 < p.acknowledge_at < p.on_site_at < p.resolve_at
    shares = [(p.acknowledge_at - T0) / (DUE[0] - T0) for p in plans if p.acknowledge_at]
    assert float(np.median(shares)) == pytest.approx(0.5, rel=0.08)


def test_silent_disputing_and_extending_departments() -> None:
    rng = np.random.default_rng(2)
    silent = plan_duty(rng, _profile(silent_p=1), dispatched=T0, due=DUE)
    assert silent == type(silent)(None, None, None, None, None)
    disputing = plan_duty(rng, _profile(silent_p=0, dispute_p=1), dispatched=T0, due=DUE)
    assert disputing.dispute_at is not None and disputing.acknowledge_at is None
    quick, slow = (
        plan_duty(
            np.random.default_rng(3),
            _profile(silent_p=0, dispute_p=0, extension_p=p),
            dispatched=T0,
            due=DUE,
        )
        for p in (0.0, 1.0)
    )
    assert quick.extension_at is None and slow.extension_at is not None
    assert slow.on_site_at and slow.resolve_at and quick.on_site_at and quick.resolve_at
    assert slow.resolve_at - slow.on_site_at > quick.resolve_at - quick.on_site_at


def test_a_late_profile_misses_most_due_times_and_a_quick_one_few() -> None:
    def late_share(share: float) -> float:
        rng = np.random.default_rng(4)
        profile = _profile(silent_p=0, dispute_p=0, acknowledge_share=share)
        plans = [plan_duty(rng, profile, dispatched=T0, due=DUE) for _ in range(500)]
        return sum(p.acknowledge_at is not None and p.acknowledge_at > DUE[0] for p in plans) / 500

    assert late_share(0.2) < 0.05 and late_share(1.5) > 0.7


def test_triage_follows_the_shares_and_merges_only_a_duplicate() -> None:
    streets = read_streets(DATA / "streets.csv")
    profile = street_profile(streets, "110101001")
    rng = np.random.default_rng(6)
    alone = [triage_choice(rng, profile, duplicate=False) for _ in range(4000)]
    assert "merge" not in alone
    share = alone.count("whistle") / len(alone)
    expected = profile.whistle_p / (profile.resolve_local_p + profile.reject_p + profile.whistle_p)
    assert share == pytest.approx(expected, abs=0.03)
    twins = [triage_choice(rng, profile, duplicate=True) for _ in range(1000)]
    assert twins.count("merge") / 1000 == pytest.approx(profile.merge_p, abs=0.03)


def test_stars_stay_between_1_and_5_around_the_mean() -> None:
    rng = np.random.default_rng(7)
    low = [stars(rng, 1.2) for _ in range(500)]
    high = [stars(rng, 4.8) for _ in range(500)]
    assert set(low) | set(high) <= {1, 2, 3, 4, 5}
    assert np.mean(low) < 2 < 4 < np.mean(high)


@pytest.mark.parametrize(
    ("beijing", "acted"),
    [
        ("2026-03-02T11:00", "2026-03-02T11:00"),
        ("2026-03-02T07:59", "2026-03-02T08:00"),
        ("2026-03-02T20:00", "2026-03-03T08:00"),
        ("2026-03-02T23:30", "2026-03-03T08:00"),
    ],
)
def test_street_desks_act_between_8_and_20_beijing_time(beijing: str, acted: str) -> None:
    at = datetime.fromisoformat(f"{beijing}+08:00").astimezone(UTC)
    assert office_time(at) == datetime.fromisoformat(f"{acted}+08:00")
