"""FastAPI dependencies: the current user from the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import actor_by_token, user_by_token
from api.deps import SessionDep
from api.errors import Unauthorized


def bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value; 401 otherwise."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send Authorization: Bearer <token>", field="authorization")
    return authorization[7:].strip()


def current_user(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> User:
    """The user of ``Authorization: Bearer <token>``; 401 otherwise."""
    user = user_by_token(session=session, token=bearer(authorization))
    if user is None:
        raise Unauthorized("unknown or revoked token", field="authorization")
    return user


def authenticate(session: Session, token: str) -> Actor:
    """The actor a bearer token belongs to; 401 when it is unknown or revoked."""
    actor = actor_by_token(session=session, token=token)
    if actor is None:
        raise Unauthorized("unknown or revoked token", field="authorization")
    return actor


def current_actor(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> Actor:
    """The current user as the policy sees them (read without loading the ORM user)."""
    return authenticate(session, bearer(authorization))


ActorDep = Annotated[Actor, Depends(current_actor)]
UserDep = Annotated[User, Depends(current_user)]
