"""Fixtures: throwaway PostGIS databases (embedded cluster or DATABASE_URL's server).

Each test session creates its own databases, migrates them with Alembic, and drops them at
the end. Tests that use ``db_session``/``demo_session`` run inside a transaction that is
rolled back, so they never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.config import Settings
from api.db.embedded import create_database, drop_database
from api.db.migrate import upgrade
from api.db.session import embedded_cluster, engine_for, normalise_url

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[1]
SHARED_BEIJING = REPO.parent / "shared" / "data" / "beijing"
REAL_DISTRICTS = SHARED_BEIJING / "beijing_districts_dc_xc_ft.geojson"
TEST_CELL_AREA_M2 = float(os.environ.get("GRIDWHISTLE_TEST_CELL_AREA", "40000"))
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def admin_url() -> str:
    """A URL with the right to create databases: DATABASE_URL's server or the embedded one."""
    settings = Settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_cluster(settings).ensure_running().url("postgres")


@pytest.fixture(scope="session")
def make_database(admin_url: str) -> Iterator[Callable[[str], str]]:
    """Factory: a fresh migrated database per call, dropped when the session ends."""
    created: list[str] = []
    run = uuid.uuid4().hex[:8]

    def make(tag: str) -> str:
        name = f"gw_test_{run}_{tag}"
        create_database(admin_url, name)
        created.append(name)
        url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        upgrade(url)
        return url

    yield make
    for name in created:
        engine_for.cache_clear()
        drop_database(admin_url, name)


def _rollback_session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture(scope="session")
def empty_db_url(make_database: Callable[[str], str]) -> str:
    """A migrated database with no data (tests roll back what they write)."""
    return make_database("empty")


@pytest.fixture
def db_session(empty_db_url: str) -> Iterator[Session]:
    """A session on the empty database, rolled back after the test."""
    yield from _rollback_session(engine_for(empty_db_url))


@pytest.fixture(scope="session")
def demo_db_url(make_database: Callable[[str], str]) -> str:
    """A database with the synthetic demo city loaded (cells of TEST_CELL_AREA_M2)."""
    from api.geography.imports import load_demo_into

    url = make_database("demo")
    load_demo_into(url, cell_area_m2=TEST_CELL_AREA_M2)
    return url


CITY_SLICE = ("110101", "110111")  # 东城 (街道) and 房山 (街道, 镇 and 乡)


@pytest.fixture(scope="session")
def city_slice_db_url(make_database: Callable[[str], str]) -> str:
    """A database with a slice of the whole city, ``CITY_SLICE``, as ``load-demo --city
    beijing --only …`` loads it (its 街道 cells of TEST_CELL_AREA_M2, larger in 镇 and 乡)."""
    from api.geography.imports import City, load_demo_into

    url = make_database("city_slice")
    load_demo_into(url, cell_area_m2=TEST_CELL_AREA_M2, city=City.BEIJING, only=CITY_SLICE)
    return url


@pytest.fixture(params=["demo_db_url", "city_slice_db_url"], scope="module")
def city_db_url(request: pytest.FixtureRequest) -> str:
    """The demo city's database, then the whole city's slice: tests that must hold on both."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture
def city_session(city_db_url: str) -> Iterator[Session]:
    """A session on ``city_db_url``, rolled back after the test."""
    yield from _rollback_session(engine_for(city_db_url))


@pytest.fixture
def demo_session(demo_db_url: str) -> Iterator[Session]:
    """A session on the demo database, rolled back after the test."""
    yield from _rollback_session(engine_for(demo_db_url))


@pytest.fixture
def demo_client(demo_db_url: str) -> Iterator[TestClient]:
    """A TestClient of the service bound to the demo database."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(engine=engine_for(demo_db_url), settings=Settings(environment="test"))
    with TestClient(app) as client:
        yield client


def sign_in(
    client: TestClient,
    session: Session,
    *,
    role: str = "admin",
    jurisdiction: str | None = None,
    username: str = "signed-in",
) -> str:
    """Add a user of ``role`` in ``session`` and send its bearer token with every request of
    ``client`` (whose app shares ``session``); the token."""
    from api.auth.roles import Role
    from api.auth.service import create_user, issue_token

    user = create_user(
        session=session, username=username, role=Role(role), jurisdiction=jurisdiction
    )
    token = issue_token(session=session, user=user)
    client.headers["Authorization"] = f"Bearer {token}"
    return token


@pytest.fixture
def signed_demo_client(demo_db_url: str, demo_session: Session) -> Iterator[TestClient]:
    """A TestClient on the demo city whose requests share ``demo_session`` (rolled back) and
    carry an administrator's bearer token."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.deps import get_session

    app = create_app(
        engine=engine_for(demo_db_url), settings=Settings(environment="test", report_connections=0)
    )
    app.dependency_overrides[get_session] = lambda: demo_session
    with TestClient(app) as client:
        sign_in(client, demo_session)
        yield client


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots and other test artefacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def real_districts_or_skip() -> Path:
    """The real Beijing district file from ../shared, or skip the test."""
    if not REAL_DISTRICTS.exists():
        pytest.skip(f"reference data not found at {REAL_DISTRICTS}")
    return REAL_DISTRICTS


@pytest.fixture
def client(db_session: Session, empty_db_url: str) -> Iterator[TestClient]:
    """A TestClient whose requests share ``db_session`` (rolled back after the test)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.deps import get_session

    app = create_app(
        engine=engine_for(empty_db_url), settings=Settings(environment="test", report_connections=0)
    )
    app.dependency_overrides[get_session] = lambda: db_session
    with TestClient(app) as test_client:
        yield test_client
