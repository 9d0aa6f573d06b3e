"""Routes: the call-back queue, a call-back's result, the lead street's decision on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.deps import ActorDep
from api.callbacks import service
from api.callbacks.schemas import (
    CallbackCreate,
    CallbackDecision,
    CallbackItemPublic,
    CallbackPublic,
    CallbacksPublic,
)
from api.cases.service import get_case, utcnow
from api.db.base import INT4_MAX
from api.deps import PathId, SessionDep

router = APIRouter(tags=["callbacks"])


@router.get("/api/callbacks", response_model=CallbacksPublic)
def callbacks(
    session: SessionDep,
    actor: ActorDep,
    status: service.QueueStatus = service.QueueStatus.PENDING,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=INT4_MAX)] = 0,
) -> CallbacksPublic:
    """The call-back queue (回访): verified hotline cases to call back (``pending``), 不满意
    results the lead street decides on (``review``), and the finished ones (``done``)."""
    total, rows = service.queue(
        session=session, actor=actor, status=status, limit=limit, offset=offset
    )
    items = [
        CallbackItemPublic(
            case_id=case.id,
            status=status,
            case_status=case.status,
            category=case.category,
            description=case.description,
            lead_street_code=case.lead_street_code,
            resolution_level=case.resolution_level,
            resolved_at=case.resolved_at,
            verified_at=case.verified_at,
            callback=None if cb is None else CallbackPublic.model_validate(cb),
        )
        for case, cb in rows
    ]
    return CallbacksPublic(status=str(status), total=total, items=items)


@router.post("/api/cases/{case_id}/callback", response_model=CallbackPublic)
def call_back(
    case_id: PathId, body: CallbackCreate, session: SessionDep, actor: ActorDep
) -> CallbackPublic:
    """Record a call-back's result: 满意 or 基本满意 closes the case; 不满意 (with the
    caller's reason) waits for the lead street's decision."""
    case = get_case(session=session, case_id=case_id, lock=True)
    done = service.call_back(
        session=session,
        case=case,
        actor=actor,
        result=body.result,
        reason=body.reason,
        at=utcnow(),
    )
    session.commit()
    return CallbackPublic.model_validate(done)


@router.post("/api/callbacks/{callback_id}/decision", response_model=CallbackPublic)
def decide(
    callback_id: PathId, body: CallbackDecision, session: SessionDep, actor: ActorDep
) -> CallbackPublic:
    """The lead street accepts a 不满意 call-back (the case is redone: 重办) or declines it
    with a reason (the case closes, the 不满意 counted)."""
    found = service.get(session=session, callback_id=callback_id, lock=True)
    case = get_case(session=session, case_id=found.case_id, lock=True)
    service.decide(
        session=session,
        callback=found,
        case=case,
        actor=actor,
        accept=body.accept,
        reason=body.reason,
        at=utcnow(),
    )
    session.commit()
    return CallbackPublic.model_validate(found)
