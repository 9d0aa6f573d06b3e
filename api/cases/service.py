"""Case queries and transitions: triage, verification, evaluation, the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from api.auth.roles import Action, Actor, CaseScope, allowed
from api.cases.actions import require_action, scopes
from api.cases.models import Case, CaseEvent
from api.cases.workflow import (
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    Guard,
    check_assignment,
    check_case,
)
from api.errors import Forbidden, InvalidInput, NotFound
from api.photos.policy import AfterPhotoPolicy
from api.photos.queries import require_after_photos
from api.reports.models import Report
from api.whistles.models import Assignment, Whistle

TIMESTAMP = {
    CaseStatus.RESOLVED: "resolved_at",
    CaseStatus.REJECTED: "rejected_at",
    CaseStatus.MERGED: "merged_at",
    CaseStatus.WHISTLED: "whistled_at",
    CaseStatus.DISPUTED: "disputed_at",
    CaseStatus.VERIFIED: "verified_at",
    CaseStatus.CLOSED: "closed_at",
}

ASSIGNMENT_TIMESTAMP = {
    AssignmentStatus.ACKNOWLEDGED: "acknowledged_at",
    AssignmentStatus.ON_SITE: "on_site_at",
    AssignmentStatus.RESOLVED: "resolved_at",
    AssignmentStatus.DISPUTED: "disputed_at",
    AssignmentStatus.CANCELLED: "cancelled_at",
}


def utcnow() -> datetime:
    """The service clock."""
    return datetime.now(UTC)


def get_case(*, session: Session, case_id: int, lock: bool = False, field: str = "case_id") -> Case:
    """A case by id (row-locked for writes when asked); NotFound naming ``field`` otherwise."""
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = session.scalar(stmt)
    if case is None:
        raise NotFound(f"case {case_id} does not exist", field=field)
    return case


def scope_of(*, session: Session, case: Case) -> CaseScope:
    """Who and where a case involves, for the role policy."""
    return scopes(session=session, cases=[case])[case.id]


def require(*, session: Session, actor: Actor, action: Action, case: Case) -> CaseScope:
    """Raise Forbidden unless ``actor`` may do ``action`` on ``case``; return its scope."""
    scope = scope_of(session=session, case=case)
    if not allowed(actor, action, scope):
        raise Forbidden(
            f"{actor.role} {actor.jurisdiction or ''} may not {action} case {case.id}".replace(
                "  ", " "
            ),
            field="authorization",
        )
    return scope


def record(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    kind: str,
    at: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Append one event to the case's history."""
    event = CaseEvent(
        case_id=case.id,
        at=at,
        actor_id=actor.id or None,
        actor_role=str(actor.role),
        actor_name=actor.name,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    session.add(event)
    return event


def record_system(
    *, session: Session, case_id: int, name: str, kind: str, at: datetime, data: dict[str, Any]
) -> CaseEvent:
    """Append an event done by the system (``name``: the job or the calendar), not a user."""
    event = CaseEvent(
        case_id=case_id,
        at=at,
        actor_id=None,
        actor_role="system",
        actor_name=name,
        kind=kind,
        data=data,
    )
    session.add(event)
    return event


def transition(
    *,
    session: Session,
    case: Case,
    new: CaseStatus,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    met: frozenset[Guard] = frozenset(),
) -> CaseEvent:
    """Move a case along the workflow table (409 if illegal or its guard is not ``met``),
    stamp it, log it, side effects."""
    old = CaseStatus(case.status)
    check_case(old, new, met)
    case.status = str(new)
    if new in TIMESTAMP:
        setattr(case, TIMESTAMP[new], at)
    event = record(
        session=session,
        case=case,
        actor=actor,
        kind=f"case:{new}",
        at=at,
        from_status=str(old),
        to_status=str(new),
        reason=reason,
        data=data,
    )
    _side_effects(session=session, case=case, old=old, new=new, actor=actor, at=at)
    return event


def move_assignment(
    *,
    session: Session,
    assignment: Assignment,
    new: AssignmentStatus,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move one department's assignment along its table, stamp it and log it on the case."""
    old = AssignmentStatus(assignment.status)
    check_assignment(old, new)
    assignment.status = str(new)
    if new in ASSIGNMENT_TIMESTAMP:
        setattr(assignment, ASSIGNMENT_TIMESTAMP[new], at)
    case = session.get(Case, assignment.case_id)
    assert case is not None
    record(
        session=session,
        case=case,
        actor=actor,
        kind=f"assignment:{new}",
        at=at,
        from_status=str(old),
        to_status=str(new),
        reason=reason,
        data={
            "assignment_id": assignment.id,
            "department_code": assignment.department_code,
            **(data or {}),
        },
    )


def open_assignments(*, session: Session, case_id: int) -> list[Assignment]:
    """The case's assignments that are not resolved, disputed or cancelled."""
    return list(
        session.scalars(
            select(Assignment)
            .where(
                Assignment.case_id == case_id,
                Assignment.status.in_(["dispatched", "acknowledged", "on_site"]),
            )
            .order_by(Assignment.id)
        )
    )


def cancel_assignments(
    *,
    session: Session,
    case_id: int,
    actor: Actor,
    at: datetime,
    reason: str,
    include_disputed: bool = True,
) -> None:
    """Cancel every live assignment of a case and retire its whistles."""
    states = ["dispatched", "acknowledged", "on_site", "resolved"]
    if include_disputed:
        states.append("disputed")
    rows = session.scalars(
        select(Assignment).where(Assignment.case_id == case_id, Assignment.status.in_(states))
    )
    for assignment in list(rows):
        move_assignment(
            session=session,
            assignment=assignment,
            new=AssignmentStatus.CANCELLED,
            actor=actor,
            at=at,
            reason=reason,
        )
    session.execute(update(Whistle).where(Whistle.case_id == case_id).values(active=False))


def _side_effects(
    *, session: Session, case: Case, old: CaseStatus, new: CaseStatus, actor: Actor, at: datetime
) -> None:
    match (old, new):
        case (CaseStatus.WHISTLED | CaseStatus.DISPUTED, CaseStatus.REJECTED):
            cancel_assignments(
                session=session,
                case_id=case.id,
                actor=actor,
                at=at,
                reason="案件不予受理，任务撤销",
            )
        case (CaseStatus.DISPUTED, CaseStatus.RESOLVED):
            cancel_assignments(
                session=session,
                case_id=case.id,
                actor=actor,
                at=at,
                reason="街道就地解决，任务撤销",
            )
            case.resolution_level = "local"
        case (CaseStatus.NEW, CaseStatus.RESOLVED):
            case.resolution_level = "local"
        case (CaseStatus.WHISTLED, CaseStatus.RESOLVED):
            case.resolution_level = "department"
        case (CaseStatus.RESOLVED | CaseStatus.VERIFIED, CaseStatus.WHISTLED | CaseStatus.NEW):
            case.resolved_at = None
            case.verified_at = None
            case.resolution_level = None
        case _:
            pass


def resolve_locally(*, session: Session, case: Case, actor: Actor, note: str, at: datetime) -> None:
    """The community or street closes an everyday matter itself (易事快处置)."""
    require_action(session=session, actor=actor, action=CaseAction.RESOLVE, case=case)
    case.resolution_note = note
    transition(session=session, case=case, new=CaseStatus.RESOLVED, actor=actor, at=at, reason=note)


def reject(*, session: Session, case: Case, actor: Actor, reason: str, at: datetime) -> None:
    """Reject a case with a reason (not a matter for the platform, false report …)."""
    require_action(session=session, actor=actor, action=CaseAction.REJECT, case=case)
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason", field="reason")
    case.reject_reason = reason
    transition(
        session=session, case=case, new=CaseStatus.REJECTED, actor=actor, at=at, reason=reason
    )


def merge(
    *, session: Session, case: Case, into: Case, actor: Actor, at: datetime, reason: str
) -> None:
    """Merge a duplicate case into another open case; its reports move there. The reason is
    on both cases' history (a different category is allowed: the reason says why)."""
    require_action(session=session, actor=actor, action=CaseAction.MERGE, case=case)
    require(session=session, actor=actor, action=Action.VIEW, case=into)
    if not reason.strip():
        raise InvalidInput("a merge needs a reason", field="reason", message="合并须说明理由")
    if into.id == case.id or CaseStatus(into.status) not in (
        CaseStatus.NEW,
        CaseStatus.WHISTLED,
        CaseStatus.DISPUTED,
    ):
        raise InvalidInput(f"case {into.id} is not an open case to merge into", field="into")
    moved = (
        session.execute(
            update(Report)
            .where(Report.case_id == case.id)
            .values(case_id=into.id)
            .returning(Report.id)
        )
        .scalars()
        .all()
    )
    into.report_count += len(moved)
    case.merged_into_id = into.id
    transition(
        session=session,
        case=case,
        new=CaseStatus.MERGED,
        actor=actor,
        at=at,
        reason=reason,
        data={"into": into.id, "reports": list(moved), "category": case.category},
    )
    record(
        session=session,
        case=into,
        actor=actor,
        kind="case:merged_in",
        at=at,
        reason=reason,
        data={"from": case.id, "reports": list(moved), "category": case.category},
    )


def verify(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    confirmed: bool,
    reason: str,
    at: datetime,
    after_photos: AfterPhotoPolicy | None = None,
) -> None:
    """The street (or community) confirms the result, or reopens the case. Confirming a case
    its departments resolved needs the after-photos ``after_photos`` asks for."""
    require_action(session=session, actor=actor, action=CaseAction.VERIFY, case=case)
    if confirmed and after_photos is not None and case.resolution_level == "department":
        require_after_photos(session=session, case=case, policy=after_photos, act="confirming")
    if confirmed:
        transition(
            session=session, case=case, new=CaseStatus.VERIFIED, actor=actor, at=at, reason=reason
        )
        return
    if not reason.strip():
        raise InvalidInput("reopening needs a reason", field="reason")
    reopen(session=session, case=case, actor=actor, at=at, reason=reason)


def reopen(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    at: datetime,
    reason: str,
    met: frozenset[Guard] = frozenset(),
    data: dict[str, Any] | None = None,
) -> None:
    """Send the result back (退回重办): to the lead department when departments resolved the
    case, to triage otherwise (a verified case only with ``Guard.CALLBACK_ACCEPTED``)."""
    reopen_to = CaseStatus.WHISTLED if case.resolution_level == "department" else CaseStatus.NEW
    transition(
        session=session,
        case=case,
        new=reopen_to,
        actor=actor,
        at=at,
        reason=reason,
        met=met,
        data=data,
    )
    if reopen_to is CaseStatus.WHISTLED:
        for assignment in session.scalars(
            select(Assignment).where(Assignment.case_id == case.id, Assignment.status == "resolved")
        ):
            move_assignment(
                session=session,
                assignment=assignment,
                new=AssignmentStatus.ON_SITE,
                actor=actor,
                at=at,
                reason=f"退回重办：{reason}",
            )


def evaluate(
    *, session: Session, case: Case, actor: Actor, stars: int, comment: str, at: datetime
) -> None:
    """The reporter, community or street rates the result 1–5 stars, closing the case; the
    rating's source is recorded (a street's own rating is not counted as satisfaction). A
    hotline case is closed by its call-back instead (409)."""
    facts = require_action(session=session, actor=actor, action=CaseAction.EVALUATE, case=case)
    scope, met = facts.scope, facts.met
    if not 1 <= stars <= 5:
        raise InvalidInput("stars must be 1 to 5", field="stars")
    close_rated(
        session=session,
        case=case,
        actor=actor,
        at=at,
        rating=Rating(
            stars, comment, rating_source(session=session, case=case, actor=actor, scope=scope)
        ),
        reason=comment or None,
        met=met,
    )


@dataclass(frozen=True)
class Rating:
    """A satisfaction rating: stars, the words that came with it and whose it is (满意率 counts
    only some sources, ``data/assessment.toml``)."""

    stars: int
    comment: str
    source: str


def close_rated(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    at: datetime,
    rating: Rating,
    reason: str | None,
    met: frozenset[Guard],
    data: dict[str, Any] | None = None,
) -> None:
    """Close a case with its rating (by an evaluation or a call-back)."""
    case.rating = rating.stars
    case.rating_comment = rating.comment
    case.rating_source = rating.source
    transition(
        session=session,
        case=case,
        new=CaseStatus.CLOSED,
        actor=actor,
        at=at,
        reason=reason,
        data={"stars": rating.stars, "source": rating.source, **(data or {})},
        met=met,
    )


CALLBACK_NOT_OWED = frozenset({Guard.CALLBACK_SETTLED})


def is_hotline(*, session: Session, case_id: int) -> bool:
    """A hotline case: one of its reports came in through the 12345 hotline (回访 owed)."""
    hotline = select(Report.id).where(Report.case_id == case_id, Report.source == "hotline")
    return bool(session.scalar(select(exists(hotline))))


def rating_source(*, session: Session, case: Case, actor: Actor, scope: CaseScope) -> str:
    """Whose rating this is: ``reporter`` (``resident`` when reported as one), else the role."""
    if actor.id not in scope.reporters:
        return str(actor.role)
    sources = session.scalars(
        select(Report.source).where(Report.case_id == case.id, Report.reporter_id == actor.id)
    )
    return "resident" if "resident" in set(sources) else "reporter"


def comment(*, session: Session, case: Case, actor: Actor, text: str, at: datetime) -> None:
    """A note on the case (partners, districts and departments may add them)."""
    require_action(session=session, actor=actor, action=CaseAction.COMMENT, case=case)
    if not text.strip():
        raise InvalidInput("a comment needs text", field="text")
    record(session=session, case=case, actor=actor, kind="comment", at=at, reason=text)


def history(*, session: Session, case_id: int) -> list[CaseEvent]:
    """Every event of a case in order."""
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )
