"""Call-backs (回访): the queue of verified hotline cases, the result, the street's decision.

A hotline case (one of its reports came through 12345) is resolved, verified by the lead
street and then called back by the hotline centre instead of being evaluated: 满意 (5 stars)
and 基本满意 (4) close it; 不满意 (2, with the caller's reason) waits for the lead street,
which accepts it (the verified case is reopened, 重办) or declines it with a reason (the case
closes with the 不满意 on record). The call-back's rating is the case's satisfaction, with
the source ``callback``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true
from sqlalchemy.orm import Session

from api.auth.roles import Action, Actor, Role
from api.callbacks.models import Callback
from api.cases.models import Case
from api.cases.service import (
    CALLBACK_NOT_OWED,
    Rating,
    close_rated,
    is_hotline,
    record,
    reopen,
    require,
)
from api.cases.workflow import CaseStatus, Guard, IllegalTransition
from api.errors import Forbidden, InvalidInput, NotFound
from api.reports.models import Report

STARS = {"满意": 5, "基本满意": 4, "不满意": 2}
"""A call-back's result on the evaluation's star scale (2 = 不满意, as the scale names it)."""
UNSATISFIED = "不满意"
CALLERS = frozenset({Role.HOTLINE, Role.ADMIN})
"""Who calls back: the 12345 centre (and administrators)."""
DECIDERS = frozenset({Role.STREET, Role.ADMIN})
"""Who decides on a 不满意: the case's lead street (and administrators)."""
SOURCE = "callback"


class QueueStatus(StrEnum):
    """Where a case stands in the call-back queue."""

    PENDING = "pending"  # verified hotline case, to be called back
    REVIEW = "review"  # called back 不满意: the lead street accepts or declines
    DONE = "done"  # closed by its call-back, or the 不满意 was decided


def _live() -> ColumnElement[bool]:
    """A call-back that still stands on the case (every one but an accepted 不满意)."""
    return or_(Callback.decision.is_(None), Callback.decision != "accepted")


def _pending() -> ColumnElement[bool]:
    """SQL condition over Case: a verified hotline case with no standing call-back."""
    hotline = select(Report.id).where(Report.case_id == Case.id, Report.source == "hotline")
    called = select(Callback.id).where(Callback.case_id == Case.id, _live())
    return and_(Case.status == str(CaseStatus.VERIFIED), exists(hotline), not_(exists(called)))


def pending(*, session: Session, case: Case) -> bool:
    """Whether ``case`` waits for its call-back."""
    if case.status != CaseStatus.VERIFIED or not is_hotline(session=session, case_id=case.id):
        return False
    called = select(Callback.id).where(Callback.case_id == case.id, _live())
    return not session.scalar(select(exists(called)))


def call_back(
    *, session: Session, case: Case, actor: Actor, result: str, reason: str, at: datetime
) -> Callback:
    """Record what the caller said; 满意 and 基本满意 close the case, 不满意 goes to review."""
    if actor.role not in CALLERS:
        raise Forbidden(
            f"a {actor.role} user does not call back hotline cases", field="authorization"
        )
    if result not in STARS:
        raise InvalidInput(f"unknown result {result!r}", field="result")
    if result == UNSATISFIED and not reason.strip():
        raise InvalidInput(
            "不满意 needs the caller's reason",
            field="reason",
            message="回访不满意须填写来电人的理由",
        )
    if not pending(session=session, case=case):
        raise IllegalTransition(
            f"case {case.id} is not waiting for a call-back (a {case.status} case; "
            "a hotline case is called back once verified)",
            field="status",
            current=case.status,
            message=f"案件 {case.id} 不在待回访队列中（热线案件核查后才回访）",
        )
    done = Callback(
        case_id=case.id,
        result=result,
        stars=STARS[result],
        reason=reason.strip() or None,
        called_by=actor.id or None,
        called_at=at,
    )
    session.add(done)
    session.flush()
    data = {"callback_id": done.id, "result": result, "stars": done.stars}
    record(
        session=session,
        case=case,
        actor=actor,
        kind="callback",
        at=at,
        reason=done.reason,
        data=data,
    )
    if result != UNSATISFIED:
        _close(session=session, case=case, callback=done, actor=actor, at=at)
    return done


