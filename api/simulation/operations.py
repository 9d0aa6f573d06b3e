"""Drive the platform over simulated days with the service functions the API calls.

Every act goes through the service (``Submission.run``, ``cases.service``,
``whistles.service``, the overdue job) with the simulated clock passed in; nothing is
inserted directly. Acts wait in a queue ordered by time; an act due after ``end`` is not
done, so the run leaves cases in every state. Random draws are keyed by the report that
opened the case (never by a database id), so the same seed and end give the same acts.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.roles import Actor, Role
from api.cases import service as cases
from api.cases.queries import duplicates
from api.cases.workflow import AssignmentStatus, CaseStatus
from api.deadlines.calendar import WorkCalendar
from api.deadlines.sla import SlaPolicy
from api.errors import DomainError
from api.geography.locate import locate_point
from api.reports.service import Limits, Submission
from api.simulation import behaviour
from api.simulation.behaviour import DepartmentProfile, StreetProfile
from api.simulation.cast import Cast
from api.simulation.reports import PlannedReport
from api.whistles import service as whistles
from api.whistles.jobs import run_round
from api.whistles.models import Assignment, Extension
from geo.coords import CoordinateSystem
from geo.locate import OutsideJurisdiction
from geo.rules import RuleSet

JOB_HOUR_UTC = 1  # the overdue job runs daily at 09:00 Beijing time, and at the end
MERGE_RADIUS_M = 100.0
MERGE_WINDOW = timedelta(hours=72)


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
class _Case:
    """What the run remembers of a case it opened."""

    n: int
    point: tuple[float, float]
    reporter: Actor
    joint: bool
    whistles: int = 0
    reopened: bool = False
    draws: int = 0


@dataclass
class _Run:
    session: Session
    setup: Setup
    seed: int
    end: datetime
    key_prefix: str
    outcome: Outcome = field(default_factory=Outcome)
    queue: list[tuple[datetime, int, str, tuple[Any, ...]]] = field(default_factory=list)
    cases: dict[int, _Case] = field(default_factory=dict)
    cast: Cast = field(init=False)
    order: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.cast = Cast(self.session)

    # --- the queue -----------------------------------------------------------------------

    def later(self, at: datetime, act: str, *args: Any) -> None:
        if at <= self.end:
            heapq.heappush(self.queue, (at, next(self.order), act, args))

    def run(self) -> Outcome:
        while self.queue:
            at, _, act, args = heapq.heappop(self.queue)
            handler: Callable[..., bool] = getattr(self, f"_{act}")
            try:
                with self.session.begin_nested():
                    done = handler(at, *args)
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

    def actor(self, role: Role, jurisdiction: str) -> Actor:
        return self.cast.actor(role, jurisdiction)

    def street(self, case_id: int) -> tuple[Actor, StreetProfile]:
        case = cases.get_case(session=self.session, case_id=case_id)
        code = case.lead_street_code or ""
        return self.actor(Role.STREET, code), behaviour.street_profile(self.setup.streets, code)

    # --- reports and triage --------------------------------------------------------------

    def reporter(self, planned: PlannedReport) -> Actor | None:
        """The district's hotline for a call, the street's grid worker for a patrol, where
        the point lies (an echo may cross a line or leave the city: None)."""
        street = planned.street_code
        if not planned.joint:
            lon, lat = planned.point
            try:
                found = locate_point(session=self.session, lon=lon, lat=lat)
            except OutsideJurisdiction:
                return None
            street = found.street.code if found.street else ""
        if planned.source == "hotline":
            return self.actor(Role.DISTRICT, street[:6])
        return self.actor(Role.GRID_WORKER, street)

    def _report(self, at: datetime, planned: PlannedReport) -> bool:
        reporter = self.reporter(planned)
        if reporter is None:
            return False
        done = Submission(
            who=reporter,
            geometry=planned.geometry,
            crs=CoordinateSystem.WGS84,
            category=planned.category,
            description=f"{'12345 来电' if planned.source == 'hotline' else '网格巡查'}"
            f"：{planned.label}",
            source=planned.source,
            reporter_name="",
            accuracy_m=10.0,
            photos=[],
            idempotency_key=f"{self.key_prefix}{planned.n}",
            rules=self.setup.rules,
            limits=self.setup.limits,
            at=at,
        ).run(self.session)
        self.outcome.reports += 1
        if not (done.attached or done.replayed):
            case_id = done.case.id
            self.cases[case_id] = _Case(planned.n, planned.point, reporter, planned.joint)
            _, profile = self.street(case_id)
            delay = behaviour.street_delay(self.rng(case_id), profile.triage_h)
            self.later(at + delay, "triage", case_id)
        return True

    def _triage(self, at: datetime, case_id: int) -> bool:
        case = cases.get_case(session=self.session, case_id=case_id, lock=True)
        if case.status != CaseStatus.NEW:
            return False
        info = self.cases[case_id]
        actor, profile = self.street(case_id)
        rng = self.rng(case_id)
        found = duplicates(
            session=self.session,
            actor=actor,
            case=case,
            radius_m=MERGE_RADIUS_M,
            window=MERGE_WINDOW,
        )["duplicates"]
        earlier = [d for d in found if d["created_at"] <= case.created_at]
        choice = (
            "whistle"
            if info.joint
            else behaviour.triage_choice(rng, profile, duplicate=bool(earlier))
        )
        if choice == "merge":
            into = cases.get_case(session=self.session, case_id=earlier[0]["id"], lock=True)
            cases.merge(session=self.session, case=case, into=into, actor=actor, at=at)
        elif choice == "reject":
            cases.reject(
                session=self.session,
                case=case,
                actor=actor,
                at=at,
                reason="经核实不属于平台受理范围",
            )
        elif choice == "resolve_local":
            community = self.actor(Role.COMMUNITY, case.community_code or "")
            who = community if case.community_code else actor
            cases.resolve_locally(
                session=self.session, case=case, actor=who, at=at, note="社区就地处置完毕"
            )
            self.later(at + behaviour.street_delay(rng, profile.verify_h), "verify", case_id)
        else:
            self.whistle(at, case_id, None)
        return True

    def whistle(self, at: datetime, case_id: int, departments: list[dict[str, Any]] | None) -> None:
        case = cases.get_case(session=self.session, case_id=case_id, lock=True)
        actor, _ = self.street(case_id)
        info = self.cases[case_id]
        if departments is None:
            whistle = whistles.blow(
                session=self.session,
                case=case,
                actor=actor,
                at=at,
                policies=self.setup.policies,
                calendar=self.setup.calendar,
                note="跨区联合吹哨" if info.joint else "街道吹哨",
            )
        else:
            whistle = whistles.reroute(
                session=self.session,
                case=case,
                actor=actor,
                at=at,
                policies=self.setup.policies,
                calendar=self.setup.calendar,
                departments=departments,
                note="派单异议后改派",
            )
        info.whistles += 1
        assignments = self.session.scalars(
            select(Assignment).where(Assignment.whistle_id == whistle.id).order_by(Assignment.id)
        )
        for a in assignments:
            self.plan(a, self.rng(case_id), at)

    def plan(self, a: Assignment, rng: np.random.Generator, at: datetime) -> None:
        profile = behaviour.department_profile(self.setup.departments, a.department_code)
        due = (a.acknowledge_due_at, a.on_site_due_at, a.resolve_due_at)
        duty = behaviour.plan_duty(rng, profile, dispatched=at, due=due)
        for act, when in (
            ("dispute", duty.dispute_at),
            ("acknowledge", duty.acknowledge_at),
            ("on_site", duty.on_site_at),
            ("extension", duty.extension_at),
            ("resolve", duty.resolve_at),
        ):
            if when is not None:
                self.later(when, act, a.id)

    # --- department duty -----------------------------------------------------------------

    def duty(
        self, assignment_id: int, *states: AssignmentStatus
    ) -> tuple[Assignment, Actor] | None:
        a = whistles.get_assignment(session=self.session, assignment_id=assignment_id)
        if AssignmentStatus(a.status) not in states:
            return None
        return a, self.actor(Role.DEPARTMENT, a.department_code)

    def _acknowledge(self, at: datetime, assignment_id: int) -> bool:
        found = self.duty(assignment_id, AssignmentStatus.DISPATCHED)
        if found is not None:
            whistles.acknowledge(session=self.session, assignment=found[0], actor=found[1], at=at)
        return found is not None

    def _on_site(self, at: datetime, assignment_id: int) -> bool:
        found = self.duty(assignment_id, AssignmentStatus.DISPATCHED, AssignmentStatus.ACKNOWLEDGED)
        if found is None:
            return False
        lon, lat = self.cases[found[0].case_id].point
        whistles.report_on_site(
            session=self.session,
            assignment=found[0],
            actor=found[1],
            at=at,
            lon=lon,
            lat=lat,
            crs=CoordinateSystem.WGS84,
            max_distance_m=self.setup.max_distance_m,
        )
        return True

    def _extension(self, at: datetime, assignment_id: int) -> bool:
        found = self.duty(assignment_id, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.ON_SITE)
        if found is None:
            return False
        ext = whistles.request_extension(
            session=self.session,
            assignment=found[0],
            actor=found[1],
            at=at,
            amount="3wd",
            reason="需协调产权单位，申请延期",
            calendar=self.setup.calendar,
        )
        _, profile = self.street(found[0].case_id)
        rng = self.rng(found[0].case_id)
        self.later(at + behaviour.street_delay(rng, profile.decide_h), "decide", ext.id)
        return True

    def _resolve(self, at: datetime, assignment_id: int) -> bool:
        found = self.duty(assignment_id, AssignmentStatus.ON_SITE)
        if found is None:
            return False
        a, actor = found
        whistles.resolve(session=self.session, assignment=a, actor=actor, at=at, note="已处置完毕")
        self.after_resolution(at, a.case_id)
        return True

    def _dispute(self, at: datetime, assignment_id: int) -> bool:
        found = self.duty(assignment_id, AssignmentStatus.DISPATCHED, AssignmentStatus.ACKNOWLEDGED)
        if found is None:
            return False
        a, actor = found
        whistles.dispute(
            session=self.session, assignment=a, actor=actor, at=at, reason="不属于本部门职责"
        )
        _, profile = self.street(a.case_id)
        delay = behaviour.street_delay(self.rng(a.case_id), profile.triage_h)
        self.later(at + delay, "settle_dispute", a.case_id)
        return True

    # --- the street after the departments ------------------------------------------------

    def _decide(self, at: datetime, extension_id: int) -> bool:
        ext = self.session.get(Extension, extension_id, with_for_update=True)
        if ext is None or ext.status != "requested":
            return False
        a = self.session.get(Assignment, ext.assignment_id)
        assert a is not None
        actor, profile = self.street(a.case_id)
        approve = behaviour.chance(self.rng(a.case_id), profile.approve_p)
        whistles.decide_extension(
            session=self.session,
            extension=ext,
            actor=actor,
            at=at,
            approve=approve,
            note="同意延期" if approve else "不同意延期，按期办结",
        )
        return True

    def _settle_dispute(self, at: datetime, case_id: int) -> bool:
        case = cases.get_case(session=self.session, case_id=case_id, lock=True)
        if case.status != CaseStatus.DISPUTED:
            return False
        disputed = set(
            self.session.scalars(
                select(Assignment.department_code).where(
                    Assignment.case_id == case_id, Assignment.status == "disputed"
                )
            )
        )
        others = [
            d["code"] for d in whistles.default_departments(case) if d["code"] not in disputed
        ]
        if others:
            chosen = [
                {"code": c, "role": "lead" if i == 0 else "support", "overall_lead": i == 0}
                for i, c in enumerate(others)
            ]
            self.whistle(at, case_id, chosen)
            return True
        actor, _ = self.street(case_id)
        cases.resolve_locally(
            session=self.session, case=case, actor=actor, at=at, note="街道协调就地解决"
        )
        self.after_resolution(at, case_id)
        return True

    def after_resolution(self, at: datetime, case_id: int) -> None:
        case = cases.get_case(session=self.session, case_id=case_id)
        if case.status == CaseStatus.RESOLVED:
            _, profile = self.street(case_id)
            rng = self.rng(case_id)
            self.later(at + behaviour.street_delay(rng, profile.verify_h), "verify", case_id)

    def lead_profile(self, case_id: int) -> DepartmentProfile | None:
        code = self.session.scalar(
            select(Assignment.department_code)
            .where(
                Assignment.case_id == case_id,
                Assignment.overall_lead,
                Assignment.status != "cancelled",
            )
            .order_by(Assignment.id.desc())
            .limit(1)
        )
        return None if code is None else behaviour.department_profile(self.setup.departments, code)

    def _verify(self, at: datetime, case_id: int) -> bool:
        case = cases.get_case(session=self.session, case_id=case_id, lock=True)
        if case.status != CaseStatus.RESOLVED:
            return False
        info = self.cases[case_id]
        actor, profile = self.street(case_id)
        lead = self.lead_profile(case_id) if case.resolution_level == "department" else None
        rng = self.rng(case_id)
        reopen = not info.reopened and behaviour.chance(rng, lead.reopen_p if lead else 0.03)
        cases.verify(
            session=self.session,
            case=case,
            actor=actor,
            at=at,
            confirmed=not reopen,
            reason="现场核查仍未解决，退回重办" if reopen else "核查属实",
        )
        if reopen:
            info.reopened = True
            self.reopened(at, case_id, rng, profile)
        else:
            self.later(at + behaviour.street_delay(rng, profile.evaluate_h), "evaluate", case_id)
        return True

    def reopened(
        self, at: datetime, case_id: int, rng: np.random.Generator, profile: StreetProfile
    ) -> None:
        if cases.get_case(session=self.session, case_id=case_id).status == CaseStatus.NEW:
            self.later(at + behaviour.street_delay(rng, profile.triage_h), "triage", case_id)
            return
        for a in self.session.scalars(
            select(Assignment)
            .where(Assignment.case_id == case_id, Assignment.status == "on_site")
            .order_by(Assignment.id)
        ):
            self.later(at + behaviour.street_delay(rng, 24.0), "resolve", a.id)

    def _evaluate(self, at: datetime, case_id: int) -> bool:
        case = cases.get_case(session=self.session, case_id=case_id, lock=True)
        if case.status != CaseStatus.VERIFIED:
            return False
        info = self.cases[case_id]
        street, profile = self.street(case_id)
        actor = info.reporter if info.reporter.role is Role.GRID_WORKER else street
        lead = self.lead_profile(case_id) if case.resolution_level == "department" else None
        rating = behaviour.stars(self.rng(case_id), lead.stars if lead else profile.local_stars)
        cases.evaluate(
            session=self.session,
            case=case,
            actor=actor,
            at=at,
            stars=rating,
            comment="满意" if rating >= 4 else "基本满意" if rating == 3 else "不满意",
        )
        return True

    def _job(self, at: datetime) -> bool:
        run_round(session=self.session, now=at, data_dir=self.setup.data_dir)
        return True


def job_times(*, start: datetime, end: datetime) -> list[datetime]:
    """When the overdue job runs: every day at ``JOB_HOUR_UTC`` after ``start``, and at ``end``."""
    first = start.replace(hour=JOB_HOUR_UTC, minute=0, second=0, microsecond=0)
    if first <= start:
        first += timedelta(days=1)
    times = []
    while first < end:
        times.append(first)
        first += timedelta(days=1)
    return [*times, end]


def run_operations(
    *,
    session: Session,
    setup: Setup,
    reports: list[PlannedReport],
    seed: int,
    start: datetime,
    end: datetime,
    key_prefix: str,
) -> Outcome:
    """Submit ``reports`` and play every act that follows until ``end`` (not committed)."""
    run = _Run(session=session, setup=setup, seed=seed, end=end, key_prefix=key_prefix)
    for report in reports:
        run.later(report.at, "report", report)
    for at in job_times(start=start, end=end):
        run.later(at, "job")
    return run.run()
