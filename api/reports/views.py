"""Routes: POST /api/reports (idempotent), GET /api/reports/{id}."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from api.auth.deps import ActorDep, TokenDep
from api.auth.roles import Action
from api.cases.service import get_case, require, utcnow
from api.config import Settings
from api.deps import SessionDep, SettingsDep
from api.errors import NotFound
from api.reports.models import Report
from api.reports.schemas import ReportCreate, ReportPublic
from api.reports.service import Limits, Submitted, submit, submitted
from api.routing.schemas import parse_geometry
from api.routing.service import rules_from

router = APIRouter(prefix="/api/reports", tags=["reports"])


def limits_of(settings: Settings) -> Limits:
    """Submission limits from the settings."""
    return Limits(
        max_photos=settings.max_photos,
        max_photo_bytes=settings.max_photo_bytes,
        duplicate_radius_m=settings.duplicate_radius_m,
        duplicate_window=timedelta(hours=settings.duplicate_window_hours),
        chief_radius_m=settings.chief_radius_m,
    )


def _public(done: Submitted) -> ReportPublic:
    case = done.case
    if done.attached:
        message = f"已并入案件 {case.id}（同类问题，共 {case.report_count} 人报告）"
    else:
        message = f"已立案：案件 {case.id}"
    return ReportPublic(
        id=done.report_id,
        case_id=case.id,
        case_status=case.status,
        attached=done.attached,
        replayed=done.replayed,
        message=message,
        routing=done.routing,
    )


def _submit_in_session(
    session: Session,
    token: str,
    body: ReportCreate,
    idempotency_key: str | None,
    settings: Settings,
) -> tuple[ReportPublic, bool]:
    """Authenticate, submit and commit (runs in one worker thread)."""
    done = submit(
        session=session,
        who=token,
        geometry=parse_geometry(body.geometry),
        crs=body.crs,
        category=body.category,
        description=body.description,
        source=body.source,
        reporter_name=body.reporter_name,
        accuracy_m=body.accuracy_m,
        photos=[p.model_dump() for p in body.photos],
        idempotency_key=idempotency_key,
        rules=rules_from(settings.data_dir),
        limits=limits_of(settings),
        at=utcnow(),
        commit=True,
    )
    public = _public(done)
    session.commit()
    return public, done.replayed


@router.post("", response_model=ReportPublic, status_code=201)
async def create_report(
    body: ReportCreate,
    session: SessionDep,
    settings: SettingsDep,
    token: TokenDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Response:
    """Submit a report; a retry with the same Idempotency-Key returns the same report.

    The hot path of the service: the database work (token, replay, locate and route,
    duplicate, writes, commit) runs in a single worker-thread hop rather than one per
    dependency.
    """
    public, replayed = await run_in_threadpool(
        _submit_in_session,
        session,
        token,
        body,
        idempotency_key,
        settings,
    )
    # already a validated ReportPublic: serialise it once (response_model stays for the docs)
    return Response(
        content=public.model_dump_json(),
        media_type="application/json",
        status_code=200 if replayed else 201,
    )


@router.get("/{report_id}", response_model=ReportPublic)
def get_report(report_id: int, session: SessionDep, actor: ActorDep) -> ReportPublic:
    """One report (visible to whoever may view its case)."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"report {report_id} does not exist", field="report_id")
    case = get_case(session=session, case_id=report.case_id)
    require(session=session, actor=actor, action=Action.VIEW, case=case)
    return _public(submitted(report, case))
