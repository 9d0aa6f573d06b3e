"""Department duty in a simulated run: acknowledge, on site, extension, resolve, dispute,
each only while the assignment is in a state that allows it."""

from __future__ import annotations

from datetime import datetime

from api.auth.roles import Actor, Role
from api.cases.workflow import AssignmentStatus
from api.simulation import behaviour
from api.simulation.checks import after_resolution
from api.simulation.run import Run
from api.whistles import service as whistles
from api.whistles.models import Assignment
from geo.coords import CoordinateSystem


def duty(
    run: Run, assignment_id: int, *states: AssignmentStatus
) -> tuple[Assignment, Actor] | None:
    """The assignment and its department, if it is in one of ``states``."""
    a = whistles.get_assignment(session=run.session, assignment_id=assignment_id)
    if AssignmentStatus(a.status) not in states:
        return None
    return a, run.actor(Role.DEPARTMENT, a.department_code)


def acknowledge(run: Run, at: datetime, assignment_id: int) -> bool:
    """The department signs for the task (签收)."""
    found = duty(run, assignment_id, AssignmentStatus.DISPATCHED)
    if found is not None:
        whistles.acknowledge(session=run.session, assignment=found[0], actor=found[1], at=at)
    return found is not None


def on_site(run: Run, at: datetime, assignment_id: int) -> bool:
    """The department reports on site (报到) at the case's position."""
    found = duty(run, assignment_id, AssignmentStatus.DISPATCHED, AssignmentStatus.ACKNOWLEDGED)
    if found is None:
        return False
    lon, lat = run.cases[found[0].case_id].point
    whistles.report_on_site(
        session=run.session,
        assignment=found[0],
        actor=found[1],
        at=at,
        lon=lon,
        lat=lat,
        crs=CoordinateSystem.WGS84,
        max_distance_m=run.setup.max_distance_m,
    )
    return True


def extension(run: Run, at: datetime, assignment_id: int) -> bool:
    """The department asks for three more working days; the street decides later."""
    found = duty(run, assignment_id, AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.ON_SITE)
    if found is None:
        return False
    ext = whistles.request_extension(
        session=run.session,
        assignment=found[0],
        actor=found[1],
        at=at,
        amount="3wd",
        reason="需协调产权单位，申请延期",
        calendar=run.setup.calendar,
    )
    _, profile = run.street(found[0].case_id)
    rng = run.rng(found[0].case_id)
    run.later(behaviour.street_time(rng, at, profile.decide_h), "decide", ext.id)
    return True


def resolve(run: Run, at: datetime, assignment_id: int) -> bool:
    """The department reports its part resolved."""
    found = duty(run, assignment_id, AssignmentStatus.ON_SITE)
    if found is None:
        return False
    a, actor = found
    whistles.resolve(session=run.session, assignment=a, actor=actor, at=at, note="已处置完毕")
    after_resolution(run, at, a.case_id)
    return True


def dispute(run: Run, at: datetime, assignment_id: int) -> bool:
    """The department answers "not ours" (派单异议); the street settles it later."""
    found = duty(run, assignment_id, AssignmentStatus.DISPATCHED, AssignmentStatus.ACKNOWLEDGED)
    if found is None:
        return False
    a, actor = found
    whistles.dispute(
        session=run.session, assignment=a, actor=actor, at=at, reason="不属于本部门职责"
    )
    _, profile = run.street(a.case_id)
    when = behaviour.street_time(run.rng(a.case_id), at, profile.triage_h)
    run.later(when, "settle_dispute", a.case_id)
    return True
