"""Fixtures for the lifecycle: an API client on the demo city, users with tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import api.models as models
from api.app import create_app
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.config import Settings
from api.db.session import engine_for
from api.deps import get_session

# a building astride the 西城/丰台 line at (116.3200, 39.8900): about 70 % in 广外, 30 % in 太平桥
BUILDING: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [
            [116.3196, 39.8898],
            [116.3210, 39.8898],
            [116.3210, 39.8902],
            [116.3196, 39.8902],
            [116.3196, 39.8898],
        ]
    ],
}
CENTRE = (116.3203, 39.8900)
# the same corners joined crosswise: a self-intersecting footprint (a bow tie)
BOWTIE: dict[str, Any] = {
    "type": "Polygon",
    "coordinates": [
        [
            [116.3196, 39.8898],
            [116.3210, 39.8902],
            [116.3210, 39.8898],
            [116.3196, 39.8902],
            [116.3196, 39.8898],
        ]
    ],
}

LIFECYCLE_TABLES = (
    models.Case,
    models.CaseStreet,
    models.CaseEvent,
    models.Report,
    models.ReportPhoto,
    models.Whistle,
    models.Assignment,
    models.Extension,
)


@dataclass
class Api:
    """A test client with one bearer token per demo user."""

    client: TestClient
    tokens: dict[str, str]
    session: Session

    def call(self, method: str, url: str, user: str | None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.client.request(method, url, headers=headers, **kwargs)

    def counts(self) -> dict[str, int]:
        """Rows in every lifecycle table (to prove a refusal wrote nothing)."""
        self.session.expire_all()
        return {
            m.__tablename__: self.session.scalar(select(func.count()).select_from(m)) or 0
            for m in LIFECYCLE_TABLES
        }


USERS = {
    "admin": (Role.ADMIN, None),
    "analyst": (Role.ANALYST, None),
    "gw": (Role.STREET, "110102020"),
    "tpq": (Role.STREET, "110106002"),
    "other-street": (Role.STREET, "110102001"),
    "xicheng": (Role.DISTRICT, "110102"),
    "fengtai": (Role.DISTRICT, "110106"),
    "dongcheng": (Role.DISTRICT, "110101"),
    "xc-cgzf": (Role.DEPARTMENT, "110102-cgzf"),
    "ft-cgzf": (Role.DEPARTMENT, "110106-cgzf"),
    "xc-ghzy": (Role.DEPARTMENT, "110102-ghzy"),
    "xc-swj": (Role.DEPARTMENT, "110102-swj"),
    "worker-gw": (Role.GRID_WORKER, "110102020"),
    "worker-tpq": (Role.GRID_WORKER, "110106002"),
    "worker-far": (Role.GRID_WORKER, "110101001"),
}


def issue_tokens(
    session: Session,
    users: Mapping[str, tuple[Role, str | None]],
    *,
    prefix: str = "t-",
    display_name: Callable[[str], str] = str,
    password: str | None = None,
) -> dict[str, str]:
    """A user per entry of ``users`` (name: role and jurisdiction), named ``prefix + name``,
    and a bearer token for each, by name."""
    tokens = {}
    for name, (role, jurisdiction) in users.items():
        user = create_user(
            session=session,
            username=f"{prefix}{name}",
            role=role,
            jurisdiction=jurisdiction,
            display_name=display_name(name),
            password=password,
        )
        tokens[name] = issue_token(session=session, user=user)
    return tokens


@pytest.fixture
def api(demo_session: Session, demo_db_url: str) -> Iterator[Api]:
    """The service on the demo city; everything it writes is rolled back after the test."""
    tokens = issue_tokens(demo_session, USERS)
    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    app.dependency_overrides[get_session] = lambda: demo_session
    with TestClient(app) as client:
        yield Api(client=client, tokens=tokens, session=demo_session)


# the served app's fixture, for every lifecycle test module
from tests.api.lifecycle.served import remove_committed_users, served  # noqa: E402, F401
