"""Routes: GET /api/addresses, POST /api/geocode, GET /api/reverse (logged-in users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.addresses import service
from api.addresses.schemas import (
    AddressesPublic,
    AddressPublic,
    GeocodePublic,
    GeocodeRequest,
    ReversePublic,
)
from api.auth.deps import ActorDep
from api.deps import SessionDep, StreetFilter
from api.errors import InvalidInput, NotFound
from api.routing.service import position_in_wgs84
from geo.coords import CoordinateSystem
from geo.geocode import REVERSE_MAX_M

router = APIRouter(prefix="/api", tags=["addresses"])


@router.get("/addresses", response_model=AddressesPublic)
def list_addresses(
    session: SessionDep,
    _actor: ActorDep,
    street: StreetFilter = None,
    q: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AddressesPublic:
    """Entries of the active register version in a street and/or whose text holds ``q``."""
    if q is not None and ("\x00" in q or "\ufffd" in q):  # U+FFFD: bytes that are not UTF-8
        raise InvalidInput("q must be text, without NUL or bytes that are not UTF-8", field="q")
    entries = service.list_entries(session=session, street=street, q=q, limit=limit)
    return AddressesPublic(
        generation=service.register_version(session=session),
        data=[AddressPublic.model_validate(e) for e in entries],
    )


@router.post("/geocode", response_model=GeocodePublic)
def geocode(body: GeocodeRequest, session: SessionDep, _actor: ActorDep) -> GeocodePublic:
    """Candidates for an address in words, best first (the first call builds the geocoder)."""
    return GeocodePublic.of(service.GEOCODER.current(session=session).geocode(body.text))


@router.get("/reverse", response_model=ReversePublic)
def reverse(
    session: SessionDep,
    _actor: ActorDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude in `crs`")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude in `crs`")],
    crs: CoordinateSystem = CoordinateSystem.WGS84,
) -> ReversePublic:
    """The nearest plate, building or place within 100 m, with distance and direction."""
    wlon, wlat = position_in_wgs84(lon=lon, lat=lat, crs=crs, field="lon")
    found = service.GEOCODER.current(session=session).reverse(wlon, wlat, max_m=REVERSE_MAX_M)
    if found is None:
        raise NotFound(f"no address entry within {REVERSE_MAX_M:g} m of {lon}, {lat}", field="lon")
    return ReversePublic.of(found)
