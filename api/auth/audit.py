"""The audit trail: logins (succeeded, failed, refused), account changes and token
revocations, one row each (``audit_events``), listed newest first for administrators."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import AuditEvent


class AuditKind(StrEnum):
    LOGIN = "login"  # a password accepted, a token issued
    LOGIN_FAILED = "login:failed"  # a wrong password or an unknown username
    LOGIN_REFUSED = "login:refused"  # too many failures: not checked (429)
    USER_CREATED = "user:created"
    USER_CHANGED = "user:changed"
    TOKEN_REVOKED = "token:revoked"  # logout, or all of a user's tokens


def record(
    *,
    session: Session,
    kind: AuditKind,
    username: str,
    user_id: int | None = None,
    actor_id: int | None = None,
    address: str | None = None,
    at: datetime | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event (written with the session's transaction)."""
    event = AuditEvent(
        at=at or datetime.now(UTC),
        kind=str(kind),
        username=username[:64],
        user_id=user_id,
        actor_id=actor_id,
        address=address,
        data=data,
    )
    session.add(event)
    return event


def events(
    *,
    session: Session,
    kind: AuditKind | None = None,
    username: str | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Audit events of one kind and/or about one username, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(AuditEvent.kind == str(kind))
    if username is not None:
        query = query.where(AuditEvent.username == username)
    return list(session.scalars(query))
