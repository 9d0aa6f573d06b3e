"""The inbox: a user's notifications, newest first; marking them read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.errors import NotFound
from api.notifications.models import Notification


def inbox(*, session: Session, user_id: int, unread: bool, limit: int) -> list[Notification]:
    """The user's notifications (only the unread ones when asked), newest first."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(*, session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    *, session: Session, user_id: int, notification_id: int, at: datetime
) -> Notification:
    """Mark one of the user's notifications read (once: the first time stays); NotFound for
    one that does not exist or is someone else's (the same answer: ids tell nothing)."""
    row = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    if row is None:
        raise NotFound(f"notification {notification_id} does not exist", field="notification_id")
    if row.read_at is None:
        row.read_at = at
    return row


def mark_all_read(*, session: Session, user_id: int, at: datetime) -> int:
    """Mark every unread notification of the user read; how many were."""
    done = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=at)
    )
    return int(done.rowcount)  # type: ignore[attr-defined]
