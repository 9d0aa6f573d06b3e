"""Routes: hot spot map pages (city, district, street) and a street-and-alley chief's map.

Every page is a folium page with local assets. The statistics behind a page come from
``api.maps.analysis`` through the per-process ``MAPS_CACHE`` (keyed by the page's parameters,
invalidated when events, reports or the geography change); overdue whistles are queried on
every request.

Each page is for its viewers only (``api.maps.access``, docs/roles.md): an anonymous browser
is sent to the login page, a viewer outside the map's area gets a 403; community staff see a
street's raw events (vector tiles, ``api.tiles``) only inside their community, a chief only
the overdue whistles along the chief's roads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from api.auth.deps import ViewerDep
from api.auth.roles import Actor, Role
from api.deps import CategoryFilter, QueryInstant, SessionDep, StreetFilter
from api.hotspots.window import WindowQuery, time_window
from api.maps import data
from api.maps.access import app_page, pins_near, require_chief_map, require_map
from api.maps.analysis import NEAR_M, Filters, Scope, cached_chief_data, cached_scope_data
from api.maps.pages import Heading, chief_page, period_text, scope_page
from geo.codes import Level

router = APIRouter(prefix="/maps", tags=["maps"])

StreetCode = Annotated[str, Path(pattern=r"^\d{9}$", description="9-digit street code")]
DistrictCode = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit district code")]


def _scope_page(
    session: Session, scope: Scope, filters: Filters, viewer: Actor, window: str | None
) -> HTMLResponse:
    require_map(viewer, kind=scope.kind, code=scope.code)
    computed = cached_scope_data(session=session, scope=scope, filters=filters)
    overdue = (
        data.overdue(session=session, prefix=scope.code, now=datetime.now(UTC))
        if scope.code
        else None
    )
    heading = Heading(
        period=period_text(window, filters.since, filters.until),
        category=data.category_text(session=session, code=filters.category),
        back=app_page(viewer),
    )
    page = scope_page(scope, computed, overdue=overdue, filters=filters, heading=heading)
    return HTMLResponse(page)


def _area_page(
    session: Session,
    viewer: Actor,
    kind: Literal["district", "street"],
    code: str,
    filters: Filters,
    window: str | None,
    *,
    field: str = "code",
) -> HTMLResponse:
    """The page of one district or street (a 404 naming ``field``, the parameter that gave
    the code, when the active generation has no such area)."""
    name = data.area_name(session=session, level=Level(kind), code=code, field=field)
    return _scope_page(session, Scope(kind, code, name), filters, viewer, window)


@router.get("/hotspots", response_class=HTMLResponse)
def hotspots_map(
    session: SessionDep,
    viewer: ViewerDep,
    street: StreetFilter = None,
    since: QueryInstant = None,
    until: QueryInstant = None,
    category: CategoryFilter = None,
    window: WindowQuery = None,
) -> HTMLResponse:
    """The city view (communities, aggregates only); with ``street`` the street's view."""
    since, until = time_window(window, since, until)
    if street:
        filters = Filters(since, until, category)
        return _area_page(session, viewer, "street", street, filters, window, field="street")
    return _scope_page(session, Scope("city"), Filters(since, until, category), viewer, window)


@router.get("/district/{code}", response_class=HTMLResponse)
def district_map(
    session: SessionDep,
    viewer: ViewerDep,
    code: DistrictCode,
    since: QueryInstant = None,
    until: QueryInstant = None,
    category: CategoryFilter = None,
    window: WindowQuery = None,
) -> HTMLResponse:
    """One district: its communities' counts, Gi* and emerging categories (aggregates only),
    density, roads by load, outlines and overdue whistles."""
    since, until = time_window(window, since, until)
    return _area_page(session, viewer, "district", code, Filters(since, until, category), window)


@router.get("/street/{code}", response_class=HTMLResponse)
def street_map(
    session: SessionDep,
    viewer: ViewerDep,
    code: StreetCode,
    since: QueryInstant = None,
    until: QueryInstant = None,
    category: CategoryFilter = None,
    window: WindowQuery = None,
) -> HTMLResponse:
    """One street: its grid cells' counts, Gi* and emerging categories, density, roads by
    load, outlines, overdue whistles and the raw events as a marker cluster."""
    since, until = time_window(window, since, until)
    return _area_page(session, viewer, "street", code, Filters(since, until, category), window)


@router.get("/chief/{chief_ref}", response_class=HTMLResponse)
def chief_map(session: SessionDep, viewer: ViewerDep, chief_ref: str) -> HTMLResponse:
    """One chief's roads coloured by events within 30 m and the hot and cold grid cells along
    them (vector tiles of the chief's map), the street outline, the whistles at work and the
    overdue ones (the chief: those along the chief's roads; the street's other viewers: the
    street's)."""
    chief = data.chief(session=session, chief_ref=chief_ref)
    street = chief.street_code
    require_chief_map(viewer, ref=chief.ref, street_code=street)
    computed = cached_chief_data(session=session, chief_ref=chief_ref, street_code=street)
    now = datetime.now(UTC)
    overdue = data.overdue(session=session, prefix=street, now=now)
    open_ = data.in_time(session=session, prefix=street, now=now)
    if viewer.role is Role.CHIEF:
        overdue = pins_near(overdue, computed.roads, distance_m=NEAR_M)
        open_ = pins_near(open_, computed.roads, distance_m=NEAR_M)
    street_name = data.area_name(session=session, level=Level.STREET, code=street)
    page = chief_page(
        chief.ref,
        chief.name,
        chief.title,
        computed,
        overdue=overdue,
        open_=open_,
        street=street_name,
        back=app_page(viewer),
    )
    return HTMLResponse(page)
