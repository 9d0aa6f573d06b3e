"""How simulated departments and streets behave: profiles read from data files, and the
random draws made from them (pure: a ``numpy`` generator in, plain values out).

A department's times are shares of what its SLA policy allows from dispatch, so the same
profile is on time under a five-day policy and under a thirty-minute emergency one alike;
a share above 1 is late. Street times are hours, and street desks act between 08:00 and
20:00 (docs/simulation.md).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np

from geo.datafile import DataFileError, records

STREET_SIGMA = 0.6
BEIJING = timezone(timedelta(hours=8))  # no daylight saving time since 1991
OPENS, CLOSES = 8, 20
Triage = Literal["resolve_local", "reject", "whistle", "merge"]


@dataclass(frozen=True)
class DepartmentProfile:
    """How one department (or kind, or ``*``) acts on its assignments."""

    department: str
    description: str
    acknowledge_share: float
    on_site_share: float
    resolve_share: float
    spread: float
    silent_p: float
    dispute_p: float
    extension_p: float
    reopen_p: float
    stars: float


@dataclass(frozen=True)
class StreetProfile:
    """How one street (or ``*``) triages, decides extensions and checks results."""

    street: str
    description: str
    triage_h: float
    resolve_local_p: float
    reject_p: float
    whistle_p: float
    merge_p: float
    decide_h: float
    approve_p: float
    verify_h: float
    evaluate_h: float
    local_stars: float


P = TypeVar("P", DepartmentProfile, StreetProfile)


def _read(path: Path, kind: type[P]) -> dict[str, P]:
    names = [f.name for f in fields(kind)]
    out: dict[str, P] = {}
    key = names[0]
    for line, row in records(path, allowed=names, required=names, non_empty=names[:1]):
        values: dict[str, str | float] = {key: row[key], "description": row["description"]}
        for name in names[2:]:
            try:
                values[name] = float(row[name])
            except ValueError:
                raise DataFileError(
                    source=path.name, line=line, column=name, message=f"{row[name]!r} is no number"
                ) from None
            if name.endswith("_p") and not 0 <= float(values[name]) <= 1:
                raise DataFileError(
                    source=path.name, line=line, column=name, message="a probability is 0 to 1"
                )
        out[row[key]] = kind(**values)  # type: ignore[arg-type]
    if "*" not in out:
        raise DataFileError(source=path.name, line=1, column=key, message="no default row (*)")
    return out


def read_departments(path: Path) -> dict[str, DepartmentProfile]:
    """The department profiles of a ``departments.csv`` by code, kind or ``*``."""
    return _read(path, DepartmentProfile)


def read_streets(path: Path) -> dict[str, StreetProfile]:
    """The street profiles of a ``streets.csv`` by street code or ``*``."""
    return _read(path, StreetProfile)


def department_profile(profiles: dict[str, DepartmentProfile], code: str) -> DepartmentProfile:
    """The profile of department ``code``: its own row, its kind's (``110106-cgzf`` →
    ``cgzf``) or the default.

    >>> p = {"*": "any", "cgzf": "kind", "110106-cgzf": "own"}
    >>> [department_profile(p, c) for c in ("110106-cgzf", "110102-cgzf", "110102-ga")]
    ['own', 'kind', 'any']
    """
    return profiles.get(code) or profiles.get(code.rsplit("-", 1)[-1]) or profiles["*"]


def street_profile(profiles: dict[str, StreetProfile], code: str) -> StreetProfile:
    """The profile of street ``code``, or the default."""
    return profiles.get(code) or profiles["*"]


@dataclass(frozen=True)
class DutyPlan:
    """When one department does what on one assignment (None: never, within the run)."""

    dispute_at: datetime | None
    acknowledge_at: datetime | None
    on_site_at: datetime | None
    extension_at: datetime | None
    resolve_at: datetime | None


def _share(rng: np.random.Generator, median: float, spread: float) -> float:
    return float(median * np.exp(rng.normal(0.0, spread)))


def plan_duty(
    rng: np.random.Generator,
    profile: DepartmentProfile,
    *,
    dispatched: datetime,
    due: tuple[datetime, datetime, datetime],
) -> DutyPlan:
    """Draw one assignment's acts: each at a log-normal share of the time its obligation
    allows (``due``: acknowledge, on site, resolve), in order; a silent department does
    nothing and a disputing one disputes when it would have acknowledged. An extension
    is asked for soon after arriving, and the work then takes 1.8 times as long."""
    silent, disputes, extends = rng.random(3) < (
        profile.silent_p,
        profile.dispute_p,
        profile.extension_p,
    )
    spans = [d - dispatched for d in due]
    shares = [
        _share(rng, m, profile.spread)
        for m in (profile.acknowledge_share, profile.on_site_share, profile.resolve_share)
    ]
    step = timedelta(minutes=5)
    ack = dispatched + max(spans[0] * shares[0], step)
    if silent:
        return DutyPlan(None, None, None, None, None)
    if disputes:
        return DutyPlan(ack, None, None, None, None)
    on_site = max(dispatched + spans[1] * shares[1], ack + step)
    work = max(dispatched + spans[2] * shares[2], on_site + step) - on_site
    extension = on_site + step if extends else None
    return DutyPlan(None, ack, on_site, extension, on_site + (work * 1.8 if extends else work))


def street_delay(rng: np.random.Generator, median_h: float) -> timedelta:
    """A street's or community's time to act: log-normal around ``median_h`` hours."""
    return timedelta(hours=median_h * float(np.exp(rng.normal(0.0, STREET_SIGMA))))


def office_time(at: datetime) -> datetime:
    """``at``, or the next opening of the street desks (08:00-20:00 Beijing time, every
    day) when they are closed.

    >>> from datetime import UTC
    >>> str(office_time(datetime(2026, 3, 2, 13, 30, tzinfo=UTC)))  # 21:30 in Beijing
    '2026-03-03 00:00:00+00:00'
    >>> str(office_time(datetime(2026, 3, 2, 3, 0, tzinfo=UTC)))  # 11:00 in Beijing
    '2026-03-02 03:00:00+00:00'
    """
    local = at.astimezone(BEIJING)
    if OPENS <= local.hour < CLOSES:
        return at
    day = local.date() if local.hour < OPENS else local.date() + timedelta(days=1)
    return datetime.combine(day, time(OPENS), BEIJING).astimezone(at.tzinfo)


def street_time(rng: np.random.Generator, at: datetime, median_h: float) -> datetime:
    """When a street desk acts on something that reached it at ``at``."""
    return office_time(at + street_delay(rng, median_h))


def triage_choice(rng: np.random.Generator, profile: StreetProfile, *, duplicate: bool) -> Triage:
    """What a street does with a new case: merge it into an open duplicate nearby (with
    ``merge_p``), else resolve it locally, reject it or whistle, weighted by its shares."""
    draw, weighted = rng.random(2)
    if duplicate and draw < profile.merge_p:
        return "merge"
    shares = np.array([profile.resolve_local_p, profile.reject_p, profile.whistle_p])
    options: tuple[Triage, ...] = ("resolve_local", "reject", "whistle")
    index = int(np.searchsorted(np.cumsum(shares / shares.sum()), weighted, side="right"))
    return options[min(index, 2)]


def stars(rng: np.random.Generator, mean: float) -> int:
    """A 1-5 star rating around ``mean``."""
    return int(np.clip(round(mean + rng.normal(0.0, 0.7)), 1, 5))


def chance(rng: np.random.Generator, p: float) -> bool:
    """True with probability ``p``."""
    return bool(rng.random() < p)
