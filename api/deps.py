"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db.base import INT4_MAX


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request from the app's session factory.

    Async so that opening it costs no worker-thread hop (a Session connects lazily, on its
    first statement, inside the endpoint's thread). Closing it is pure Python unless a
    transaction is still open (a failed request), which is rolled back off the event loop.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (async: no thread hop for a lookup)."""
    settings: Settings = request.app.state.settings
    return settings


@asynccontextmanager
async def session_of(request: Request) -> AsyncIterator[Session]:
    """The session ``get_session`` would give this request (or its override, as in tests),
    for a handler that needs one only on some paths (a dependency costs on every request)."""
    override = request.app.dependency_overrides.get(get_session)
    if override is not None:
        yield override()
        return
    async with asynccontextmanager(get_session)(request) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# ids in paths and queries: integers a row id can be (others are a 422 naming the parameter)
PathId = Annotated[int, Path(ge=1, le=INT4_MAX)]
QueryId = Annotated[int | None, Query(ge=1, le=INT4_MAX)]
