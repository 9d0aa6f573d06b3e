"""Submit reports: idempotent per reporter and key, located and routed, deduplicated."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth.roles import Action, Actor, CaseScope, allowed
from api.cases.models import Case
from api.db import driver
from api.errors import Conflict, Forbidden, InvalidInput
from api.reports import store
from api.reports.models import Report
from api.reports.store import CaseRow, NewReport
from api.routing.service import route_case
from geo.coords import CoordinateSystem, geometry_to_wgs84
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
    """Configurable limits of report submission."""

    max_photos: int = 4
    max_photo_bytes: int = 2 * 1024 * 1024
    duplicate_radius_m: float = 50.0
    duplicate_window: timedelta = timedelta(hours=72)
    chief_radius_m: float = 150.0


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


_GENERIC_PLANS = text(f"SELECT {store.GENERIC_PLANS}")
_LOCK = text(
    "SELECT pg_advisory_xact_lock("
    + store.LOCK_KEY.format(reporter="CAST(:reporter AS bigint)", key="CAST(:key AS text)")
    + f"), {store.GENERIC_PLANS}"
)


_REPLAY = text(
    "SELECT r.id, r.request_hash, r.routing, r.attached, c.id AS case_id, c.status, "
    "c.report_count FROM reports r JOIN cases c ON c.id = r.case_id "
    "WHERE r.reporter_id = :reporter AND r.idempotency_key = :key"
)


def _replay(session: Session, actor: Actor, key: str, fingerprint: str) -> Submitted | None:
    rows = driver.execute(session, _REPLAY, {"reporter": actor.id, "key": key})
    if not rows:
        return None
    row = rows[0]
    if row.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was already used for a different report", field="idempotency_key"
        )
    return Submitted(
        report_id=row.id,
        case=CaseRow(row.case_id, row.status, row.report_count),
        routing=row.routing,
        replayed=True,
        attached=row.attached,
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


def submit(
    *,
    session: Session,
    actor: Actor,
    geometry: BaseGeometry,
    crs: CoordinateSystem,
    category: str,
    description: str,
    source: str,
    reporter_name: str,
    accuracy_m: float | None,
    photos: list[dict[str, str]],
    idempotency_key: str | None,
    rules: RuleSet,
    limits: Limits,
    at: datetime,
    key_locked: bool = False,
) -> Submitted:
    """Locate, route and store a report; attach it to a duplicate case or open a new one."""
    payload = {
        "geometry": shapely.geometry.mapping(geometry),
        "crs": str(crs),
        "category": category,
        "description": description,
        "source": source,
        "accuracy_m": accuracy_m,
        "photos": [hashlib.sha256(p.get("data", "").encode()).hexdigest() for p in photos],
    }
    fingerprint = request_hash(payload)
    # Retries of one key wait for each other (a transaction-scoped advisory lock); and the
    # statements below have the same shape every time, so PostgreSQL plans each once per
    # connection (generic plans) rather than per call, which for the locate-and-route
    # statement costs more than running it. ``key_locked``: the caller did both already
    # (``store.authenticate_and_lock``).
    if idempotency_key:
        if not key_locked:
            driver.execute(session, _LOCK, {"reporter": actor.id, "key": idempotency_key})
        replay = _replay(session, actor, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    elif not key_locked:
        driver.execute(session, _GENERIC_PLANS, {})
    checked = decode_photos(photos, limits)
    routing, located = route_case(
        session=session,
        geom=geometry,
        crs=crs,
        category=category,
        rules=rules,
        accuracy_m=accuracy_m,
        chief_radius_m=limits.chief_radius_m,
    )
    scope = CaseScope(community=None, streets=tuple(s.code for s in routing.streets))
    if not allowed(actor, Action.REPORT, scope):
        raise Forbidden(
            f"{actor.role} {actor.jurisdiction} may not report outside its jurisdiction "
            f"(the location is in {', '.join(scope.streets)})",
            field="geometry",
        )
    wgs = geometry_to_wgs84(geometry, crs)
    new = NewReport(
        reporter=actor,
        reporter_name=reporter_name or actor.name,
        source=source,
        category=category,
        description=description,
        crs=str(crs),
        accuracy_m=accuracy_m,
        geom=wgs,
        generation=routing.generation,
        routing=routing_json(routing, located),
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        at=at,
    )
    photos_in = [(p.content_type, p.data, hashlib.sha256(p.data).hexdigest()) for p in checked]
    stored = store.insert_case_unless_duplicate(
        session=session,
        report=new,
        position=wgs if isinstance(wgs, shapely.Point) else wgs.representative_point(),
        streets=[(s.code, s.district_code, s.share) for s in routing.streets],
        joint=routing.joint,
        photos=photos_in,
        since=at - limits.duplicate_window,
        radius_m=limits.duplicate_radius_m,
    )
    attached = isinstance(stored, store.Duplicate)
    if isinstance(stored, store.Duplicate):
        case = store.attach(session=session, case_id=stored.case_id)
        report_id = store.insert_report(session=session, report=new, case=case, photos=photos_in)
    else:
        case, report_id = stored
    return Submitted(
        report_id=report_id,
        case=case,
        routing=new.routing,
        replayed=False,
        attached=attached,
    )
