"""Pydantic schemas of the call-taker's path."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.addresses.schemas import GeocodePublic, GeocodeRequest
from api.hotline.service import Parsed


class ParseRequest(GeocodeRequest):
    """What the caller said: an address in words and a complaint in sentences."""


class SuggestionPublic(BaseModel):
    """A suggested sub-category, its score in [0, 1] and the words behind it."""

    code: str
    name: str
    score: float
    because: list[str]


class NearbyPublic(BaseModel):
    """An open case near an address candidate (its index): perhaps the same problem."""

    id: int
    category: str
    status: str
    distance_m: float
    candidate: int


class ParsePublic(BaseModel):
    """The address found (its words, the geocoder's answer), the complaint, category
    suggestions, whether the call-taker must choose the category, the routing when address
    and category are both confident (else null) and the open cases nearby."""

    found: str
    complaint: str
    address: GeocodePublic
    categories: list[SuggestionPublic]
    uncertain: bool
    routing: dict[str, Any] | None
    nearby: list[NearbyPublic]

    @classmethod
    def of(cls, parsed: Parsed) -> ParsePublic:
        """The public form of a parsed call."""
        parts = parsed.located.parts
        return cls(
            found=parts.address,
            complaint=parts.complaint,
            address=GeocodePublic.of(parsed.located.answer),
            categories=[
                SuggestionPublic(code=s.code, name=s.name, score=s.score, because=s.because)
                for s in parsed.categories
            ],
            uncertain=parsed.uncertain,
            routing=parsed.routing,
            nearby=[
                NearbyPublic(
                    id=n.id,
                    category=n.category,
                    status=n.status,
                    distance_m=n.distance_m,
                    candidate=n.candidate,
                )
                for n in parsed.nearby
            ],
        )
