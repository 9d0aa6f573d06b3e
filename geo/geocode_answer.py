"""What the geocoder answers, and the rules that rank candidates and call them ambiguous.

A candidate is ranked by its score, then by how many of the areas named in the text it
lies in, then by level (finer first) and uncertainty. A rival of the best candidate is
within ``AMBIGUITY_MARGIN`` points of it, more than ``SAME_PLACE_M`` away, and not merely a
coarser answer (a road, a street) whose uncertainty holds the best one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from geo.crs import metric_xy

MATCH_THRESHOLD = 70.0
AMBIGUITY_MARGIN = 5.0
SAME_PLACE_M = 50.0
LEVEL_ORDER = ("plate", "compound", "poi", "road", "community", "street")

Status = Literal["matched", "ambiguous", "unknown"]


@dataclass(frozen=True)
class Candidate:
    """One answer: where, how sure, how far the match got and which parts it matched."""

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


@dataclass(frozen=True)
class GeocodeResult:
    """``matched``, ``ambiguous`` or ``unknown``, with the candidates best first."""

    status: Status
    candidates: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class ReverseResult:
    """The nearest register entry to a point, and the point described from it."""

    text: str
    entry: Candidate
    distance_m: float
    direction: str


def rank(candidate: Candidate) -> tuple[float, int, int, float]:
    """Best first: score, then agreement with the areas named, level, uncertainty."""
    agreed = sum(part in candidate.matched for part in ("district", "street", "community"))
    level = LEVEL_ORDER.index(candidate.level)
    return (-candidate.score, -agreed, level, candidate.uncertainty_m)


def distinct(candidates: list[Candidate]) -> list[Candidate]:
    """The first candidate of each text (candidates come ranked)."""
    seen: set[str] = set()
    out = []
    for candidate in candidates:
        if candidate.text not in seen:
            seen.add(candidate.text)
            out.append(candidate)
    return out


def _distance_m(a: Candidate, b: Candidate) -> float:
    xa, ya = metric_xy(a.lon, a.lat)
    xb, yb = metric_xy(b.lon, b.lat)
    return float(math.hypot(xa - xb, ya - yb))


def consistent(best: Candidate, other: Candidate) -> bool:
    """True when ``other`` is no rival: the same place, or a coarser answer holding ``best``."""
    distance = _distance_m(best, other)
    if distance <= SAME_PLACE_M:
        return True
    coarser = LEVEL_ORDER.index(other.level) > LEVEL_ORDER.index(best.level)
    return coarser and distance <= other.uncertainty_m
