"""The Server-Sent Events stream of the case events a caller may see.

Each message's ``id`` is the case event's id; a client that reconnects sends the last one
(``Last-Event-ID``) and gets the events after it. Ids are given when an event is written but
become visible when its transaction commits, so a later id can be seen first: the stream
remembers the ids it skipped that way (gaps) for ``GAP_S`` seconds and sends those events
when they appear. Each poll borrows a database connection briefly; between polls the stream
waits on the hub (``api.events.hub``) or its timeout, holding none.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.roles import Actor
from api.cases.models import Case, CaseEvent
from api.cases.queries import visible
from api.events.hub import EventHub

GAP_S = 60.0  # how long a skipped id may still commit
BATCH = 200
MAX_GAPS = 1000  # ids below the newest one watched at most


@dataclass
class Cursor:
    """Where a stream stands: the highest id seen, ids below it not seen yet (with the
    monotonic time they were first missed), and whether more events were left for the next
    read."""

    last: int
    gaps: dict[int, float] = field(default_factory=dict)
    more: bool = False


def read_after(
    *, session: Session, actor: Actor, cursor: Cursor, now: float
) -> list[dict[str, Any]]:
    """The events after ``cursor`` (and in its gaps) that ``actor`` may see, in id order;
    moves the cursor past every committed event it looked at."""
    cursor.gaps = {i: t for i, t in cursor.gaps.items() if now - t < GAP_S}
    ids = list(
        session.scalars(
            select(CaseEvent.id)
            .where(CaseEvent.id > cursor.last)
            .order_by(CaseEvent.id)
            .limit(BATCH)
        )
    )
    cursor.more = len(ids) == BATCH
    if cursor.gaps:
        found = set(session.scalars(select(CaseEvent.id).where(CaseEvent.id.in_(cursor.gaps))))
        for i in found:
            del cursor.gaps[i]
    else:
        found = set()
    if ids:
        seen = set(ids)
        low = max(cursor.last + 1, ids[-1] - MAX_GAPS)
        cursor.gaps.update((i, now) for i in range(low, ids[-1]) if i not in seen)
        cursor.last = ids[-1]
    if not ids and not found:
        return []
    rows = session.scalars(
        select(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.id.in_([*ids, *found]), visible(actor))
        .order_by(CaseEvent.id)
    )
    return [message(e) for e in rows]


def message(event: CaseEvent) -> dict[str, Any]:
    """What a stream tells of an event (the case's page has the rest)."""
    return {
        "id": event.id,
        "case_id": event.case_id,
        "kind": event.kind,
        "at": event.at.isoformat(),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "data": {
            k: v for k, v in (event.data or {}).items() if k in ("assignment_id", "department_code")
        },
    }


def encode(event: dict[str, Any]) -> bytes:
    """One SSE message."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event['id']}\nevent: case\ndata: {data}\n\n".encode()


async def stream(
    *,
    read: Callable[[Cursor], Awaitable[list[dict[str, Any]]]],
    cursor: Cursor,
    hub: EventHub | None,
    follow: bool,
    heartbeat_s: float,
    poll_s: float,
    max_s: float,
) -> AsyncIterator[bytes]:
    """The stream's bytes: events as they come, a comment as a heartbeat every
    ``heartbeat_s`` (and a poll at least every ``poll_s``, in case a notification was
    lost), until ``max_s`` passes (the client reconnects) or the app shuts down; with
    ``follow`` false, the events already there and no more."""
    yield b"retry: 2000\n\n"
    started = last_beat = time.monotonic()
    while True:
        seen = None if hub is None else hub.version
        while True:
            for event in await read(cursor):
                yield encode(event)
            if not cursor.more:
                break
        if not follow:
            return
        now = time.monotonic()
        if now - last_beat >= heartbeat_s:
            yield b": keep-alive\n\n"
            last_beat = now
        if now - started >= max_s or (hub is not None and hub.closed):
            return
        wait = min(poll_s, heartbeat_s, max(0.0, max_s - (now - started)))
        if hub is None:
            await asyncio.sleep(wait)
        else:
            await hub.wait(wait, seen=seen)
        if hub is not None and hub.closed:
            return
