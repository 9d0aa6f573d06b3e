"""Engine and sessions: DATABASE_URL, or the embedded cluster when none is set."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from api.config import Settings, get_settings
from api.db.embedded import EmbeddedCluster
from api.db.outage import CONNECT_TIMEOUT_S, hung_up


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

    A connection leaving the pool is checked without a round trip (``pool_pre_ping`` would
    cost one on every checkout, i.e. on every request): when the server has closed it (it
    restarted meanwhile), it and every connection pooled before it are replaced, so no
    request meets a connection of the server's previous life. Connections are also
    recycled hourly. A server that does not answer a new connection in
    ``CONNECT_TIMEOUT_S`` is away (``api.db.outage``).
    """
    engine = create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        pool_recycle=3600,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
    event.listen(engine, "checkout", _replace_if_hung_up)
    return engine


def _replace_if_hung_up(
    dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
) -> None:
    if hung_up(dbapi_connection):
        # the pool reconnects (and raises the driver's error if the server is still away)
        raise InvalidatePoolError("the server closed the pooled connection")


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
