"""Pydantic schemas of report submission."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from api.routing.schemas import parse_geometry
from geo.coords import CoordinateSystem


class PhotoCreate(BaseModel):
    """A photo as base64 with its declared type (checked against the content)."""

    content_type: str
    data: str


class ReportCreate(BaseModel):
    """A pin or footprint from a grid worker, the hotline or a resident."""

    geometry: dict[str, Any]
    crs: CoordinateSystem = CoordinateSystem.WGS84
    accuracy_m: float | None = Field(default=None, ge=0, le=5_000)
    category: str = Field(min_length=1, max_length=16)
    description: str = Field(default="", max_length=2_000)
    source: Literal["patrol", "hotline", "resident"] = "patrol"
    reporter_name: str = Field(default="", max_length=64)
    photos: list[PhotoCreate] = Field(default_factory=list)

    @field_validator("geometry")
    @classmethod
    def _geometry(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_geometry(value)
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
