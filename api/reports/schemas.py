"""Pydantic schemas of report submission."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from shapely.geometry.base import BaseGeometry

from api.inputs import Input
from api.routing.schemas import parse_geometry
from geo.coords import CoordinateSystem

IDEMPOTENCY_KEY_MAX = 128


class PhotoCreate(Input):
    """A photo as base64 with its declared type (checked against the content)."""

    content_type: str
    data: str


ADDRESS_MAX = 500


class ReportCreate(Input):
    """A pin or footprint from a grid worker, the hotline or a resident (its geometry is
    checked by ``read_report``, which parses it once), or the caller's words for the place
    (``address``, source hotline unless given) with, when they are ambiguous, the text of
    the candidate the call-taker chose (``address_choice``)."""

    geometry: dict[str, Any] | None = None
    address: str | None = Field(default=None, max_length=ADDRESS_MAX)
    address_choice: str | None = Field(default=None, min_length=1, max_length=200)
    crs: CoordinateSystem = CoordinateSystem.WGS84
    accuracy_m: float | None = Field(default=None, ge=0, le=5_000)
    category: str = Field(min_length=1, max_length=16)
    description: str = Field(default="", max_length=2_000)
    source: Literal["patrol", "hotline", "resident"] = "patrol"
    reporter_name: str = Field(default="", max_length=64)
    photos: list[PhotoCreate] = Field(default_factory=list)


def read_report(raw: bytes) -> tuple[ReportCreate, BaseGeometry | None]:
    """The JSON body of ``POST /api/reports`` and its geometry as shapely (in the body's CRS;
    None when the body gives an address instead). Anything wrong is a
    ``RequestValidationError`` (422 problem+json naming the field), as if FastAPI had
    validated the body."""
    try:
        body = ReportCreate.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
    if body.geometry is None:
        if body.address is None:
            raise _invalid("geometry", "Field required (a geometry, or an address in words)")
        return body, None
    if body.address is not None or body.address_choice is not None:
        field = "address" if body.address is not None else "address_choice"
        raise _invalid(field, "give a geometry or an address, not both")
    try:
        return body, parse_geometry(body.geometry)
    except ValueError as exc:
        raise _invalid("geometry", str(exc)) from None


def _invalid(field: str, message: str) -> RequestValidationError:
    error = {"type": "value_error", "loc": ("body", field), "msg": f"Value error, {message}"}
    return RequestValidationError([error])


def idempotency_key_of(value: str | None) -> str | None:
    """The ``Idempotency-Key`` header (at most ``IDEMPOTENCY_KEY_MAX`` characters)."""
    if value is not None and len(value) > IDEMPOTENCY_KEY_MAX:
        reason = f"String should have at most {IDEMPOTENCY_KEY_MAX} characters"
        raise RequestValidationError([{"loc": ("header", "idempotency-key"), "msg": reason}])
    return value


class ReportPublic(BaseModel):
    """What the reporter is told: the report, its case, and whether it merged."""

    id: int
    case_id: int
    case_status: str
    attached: bool
    replayed: bool
    message: str
    routing: dict[str, Any]
