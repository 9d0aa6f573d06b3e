"""Route: GET /api/reports/mine — the caller's own reports and where each stands now.

A report moves with its case when a command centre merges the case into another
(``api.cases.service.merge``), so ``reports.case_id`` is already the live case; the cases it
passed through are read back from the merge events, which list the reports they moved.
The reporter sees the history of every case its report was in (also of a case merged away,
which its role no longer lets it open) and is told whether it may evaluate the live case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.deps import ActorDep
from api.auth.roles import REPORTING_ROLES, Actor
from api.cases.actions import allowed_actions
from api.cases.models import Case, CaseEvent
from api.cases.workflow import CaseAction, CaseStatus
from api.db.base import INT4_MAX
from api.deps import SessionDep
from api.errors import Forbidden
from api.messages import CASE_STATUS_NAMES
from api.reports.models import Report

router = APIRouter(prefix="/api/reports", tags=["reports"])

MERGED = f"case:{CaseStatus.MERGED}"


class RatingPublic(BaseModel):
    """The rating that closed a case: stars, the words with it and whose it is (``reporter``,
    ``resident``, ``street``, ``callback`` …)."""

    stars: int
    comment: str
    source: str | None


class MyCasePublic(BaseModel):
    """The case a report is in now (merges followed), its status in words."""

    id: int
    status: str
    status_name: str
    category: str
    created_at: datetime
    resolved_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    reject_reason: str | None
    rating: RatingPublic | None


class MyEventPublic(BaseModel):
    """One event of a case the report was in."""

    id: int
    case_id: int
    at: datetime
    actor_role: str
    actor_name: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str | None


class MyReportPublic(BaseModel):
    """One of the caller's reports: the case it was filed in (``case_id``: opened, or attached
    to on arrival), the cases it was merged into since (in order; the last is ``case``), the
    live case, the history of them all (oldest first) and what the caller may do to the live
    case now (``evaluate`` once it is verified, unless a call-back closes it)."""

    id: int
    created_at: datetime
    category: str
    description: str
    source: str
    attached: bool
    case_id: int
    merged_into: list[int]
    case: MyCasePublic
    events: list[MyEventPublic]
    actions: list[CaseAction]


class MyReportsPublic(BaseModel):
    """A page of the caller's reports, newest first, and how many there are in all."""

    reports: list[MyReportPublic]
    total: int
    limit: int
    offset: int


@router.get("/mine", response_model=MyReportsPublic)
def my_reports(
    session: SessionDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=INT4_MAX)] = 0,
) -> MyReportsPublic:
    """The caller's own reports, newest first, each with its case's status (merges followed),
    history and whether the caller may evaluate it; for the roles that report (others 403)."""
    if actor.role not in REPORTING_ROLES:
        raise Forbidden(f"{actor.role} does not report", field="authorization")
    return own_reports(session=session, actor=actor, limit=limit, offset=offset)


def own_reports(*, session: Session, actor: Actor, limit: int, offset: int) -> MyReportsPublic:
    """A page of ``actor``'s reports with their live cases, paths, histories and actions."""
    mine = Report.reporter_id == actor.id
    total = session.scalar(select(func.count()).select_from(Report).where(mine)) or 0
    reports = list(
        session.scalars(
            select(Report)
            .where(mine)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    live = {r.case_id for r in reports}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(live)))}
    paths = _merge_paths(session=session, reports=reports)
    seen = live | {case_id for path in paths.values() for case_id in path}
    events = _events(session=session, case_ids=seen)
    actions = allowed_actions(session=session, actor=actor, cases=list(cases.values()))
    rows = []
    for report in reports:
        case = cases[report.case_id]
        path = paths.get(report.id, [])
        first = path[0] if path else case.id
        rows.append(
            MyReportPublic(
                id=report.id,
                created_at=report.created_at,
                category=report.category,
                description=report.description,
                source=report.source,
                attached=report.attached,
                case_id=first,
                merged_into=path[1:],
                case=_case(case),
                events=sorted(
                    (e for c in (path or [case.id]) for e in events.get(c, [])),
                    key=lambda e: (e.at, e.id),
                ),
                actions=actions[case.id],
            )
        )
    return MyReportsPublic(reports=rows, total=total, limit=limit, offset=offset)


def _merge_paths(*, session: Session, reports: list[Report]) -> dict[int, list[int]]:
    """For each report that was merged: the cases it was in, from the first to the live one.

    The cases merged (one merge after another) into the reports' live cases are found with a
    recursive walk up ``merged_into_id``; their merge events name the reports they moved."""
    live = {r.case_id for r in reports}
    feeders = (
        select(Case.id)
        .where(Case.status == CaseStatus.MERGED, Case.merged_into_id.in_(live))
        .cte("feeders", recursive=True)
    )
    feeders = feeders.union(
        select(Case.id)
        .join(feeders, Case.merged_into_id == feeders.c.id)
        .where(Case.status == CaseStatus.MERGED)
    )
    merges = session.execute(
        select(CaseEvent.case_id, CaseEvent.data)
        .where(CaseEvent.case_id.in_(select(feeders.c.id)), CaseEvent.kind == MERGED)
        .order_by(CaseEvent.id)
    )
    ids = {r.id for r in reports}
    paths: dict[int, list[int]] = {}
    for case_id, data in merges:
        for report_id in set(data.get("reports", [])) & ids:
            path = paths.setdefault(report_id, [case_id])
            path.append(int(data["into"]))
    return paths


def _events(*, session: Session, case_ids: Iterable[int]) -> dict[int, list[MyEventPublic]]:
    """Every event of the cases, by case."""
    found: dict[int, list[MyEventPublic]] = defaultdict(list)
    for event in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(list(case_ids))).order_by(CaseEvent.id)
    ):
        found[event.case_id].append(
            MyEventPublic(
                id=event.id,
                case_id=event.case_id,
                at=event.at,
                actor_role=event.actor_role,
                actor_name=event.actor_name,
                kind=event.kind,
                from_status=event.from_status,
                to_status=event.to_status,
                reason=event.reason,
            )
        )
    return found


def _case(case: Case) -> MyCasePublic:
    rating = (
        RatingPublic(
            stars=case.rating, comment=case.rating_comment or "", source=case.rating_source
        )
        if case.rating is not None
        else None
    )
    return MyCasePublic(
        id=case.id,
        status=case.status,
        status_name=CASE_STATUS_NAMES.get(case.status, case.status),
        category=case.category,
        created_at=case.created_at,
        resolved_at=case.resolved_at,
        verified_at=case.verified_at,
        closed_at=case.closed_at,
        reject_reason=case.reject_reason,
        rating=rating,
    )
