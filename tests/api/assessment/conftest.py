"""Actors by name, for the assessment tests (the ``api`` client serves /api/assessment)."""

from __future__ import annotations

from sqlalchemy import select

from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import actor_of
from tests.api.support import Api


def actor(api: Api, name: str) -> Actor:
    """The policy's view of one of the fixture's users (``gw``, ``xc-cgzf`` …)."""
    user = api.session.scalar(select(User).where(User.username == f"t-{name}"))
    assert user is not None
    return actor_of(user)
