"""The reports a simulated window brings (pure: a hand-made event table in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import shapely

from api.simulation.reports import JOINT_EVERY_DAYS, plan_reports
from grids.demo import JOINT_STREETS, joint_box

END = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)
DAYS = 12
GUANGWAI, TAIPINGQIAO = JOINT_STREETS


def _events(n: int = 400, freq: str = "30min") -> pd.DataFrame:
    """``n`` events ``freq`` apart before END, every tenth in 广安门外街道."""
    at = pd.date_range(end=END - timedelta(minutes=5), periods=n, freq=freq, tz="UTC")
    street = ["110101001" if i % 10 else GUANGWAI for i in range(n)]
    return pd.DataFrame(
        {
            "event_id": [f"E{i:04d}" for i in range(n)],
            "at": at.tz_convert("Asia/Shanghai"),
            "lon": [116.40 + i * 1e-4 for i in range(n)],
            "lat": [39.90] * n,
            "category": ["E0401"] * n,
            "source": ["patrol" if i % 3 else "hotline" for i in range(n)],
            "street_code": street,
            "district_code": [s[:6] for s in street],
        }
    )


def test_the_same_seed_gives_the_same_reports_and_another_seed_others() -> None:
    events = _events()
    first = plan_reports(events, seed=4, end=END, days=DAYS, volume=60)
    assert first == plan_reports(events, seed=4, end=END, days=DAYS, volume=60)
    assert first != plan_reports(events, seed=5, end=END, days=DAYS, volume=60)


def test_reports_are_numbered_in_time_order_inside_the_window() -> None:
    planned = plan_reports(_events(), seed=4, end=END, days=DAYS, volume=60)
    assert [r.n for r in planned] == list(range(len(planned)))
    assert [r.at for r in planned] == sorted(r.at for r in planned)
    assert all(END - timedelta(days=DAYS) <= r.at < END for r in planned)


def test_events_before_the_window_are_left_out() -> None:
    planned = plan_reports(_events(freq="2h"), seed=4, end=END, days=DAYS, volume=300)
    assert all(r.at >= END - timedelta(days=DAYS) for r in planned)
    assert sum(not r.joint and not r.label.endswith("-echo") for r in planned) < 300


def test_the_joint_streets_are_drawn_more_often_than_their_share() -> None:
    planned = plan_reports(_events(), seed=4, end=END, days=DAYS, volume=60)
    drawn = [r for r in planned if not r.joint and not r.label.endswith("-echo")]
    assert len(drawn) == 60
    share = sum(r.street_code == GUANGWAI for r in drawn) / len(drawn)
    assert share > 0.4  # a tenth of the events, weighted twelve times


def test_echoes_follow_their_event_by_hours_on_the_hotline_nearby() -> None:
    planned = plan_reports(_events(), seed=4, end=END, days=DAYS, volume=60)
    by_label = {r.label: r for r in planned}
    echoes = [r for r in planned if r.label.endswith("-echo")]
    assert echoes
    for echo in echoes:
        first = by_label[echo.label.removesuffix("-echo")]
        assert echo.source == "hotline" and echo.category == first.category
        assert timedelta(hours=1) <= echo.at - first.at <= timedelta(hours=18)
        metres = shapely.Point(echo.point).distance(shapely.Point(first.point)) * 111_320
        assert 5 < metres < 120


def test_the_straddling_building_is_reported_from_both_streets() -> None:
    planned = plan_reports(_events(), seed=4, end=END, days=DAYS, volume=60)
    joint = [r for r in planned if r.joint]
    assert len(joint) == len(range(DAYS - 1, 0, -JOINT_EVERY_DAYS))
    assert {r.street_code for r in joint} == {GUANGWAI, TAIPINGQIAO}
    assert all(r.geometry.equals(joint_box()) and r.source == "patrol" for r in joint)
