"""Routes: POST /api/reports (idempotent), GET /api/reports/{id}."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import shapely
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from api.auth.deps import ActorDep, bearer
from api.auth.roles import Action
from api.cases.service import get_case, require, utcnow
from api.config import Settings
from api.db.aio import running
from api.db.statements import Run, committing
from api.deps import PathId, SessionDep, session_of
from api.errors import NotFound
from api.hotline.service import locate_words
from api.reports.loop import InMemory, OnSession, Places, submit
from api.reports.models import Report
from api.reports.schemas import (
    IDEMPOTENCY_KEY_MAX,
    ReportCreate,
    ReportPublic,
    idempotency_key_of,
    read_report,
)
from api.reports.service import Limits, Submission, Submitted, submitted
from api.routing.service import rules_from
from geo.coords import CoordinateSystem

router = APIRouter(prefix="/api/reports", tags=["reports"])


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


def _submit_in_session(session: Session, submission: Submission) -> Submitted:
    """Submit and commit on the request's session (in a worker thread)."""
    done = submission.run(session)
    session.commit()
    return done


async def _from_words(request: Request, body: ReportCreate) -> tuple[BaseGeometry, dict[str, Any]]:
    """The point of the address in the caller's words and what the report keeps of them."""
    words = body.address or ""  # read_report refuses a body with neither geometry nor address

    def locate(session: Session) -> tuple[BaseGeometry, dict[str, Any]]:
        return locate_words(
            session=session, text=words, choice=body.address_choice, field="address"
        )

    async with session_of(request) as session:
        located = await run_in_threadpool(locate, session)
    return located


@asynccontextmanager
async def _submitting(request: Request) -> AsyncIterator[tuple[Run, Places]]:
    """How a point is submitted (``api.reports.loop``): on a connection of the app's asyncpg
    pool with the facts in memory, or, in an app without the pool, on the request's session
    with PostGIS."""
    state = request.app.state
    if state.reports_pool is not None:
        async with running(state.reports_pool) as run:
            yield run, InMemory(state.city_facts)
    else:
        async with session_of(request) as session, committing(session) as run:
            yield run, OnSession(session)


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``#/$defs/…`` references replaced by the definitions
    (inside the OpenAPI document such a reference would point at the document's root)."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return dict(resolve(schema))


def _documented_request() -> dict[str, Any]:
    """What ``create_report`` reads itself, for the OpenAPI document."""
    header = {"in": "header", "schema": {"type": "string"}}
    return {
        "parameters": [
            {**header, "name": "Authorization", "required": True},
            {
                **header,
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inlined(ReportCreate.model_json_schema())}},
        },
    }


@router.post(
    "",
    response_model=ReportPublic,
    status_code=201,
    openapi_extra=_documented_request(),
    responses={200: {"model": ReportPublic, "description": "a retry: the stored report"}},
)
async def create_report(request: Request) -> Response:
    """Submit a report; a retry with the same Idempotency-Key returns the same report.

    The hot path of the service. A point is submitted by ``api.reports.loop`` (in the served
    app on the event loop: routed in process and stored in one statement on an event-loop
    connection, no worker thread); a footprint takes one worker-thread hop with a session.
    The endpoint reads the token, the key and the body itself (the token first, as a
    dependency would): FastAPI's dependency and body machinery is a noticeable share of this
    request's CPU, and the geometry is parsed once.
    """
    token = bearer(request.headers.get("authorization"))
    idempotency_key = idempotency_key_of(request.headers.get("idempotency-key"))
    body, geometry = read_report(await request.body())
    settings: Settings = request.app.state.settings
    crs, source, address = body.crs, body.source, None
    if geometry is None:  # the caller's words: geocoded against the register (a thread hop)
        geometry, address = await _from_words(request, body)
        crs = CoordinateSystem.WGS84
        source = body.source if "source" in body.model_fields_set else "hotline"
    submission = Submission(
        who=token,
        geometry=geometry,
        crs=crs,
        category=body.category,
        description=body.description,
        source=source,
        reporter_name=body.reporter_name,
        accuracy_m=body.accuracy_m,
        photos=[p.model_dump() for p in body.photos],
        idempotency_key=idempotency_key,
        rules=rules_from(settings.data_dir),
        limits=Limits.of(settings),
        at=utcnow(),
        address=address,
    )
    if isinstance(submission.geometry, shapely.Point):
        async with _submitting(request) as (run, places):
            done = await submit(submission, run, places, request.app.state.reporters)
    else:
        async with session_of(request) as session:
            done = await run_in_threadpool(_submit_in_session, session, submission)
    # serialise once (response_model stays for the docs)
    return Response(
        content=_public(done).model_dump_json(),
        media_type="application/json",
        status_code=200 if done.replayed else 201,
    )


@router.get("/{report_id}", response_model=ReportPublic)
def get_report(report_id: PathId, session: SessionDep, actor: ActorDep) -> ReportPublic:
    """One report (visible to whoever may view its case)."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"report {report_id} does not exist", field="report_id")
    case = get_case(session=session, case_id=report.case_id)
    require(session=session, actor=actor, action=Action.VIEW, case=case)
    return _public(submitted(report, case))
