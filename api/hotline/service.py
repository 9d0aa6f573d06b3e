"""The call-taker's path: find the address and the complaint in a caller's words, geocode
the address, suggest categories, preview the routing and flag an open case nearby.

Every refusal is an ``InvalidInput`` naming the field and what was found in the text.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
from geoalchemy2 import Geography
from geoalchemy2.functions import ST_Distance, ST_DWithin
from sqlalchemy import cast, select
from sqlalchemy.orm import Session, sessionmaker

from api.addresses.service import GEOCODER
from api.cases.models import Case
from api.cases.workflow import OPEN_CASE_STATUSES
from api.config import Settings
from api.db.geometry import to_db
from api.errors import InvalidInput
from api.reports.service import routing_json
from api.routing.service import route_case, rules_from
from geo.call_text import CallParts, split_call
from geo.coords import CoordinateSystem
from geo.geocode import Geocoder
from geo.geocode_answer import Candidate, GeocodeResult
from geo.rules import RuleSet

if TYPE_CHECKING:
    from geo.classify import Suggestion, TrainedModel

SUGGESTIONS = 5


@dataclass(frozen=True)
class Located:
    """An address in a caller's words: the words, the geocoder's answer and the candidate
    taken (None while ambiguous)."""

    parts: CallParts
    answer: GeocodeResult
    chosen: Candidate | None


@dataclass(frozen=True)
class Nearby:
    """An open case near candidate ``candidate`` (its index) of the address."""

    id: int
    category: str
    status: str
    distance_m: float
    candidate: int = 0


@dataclass(frozen=True)
class Parsed:
    """What ``POST /api/hotline/parse`` answers."""

    located: Located
    categories: list[Suggestion]
    uncertain: bool
    routing: dict[str, Any] | None
    nearby: list[Nearby]


def _candidates(answer: GeocodeResult) -> list[dict[str, Any]]:
    return [
        {"text": c.text, "level": c.level, "score": c.score, "lon": c.lon, "lat": c.lat}
        for c in answer.candidates
    ]


def find_address(
    *, geocoder: Geocoder, text: str, field: str, choice: str | None = None
) -> Located:
    """The address in ``text`` geocoded; refused (422 naming ``field``) when the text is
    empty, holds no address, names another city or matches nothing; an ambiguous answer is
    refused too when ``choice`` (the text of one of its candidates) is not given."""
    if not text.strip():
        raise InvalidInput("the text is empty", field=field)
    index = geocoder.index
    names = index.protected | frozenset(index.forms)
    longest = max(index.longest_key, max(map(len, index.forms), default=0))
    parts = split_call(index.key(text), names=names, longest=longest)
    if parts.elsewhere:
        raise InvalidInput(
            f"the address names {parts.elsewhere}, outside the city",
            field=field,
            found=parts.elsewhere,
        )
    if not parts.address:
        raise InvalidInput(f"no address found in {text!r}", field=field, found="")
    answer = geocoder.geocode(parts.address)
    if answer.status == "unknown":
        raise InvalidInput(
            f"{parts.address!r} matches no entry of the address register",
            field=field,
            found=parts.address,
            candidates=[],
        )
    return Located(parts, answer, _chosen(answer, choice, field))


def _chosen(answer: GeocodeResult, choice: str | None, field: str) -> Candidate | None:
    if choice is not None:
        for candidate in answer.candidates:
            if candidate.text == choice:
                return candidate
        raise InvalidInput(
            f"{choice!r} is not one of the candidates",
            field="address_choice",
            candidates=_candidates(answer),
        )
    return answer.candidates[0] if answer.status == "matched" else None


def require_one(located: Located, *, field: str) -> Candidate:
    """The chosen candidate; 422 listing the candidates while the address is ambiguous."""
    if located.chosen is None:
        texts = "、".join(c.text for c in located.answer.candidates)
        raise InvalidInput(
            f"{located.parts.address!r} is ambiguous: {texts}; choose one (address_choice)",
            field=field,
            found=located.parts.address,
            candidates=_candidates(located.answer),
        )
    return located.chosen


def address_record(located: Located) -> dict[str, Any]:
    """The geocoding outcome stored with a report: status and the chosen candidate."""
    chosen = located.chosen
    return {
        "status": located.answer.status,
        "found": located.parts.address,
        "candidate": None
        if chosen is None
        else {
            "text": chosen.text,
            "kind": chosen.kind,
            "level": chosen.level,
            "lon": chosen.lon,
            "lat": chosen.lat,
            "uncertainty_m": chosen.uncertainty_m,
            "score": chosen.score,
            "grid": chosen.grid,
        },
    }


def locate_words(
    *, session: Session, text: str, choice: str | None, field: str
) -> tuple[shapely.Point, dict[str, Any]]:
    """The point (WGS-84) of the address in a caller's words and what a report stores of
    them (the words, the geocoding status, the candidate taken); refused as ``find_address``
    and ``require_one`` refuse."""
    geocoder = GEOCODER.current(session=session)
    located = find_address(geocoder=geocoder, text=text, field=field, choice=choice)
    chosen = require_one(located, field=field)
    return shapely.Point(chosen.lon, chosen.lat), {"text": text, **address_record(located)}


def nearby_open_cases(
    *, session: Session, lon: float, lat: float, radius_m: float, since: datetime, limit: int = 3
) -> list[Nearby]:
    """Open cases created since ``since`` within ``radius_m`` of a point, nearest first."""
    point = to_db(shapely.Point(lon, lat))
    here = cast(point, Geography)
    there = cast(Case.geom, Geography)
    distance = ST_Distance(there, here)
    stmt = (
        select(Case.id, Case.category, Case.status, distance.label("d"))
        .where(
            Case.status.in_([str(s) for s in OPEN_CASE_STATUSES]),
            Case.created_at >= since,
            ST_DWithin(there, here, radius_m),
        )
        .order_by(distance)
        .limit(limit)
    )
    return [Nearby(r.id, r.category, r.status, round(float(r.d), 1)) for r in session.execute(stmt)]


def parse_call(
    *,
    session: Session,
    text: str,
    geocoder: Geocoder,
    model: TrainedModel,
    rules: RuleSet,
    chief_radius_m: float,
    duplicate_radius_m: float,
    duplicate_window: timedelta,
    now: datetime,
) -> Parsed:
    """The address and categories of a caller's words, the routing when both are confident
    and the open cases nearby (within the duplicate radius and window before ``now``)."""
    located = find_address(geocoder=geocoder, text=text, field="text")
    from geo.classify import is_uncertain

    suggestions = model.suggest(located.parts.complaint or text, limit=SUGGESTIONS)
    uncertain = is_uncertain(suggestions)
    best = located.chosen
    routing = None
    if best is not None and not uncertain:
        routed, where = route_case(
            session=session,
            geom=shapely.Point(best.lon, best.lat),
            crs=CoordinateSystem.WGS84,
            category=suggestions[0].code,
            rules=rules,
            accuracy_m=best.uncertainty_m,
            chief_radius_m=chief_radius_m,
        )
        routing = routing_json(routed, where)
    nearby: dict[int, Nearby] = {}
    for i, candidate in enumerate(located.answer.candidates):
        for case in nearby_open_cases(
            session=session,
            lon=candidate.lon,
            lat=candidate.lat,
            radius_m=duplicate_radius_m,
            since=now - duplicate_window,
        ):
            nearby.setdefault(case.id, replace(case, candidate=i))
    return Parsed(located, suggestions, uncertain, routing, list(nearby.values()))


class ModelHolder:
    """The category model, loaded once per process on first use: the saved model if there
    is one, otherwise the one fitted on the data folder's corpus before, kept in the cache
    folder under a digest of what it was fitted from, otherwise fitted now (and cached).

    One load at a time: a caller arriving during a load waits for it and takes it.
    ``loads`` counts them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: TrainedModel | None = None
        self.loads = 0

    def current(self, *, data_dir: Path, path: Path, cache_dir: Path | None = None) -> TrainedModel:
        """The model (scikit-learn is imported here, off the app's import path)."""
        with self._lock:
            if self._model is None:
                self._model = _load_or_fit(data_dir, path, cache_dir)
                self.loads += 1
            return self._model

    def forget(self) -> None:
        """Drop the model (the next call loads it again)."""
        with self._lock:
            self._model = None


