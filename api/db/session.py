"""Engine and sessions: DATABASE_URL, or the embedded cluster when none is set."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings, get_settings
from api.db.embedded import EmbeddedCluster


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// URLs."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str | URL) -> str:
    """An SQLAlchemy URL as the plain ``postgresql://`` URL libpq and asyncpg take."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def embedded_cluster(settings: Settings | None = None) -> EmbeddedCluster:
    """The project's embedded cluster object (not started)."""
    settings = settings or get_settings()
    return EmbeddedCluster(settings.home, settings.database_name)


def database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL if set, else the embedded cluster's URL (starting it if needed)."""
    settings = settings or get_settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    return embedded_cluster(settings).ensure_running().url()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One pooled engine per URL.

    No ``pool_pre_ping``: it costs a round trip on every checkout, i.e. on every request.
    When the server restarts, the first request that meets a dead connection fails and
    SQLAlchemy then invalidates the whole pool, so the next requests reconnect; connections
    are also recycled hourly.
    """
    return create_engine(url, pool_size=20, max_overflow=20, pool_recycle=3600)


def get_engine() -> Engine:
    """The engine of the configured database."""
    return engine_for(database_url())


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (default: the configured one)."""
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards."""
    with session_factory()() as session:
        yield session
