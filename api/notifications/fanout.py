"""The fan-out: take queued case events and write, for each, the inbox notifications of the
users who should hear of it and the webhook deliveries of the subscriptions that match it.

Everything one batch writes commits together with the deletion of its queue rows, so each
event is fanned out exactly once: a second consumer skips the rows the first has locked
(``FOR UPDATE SKIP LOCKED``), and a consumer that fails rolls back and leaves them queued.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from api.auth.models import User
from api.auth.roles import CaseScope, Role
from api.cases.models import Case, CaseEvent
from api.cases.service import scope_of, utcnow
from api.events.hub import EventHub
from api.maps.access import pins_near
from api.maps.analysis import NEAR_M  # along a chief's roads, as the chief's map counts
from api.maps.data import roads
from api.notifications.models import Notification
from api.notifications.recipients import WHISTLES, EventFacts, Notice, notices
from api.reports.models import Report
from api.webhooks.service import enqueue_deliveries, matching
from api.whistles.models import Assignment

log = logging.getLogger(__name__)

# One fan-out round at a time across processes (the queue itself is safe with more).
FANOUT_LOCK = 0x6777_6661_6E6F_7574  # "gwfanout"

_TAKE = text(
    "DELETE FROM event_queue WHERE event_id IN (SELECT event_id FROM event_queue "
    "ORDER BY event_id LIMIT :limit FOR UPDATE SKIP LOCKED) RETURNING event_id"
)


def fan_out(*, session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Fan out up to ``limit`` queued events in id order (not committed); the ids taken."""
    taken = sorted(session.scalars(_TAKE, {"limit": limit}))
    if not taken:
        return []
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.id.in_(taken)).order_by(CaseEvent.id)
    )
    subscriptions = matching(session=session)
    for event in events:  # an event deleted meanwhile (a test's clean-up) has nothing to do
        case = session.get(Case, event.case_id)
        if case is None:
            continue
        scope = scope_of(session=session, case=case)
        _notify(session, event, notices(_facts(session, event, case, scope)))
        enqueue_deliveries(
            session=session, event=event, scope=scope, subscriptions=subscriptions, now=now
        )
    return taken


def _facts(session: Session, event: CaseEvent, case: Case, scope: CaseScope) -> EventFacts:
    data = event.data or {}
    report_ids = data.get("reports") if event.kind == "case:merged" else None
    reporters = (
        select(Report.reporter_id).where(Report.id.in_(report_ids))
        if report_ids is not None
        else select(Report.reporter_id).where(Report.case_id == case.id)
    )
    workers = session.scalars(
        select(User.id).where(User.id.in_(reporters), User.role == str(Role.GRID_WORKER))
    )
    department = data.get("department_code")
    if department is None and data.get("assignment_id") is not None:
        department = session.scalar(
            select(Assignment.department_code).where(Assignment.id == data["assignment_id"])
        )
    return EventFacts(
        event_id=event.id,
        case_id=case.id,
        kind=event.kind,
        actor_id=event.actor_id,
        data=data,
        to_status=event.to_status,
        streets=scope.streets,
        community=case.community_code,
        department=department,
        grid_workers=frozenset(workers),
        chiefs=_chiefs_along(session, case, scope.streets)
        if event.kind in WHISTLES
        else frozenset(),
    )


def _chiefs_along(session: Session, case: Case, streets: tuple[str, ...]) -> frozenset[str]:
    """Refs of the chiefs (with a user) of the case's streets whose roads pass within NEAR_M
    of the case: the roads query and the distance test of the chief's map."""
    refs = session.scalars(
        select(User.jurisdiction).where(
            User.role == str(Role.CHIEF),
            User.active,
            or_(*(User.jurisdiction.startswith(f"C{s}-") for s in streets)),
        )
    ).all()
    if not refs:
        return frozenset()
    lon, lat = session.execute(
        select(func.ST_X(Case.position), func.ST_Y(Case.position)).where(Case.id == case.id)
    ).one()
    pin = [(float(lat), float(lon), "")]
    near = set()
    for ref in set(refs):
        lines = roads(session=session, chief_ref=ref)
        if not lines.empty and pins_near(pin, json.loads(lines.to_json()), distance_m=NEAR_M):
            near.add(str(ref))
    return frozenset(near)


def _notify(session: Session, event: CaseEvent, found: list[Notice]) -> int:
    """Insert one notification per user an audience names (the actor excluded); the count."""
    if not found:
        return 0
    groups = [n.audience for n in found if n.audience.user_id is None]
    single = [n.audience.user_id for n in found if n.audience.user_id is not None]
    conditions = []
    if groups:
        conditions.append(
            tuple_(User.role, User.jurisdiction).in_([(str(a.role), a.code) for a in groups])
        )
    if single:
        conditions.append(User.id.in_(single))
    users = session.execute(
        select(User.id, User.role, User.jurisdiction).where(User.active, or_(*conditions))
    ).all()
    rows: dict[int, str] = {}
    for notice in found:
        a = notice.audience
        for uid, role, jurisdiction in users:
            hit = (
                uid == a.user_id
                if a.user_id is not None
                else (role, jurisdiction) == (a.role, a.code)
            )
            if hit and uid != event.actor_id:
                rows.setdefault(uid, notice.text)
    if not rows:
        return 0
    session.execute(
        insert(Notification)
        .values(
            [
                {
                    "user_id": uid,
                    "event_id": event.id,
                    "case_id": event.case_id,
                    "kind": event.kind,
                    "text": words,
                    "at": event.at,
                }
                for uid, words in rows.items()
            ]
        )
        .on_conflict_do_nothing()
    )
    return len(rows)


def run_once(factory: sessionmaker[Session], *, now: datetime, limit: int = 200) -> int | None:
    """Fan out queued events in batches until the queue is empty; the count, or None when
    another process holds the round."""
    done = 0
    while True:
        with factory() as session:
            if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": FANOUT_LOCK}):
                return None if done == 0 else done
            taken = len(fan_out(session=session, now=now, limit=limit))
            session.commit()
        done += taken
        if taken < limit:
            return done


async def run_periodically(
    factory: sessionmaker[Session],
    *,
    hub: EventHub,
    interval_s: float,
    then: Callable[[], None] = lambda: None,
) -> None:
    """Fan out whenever an event commits (the hub wakes us) and every ``interval_s``
    seconds, in a worker thread, until the hub closes; ``then`` after a round that did
    something (the webhook sender has deliveries to make)."""
    while not hub.closed:
        seen = hub.version
        try:
            count = await asyncio.to_thread(run_once, factory, now=utcnow())
            if count:
                log.info("fan-out: %d event(s)", count)
                then()
        except Exception:  # the job must survive a database hiccup and try again
            log.exception("fan-out failed; retrying")
        await hub.wait(interval_s, seen=seen)
