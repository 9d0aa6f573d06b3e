"""Routes: case listing and detail, history, local triage (resolve, reject, merge),
verification, evaluation, comments. The whistle and escalation are in ``api.whistles.views``,
the re-route after a dispute in ``api.routing.views``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.auth.deps import ActorDep
from api.auth.roles import Action, Actor
from api.cases import service
from api.cases.actions import allowed_actions, allowed_assignment_actions, allowed_case_actions
from api.cases.queries import case_detail, cases_geojson, duplicates
from api.cases.schemas import (
    CasePublic,
    CasesPublic,
    Comment,
    DuplicatesPublic,
    Evaluate,
    EventPublic,
    Merge,
    Reject,
    ResolveLocal,
    Verify,
)
from api.cases.workflow import CaseStatus
from api.db.base import INT4_MAX
from api.deadlines.service import calendar, policies_from
from api.deadlines.sla import plain
from api.deadlines.supervision import level
from api.deps import (
    BboxFilter,
    CategoryFilter,
    PathId,
    QueryInstant,
    SessionDep,
    SettingsDep,
    StreetFilter,
    check_range,
)
from api.geography.views import parse_bbox
from api.photos.service import after_photo_policy
from api.whistles.models import Assignment, Whistle
from api.whistles.supervision import ladders_from, times_of

router = APIRouter(prefix="/api/cases", tags=["cases"])
SUGGEST_FACTOR = 2.0  # suggested duplicates: this many times the attach radius


def _detail(session: SessionDep, settings: SettingsDep, actor: Actor, case_id: int) -> CasePublic:
    case = service.get_case(session=session, case_id=case_id)
    now = service.utcnow()
    detail = case_detail(session=session, case=case, now=now)
    levels = _supervision(session, settings, case_id, now)
    duties = allowed_assignment_actions(
        session=session,
        actor=actor,
        assignments=list(session.scalars(select(Assignment).where(Assignment.case_id == case_id))),
    )
    for assignment in detail["assignments"]:
        assignment["supervision"] = levels[assignment["id"]]
        assignment["allowed_actions"] = duties[assignment["id"]]
    detail["allowed_actions"] = allowed_actions(session=session, actor=actor, cases=[case])[case.id]
    policy = policies_from(settings.data_dir).get(str(detail["routing"].get("sla_policy")))
    if policy is not None:  # the time limits in words, beside the policy's name
        detail["routing"] = {**detail["routing"], "sla_text": plain(policy)}
    return CasePublic.model_validate(detail)


def _supervision(
    session: SessionDep, settings: SettingsDep, case_id: int, now: datetime
) -> dict[int, str]:
    """Each assignment's supervision level at ``now`` (黄牌预警 … 市级督办; docs/supervision.md)."""
    ladders = ladders_from(settings.data_dir)
    work = calendar(session=session)
    rows = session.execute(
        select(Assignment, Whistle.sla_policy)
        .join(Whistle, Whistle.id == Assignment.whistle_id)
        .where(Assignment.case_id == case_id)
    )
    return {a.id: str(level(times_of(a), ladders.of(policy), now, work)) for a, policy in rows}


