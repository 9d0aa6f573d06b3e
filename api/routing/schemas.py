"""Pydantic schemas of /api/locate and /api/route."""

from __future__ import annotations

import math
from typing import Any, Literal

import shapely
import shapely.geometry
from pydantic import BaseModel, ConfigDict, Field, field_validator
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from api.db.base import INT4_MAX
from api.inputs import Input
from geo.coords import CoordinateSystem

GEOMETRY_TYPES = ("Point", "LineString", "Polygon")


class AreaPublic(BaseModel):
    """An area by code and name."""

    code: str
    name: str


class GridPublic(BaseModel):
    """A grid cell by code."""

    code: str


class Position(BaseModel):
    """A WGS-84 position."""

    lon: float
    lat: float


class CandidatePublic(BaseModel):
    """A candidate street and its share of the accuracy disc."""

    code: str
    name: str
    share: float


class LocationPublic(BaseModel):
    """The answer of /api/locate."""

    position: Position
    district: AreaPublic
    street: AreaPublic | None
    community: AreaPublic | None
    grid: GridPublic | None
    generation: int
    ambiguous: bool
    candidates: list[CandidatePublic]


def _position(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _line(value: Any, least: int) -> bool:
    return isinstance(value, list) and len(value) >= least and all(map(_position, value))


def _ring(value: Any) -> bool:
    return _line(value, 4) and value[0] == value[-1]


# RFC 7946: what each type's coordinates must be (shapely would take more: a Point of
# [[x, y]], a ring it closes itself, a one-point line it fails on with a GEOS error)
COORDINATES = {
    "Point": ("a position [lon, lat]", _position),
    "LineString": ("a list of two or more positions", lambda c: _line(c, 2)),
    "Polygon": (
        "a list of closed rings, each of four or more positions, the last equal to the first",
        lambda c: isinstance(c, list) and len(c) >= 1 and all(map(_ring, c)),
    ),
}


def parse_geometry(value: dict[str, Any]) -> BaseGeometry:
    """GeoJSON Point/LineString/Polygon -> shapely; ValueError says what is wrong."""
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise ValueError(f"type must be one of {', '.join(GEOMETRY_TYPES)}, not {kind!r}")
    shape, fits = COORDINATES[kind]
    if not fits(value.get("coordinates")):  # so the geometry below is never empty
        raise ValueError(f"{kind} coordinates must be {shape}")
    try:
        geom = shapely.geometry.shape(value)
    except OverflowError as exc:  # an integer beyond any float
        raise ValueError("coordinates must be finite numbers") from exc
    except (ShapelyError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ValueError(f"invalid {kind} coordinates: {exc}") from exc
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        raise ValueError("coordinates must be finite numbers")
    if not ((coords[:, 0] >= -180).all() and (coords[:, 0] <= 180).all()):
        raise ValueError("longitude out of range -180..180")
    if not ((coords[:, 1] >= -90).all() and (coords[:, 1] <= 90).all()):
        raise ValueError("latitude out of range -90..90")
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise ValueError(f"invalid {kind}: {reason} (e.g. a self-intersecting ring)")
    if kind != "Point" and geom.length == 0:
        raise ValueError(f"{kind} is degenerate (no length or area)")
    return geom


class RouteRequest(Input):
    """The body of POST /api/route."""

    geometry: dict[str, Any]
    crs: CoordinateSystem = CoordinateSystem.WGS84
    accuracy_m: float | None = Field(default=None, ge=0, le=5_000)
    category: str = Field(min_length=1, max_length=16)
    level: Literal["district", "city"] = "district"
    generation: int | None = Field(default=None, ge=1, le=INT4_MAX)

    @field_validator("geometry")
    @classmethod
    def _geometry(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_geometry(value)
        return value

    def shape(self) -> BaseGeometry:
        """The request geometry as shapely (in the request's CRS)."""
        return parse_geometry(self.geometry)


class StreetPublic(BaseModel):
    """A street party to a case with its share."""

    code: str
    name: str
    district_code: str
    share: float


class DepartmentRolePublic(BaseModel):
    """A summoned department and its role."""

    code: str
    name: str
    district_code: str | None
    role: Literal["lead", "support"]
    overall_lead: bool


class ChiefPublic(BaseModel):
    """The nearest street/alley's chief."""

    name: str
    title: str
    street_or_alley: str
    distance_m: float


class RoutingPublic(BaseModel):
    """The answer of /api/route."""

    joint: bool
    lead_street: StreetPublic
    streets: list[StreetPublic]
    departments: list[DepartmentRolePublic]
    whistle_type: str
    sla_policy: str
    chief: ChiefPublic | None
    explanation: list[str]
    position: Position | None
    generation: int
    ambiguous: bool = False
    candidates: list[CandidatePublic] = []


class ZonePublic(BaseModel):
    """A land-use zone the case lies in."""

    code: str
    kind: str
    name: str


class CaseRouting(BaseModel):
    """The routing stored with a case and each of its reports (their ``routing`` column,
    written by ``api.reports.service.routing_json``), as every reader takes it."""

    model_config = ConfigDict(frozen=True)

    joint: bool = False
    streets: list[StreetPublic] = []
    departments: list[DepartmentRolePublic] = []
    whistle_type: str | None = None
    sla_policy: str | None = None
    chief: ChiefPublic | None = None
    explanation: list[str] = []
    zones: list[ZonePublic] = []
    generation: int | None = None
    ambiguous: bool = False
    candidates: list[CandidatePublic] = []
    grid_code: str | None = None
    community_code: str | None = None

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> CaseRouting:
        """The routing of a stored ``routing`` column (``{}`` or NULL: nothing routed)."""
        return cls.model_validate(stored or {})

    @property
    def overall_lead(self) -> DepartmentRolePublic | None:
        """The department that leads the whole case, if the rules named one."""
        return next((d for d in self.departments if d.overall_lead), None)
