"""Fixtures: the lifecycle's ``api`` client with the assessment routes, actors by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.assessment.views import router
from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import actor_of, create_user, issue_token
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session
from tests.api.lifecycle.conftest import USERS, Api


@pytest.fixture
def api(demo_session: Session, demo_db_url: str) -> Iterator[Api]:
    """The service (with /api/assessment) on the demo city; everything is rolled back."""
    tokens = {}
    for name, (role, jurisdiction) in USERS.items():
        user = create_user(
            session=demo_session,
            username=f"t-{name}",
            role=role,
            jurisdiction=jurisdiction,
            display_name=name,
        )
        tokens[name] = issue_token(session=demo_session, user=user)
    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    if not any(getattr(r, "path", "").startswith(router.prefix) for r in app.routes):
        app.include_router(router)  # until api/app.py includes it
    app.dependency_overrides[get_session] = lambda: demo_session
    with TestClient(app) as client:
        yield Api(client=client, tokens=tokens, session=demo_session)


def actor(api: Api, name: str) -> Actor:
    """The policy's view of one of the fixture's users (``gw``, ``xc-cgzf`` …)."""
    user = api.session.scalar(select(User).where(User.username == f"t-{name}"))
    assert user is not None
    return actor_of(user)