def _close(*, session: Session, case: Case, callback: Callback, actor: Actor, at: datetime) -> None:
    close_rated(
        session=session,
        case=case,
        actor=actor,
        at=at,
        rating=Rating(callback.stars, callback.reason or "", SOURCE),
        reason=f"回访{callback.result}",
        met=CALLBACK_NOT_OWED,
        data={"callback_id": callback.id},
    )


def get(*, session: Session, callback_id: int, lock: bool = False) -> Callback:
    """A call-back by id; NotFound naming ``callback_id`` otherwise."""
    stmt = select(Callback).where(Callback.id == callback_id)
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"call-back {callback_id} does not exist", field="callback_id")
    return found


def decide(
    *,
    session: Session,
    callback: Callback,
    case: Case,
    actor: Actor,
    accept: bool,
    reason: str,
    at: datetime,
) -> None:
    """The lead street accepts a 不满意 (the case is redone, 重办) or declines it (why)."""
    if actor.role not in DECIDERS:
        raise Forbidden(f"a {actor.role} user does not decide on call-backs", field="authorization")
    require(session=session, actor=actor, action=Action.VERIFY, case=case)
    if callback.result != UNSATISFIED or callback.decision is not None:
        state = callback.decision or callback.result
        raise IllegalTransition(
            f"call-back {callback.id} awaits no decision (it is {state})",
            field="status",
            current=state,
            message="这条回访无需街道决定（不是不满意，或已决定）",
        )
    if not accept and not reason.strip():
        raise InvalidInput(
            "declining a 不满意 call-back needs a reason",
            field="reason",
            message="不同意重办须说明理由",
        )
    callback.decision = "accepted" if accept else "declined"
    callback.decided_by = actor.id or None
    callback.decided_at = at
    callback.decision_reason = reason.strip() or None
    data = {"callback_id": callback.id, "result": callback.result}
    record(
        session=session,
        case=case,
        actor=actor,
        kind=f"callback:{callback.decision}",
        at=at,
        reason=callback.decision_reason,
        data=data,
    )
    if accept:
        why = f"回访不满意，重办：{callback.reason}"
        met = frozenset({Guard.CALLBACK_ACCEPTED})
        reopen(session=session, case=case, actor=actor, at=at, reason=why, met=met, data=data)
    else:
        _close(session=session, case=case, callback=callback, actor=actor, at=at)


def _scope(actor: Actor) -> ColumnElement[bool]:
    """SQL condition over Case: the cases whose call-backs ``actor`` sees."""
    j = actor.jurisdiction
    if actor.role in CALLERS or (actor.role is Role.ANALYST and j is None):
        return true()
    match actor.role:
        case Role.STREET:
            return Case.lead_street_code == j
        case Role.DISTRICT:
            return Case.district_code == j
        case Role.ANALYST:
            return Case.lead_street_code.startswith(j or "")
    raise Forbidden(f"a {actor.role} user does not see the call-back queue", field="authorization")


def queue(
    *, session: Session, actor: Actor, status: QueueStatus, limit: int, offset: int
) -> tuple[int, list[tuple[Case, Callback | None]]]:
    """The queue in the actor's scope: pending oldest verified first, review oldest call
    first, done newest call first; the total and one page."""
    scope = _scope(actor)
    if status is QueueStatus.PENDING:
        where = and_(scope, _pending())
        total = session.scalar(select(func.count()).select_from(Case).where(where)) or 0
        cases = session.scalars(
            select(Case)
            .where(where)
            .order_by(Case.verified_at, Case.id)
            .limit(limit)
            .offset(offset)
        )
        return total, [(c, None) for c in cases]
    if status is QueueStatus.REVIEW:
        which = and_(Callback.result == UNSATISFIED, Callback.decision.is_(None))
        order: tuple[Any, ...] = (Callback.called_at, Callback.id)
    else:
        which = or_(Callback.result != UNSATISFIED, Callback.decision.is_not(None))
        order = (Callback.called_at.desc(), Callback.id.desc())
    stmt = select(Case, Callback).join(Case, Case.id == Callback.case_id).where(scope, which)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(*order).limit(limit).offset(offset))
    return total, [(c, cb) for c, cb in rows]
