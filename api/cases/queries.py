"""Read-side queries: what an actor may see, case details, overdue obligations, GeoJSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import ColumnElement, and_, cast, exists, false, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from api.addresses.service import GEOCODER, describe_positions
from api.auth.roles import Actor, Role
from api.cases.models import Case, CaseStreet
from api.photos.queries import case_photos
from api.reports.models import Report
from api.routing.schemas import CaseRouting
from api.whistles.models import Assignment, Whistle

LIVE = ("dispatched", "acknowledged", "on_site")
MERGEABLE = ("new", "whistled", "disputed")  # the open cases a duplicate may merge into


def visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the cases ``actor`` may see."""
    j = actor.jurisdiction
    streets = select(CaseStreet.case_id).where(CaseStreet.case_id == Case.id)
    match actor.role:
        case Role.ADMIN:
            return true()
        case Role.ANALYST:
            return (
                true() if j is None else exists(streets.where(CaseStreet.street_code.startswith(j)))
            )
        case Role.STREET:
            return exists(streets.where(CaseStreet.street_code == j))
        case Role.DISTRICT:
            return exists(streets.where(CaseStreet.district_code == j))
        case Role.COMMUNITY:
            return Case.community_code.startswith(j or "-")
        case Role.DEPARTMENT:
            mine = aliased(Assignment)
            return exists(select(mine.id).where(mine.case_id == Case.id, mine.department_code == j))
        case Role.GRID_WORKER | Role.CHIEF | Role.HOTLINE:
            return exists(
                select(Report.id).where(Report.case_id == Case.id, Report.reporter_id == actor.id)
            )
    return false()


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL condition: a live assignment with an obligation past due."""
    return and_(
        Assignment.status.in_(LIVE),
        or_(
            and_(Assignment.acknowledged_at.is_(None), Assignment.acknowledge_due_at < now),
            and_(Assignment.on_site_at.is_(None), Assignment.on_site_due_at < now),
            and_(Assignment.resolved_at.is_(None), Assignment.resolve_due_at < now),
        ),
    )


def overdue_obligations(assignment: Assignment, now: datetime) -> list[str]:
    """Which obligations of a live assignment are past due (and not yet met)."""
    if assignment.status not in LIVE:
        return []
    checks = (
        ("acknowledge", assignment.acknowledged_at, assignment.acknowledge_due_at),
        ("on_site", assignment.on_site_at, assignment.on_site_due_at),
        ("resolve", assignment.resolved_at, assignment.resolve_due_at),
    )
    return [name for name, done, due in checks if done is None and due < now]


def case_detail(*, session: Session, case: Case, now: datetime) -> dict[str, Any]:
    """A case with its streets, whistles, assignments and photos (as plain data)."""
    streets = session.scalars(
        select(CaseStreet)
        .where(CaseStreet.case_id == case.id)
        .order_by(CaseStreet.role != "lead", CaseStreet.street_code)
    ).all()
    whistles = session.scalars(
        select(Whistle).where(Whistle.case_id == case.id).order_by(Whistle.id)
    ).all()
    assignments = session.scalars(
        select(Assignment).where(Assignment.case_id == case.id).order_by(Assignment.id)
    ).all()
    geometry = session.scalar(select(func.ST_AsGeoJSON(Case.geom, 7)).where(Case.id == case.id))
    return {
        "address": near_address(session=session, case_id=case.id),
        **{
            c.name: getattr(case, c.name)
            for c in Case.__table__.columns
            if c.name not in ("geom", "position")
        },
        "geometry": json.loads(geometry) if geometry else None,
        "streets": streets,
        "whistles": whistles,
        "assignments": [
            {
                **{
                    c.name: getattr(a, c.name)
                    for c in Assignment.__table__.columns
                    if c.name != "on_site_position"
                },
                "overdue": overdue_obligations(a, now),
            }
            for a in assignments
        ],
        "photos": case_photos(session=session, case_id=case.id),
    }


def near_address(*, session: Session, case_id: int) -> str | None:
    """A case's position described from the nearest register entry within 100 m
    ("平昌街1号东侧约30米"), None when there is none."""
    lon, lat = session.execute(
        select(func.ST_X(Case.position), func.ST_Y(Case.position)).where(Case.id == case_id)
    ).one()
    found = GEOCODER.current(session=session).reverse(float(lon), float(lat))
    return None if found is None else found.text


def cases_geojson(
    *,
    session: Session,
    actor: Actor,
    status: str | None = None,
    category: str | None = None,
    street: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Visible cases as a GeoJSON FeatureCollection (paginated, newest first)."""
    conditions = [visible(actor)]
    if status:
        conditions.append(Case.status == status)
    if category:
        conditions.append(Case.category.startswith(category))
    if street:
        conditions.append(
            exists(
                select(CaseStreet.case_id).where(
                    CaseStreet.case_id == Case.id, CaseStreet.street_code == street
                )
            )
        )
    if bbox:
        conditions.append(Case.geom.intersects(func.ST_MakeEnvelope(*bbox, 4326)))
    if since:
        conditions.append(Case.created_at >= since)
    if until:
        conditions.append(Case.created_at < until)
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(Case).where(where)) or 0
    rows = session.execute(
        select(
            Case,
            func.ST_AsGeoJSON(Case.geom, 7),
            func.ST_X(Case.position),
            func.ST_Y(Case.position),
        )
        .where(where)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    # the page's positions came with its rows: described in one search of the register
    addresses = describe_positions(session=session, points=[(r[2], r[3]) for r in rows])
    features = [
        {
            "type": "Feature",
            "id": case.id,
            "geometry": json.loads(geometry),
            "properties": {
                "id": case.id,
                "status": case.status,
                "category": case.category,
                "description": case.description,
                "lead_street_code": case.lead_street_code,
                "district_code": case.district_code,
                "community_code": case.community_code,
                "report_count": case.report_count,
                "created_at": case.created_at.isoformat(),
                "joint": CaseRouting.of(case.routing).joint,
                "routing": routing_summary(CaseRouting.of(case.routing)),
                "address": address,
            },
        }
        for (case, geometry, _, _), address in zip(rows, addresses, strict=True)
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def routing_summary(routing: CaseRouting) -> dict[str, Any]:
    """What a queue shows of a routing: streets, the overall lead, whistle type, ambiguity."""
    lead = routing.overall_lead
    return {
        "streets": [{"code": s.code, "name": s.name, "share": s.share} for s in routing.streets],
        "overall_lead": None if lead is None else {"code": lead.code, "name": lead.name},
        "departments": len(routing.departments),
        "whistle_type": routing.whistle_type,
        "ambiguous": routing.ambiguous,
    }


def _lon_lat(point_json: str) -> list[float]:
    return [round(float(v), 7) for v in json.loads(point_json)["coordinates"][:2]]


def duplicates(
    *, session: Session, actor: Actor, case: Case, radius_m: float, window: timedelta
) -> dict[str, Any]:
    """Open cases of the same category within ``radius_m`` and ``window`` of ``case``.

    The candidates a duplicate may be merged into (new, whistled or disputed), nearest
    first, limited to what ``actor`` may see; positions are given so a map can link them.
    """
    me = aliased(Case)
    near = func.ST_DWithin(cast(Case.geom, Geography), cast(me.geom, Geography), radius_m)
    distance = func.ST_Distance(cast(Case.geom, Geography), cast(me.geom, Geography))
    rows = session.execute(
        select(Case, distance, func.ST_AsGeoJSON(Case.position, 7))
        .join(me, me.id == case.id)
        .where(
            Case.id != case.id,
            Case.category == me.category,
            Case.status.in_(MERGEABLE),
            Case.created_at >= me.created_at - window,
            Case.created_at <= me.created_at + window,
            # the bbox test (1 degree >= 80 km here) lets the GiST index narrow the search
            Case.geom.intersects(func.ST_Expand(me.geom, radius_m / 80_000.0)),
            near,
            visible(actor),
        )
        .order_by(distance, Case.id)
        .limit(20)
    ).all()
    position = session.scalar(select(func.ST_AsGeoJSON(Case.position, 7)).where(Case.id == case.id))
    return {
        "case_id": case.id,
        "position": _lon_lat(position) if position else None,
        "radius_m": radius_m,
        "window_hours": window.total_seconds() / 3600,
        "duplicates": [
            {
                "id": other.id,
                "status": other.status,
                "category": other.category,
                "description": other.description,
                "lead_street_code": other.lead_street_code,
                "report_count": other.report_count,
                "created_at": other.created_at,
                "distance_m": round(float(metres), 1),
                "position": _lon_lat(point),
            }
            for other, metres, point in rows
        ],
    }
