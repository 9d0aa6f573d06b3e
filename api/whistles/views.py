"""Routes: the whistle and its escalation to the city, the whistle board, department duty
(acknowledge, on site, resolve, extend, dispute) and extension decisions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.auth.deps import ActorDep
from api.cases.actions import allowed_assignment_actions
from api.cases.queries import overdue_obligations
from api.cases.schemas import (
    AssignmentPublic,
    BlowWhistle,
    Dispute,
    Escalate,
    ExtensionDecision,
    ExtensionPublic,
    ExtensionRequest,
    OnSite,
    ResolveDuty,
    WhistlePublic,
)
from api.cases.service import get_case, utcnow
from api.cases.site import sites
from api.cases.workflow import AssignmentStatus
from api.deadlines.service import calendar, policies_from
from api.deadlines.supervision import Level
from api.deps import DepartmentFilter, PathId, QueryId, QueryInstant, SessionDep, SettingsDep
from api.errors import Forbidden, NotFound
from api.photos.queries import photos_of_cases
from api.photos.schemas import PhotoPublic
from api.photos.service import after_photo_policy, photo_limits
from api.reports.service import decode_photos
from api.routing.service import rules_from
from api.whistles import queries, service
from api.whistles.models import Assignment, Extension
from api.whistles.schemas import BoardAssignment, ExtensionListed
from api.whistles.supervision import ladders_from

router = APIRouter(prefix="/api", tags=["whistles"])

Supervision = Literal["warning", "overdue", "chased", "district", "city"]


def _public(assignment: Assignment) -> AssignmentPublic:
    public = AssignmentPublic.model_validate(assignment)
    public.overdue = overdue_obligations(assignment, utcnow())
    return public


@router.post("/cases/{case_id}/whistle", response_model=WhistlePublic)
def blow(
    case_id: PathId, body: BlowWhistle, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> Any:
    """Blow a whistle: departments (default: the router's proposal) report for duty."""
    case = get_case(session=session, case_id=case_id, lock=True)
    whistle = service.blow(
        session=session,
        case=case,
        actor=actor,
        at=utcnow(),
        policies=policies_from(settings.data_dir),
        calendar=calendar(session=session),
        whistle_type=body.whistle_type,
        departments=None
        if body.departments is None
        else [d.model_dump() for d in body.departments],
        partner_streets=body.partner_streets,
        sla_policy=body.sla_policy,
        note=body.note,
    )
    session.commit()
    return whistle


@router.post("/cases/{case_id}/escalate", response_model=WhistlePublic)
def escalate(
    case_id: PathId, body: Escalate, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> Any:
    """The district escalates to city departments (the city-level duty rule by default)."""
    case = get_case(session=session, case_id=case_id, lock=True)
    whistle = service.escalate(
        session=session,
        case=case,
        actor=actor,
        at=utcnow(),
        policies=policies_from(settings.data_dir),
        calendar=calendar(session=session),
        rules=rules_from(settings.data_dir),
        departments=None
        if body.departments is None
        else [d.model_dump() for d in body.departments],
        note=body.note,
    )
    session.commit()
    return whistle


@router.get("/whistles", response_model=list[BoardAssignment])
def board(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    overdue: bool | None = None,
    supervision: Annotated[
        Supervision | None, Query(description="only assignments at this supervision level")
    ] = None,
    status: AssignmentStatus | None = None,
    department: DepartmentFilter = None,
    case_id: QueryId = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    as_of: Annotated[
        QueryInstant, Query(description="the clock for overdue and supervision (default: now)")
    ] = None,
) -> list[BoardAssignment]:
    """Department assignments of whistles the caller may see, with their cases (their photos
    and their site: where to go, the nearest road, the point for 高德 and 百度) and supervision
    levels, and what the caller may do to each (``allowed_actions``); ``overdue=true``,
    ``supervision=chased`` …"""
    rows = queries.board(
        session=session,
        actor=actor,
        now=utcnow() if as_of is None else as_of,
        ladders=ladders_from(settings.data_dir),
        calendar=calendar(session=session),
        overdue=overdue,
        supervision=None if supervision is None else Level(supervision),
        status=status,
        department=department,
        case_id=case_id,
        limit=limit,
    )
    case_ids = {row.case.id for row in rows}
    photos = photos_of_cases(session=session, case_ids=case_ids)
    places = sites(session=session, case_ids=case_ids, road_radius_m=settings.chief_radius_m)
    policy = after_photo_policy(settings)
    allowed = allowed_assignment_actions(session=session, actor=actor, assignments=rows)
    for row in rows:
        row.allowed_actions = allowed[row.id]
        row.case.photos = [PhotoPublic.model_validate(p) for p in photos.get(row.case.id, [])]
        row.case.after_photos_required = policy.required(row.case.category)
        row.case.site = places.get(row.case.id)
    return rows


@router.get("/extensions", response_model=list[ExtensionListed])
def list_extensions(
    session: SessionDep,
    actor: ActorDep,
    status: Literal["requested", "approved", "denied"] | None = None,
    case_id: QueryId = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ExtensionListed]:
    """Extension requests on the caller's cases (``status=requested``: waiting for a decision)."""
    if actor.role not in queries.EXTENSION_READERS:
        raise Forbidden(f"{actor.role} may not list extension requests", field="authorization")
    return queries.extensions(
        session=session, actor=actor, status=status, case_id=case_id, limit=limit
    )


def _assignment(session: SessionDep, assignment_id: int) -> Assignment:
    return service.get_assignment(session=session, assignment_id=assignment_id)


@router.post("/assignments/{assignment_id}/acknowledge", response_model=AssignmentPublic)
def acknowledge(assignment_id: PathId, session: SessionDep, actor: ActorDep) -> AssignmentPublic:
    """Sign for the task (签收)."""
    assignment = _assignment(session, assignment_id)
    service.acknowledge(session=session, assignment=assignment, actor=actor, at=utcnow())
    session.commit()
    return _public(assignment)


@router.post("/assignments/{assignment_id}/on-site", response_model=AssignmentPublic)
def on_site(
    assignment_id: PathId, body: OnSite, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> AssignmentPublic:
    """Report on site (报到) with the current position (checked against the case)."""
    assignment = _assignment(session, assignment_id)
    service.report_on_site(
        session=session,
        assignment=assignment,
        actor=actor,
        at=utcnow(),
        lon=body.lon,
        lat=body.lat,
        crs=body.crs,
        max_distance_m=settings.on_site_max_distance_m,
    )
    session.commit()
    return _public(assignment)


@router.post("/assignments/{assignment_id}/resolve", response_model=AssignmentPublic)
def resolve(
    assignment_id: PathId,
    body: ResolveDuty,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
) -> AssignmentPublic:
    """Report the department's part resolved, with after-photos (the overall lead's resolves
    the case; the after-photo policy may require them)."""
    photos = decode_photos([p.model_dump() for p in body.photos], photo_limits(settings))
    assignment = _assignment(session, assignment_id)
    service.resolve(
        session=session,
        assignment=assignment,
        actor=actor,
        at=utcnow(),
        note=body.note,
        photos=photos,
        after_photos=after_photo_policy(settings),
    )
    session.commit()
    return _public(assignment)


@router.post(
    "/assignments/{assignment_id}/extensions", response_model=ExtensionPublic, status_code=201
)
def request_extension(
    assignment_id: PathId, body: ExtensionRequest, session: SessionDep, actor: ActorDep
) -> Any:
    """Ask the whistling street for more time to resolve."""
    assignment = _assignment(session, assignment_id)
    ext = service.request_extension(
        session=session,
        assignment=assignment,
        actor=actor,
        at=utcnow(),
        amount=body.amount,
        reason=body.reason,
        calendar=calendar(session=session),
    )
    session.commit()
    return ext


@router.post("/assignments/{assignment_id}/dispute", response_model=AssignmentPublic)
def dispute(
    assignment_id: PathId, body: Dispute, session: SessionDep, actor: ActorDep
) -> AssignmentPublic:
    """Answer "not ours" with a reason (派单异议)."""
    assignment = _assignment(session, assignment_id)
    service.dispute(
        session=session, assignment=assignment, actor=actor, at=utcnow(), reason=body.reason
    )
    session.commit()
    return _public(assignment)


@router.post("/extensions/{extension_id}/decision", response_model=ExtensionPublic)
def decide(
    extension_id: PathId, body: ExtensionDecision, session: SessionDep, actor: ActorDep
) -> Any:
    """The whistling street approves or denies an extension."""
    ext = session.scalar(select(Extension).where(Extension.id == extension_id).with_for_update())
    if ext is None:
        raise NotFound(f"extension {extension_id} does not exist", field="extension_id")
    service.decide_extension(
        session=session,
        extension=ext,
        actor=actor,
        at=utcnow(),
        approve=body.approve,
        note=body.note,
    )
    session.commit()
    return ext
