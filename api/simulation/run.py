"""A run of simulated operations: the acts waiting in time order, the clock they pass to
the services, and what the run remembers of the cases it opened.

Random draws are keyed by the report that opened a case and by how many draws the case had
(the acts come in a fixed order; database ids may differ between databases), so the same
seed and end give the same acts.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from api.auth.roles import Actor, Role
from api.cases import service as cases
from api.deadlines.calendar import WorkCalendar
from api.deadlines.sla import SlaPolicy
from api.errors import DomainError
from api.reports.service import Limits
from api.simulation import behaviour
from api.simulation.behaviour import DepartmentProfile, StreetProfile
from api.simulation.cast import Cast
from geo.rules import RuleSet

Act = Callable[..., bool]
"""An act: ``act(run, at, *args)``; False when there was nothing left to do."""


@dataclass(frozen=True)
class Setup:
    """What a run reads: policies, calendar, behaviour profiles, the API's settings."""

    data_dir: Path
    policies: dict[str, SlaPolicy]
    calendar: WorkCalendar
    departments: dict[str, DepartmentProfile]
    streets: dict[str, StreetProfile]
    rules: RuleSet
    limits: Limits
    max_distance_m: float


@dataclass
class Outcome:
    """What a run did: acts done and refused by kind, reports submitted."""

    reports: int = 0
    acts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)


@dataclass
class CaseMemo:
    """What the run remembers of a case it opened."""

    n: int
    point: tuple[float, float]
    reporter: Actor
    joint: bool
    at: datetime
    category: str
    whistles: int = 0
    reopened: bool = False
    draws: int = 0
    lead: str | None = None


@dataclass
class Run:
    """The acts waiting (``later``) and played in time order (``play``) until ``end``."""

    session: Session
    setup: Setup
    seed: int
    end: datetime
    key_prefix: str
    acts: Mapping[str, Act]
    outcome: Outcome = field(default_factory=Outcome)
    queue: list[tuple[datetime, int, str, tuple[Any, ...]]] = field(default_factory=list)
    cases: dict[int, CaseMemo] = field(default_factory=dict)
    cast: Cast = field(init=False)
    order: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.cast = Cast(self.session)

    def later(self, at: datetime, act: str, *args: Any) -> None:
        """Queue ``act`` at ``at`` (dropped when after the end)."""
        if at <= self.end:
            heapq.heappush(self.queue, (at, next(self.order), act, args))

    def play(self) -> Outcome:
        """Play the queue; an act the service refuses is rolled back and counted."""
        while self.queue:
            at, _, act, args = heapq.heappop(self.queue)
            try:
                with self.session.begin_nested():
                    done = self.acts[act](self, at, *args)
            except DomainError:
                self.outcome.refused[act] += 1
                self.cast.forget()
                continue
            if done:
                self.outcome.acts[act] += 1
        return self.outcome

    def rng(self, case_id: int) -> np.random.Generator:
        """The next draws for a case: keyed by the report that opened it and by how many
        draws it had (the acts come in a fixed order, database ids do not)."""
        info = self.cases[case_id]
        info.draws += 1
        return np.random.default_rng([self.seed, info.n, info.draws])

    def actor(self, role: Role, jurisdiction: str | None) -> Actor:
        """The user acting as ``role`` over ``jurisdiction``."""
        return self.cast.actor(role, jurisdiction)

    def street(self, case_id: int) -> tuple[Actor, StreetProfile]:
        """The lead street's command centre and profile (the lead street never changes)."""
        info = self.cases[case_id]
        if info.lead is None:
            case = cases.get_case(session=self.session, case_id=case_id)
            info.lead = case.lead_street_code or ""
        code = info.lead
        return self.actor(Role.STREET, code), behaviour.street_profile(self.setup.streets, code)
