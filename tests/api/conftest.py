"""Fixtures shared by the service's tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from api.config import Settings, get_settings
from api.db.session import engine_for
from api.deps import get_session
from tests.api.served import remove_committed_users, served  # noqa: F401  (fixtures)
from tests.api.support import USERS, Api, issue_tokens


@pytest.fixture
def cli_db(make_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database that DATABASE_URL points the CLI at."""
    url = make_database(f"cli{id(monkeypatch) % 100000}")
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    engine_for(url).dispose()


@dataclass(frozen=True)
class OpenApiSite:
    """The served app on a throwaway demo city, and an administrator's bearer token."""

    base: str
    token: str


@pytest.fixture(scope="session")
def openapi_site(make_database: Callable[[str], str]) -> Iterator[OpenApiSite]:
    """The app served over HTTP on a database of its own (coarse 400,000 m² cells keep the
    demo quick to load): what the OpenAPI tests and the fuzzer write is theirs alone."""
    from sqlalchemy.orm import Session

    from api.app import create_app
    from api.auth.roles import Role
    from api.auth.service import create_user, issue_token
    from api.config import Settings
    from api.geography.imports import load_demo_into
    from api.threaded import serve_in_thread

    url = make_database("openapi")
    load_demo_into(url, cell_area_m2=400_000)
    engine = engine_for(url)
    with Session(engine) as session:
        admin = create_user(
            session=session, username="openapi-admin", role=Role.ADMIN, jurisdiction=None
        )
        token = issue_token(session=session, user=admin, label="openapi")
        session.commit()
    app = create_app(engine=engine, settings=Settings(environment="test"))
    with serve_in_thread(app) as base:
        yield OpenApiSite(base=base, token=token)


@pytest.fixture
def api(demo_session: Session, demo_db_url: str) -> Iterator[Api]:
    """The service on the demo city; everything it writes is rolled back after the test."""
    tokens = issue_tokens(demo_session, USERS)
    app = create_app(
        engine=engine_for(demo_db_url), settings=Settings(environment="test", report_connections=0)
    )
    app.dependency_overrides[get_session] = lambda: demo_session
    with TestClient(app) as client:
        yield Api(client=client, tokens=tokens, session=demo_session)
