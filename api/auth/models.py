"""ORM models of users (each with one role and one jurisdiction), their tokens, the failed
logins that slow further attempts, and the audit trail of logins and account changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base

ROLE_VALUES = (
    "('grid_worker', 'community', 'street', 'district', 'department', 'analyst', 'admin', "
    "'chief', 'hotline')"
)
SCOPE_VALUES = "('api', 'open311')"
THROTTLE_KINDS = "('username', 'address')"


class User(Base):
    """A person using the platform: grid worker, command centre, department staff …"""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLE_VALUES}", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    jurisdiction: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiToken(Base):
    """A bearer token of a user (stored hashed; one per device or login), or an Open311
    api_key (``scope``). A bearer token expires (``expires_at``, moved on by use up to its
    maximum lifetime); any token can be revoked."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(f"scope IN {SCOPE_VALUES}", name="scope"),
        CheckConstraint("scope = 'open311' OR expires_at IS NOT NULL", name="expires"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(Text, default="")
    # "api": a bearer token for the whole API; "open311": an Open311 api_key, nothing else
    scope: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # NULL: never (an Open311 key without a configured lifetime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when its lifetime was last moved on by use (at most once a minute)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginThrottle(Base):
    """Recent failed logins of one username or one client address (shared by every worker
    process); forgotten once the last failure is older than the lock time."""

    __tablename__ = "login_throttles"
    __table_args__ = (CheckConstraint(f"kind IN {THROTTLE_KINDS}", name="kind"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """A login (succeeded, failed or refused), an account change or a token revocation."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # newest first, all or of one kind or one account (btree indexes read backwards)
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_kind_at", "kind", "at"),
        Index("ix_audit_events_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    # the account concerned, as named (a failed login may name no user)
    username: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # who acted (NULL: the user themself, or the command line)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    address: Mapped[str | None] = mapped_column(Text)  # the client address of a login
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
