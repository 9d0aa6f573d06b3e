"""Pydantic schemas of the address register, geocoding and reverse geocoding."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.inputs import Input
from geo.geocode_answer import Candidate, GeocodeResult, ReverseResult

TEXT_MAX = 500


class AddressPublic(BaseModel):
    """One register entry."""

    model_config = ConfigDict(from_attributes=True)

    ref: str
    text: str
    kind: str
    lon: float
    lat: float
    grid_code: str
    community_code: str
    street_code: str
    district_code: str


class AddressesPublic(BaseModel):
    """Register entries of the active version."""

    generation: int | None
    data: list[AddressPublic]


class GeocodeRequest(Input):
    """An address in words, as the caller says it."""

    text: str = Field(max_length=TEXT_MAX)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the text is empty")
        return value


class CandidatePublic(BaseModel):
    """One geocoding candidate (``level``: how far the match got)."""

    text: str
    kind: str
    lon: float
    lat: float
    uncertainty_m: float
    score: float
    level: str
    matched: dict[str, str]
    grid: str
    community: str
    street: str
    district: str

    @classmethod
    def of(cls, candidate: Candidate) -> CandidatePublic:
        """The public form of a geocoder candidate."""
        return cls(**{name: getattr(candidate, name) for name in cls.model_fields})


class GeocodePublic(BaseModel):
    """The geocoder's answer: ``matched``, ``ambiguous`` or ``unknown``, candidates best first."""

    status: Literal["matched", "ambiguous", "unknown"]
    candidates: list[CandidatePublic]

    @classmethod
    def of(cls, result: GeocodeResult) -> GeocodePublic:
        """The public form of a geocoder answer."""
        return cls(
            status=result.status, candidates=[CandidatePublic.of(c) for c in result.candidates]
        )


class ReversePublic(BaseModel):
    """The nearest entry within the radius and the point described from it."""

    text: str
    distance_m: float
    direction: str
    entry: CandidatePublic

    @classmethod
    def of(cls, result: ReverseResult) -> ReversePublic:
        """The public form of a reverse geocoding answer."""
        return cls(
            text=result.text,
            distance_m=round(result.distance_m, 1),
            direction=result.direction,
            entry=CandidatePublic.of(result.entry),
        )
