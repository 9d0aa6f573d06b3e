"""ORM model of users (each with one role and one jurisdiction)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base

ROLE_VALUES = (
    "('grid_worker', 'community', 'street', 'district', 'department', 'analyst', 'admin', "
    "'chief', 'hotline')"
)
SCOPE_VALUES = "('api', 'open311')"


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
    api_key (``scope``)."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(f"scope IN {SCOPE_VALUES}", name="scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(Text, default="")
    # "api": a bearer token for the whole API; "open311": an Open311 api_key, nothing else
    scope: Mapped[str] = mapped_column(String(16), default="api", server_default="api")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