@router.get("", response_model=CasesPublic)
def list_cases(
    session: SessionDep,
    actor: ActorDep,
    status: CaseStatus | None = None,
    category: CategoryFilter = None,
    street: StreetFilter = None,
    bbox: BboxFilter = None,
    since: QueryInstant = None,
    until: QueryInstant = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT4_MAX)] = 0,
) -> dict[str, Any]:
    """Cases the caller may see, as GeoJSON, filtered and paginated (newest first), each with
    the actions the caller may do to it."""
    check_range(since, until)
    found = cases_geojson(
        session=session,
        actor=actor,
        status=status,
        category=category,
        street=street,
        bbox=parse_bbox(bbox),
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    ids = [feature["id"] for feature in found["features"]]
    allowed = allowed_case_actions(session=session, actor=actor, case_ids=ids)
    for feature in found["features"]:
        feature["properties"]["allowed_actions"] = allowed[feature["id"]]
    return found


@router.get("/{case_id}", response_model=CasePublic)
def get_case(
    case_id: PathId, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> CasePublic:
    """One case with its streets, whistles and department assignments."""
    case = service.get_case(session=session, case_id=case_id)
    service.require(session=session, actor=actor, action=Action.VIEW, case=case)
    return _detail(session, settings, actor, case_id)


@router.get("/{case_id}/duplicates", response_model=DuplicatesPublic)
def suggested_duplicates(
    case_id: PathId,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    radius_m: Annotated[float | None, Query(gt=0, le=500)] = None,
) -> Any:
    """Open cases of the same category nearby, within the duplicate window: merge candidates.

    Reports within the duplicate radius already attach on arrival, so the default looks twice
    as far (the near misses); ``radius_m`` overrides it.
    """
    case = service.get_case(session=session, case_id=case_id)
    service.require(session=session, actor=actor, action=Action.VIEW, case=case)
    return duplicates(
        session=session,
        actor=actor,
        case=case,
        radius_m=radius_m if radius_m is not None else SUGGEST_FACTOR * settings.duplicate_radius_m,
        window=timedelta(hours=settings.duplicate_window_hours),
    )


@router.get("/{case_id}/events", response_model=list[EventPublic])
def events(case_id: PathId, session: SessionDep, actor: ActorDep) -> list[Any]:
    """The case's history: every event with actor, time, from → to and reason."""
    case = service.get_case(session=session, case_id=case_id)
    service.require(session=session, actor=actor, action=Action.VIEW, case=case)
    return service.history(session=session, case_id=case_id)


@router.post("/{case_id}/resolve", response_model=CasePublic)
def resolve_locally(
    case_id: PathId, body: ResolveLocal, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> CasePublic:
    """The community or street resolves the matter itself."""
    case = service.get_case(session=session, case_id=case_id, lock=True)
    service.resolve_locally(
        session=session, case=case, actor=actor, note=body.note, at=service.utcnow()
    )
    session.commit()
    return _detail(session, settings, actor, case_id)


@router.post("/{case_id}/reject", response_model=CasePublic)
def reject(
    case_id: PathId, body: Reject, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> CasePublic:
    """Reject with a reason."""
    case = service.get_case(session=session, case_id=case_id, lock=True)
    service.reject(session=session, case=case, actor=actor, reason=body.reason, at=service.utcnow())
    session.commit()
    return _detail(session, settings, actor, case_id)


@router.post("/{case_id}/merge", response_model=CasePublic)
def merge(
    case_id: PathId, body: Merge, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> CasePublic:
    """Merge a duplicate into another open case (its reports move there)."""
    case = service.get_case(session=session, case_id=case_id, lock=True)
    into = service.get_case(session=session, case_id=body.into, lock=True, field="into")
    service.merge(
        session=session,
        case=case,
        into=into,
        actor=actor,
        at=service.utcnow(),
        reason=body.reason,
    )
    session.commit()
    return _detail(session, settings, actor, body.into)


@router.post("/{case_id}/verify", response_model=CasePublic)
def verify(
    case_id: PathId, body: Verify, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> CasePublic:
    """Confirm the result (with the after-photos the policy asks for), or reopen it with a
    reason."""
    case = service.get_case(session=session, case_id=case_id, lock=True)
    service.verify(
        session=session,
        case=case,
        actor=actor,
        confirmed=body.confirmed,
        reason=body.reason,
        at=service.utcnow(),
        after_photos=after_photo_policy(settings),
    )
    session.commit()
    return _detail(session, settings, actor, case_id)


@router.post("/{case_id}/evaluate", response_model=CasePublic)
def evaluate(
    case_id: PathId, body: Evaluate, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> CasePublic:
    """Rate the result 1–5 stars; closes the case."""
    case = service.get_case(session=session, case_id=case_id, lock=True)
    service.evaluate(
        session=session,
        case=case,
        actor=actor,
        stars=body.stars,
        comment=body.comment,
        at=service.utcnow(),
    )
    session.commit()
    return _detail(session, settings, actor, case_id)


@router.post("/{case_id}/comments", response_model=list[EventPublic])
def add_comment(case_id: PathId, body: Comment, session: SessionDep, actor: ActorDep) -> list[Any]:
    """Add a note to the case's history."""
    case = service.get_case(session=session, case_id=case_id)
    service.comment(session=session, case=case, actor=actor, text=body.text, at=service.utcnow())
    session.commit()
    return service.history(session=session, case_id=case_id)
