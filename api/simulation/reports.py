"""The reports a simulated month brings: patrol and hotline events of the simulated year,
echoes of some of them (a second caller nearby, attached or merged later) and reports of the
building astride the 西城/丰台 line (joint whistles)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from grids.demo import JOINT_SITE, JOINT_STREETS, DemoCity, joint_box
from grids.simulate import simulate_year

POOL = 10.0  # events simulated per report drawn
FOCUS_WEIGHT = 12.0  # the joint streets' events are drawn this much more often (demo users)
ECHO_P = 0.12  # a report another caller repeats within hours
ECHO_DISTANCES_M = (15.0, 75.0)  # attached (within 50 m) or a merge candidate (within 100 m)
JOINT_EVERY_DAYS = 6
JOINT_CATEGORIES = ("E0304", "E0303")  # 私搭乱建 (5 working days), 违法建设 (a quarter)
M_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class PlannedReport:
    """One report to submit: when, by which source, where (``point``: where to stand)."""

    n: int
    at: datetime
    source: str
    category: str
    street_code: str
    district_code: str
    geometry: BaseGeometry
    point: tuple[float, float]
    joint: bool
    label: str


def simulated_events(
    city: DemoCity, *, seed: int, end: datetime, days: int, volume: int
) -> pd.DataFrame:
    """Events of the simulated year over the ``days`` before ``end``, about ``POOL`` times
    ``volume`` (``plan_reports`` draws from them: enough for the weighted streets)."""
    start = (end - timedelta(days=days)).astimezone(UTC).date() - timedelta(days=1)
    year = simulate_year(
        city,
        seed=seed,
        start=start,
        weeks=math.ceil((days + 2) / 7),
        background_per_day=POOL * volume / days,
        plant=False,
    )
    at = year.events["at"].dt.tz_convert("UTC")
    keep = (at >= pd.Timestamp(end - timedelta(days=days))) & (at < pd.Timestamp(end))
    return year.events[keep].reset_index(drop=True)


def plan_reports(
    events: pd.DataFrame, *, seed: int, end: datetime, days: int, volume: int
) -> list[PlannedReport]:
    """``volume`` events (the joint streets' weighted up), their echoes and the joint
    site's reports, in time order and numbered; deterministic under ``seed``."""
    rng = np.random.default_rng([seed, 7])
    weight = np.where(events["street_code"].isin(list(JOINT_STREETS)), FOCUS_WEIGHT, 1.0)
    take = min(volume, len(events))
    chosen = np.sort(rng.choice(len(events), size=take, replace=False, p=weight / weight.sum()))
    drawn: list[PlannedReport] = []
    for row in events.iloc[chosen].to_dict("records"):
        report = _from_event(row)
        drawn.append(report)
        if rng.random() < ECHO_P:
            drawn.append(_echo(report, rng))
    drawn += _joint_reports(rng, end=end, days=days)
    start = end - timedelta(days=days)
    ordered = sorted((r for r in drawn if start <= r.at < end), key=lambda r: (r.at, r.label))
    return [_numbered(r, n) for n, r in enumerate(ordered)]


def _from_event(row: Mapping[Any, Any]) -> PlannedReport:
    lon, lat = float(row["lon"]), float(row["lat"])
    return PlannedReport(
        n=0,
        at=row["at"].to_pydatetime().astimezone(UTC),
        source=str(row["source"]),
        category=str(row["category"]),
        street_code=str(row["street_code"]),
        district_code=str(row["district_code"]),
        geometry=shapely.Point(lon, lat),
        point=(lon, lat),
        joint=False,
        label=str(row["event_id"]),
    )


def _echo(report: PlannedReport, rng: np.random.Generator) -> PlannedReport:
    """A hotline caller reporting the same problem a few hours later, a little away."""
    distance = float(rng.choice(ECHO_DISTANCES_M))
    angle = float(rng.uniform(0, 2 * math.pi))
    lon, lat = report.point
    lon += distance * math.cos(angle) / (M_PER_DEGREE * math.cos(math.radians(lat)))
    lat += distance * math.sin(angle) / M_PER_DEGREE
    return PlannedReport(
        n=0,
        at=report.at + timedelta(hours=float(rng.uniform(1, 18))),
        source="hotline",
        category=report.category,
        street_code=report.street_code,
        district_code=report.district_code,
        geometry=shapely.Point(lon, lat),
        point=(lon, lat),
        joint=False,
        label=f"{report.label}-echo",
    )


def _joint_reports(rng: np.random.Generator, *, end: datetime, days: int) -> list[PlannedReport]:
    """A grid worker of either joint street reports the straddling building's footprint."""
    streets = list(JOINT_STREETS)
    out = []
    for i, day in enumerate(range(days - 1, 0, -JOINT_EVERY_DAYS)):
        street = streets[i % 2]
        out.append(
            PlannedReport(
                n=0,
                at=end - timedelta(days=day, hours=float(rng.uniform(0, 8))),
                source="patrol",
                category=JOINT_CATEGORIES[i % 2],
                street_code=street,
                district_code=street[:6],
                geometry=joint_box(),
                point=JOINT_SITE,
                joint=True,
                label=f"joint-{i:02d}",
            )
        )
    return out


def _numbered(report: PlannedReport, n: int) -> PlannedReport:
    return PlannedReport(**{**report.__dict__, "n": n})
