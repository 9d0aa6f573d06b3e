"""Submit reports: idempotent per reporter and key, located and routed, deduplicated."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from api.auth.roles import Action, Actor, CaseScope, allowed
from api.cases.models import Case
from api.config import Settings
from api.db.statements import Query, rows
from api.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from api.reports import store
from api.reports.models import Report
from api.reports.store import UNIQUE_VIOLATIONS, CaseRow, NewReport, Replay
from api.routing.service import (
    first_receiver,
    lead_tolerance_from,
    point_facts,
    route_case,
    route_point,
)
from geo.coords import CoordinateSystem, geometry_to_wgs84
from geo.facts import CityFacts, PointFacts
from geo.locate import PointLocation
from geo.route import Routing
from geo.rules import RuleSet

MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


@dataclass(frozen=True)
class PhotoIn:
    """A decoded, checked photo."""

    content_type: str
    data: bytes


@dataclass(frozen=True)
class Limits:
    """The limits of a submission, from the settings (one home for their defaults:
    ``api.config.Settings``) and the routing data."""

    max_photos: int
    max_photo_bytes: int
    duplicate_radius_m: float
    duplicate_window: timedelta
    chief_radius_m: float
    # the first-receiver rule's tolerance (a fraction; ``data/routing.toml``), 0: off
    lead_tolerance: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits the settings give."""
        return cls(
            max_photos=settings.max_photos,
            max_photo_bytes=settings.max_photo_bytes,
            duplicate_radius_m=settings.duplicate_radius_m,
            duplicate_window=timedelta(hours=settings.duplicate_window_hours),
            chief_radius_m=settings.chief_radius_m,
            lead_tolerance=lead_tolerance_from(settings.data_dir),
        )


@dataclass(frozen=True)
class Submitted:
    """What happened to a submission."""

    report_id: int
    case: CaseRow
    routing: dict[str, Any]
    replayed: bool  # the same idempotency key was seen before: nothing new was written
    attached: bool  # attached to an existing open case as a duplicate


