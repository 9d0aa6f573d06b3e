"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import is_scalar_field
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.db.base import INT4_MAX
from api.deadlines.calendar import TZ
from api.errors import InvalidInput


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

# codes in queries have their shape (a 422 naming the parameter otherwise: an empty, NUL,
# 100 kB or LIKE-wildcard value); a well-formed code that names nothing matches nothing
CategoryFilter = Annotated[
    str | None,
    Query(pattern=r"^[A-Z][0-9]{2}([0-9]{2})?$", description="a category (E0401) or group (E04)"),
]
StreetFilter = Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="9-digit code")]
DistrictFilter = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="6-digit code")]
# four numbers (their order is checked by api.geography.views.parse_bbox)
_DEGREES = r"-?[0-9]{1,3}(\.[0-9]{1,12})?"
BboxFilter = Annotated[
    str | None,
    Query(pattern=rf"^{_DEGREES}(,{_DEGREES}){{3}}$", description="minlon,minlat,maxlon,maxlat"),
]
DepartmentFilter = Annotated[
    str | None, Query(pattern=r"^[0-9]{6}-[a-z]{1,32}$", description="e.g. 110102-cgzf")
]


def _not_a_number(value: object) -> object:
    """A date-time in a query is ISO 8601 text: pydantic would read a number as Unix seconds
    (``since=20250101``, meant as a date, would be 1970-08-23)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return value
        raise ValueError("expected an ISO 8601 date-time such as 2025-01-01T08:00:00+08:00")
    return value


def _beijing_if_naive(value: datetime | None) -> datetime | None:
    """A date-time without an offset is Beijing time (not the database session's zone)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=TZ)


# instants in queries (since, until, as_of): ISO 8601, never a number of seconds; without an
# offset, Beijing time
QueryInstant = Annotated[
    datetime | None, BeforeValidator(_not_a_number), AfterValidator(_beijing_if_naive)
]


def check_range(since: datetime | None, until: datetime | None) -> None:
    """A query's ``until`` is not before its ``since`` (a 422 naming until, as Open311's
    end_date)."""
    if since is None or until is None:
        return
    if until < since:
        raise InvalidInput(f"until ({until.isoformat()}) is before since", field="until")


def _scalar_query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route (and its dependencies) takes one value of."""
    names = {f.alias for f in dependant.query_params if is_scalar_field(f)}
    for sub in dependant.dependencies:
        names |= _scalar_query_names(sub)
    return names


async def single_query_values(request: Request) -> None:
    """A query parameter that takes one value is given once: of ``?level=street&level=grid``
    FastAPI would use the last and silently drop the others (a 422 naming it instead).

    Routes that read the query themselves (Open311 takes a repeated filter as a list) declare
    no query parameters, so nothing is refused for them."""
    if b"&" not in request.scope["query_string"]:
        return
    counted = Counter(key for key, _ in request.query_params.multi_items())
    repeated = {name: times for name, times in counted.items() if times > 1}
    route = request.scope.get("route")
    if not repeated or not isinstance(route, APIRoute):
        return
    scalar = _scalar_query_names(route.dependant)
    for name, times in repeated.items():
        if name in scalar:
            raise InvalidInput(f"give {name} once, not {times} times", field=name)