def _load_or_fit(data_dir: Path, path: Path, cache_dir: Path | None) -> TrainedModel:
    from geo.classify import fit, load_model, read_training_data

    if path.exists():
        return load_model(path)
    cached = None if cache_dir is None else cache_dir / f"categories-{_digest(data_dir)}.pkl"
    if cached is not None and cached.exists():
        with suppress(OSError, ValueError, pickle.UnpicklingError, AttributeError):
            return load_model(cached)
    data = read_training_data(data_dir)
    model = fit(data.corpus, categories=data.categories, keywords=data.keywords)
    if cached is not None:
        with suppress(OSError):  # a read-only home fits again next time
            partial = model.save(cached.with_suffix(f".{os.getpid()}.part"))
            os.replace(partial, cached)
    return model


def _digest(data_dir: Path) -> str:
    """What a fitted model depends on: the catalogue, corpus and keyword files, the
    classifier's code and scikit-learn's version."""
    import sklearn

    import geo.classify

    digest = hashlib.sha256(sklearn.__version__.encode())
    for file in (
        data_dir / "categories.csv",
        data_dir / "complaints" / "corpus.csv",
        data_dir / "complaints" / "keywords.csv",
        Path(geo.classify.__file__),
    ):
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


MODEL = ModelHolder()
"""The process's category model."""


def warm_up(*, sessions: sessionmaker[Session], settings: Settings) -> threading.Thread:
    """Build the geocoder, load the category model and read the duty rules in a daemon
    thread, so that the first call does not wait for them (a call during the warm-up waits
    for the build under way, never starts a second one). Failures are left to the first
    call, which meets them again and answers them (no boundaries loaded: a 409)."""

    def warm() -> None:
        with suppress(Exception), sessions() as session:
            GEOCODER.current(session=session)
        with suppress(Exception):
            current_model(settings)
        with suppress(Exception):
            rules_from(settings.data_dir)  # the duty rules a parse routes with

    thread = threading.Thread(target=warm, name="gridwhistle-warm-up", daemon=True)
    thread.start()
    return thread


def current_model(settings: Settings) -> TrainedModel:
    """The process's category model for ``settings``' data folder and home."""
    home = settings.home
    return MODEL.current(
        data_dir=settings.data_dir,
        path=home / "models" / "categories.pkl",
        cache_dir=home / "cache",
    )