def decode_photos(photos: list[dict[str, str]], limits: Limits) -> list[PhotoIn]:
    """Decode base64 photos and check count, size and type (by content, not by name)."""
    if len(photos) > limits.max_photos:
        raise InvalidInput(f"at most {limits.max_photos} photos", field="photos")
    checked: list[PhotoIn] = []
    for i, photo in enumerate(photos):
        kind = photo.get("content_type", "")
        if kind not in MAGIC:
            raise InvalidInput(
                f"photo {i}: type must be one of {', '.join(MAGIC)}",
                field=f"photos.{i}.content_type",
            )
        try:
            data = base64.b64decode(photo.get("data", ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(f"photo {i}: data is not base64", field=f"photos.{i}.data") from exc
        if len(data) > limits.max_photo_bytes:
            raise InvalidInput(
                f"photo {i}: {len(data):,} bytes, at most {limits.max_photo_bytes:,}",
                field=f"photos.{i}.data",
            )
        if not data.startswith(MAGIC[kind]) or (kind == "image/webp" and data[8:12] != b"WEBP"):
            raise InvalidInput(f"photo {i}: content is not {kind}", field=f"photos.{i}.data")
        checked.append(PhotoIn(kind, data))
    return checked


def request_hash(payload: dict[str, Any]) -> str:
    """A stable fingerprint of a submission (to tell a retry from a different request)."""
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def answer_replay(replay: Replay | None, fingerprint: str) -> Submitted | None:
    """What a retry is told (the report stored before under its key); a different request
    under the same key is a conflict."""
    if replay is None:
        return None
    if replay.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different report", field="idempotency_key"
        )
    return Submitted(
        report_id=replay.report_id,
        case=replay.case,
        routing=replay.routing,
        replayed=True,
        attached=replay.attached,
    )


def submitted(report: Report, case: Case) -> Submitted:
    """A stored report as the reporter is told about it."""
    return Submitted(
        report_id=report.id,
        case=CaseRow(case.id, case.status, case.report_count),
        routing=report.routing,
        replayed=False,
        attached=report.attached,
    )


def routing_json(routing: Routing, located: PointLocation | None) -> dict[str, Any]:
    """The routing stored with a report and its case."""
    return {
        "joint": routing.joint,
        "streets": [
            {"code": s.code, "name": s.name, "district_code": s.district_code, "share": s.share}
            for s in routing.streets
        ],
        "departments": [
            {
                "code": d.code,
                "name": d.name,
                "district_code": d.district_code,
                "role": d.role,
                "overall_lead": d.overall_lead,
            }
            for d in routing.departments
        ],
        "whistle_type": routing.whistle_type,
        "sla_policy": routing.sla_policy,
        "chief": None
        if routing.chief is None
        else {
            "name": routing.chief.name,
            "title": routing.chief.title,
            "street_or_alley": routing.chief.street_or_alley,
            "distance_m": round(routing.chief.distance_m, 1),
        },
        "explanation": list(routing.explanation),
        "zones": [{"code": z.code, "kind": z.kind, "name": z.name} for z in routing.zones],
        "generation": routing.generation,
        "ambiguous": bool(located and located.ambiguous),
        "candidates": [
            {"code": c.code, "name": c.name, "share": c.share}
            for c in (located.candidates if located else ())
        ],
        "grid_code": located.grid.code if located and located.grid else None,
        "community_code": located.community.code if located and located.community else None,
    }


# a submission that loses a race to store its key starts again (then a replay); more than
# one loss in a row would take a third retry arriving at the same moment
_ATTEMPTS = 3


def start_again_or_raise(exc: Exception, attempt: int, attempts: int = _ATTEMPTS) -> None:
    """After a failed write: return when the submission lost the race for its key and may
    start again (it will then be a replay), raise otherwise."""
    if not store.lost_race(exc) or attempt == attempts - 1:
        raise exc


@dataclass(frozen=True)
class Pending:
    """A submission ready to store: the statement that stores it."""

    write: Query
    routing: dict[str, Any]

    def done(self, written: tuple[CaseRow, int, bool]) -> Submitted:
        """What the reporter is told, from what ``write`` wrote (``store.Checked.written``)."""
        case, report_id, attached = written
        return Submitted(
            report_id=report_id,
            case=case,
            routing=self.routing,
            replayed=False,
            attached=attached,
        )


@dataclass(frozen=True)
class Submission:
    """A report being submitted by ``who`` (an actor, or a bearer token still to check).

    On a session (``run``: Open311, the simulation, footprints): the ``opening`` statement
    finds the reporter of a bearer token and the report a retry already stored under the
    Idempotency-Key; ``settle`` then answers a retry, refuses, or routes the report with
    PostGIS and returns the one statement that stores it (see ``api.reports.store``). A
    retry that loses a race to store the same key starts again and is answered as a replay.
    A point submitted to the API takes ``api.reports.loop`` instead, with the same checks
    and the same write.
    """

    who: Actor | str
    geometry: BaseGeometry
    crs: CoordinateSystem
    category: str
    description: str
    source: str
    reporter_name: str
    accuracy_m: float | None
    photos: list[dict[str, str]]
    idempotency_key: str | None
    rules: RuleSet
    limits: Limits
    at: datetime
    # a hotline report located by the caller's words (``api.hotline.service.address_record``
    # with the words as ``text``); None for a report with a geometry
    address: dict[str, Any] | None = None

    @property
    def wgs(self) -> BaseGeometry:
        """The geometry in WGS-84."""
        return geometry_to_wgs84(self.geometry, self.crs)

    def fingerprint(self) -> str:
        """What tells a retry from a different request under the same key."""
        return request_hash(
            {
                "geometry": shapely.geometry.mapping(self.geometry),
                "crs": str(self.crs),
                "category": self.category,
                "description": self.description,
                "source": self.source,
                "accuracy_m": self.accuracy_m,
                "photos": [
                    hashlib.sha256(p.get("data", "").encode()).hexdigest() for p in self.photos
                ],
                **({} if self.address is None else {"address": self.address}),
            }
        )

    def settle(self, wgs: BaseGeometry, row: Any, session: Session) -> Submitted | Pending:
        """After the opening statement (its ``row``): the answer to a retry, or the write."""
        fingerprint = self.fingerprint()
        actor, replay = self.opened(row, fingerprint)
        if replay is not None:
            return replay
        return self.pending(
            actor=actor,
            fingerprint=fingerprint,
            wgs=wgs,
            route=lambda: self._route(wgs, session, actor),
        )

    def opened(self, row: Any, fingerprint: str) -> tuple[Actor, Submitted | None]:
        """The reporter and the answer to a retry (None: not a retry), from the opening
        statement's row; 401 for an unknown or revoked token."""
        actor = store.reporter_of(self.who, row)
        if actor is None:
            raise Unauthorized("unknown or revoked token", field="authorization")
        return actor, answer_replay(store.replay_of(row), fingerprint)

    def pending(
        self,
        *,
        actor: Actor,
        fingerprint: str,
        wgs: BaseGeometry,
        route: Callable[[], tuple[Routing, PointLocation | None]],
        token: str | None = None,
    ) -> Pending:
        """The write of a report by ``actor``, routed by ``route``, after the checks (photos,
        then the route's, then the actor's jurisdiction); guarded with the ``token`` it was
        found by, if given (``store.write``)."""
        checked = decode_photos(self.photos, self.limits)
        routing, located = route()
        scope = CaseScope(community=None, streets=tuple(s.code for s in routing.streets))
        if not allowed(actor, Action.REPORT, scope):
            raise Forbidden(
                f"{actor.role} {actor.jurisdiction} may not report outside its jurisdiction "
                f"(the location is in {', '.join(scope.streets)})",
                field="geometry",
            )
        new = NewReport(
            reporter=actor,
            reporter_name=self.reporter_name or actor.name,
            source=self.source,
            category=self.category,
            description=self.description,
            crs=str(self.crs),
            accuracy_m=self.accuracy_m,
            geom=wgs,
            generation=routing.generation,
            routing=routing_json(routing, located),
            idempotency_key=self.idempotency_key,
            request_hash=fingerprint,
            at=self.at,
            address=self.address,
        )
        write = store.write(
            report=new,
            position=wgs if isinstance(wgs, shapely.Point) else wgs.representative_point(),
            streets=[(s.code, s.district_code, s.share) for s in routing.streets],
            joint=routing.joint,
            photos=[(p.content_type, p.data, hashlib.sha256(p.data).hexdigest()) for p in checked],
            since=self.at - self.limits.duplicate_window,
            radius_m=self.limits.duplicate_radius_m,
            token=token,
        )
        return Pending(write=write, routing=new.routing)

    def run(self, session: Session) -> Submitted:
        """Submit in the session's transaction (the caller commits). The write runs in a
        savepoint, so a lost race (see ``Submission``) undoes only the write."""
        wgs = self.wgs
        for attempt in range(_ATTEMPTS):
            (row,) = rows(session, store.opening(self.who, self.idempotency_key))
            outcome = self.settle(wgs, row, session)
            if isinstance(outcome, Submitted):
                return outcome
            try:
                with session.begin_nested():
                    found = store.checked(rows(session, outcome.write))
            except UNIQUE_VIOLATIONS as exc:
                start_again_or_raise(exc, attempt)
                continue
            assert found.written is not None  # an unguarded write always writes
            return outcome.done(found.written)
        raise AssertionError("unreachable")

    def point_facts_on(self, session: Session) -> Callable[[float, float], PointFacts]:
        """A point's facts read by PostGIS on ``session``, at this submission's accuracy."""
        return lambda lon, lat: point_facts(
            session=session,
            lon=lon,
            lat=lat,
            accuracy_m=self.accuracy_m,
            generation=None,
            chief_radius_m=self.limits.chief_radius_m,
        )

    def point_facts_in(self, city: CityFacts) -> Callable[[float, float], PointFacts]:
        """A point's facts from ``city`` in memory, at this submission's accuracy."""
        return partial(
            city.at, accuracy_m=self.accuracy_m, chief_radius_m=self.limits.chief_radius_m
        )

    def route_point(
        self, wgs: shapely.Point, facts: Callable[[float, float], PointFacts]
    ) -> tuple[Routing, PointLocation]:
        """Route the point ``wgs`` with its ``facts`` (``point_facts_on``/``point_facts_in``)."""
        return route_point(
            facts=facts, wgs=wgs, crs=self.crs, category=self.category, rules=self.rules
        )

    def _route(
        self, wgs: BaseGeometry, session: Session, actor: Actor
    ) -> tuple[Routing, PointLocation | None]:
        if isinstance(wgs, shapely.Point):
            return self.route_point(wgs, self.point_facts_on(session))
        return route_case(
            session=session,
            geom=self.geometry,
            crs=self.crs,
            category=self.category,
            rules=self.rules,
            accuracy_m=self.accuracy_m,
            chief_radius_m=self.limits.chief_radius_m,
            received=first_receiver(actor, self.limits.lead_tolerance),
        )
