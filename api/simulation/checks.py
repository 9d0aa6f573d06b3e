"""The street after the departments in a simulated run: extension decisions, disputes,
verification (and reopening), evaluation; the 12345 call-back of hotline cases and the
street's decision on a 不满意; and the overdue job."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select

from api.assessment.scoring import STAR_LABELS
from api.auth.roles import Role
from api.callbacks import service as callbacks
from api.cases import service as cases
from api.cases.workflow import CaseStatus
from api.simulation import behaviour
from api.simulation.behaviour import DepartmentProfile, StreetProfile
from api.simulation.run import Run
from api.simulation.triage import whistle
from api.whistles import service as whistles
from api.whistles.jobs import run_round
from api.whistles.models import Assignment, Extension


def decide(run: Run, at: datetime, extension_id: int) -> bool:
    """The street approves or refuses an extension request."""
    ext = run.session.get(Extension, extension_id, with_for_update=True)
    if ext is None or ext.status != "requested":
        return False
    a = run.session.get(Assignment, ext.assignment_id)
    assert a is not None
    actor, profile = run.street(a.case_id)
    approve = behaviour.chance(run.rng(a.case_id), profile.approve_p)
    whistles.decide_extension(
        session=run.session,
        extension=ext,
        actor=actor,
        at=at,
        approve=approve,
        note="同意延期" if approve else "不同意延期，按期办结",
    )
    return True


def settle_dispute(run: Run, at: datetime, case_id: int) -> bool:
    """The street re-routes a disputed case to its other departments, or solves it."""
    case = cases.get_case(session=run.session, case_id=case_id, lock=True)
    if case.status != CaseStatus.DISPUTED:
        return False
    disputed = set(
        run.session.scalars(
            select(Assignment.department_code).where(
                Assignment.case_id == case_id, Assignment.status == "disputed"
            )
        )
    )
    others = [d["code"] for d in whistles.default_departments(case) if d["code"] not in disputed]
    if others:
        chosen = [
            {"code": c, "role": "lead" if i == 0 else "support", "overall_lead": i == 0}
            for i, c in enumerate(others)
        ]
        whistle(run, at, case_id, chosen)
        return True
    actor, _ = run.street(case_id)
    cases.resolve_locally(
        session=run.session, case=case, actor=actor, at=at, note="街道协调就地解决"
    )
    after_resolution(run, at, case_id)
    return True


def after_resolution(run: Run, at: datetime, case_id: int) -> None:
    """Queue the verification of a case that is now resolved."""
    case = cases.get_case(session=run.session, case_id=case_id)
    if case.status == CaseStatus.RESOLVED:
        _, profile = run.street(case_id)
        rng = run.rng(case_id)
        run.later(behaviour.street_time(rng, at, profile.verify_h), "verify", case_id)


def lead_profile(run: Run, case_id: int) -> DepartmentProfile | None:
    """The profile of the case's overall lead department, if any."""
    code = run.session.scalar(
        select(Assignment.department_code)
        .where(
            Assignment.case_id == case_id,
            Assignment.overall_lead,
            Assignment.status != "cancelled",
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    )
    return None if code is None else behaviour.department_profile(run.setup.departments, code)


def verify(run: Run, at: datetime, case_id: int) -> bool:
    """The street confirms a result, or reopens it once (退回重办)."""
    case = cases.get_case(session=run.session, case_id=case_id, lock=True)
    if case.status != CaseStatus.RESOLVED:
        return False
    info = run.cases[case_id]
    actor, profile = run.street(case_id)
    lead = lead_profile(run, case_id) if case.resolution_level == "department" else None
    rng = run.rng(case_id)
    reopen = not info.reopened and behaviour.chance(rng, lead.reopen_p if lead else 0.03)
    cases.verify(
        session=run.session,
        case=case,
        actor=actor,
        at=at,
        confirmed=not reopen,
        reason="现场核查仍未解决，退回重办" if reopen else "核查属实",
    )
    if reopen:
        info.reopened = True
        reopened(run, at, case_id, rng, profile)
    elif callbacks.pending(session=run.session, case=case):
        run.later(behaviour.street_time(rng, at, CALLBACK_H), "callback", case_id)
    else:
        run.later(behaviour.street_time(rng, at, profile.evaluate_h), "evaluate", case_id)
    return True


def reopened(
    run: Run, at: datetime, case_id: int, rng: np.random.Generator, profile: StreetProfile
) -> None:
    """Queue what follows a reopening: triage again, or the departments resolve again."""
    if cases.get_case(session=run.session, case_id=case_id).status == CaseStatus.NEW:
        run.later(behaviour.street_time(rng, at, profile.triage_h), "triage", case_id)
        return
    for a in run.session.scalars(
        select(Assignment)
        .where(Assignment.case_id == case_id, Assignment.status == "on_site")
        .order_by(Assignment.id)
    ):
        run.later(at + behaviour.street_delay(rng, 24.0), "resolve", a.id)


def evaluate(run: Run, at: datetime, case_id: int) -> bool:
    """The reporting grid worker (or the street) rates a verified case, closing it."""
    case = cases.get_case(session=run.session, case_id=case_id, lock=True)
    if case.status != CaseStatus.VERIFIED:
        return False
    info = run.cases[case_id]
    street, profile = run.street(case_id)
    actor = info.reporter if info.reporter.role is Role.GRID_WORKER else street
    lead = lead_profile(run, case_id) if case.resolution_level == "department" else None
    rating = behaviour.stars(run.rng(case_id), lead.stars if lead else profile.local_stars)
    cases.evaluate(
        session=run.session,
        case=case,
        actor=actor,
        at=at,
        stars=rating,
        comment=STAR_LABELS[rating],
    )
    return True


CALLBACK_H = 24.0  # median hours from verification to the 12345 call-back (our choice)
ACCEPT_P = 0.6  # the street accepts a 不满意 and has the case redone (once per case)
RESULTS = {5: "满意", 4: "基本满意"}  # fewer stars: 不满意


def callback(run: Run, at: datetime, case_id: int) -> bool:
    """The 12345 centre calls the caller back on a verified hotline case (回访): the stars
    the lead department earns on the caller's scale; below 4, 不满意 with a reason."""
    case = cases.get_case(session=run.session, case_id=case_id, lock=True)
    if not callbacks.pending(session=run.session, case=case):
        return False
    _, profile = run.street(case_id)
    lead = lead_profile(run, case_id) if case.resolution_level == "department" else None
    rng = run.rng(case_id)
    result = RESULTS.get(behaviour.stars(rng, lead.stars if lead else profile.local_stars))
    done = callbacks.call_back(
        session=run.session,
        case=case,
        actor=run.actor(Role.HOTLINE, None),
        result=result or callbacks.UNSATISFIED,
        reason="" if result else "问题没有解决",
        at=at,
    )
    if result is None:
        run.later(behaviour.street_time(rng, at, profile.decide_h), "callback_decision", done.id)
    return True


def callback_decision(run: Run, at: datetime, callback_id: int) -> bool:
    """The lead street accepts a 不满意 (redone once: 重办) or declines it with a reason."""
    found = callbacks.get(session=run.session, callback_id=callback_id, lock=True)
    if found.decision is not None:
        return False
    case = cases.get_case(session=run.session, case_id=found.case_id, lock=True)
    info = run.cases[case.id]
    actor, profile = run.street(case.id)
    rng = run.rng(case.id)
    accept = not info.reopened and behaviour.chance(rng, ACCEPT_P)
    callbacks.decide(
        session=run.session,
        callback=found,
        case=case,
        actor=actor,
        accept=accept,
        reason="" if accept else "已按规定办结，向来电人做好解释",
        at=at,
    )
    if accept:
        info.reopened = True
        reopened(run, at, case.id, rng, profile)
    return True


def job(run: Run, at: datetime) -> bool:
    """One round of the overdue job at the simulated time."""
    run_round(session=run.session, now=at, data_dir=run.setup.data_dir)
    return True
