"""Fixtures: the lifecycle's ``api`` client (which serves /api/assessment), actors by name."""

from __future__ import annotations

from sqlalchemy import select

from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import actor_of
from tests.api.lifecycle.conftest import Api, api  # noqa: F401  (the fixture)


def actor(api: Api, name: str) -> Actor:  # noqa: F811
    """The policy's view of one of the fixture's users (``gw``, ``xc-cgzf`` …)."""
    user = api.session.scalar(select(User).where(User.username == f"t-{name}"))
    assert user is not None
    return actor_of(user)
