"""``GET /api/events/stream``: the case events a caller may see, as Server-Sent Events."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.deps import authenticate, bearer
from api.auth.roles import Actor
from api.cases.models import CaseEvent
from api.db.base import INT4_MAX
from api.deps import session_of
from api.errors import InvalidInput, Unauthorized
from api.events.stream import Cursor, read_after, stream

router = APIRouter(prefix="/api/events", tags=["events"])

LastEventIdHeader = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        pattern=r"^[0-9]{1,10}$",
        description="the id of the last event received (EventSource sends it on reconnecting)",
    ),
]


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"description": "an event stream", "content": {"text/event-stream": {}}}},
)
async def event_stream(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    gridwhistle_token: Annotated[str | None, Cookie()] = None,
    last_event_id_header: LastEventIdHeader = None,
    last_event_id: Annotated[
        int | None, Query(ge=0, le=INT4_MAX, description="resume after this event id")
    ] = None,
    follow: Annotated[
        bool, Query(description="false: send the events already there after the id, then end")
    ] = True,
) -> StreamingResponse:
    """The case events the caller may see (bearer token or login cookie), as they commit:
    ``id`` is the event's id, ``event: case``, ``data`` JSON (id, case_id, kind, at,
    from_status, to_status). Without an id it starts at the newest event; a comment every
    15 s keeps the connection open."""
    token = bearer(authorization) if authorization else gridwhistle_token
    if not token:
        raise Unauthorized("send Authorization: Bearer <token>", field="authorization")
    after = last_event_id
    if after is None and last_event_id_header is not None:
        after = int(last_event_id_header)
        if after > INT4_MAX:
            raise InvalidInput("Last-Event-ID is an event id", field="Last-Event-ID")
    settings = request.app.state.settings
    async with session_of(request) as session:
        actor = await run_in_threadpool(authenticate, session, token, settings)
        if after is None:
            top = await run_in_threadpool(_newest, session)
            after = int(top or 0)

    async def read(cursor: Cursor) -> list[dict[str, Any]]:
        async with session_of(request) as session:
            return await run_in_threadpool(_read, session, actor, cursor)

    body = stream(
        read=read,
        cursor=Cursor(last=after),
        hub=getattr(request.app.state, "event_hub", None),
        follow=follow,
        heartbeat_s=settings.events_heartbeat_s,
        poll_s=settings.events_poll_s,
        max_s=settings.events_stream_max_s,
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


def _newest(session: Session) -> int | None:
    return session.scalar(select(func.max(CaseEvent.id)))


def _read(session: Session, actor: Actor, cursor: Cursor) -> list[dict[str, Any]]:
    return read_after(session=session, actor=actor, cursor=cursor, now=time.monotonic())
