"""Reports and triage in a simulated run: submit, then the lead street resolves locally
(by the community), rejects, merges into an earlier duplicate or blows the whistle."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from api.auth.roles import Actor, Role
from api.cases import service as cases
from api.cases.models import Case
from api.cases.queries import duplicates
from api.cases.workflow import CaseStatus
from api.geography.locate import locate_point
from api.reports.service import Submission
from api.routing.schemas import CaseRouting
from api.simulation import behaviour
from api.simulation.reports import M_PER_DEGREE, PlannedReport
from api.simulation.run import CaseMemo, Run
from api.whistles import service as whistles
from api.whistles.models import Assignment
from geo.coords import CoordinateSystem
from geo.locate import OutsideJurisdiction

MERGE_RADIUS_M = 100.0
MERGE_WINDOW = timedelta(hours=72)


def reporter_of(run: Run, planned: PlannedReport) -> Actor | None:
    """A 12345 call-taker for a call (None when the caller's point lies outside the city,
    as an echo near the edge may), the grid worker of the street for a patrol."""
    if planned.source != "hotline":
        return run.actor(Role.GRID_WORKER, planned.street_code)
    lon, lat = planned.point
    try:
        locate_point(session=run.session, lon=lon, lat=lat)
    except OutsideJurisdiction:
        return None
    return run.actor(Role.HOTLINE, None)


def report(run: Run, at: datetime, planned: PlannedReport) -> bool:
    """Submit a planned report as the API would; a new case waits for triage."""
    reporter = reporter_of(run, planned)
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
        idempotency_key=f"{run.key_prefix}{planned.n}",
        rules=run.setup.rules,
        limits=run.setup.limits,
        at=at,
    ).run(run.session)
    run.outcome.reports += 1
    if not (done.attached or done.replayed):
        case_id = done.case.id
        run.cases[case_id] = CaseMemo(
            planned.n, planned.point, reporter, planned.joint, at, planned.category
        )
        _, profile = run.street(case_id)
        when = behaviour.street_time(run.rng(case_id), at, profile.triage_h)
        run.later(when, "triage", case_id)
    return True


def triage(run: Run, at: datetime, case_id: int) -> bool:
    """The lead street decides what becomes of a new case."""
    case = cases.get_case(session=run.session, case_id=case_id, lock=True)
    if case.status != CaseStatus.NEW:
        return False
    info = run.cases[case_id]
    actor, profile = run.street(case_id)
    rng = run.rng(case_id)
    earlier = earlier_duplicates(run, case, actor)
    choice = (
        "whistle" if info.joint else behaviour.triage_choice(rng, profile, duplicate=bool(earlier))
    )
    if choice == "merge":
        into = cases.get_case(session=run.session, case_id=earlier[0]["id"], lock=True)
        cases.merge(
            session=run.session,
            case=case,
            into=into,
            actor=actor,
            at=at,
            reason=f"与案件 {into.id} 为同一问题（同类、相距不远）",
        )
    elif choice == "reject":
        cases.reject(
            session=run.session,
            case=case,
            actor=actor,
            at=at,
            reason="经核实不属于平台受理范围",
        )
    elif choice == "resolve_local":
        community = run.actor(Role.COMMUNITY, case.community_code or "")
        who = community if case.community_code else actor
        cases.resolve_locally(
            session=run.session, case=case, actor=who, at=at, note="社区就地处置完毕"
        )
        run.later(behaviour.street_time(rng, at, profile.verify_h), "verify", case_id)
    else:
        whistle(run, at, case_id, None)
    return True


def earlier_duplicates(run: Run, case: Case, actor: Actor) -> list[dict[str, Any]]:
    """The open duplicates made before ``case`` that the API suggests to its street,
    asked only when a case of the run might be one (the query costs a scan)."""
    me = run.cases[case.id]
    if not any(
        other.category == me.category
        and me.at - MERGE_WINDOW <= other.at <= me.at
        and _metres(other.point, me.point) <= MERGE_RADIUS_M * 1.1
        for case_id, other in run.cases.items()
        if case_id != case.id
    ):
        return []
    found = duplicates(
        session=run.session,
        actor=actor,
        case=case,
        radius_m=MERGE_RADIUS_M,
        window=MERGE_WINDOW,
    )["duplicates"]
    return [d for d in found if d["created_at"] <= case.created_at]


def whistle(run: Run, at: datetime, case_id: int, departments: list[dict[str, Any]] | None) -> None:
    """Blow the whistle on a case (or re-route it to ``departments``) and plan the duty."""
    case = cases.get_case(session=run.session, case_id=case_id, lock=True)
    actor, _ = run.street(case_id)
    info = run.cases[case_id]
    if departments is None:
        whistle = whistles.blow(
            session=run.session,
            case=case,
            actor=actor,
            at=at,
            policies=run.setup.policies,
            calendar=run.setup.calendar,
            note="跨区联合吹哨" if info.joint else "街道吹哨",
        )
    else:
        whistle = whistles.reroute(
            session=run.session,
            case=case,
            actor=actor,
            at=at,
            policies=run.setup.policies,
            calendar=run.setup.calendar,
            departments=departments,
            note="派单异议后改派",
        )
    if info.joint and info.whistles == 0:
        streets = CaseRouting.of(case.routing).streets
        partners = {s.code[:6] for s in streets} - {case.district_code}
        for district in sorted(partners):
            cases.comment(
                session=run.session,
                case=case,
                actor=run.actor(Role.DISTRICT, district),
                text="区指挥中心已知悉，督促本区部门联合处置",
                at=at,
            )
    info.whistles += 1
    assignments = run.session.scalars(
        select(Assignment).where(Assignment.whistle_id == whistle.id).order_by(Assignment.id)
    )
    for a in assignments:
        plan(run, a, run.rng(case_id), at)


def plan(run: Run, a: Assignment, rng: np.random.Generator, at: datetime) -> None:
    """Queue one assignment's acts as its department's profile draws them."""
    profile = behaviour.department_profile(run.setup.departments, a.department_code)
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
            run.later(when, act, a.id)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """About the distance between two lon/lat points in Beijing (equirectangular)."""
    dx = (a[0] - b[0]) * M_PER_DEGREE * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * M_PER_DEGREE)
