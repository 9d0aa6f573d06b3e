"""Routes: the caller's inbox (``/api/notifications``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth.deps import ActorDep
from api.cases.service import utcnow
from api.deps import PathId, SessionDep
from api.notifications import service
from api.notifications.schemas import NotificationPublic, NotificationsPublic, ReadAllPublic

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("", response_model=NotificationsPublic)
def list_notifications(
    session: SessionDep,
    actor: ActorDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationsPublic:
    """The caller's notifications, newest first (``unread=true``: only the unread ones),
    with the number unread."""
    rows = service.inbox(session=session, user_id=actor.id, unread=unread, limit=limit)
    return NotificationsPublic(
        notifications=[NotificationPublic.model_validate(r) for r in rows],
        unread=service.unread_count(session=session, user_id=actor.id),
    )


@router.post("/read-all", response_model=ReadAllPublic)
def read_all(session: SessionDep, actor: ActorDep) -> ReadAllPublic:
    """Mark all the caller's notifications read."""
    marked = service.mark_all_read(session=session, user_id=actor.id, at=utcnow())
    session.commit()
    return ReadAllPublic(marked=marked, unread=0)


@router.post("/{notification_id}/read", response_model=NotificationPublic)
def read_one(notification_id: PathId, session: SessionDep, actor: ActorDep) -> NotificationPublic:
    """Mark one of the caller's notifications read (404 for another user's)."""
    row = service.mark_read(
        session=session, user_id=actor.id, notification_id=notification_id, at=utcnow()
    )
    session.commit()
    return NotificationPublic.model_validate(row)
