"""FastAPI dependencies: the current user from the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import actor_of, user_by_token
from api.deps import SessionDep
from api.errors import Unauthorized


def current_user(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> User:
    """The user of ``Authorization: Bearer <token>``; 401 otherwise."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("send Authorization: Bearer <token>", field="authorization")
    user = user_by_token(session=session, token=authorization[7:].strip())
    if user is None:
        raise Unauthorized("unknown or revoked token", field="authorization")
    return user


def current_actor(user: Annotated[User, Depends(current_user)]) -> Actor:
    """The current user as the policy sees them."""
    return actor_of(user)


ActorDep = Annotated[Actor, Depends(current_actor)]
UserDep = Annotated[User, Depends(current_user)]
