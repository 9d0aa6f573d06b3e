"""Read-side queries of the whistle board and of extension requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from api.auth.roles import Actor, Role
from api.cases.models import Case
from api.cases.queries import overdue_condition, overdue_obligations, visible
from api.deadlines.calendar import WorkCalendar
from api.deadlines.supervision import Ladders, Level, level
from api.routing.schemas import CaseRouting
from api.whistles.models import Assignment, Extension, Whistle
from api.whistles.schemas import BoardAssignment, ExtensionListed
from api.whistles.supervision import level_condition, times_of

# roles that take part in deciding or answering extension requests
EXTENSION_READERS = frozenset(
    {Role.COMMUNITY, Role.STREET, Role.DISTRICT, Role.DEPARTMENT, Role.ANALYST, Role.ADMIN}
)


def case_summary(case: Case) -> dict[str, Any]:
    """The case behind an assignment, as a board card shows it."""
    routing = CaseRouting.of(case.routing)
    return {
        "id": case.id,
        "status": case.status,
        "category": case.category,
        "description": case.description,
        "lead_street_code": case.lead_street_code,
        "grid_code": case.grid_code,
        "created_at": case.created_at,
        "joint": routing.joint,
        "streets": [{"code": s.code, "name": s.name, "share": s.share} for s in routing.streets],
    }


def _own_assignments(actor: Actor) -> list[ColumnElement[bool]]:
    if actor.role is Role.DEPARTMENT:
        return [Assignment.department_code == actor.jurisdiction]
    return []


def board(
    *,
    session: Session,
    actor: Actor,
    now: datetime,
    ladders: Ladders,
    calendar: WorkCalendar,
    overdue: bool | None = None,
    supervision: Level | None = None,
    status: str | None = None,
    department: str | None = None,
    case_id: int | None = None,
    limit: int = 200,
) -> list[BoardAssignment]:
    """Assignments of whistles ``actor`` may see (a department: its own), with their cases
    and their supervision level at ``now``."""
    conditions = [visible(actor), *_own_assignments(actor)]
    if overdue is not None:
        late = overdue_condition(now)
        conditions.append(late if overdue else ~late)
    if supervision is not None:
        conditions.append(level_condition(supervision, ladders=ladders, now=now, calendar=calendar))
    if status:
        conditions.append(Assignment.status == status)
    if department:
        conditions.append(Assignment.department_code == department)
    if case_id is not None:
        conditions.append(Assignment.case_id == case_id)
    rows: Sequence[Any] = session.execute(
        select(Assignment, Case, Whistle.sla_policy)
        .join(Case, Case.id == Assignment.case_id)
        .join(Whistle, Whistle.id == Assignment.whistle_id)
        .where(and_(*conditions))
        .order_by(Assignment.resolve_due_at, Assignment.id)
        .limit(limit)
    ).all()
    listed = []
    for assignment, case, policy in rows:
        ladder = ladders.of(policy)
        row = BoardAssignment.model_validate(
            {
                **{c.name: getattr(assignment, c.name) for c in Assignment.__table__.columns},
                "overdue": overdue_obligations(assignment, now),
                "supervision": level(times_of(assignment), ladder, now, calendar),
                "case": case_summary(case),
            }
        )
        listed.append(row)
    return listed


def extensions(
    *,
    session: Session,
    actor: Actor,
    status: str | None = None,
    case_id: int | None = None,
    limit: int = 200,
) -> list[ExtensionListed]:
    """Extension requests on cases ``actor`` may see (a department: its own), oldest first."""
    conditions = [visible(actor), *_own_assignments(actor)]
    if status:
        conditions.append(Extension.status == status)
    if case_id is not None:
        conditions.append(Assignment.case_id == case_id)
    rows = session.execute(
        select(Extension, Assignment)
        .join(Assignment, Assignment.id == Extension.assignment_id)
        .join(Case, Case.id == Assignment.case_id)
        .where(and_(*conditions))
        .order_by(Extension.requested_at, Extension.id)
        .limit(limit)
    ).all()
    return [
        ExtensionListed.model_validate(
            {
                **{c.name: getattr(ext, c.name) for c in Extension.__table__.columns},
                "case_id": assignment.case_id,
                "department_code": assignment.department_code,
            }
        )
        for ext, assignment in rows
    ]
