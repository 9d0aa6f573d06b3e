"""The writes of a report submission as few statements as possible (Core SQL, no ORM flush).

A new report takes the duplicate lookup (which locks the case it finds), then either one
statement that inserts the case, its streets, the report and both events, or one that bumps
the found case's reporter count and one that inserts the report and its event. Events of a
case get ascending ids in the order they happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from api.auth.roles import Actor
from api.cases.workflow import OPEN_CASE_STATUSES, CaseStatus
from api.db.geometry import to_ewkb_hex
from api.reports.models import ReportPhoto

GEOM = "ST_GeomFromEWKB(decode(CAST(:{} AS text), 'hex'))"

_EVENT_COLUMNS = "case_id, at, actor_id, actor_role, actor_name, kind, from_status, to_status, data"

_DUPLICATE = text(
    "SELECT id FROM cases WHERE category = :category AND status = ANY(:statuses) "
    "AND created_at >= :since "
    # the bbox test (1 degree >= 80 km here) lets the GiST index narrow the search
    f"AND geom && ST_Expand({GEOM.format('g')}, :r / 80000.0) "
    f"AND ST_DWithin(geom::geography, {GEOM.format('g')}::geography, :r) "
    "ORDER BY created_at LIMIT 1 FOR UPDATE"
)

# A fresh statement after the lock above, so its snapshot sees every committed report.
_ATTACH = text(
    "UPDATE cases SET report_count = "
    "(SELECT count(*) FROM reports WHERE case_id = :id) + 1 "
    "WHERE id = :id RETURNING status, report_count"
)

_REPORT_INSERT = (
    "INSERT INTO reports (case_id, reporter_id, reporter_name, source, category, description, "
    "crs, accuracy_m, geom, generation, routing, idempotency_key, request_hash, attached, "
    "created_at) {values} RETURNING id"
)
_REPORT_VALUES = (
    ":reporter_id, :reporter_name, :source, :category, :description, :crs, :accuracy_m, "
    f"{GEOM.format('geom')}, :generation, CAST(:routing AS jsonb), :key, :hash, :attached, :at"
)

# A new case, its streets, the report and both events in one statement. The two events are
# inserted by one INSERT … SELECT … ORDER BY, so ``case:new`` gets the smaller id.
_NEW_CASE = text(
    "WITH c AS ("
    "INSERT INTO cases (status, category, description, geom, position, generation, grid_code, "
    "community_code, lead_street_code, district_code, routing, report_count, created_by, "
    "created_at) VALUES (:status, :category, :description, "
    f"{GEOM.format('geom')}, {GEOM.format('position')}, :generation, :grid_code, "
    ":community_code, :lead_street_code, :district_code, CAST(:routing AS jsonb), 1, "
    ":created_by, :at) RETURNING id), "
    "s AS (INSERT INTO case_streets (case_id, street_code, district_code, share, role) "
    "SELECT c.id, s.code, s.district, s.share, s.role FROM c, "
    "unnest(CAST(:s_codes AS text[]), CAST(:s_districts AS text[]), "
    "CAST(:s_shares AS float8[]), CAST(:s_roles AS text[])) AS s(code, district, share, role)), "
    "r AS (" + _REPORT_INSERT.format(values=f"SELECT c.id, {_REPORT_VALUES} FROM c") + "), "
    f"e AS (INSERT INTO case_events ({_EVENT_COLUMNS}) "
    "SELECT c.id, :at, :actor_id, :actor_role, :actor_name, v.kind, NULL, v.to_status, "
    "CASE v.ord WHEN 1 THEN CAST(:event AS jsonb) ELSE jsonb_build_object('report_id', r.id) END "
    "FROM c, r, (VALUES (1, 'case:new', :status), (2, 'report:received', NULL)) "
    "AS v(ord, kind, to_status) ORDER BY v.ord) "
    "SELECT c.id, r.id FROM c, r"
)

_REPORT = text(
    "WITH r AS (" + _REPORT_INSERT.format(values=f"VALUES (:case_id, {_REPORT_VALUES})") + "), "
    f"e AS (INSERT INTO case_events ({_EVENT_COLUMNS}) "
    "SELECT :case_id, :at, :actor_id, :actor_role, :actor_name, :kind, NULL, NULL, "
    "jsonb_build_object('report_id', r.id) || CAST(:event AS jsonb) FROM r) "
    "SELECT id FROM r"
)


@dataclass(frozen=True)
class CaseRow:
    """The case a report went to, as the reporter is told about it."""

    id: int
    status: str
    report_count: int


@dataclass(frozen=True)
class NewReport:
    """A located, routed, checked report ready to store."""

    reporter: Actor
    reporter_name: str
    source: str
    category: str
    description: str
    crs: str
    accuracy_m: float | None
    geom: BaseGeometry  # lon/lat
    generation: int
    routing: dict[str, Any]
    idempotency_key: str | None
    request_hash: str
    at: datetime


def _actor(actor: Actor) -> dict[str, Any]:
    return {"actor_id": actor.id or None, "actor_role": str(actor.role), "actor_name": actor.name}


def lock_duplicate(
    *, session: Session, category: str, geom: BaseGeometry, since: datetime, radius_m: float
) -> int | None:
    """The oldest open case of ``category`` within ``radius_m`` created since ``since``, locked."""
    found = session.execute(
        _DUPLICATE,
        {
            "category": category,
            "statuses": [str(s) for s in OPEN_CASE_STATUSES],
            "since": since,
            "g": to_ewkb_hex(geom),
            "r": radius_m,
        },
    ).scalar()
    return None if found is None else int(found)


def attach(*, session: Session, case_id: int) -> CaseRow:
    """Count one more reporter on a (locked) case."""
    status, count = session.execute(_ATTACH, {"id": case_id}).one()
    return CaseRow(case_id, status, count)


def _report_params(report: NewReport, attached: bool) -> dict[str, Any]:
    return {
        "reporter_id": report.reporter.id,
        "reporter_name": report.reporter_name,
        "source": report.source,
        "category": report.category,
        "description": report.description,
        "crs": report.crs,
        "accuracy_m": report.accuracy_m,
        "geom": to_ewkb_hex(report.geom),
        "generation": report.generation,
        "routing": json.dumps(report.routing, ensure_ascii=False),
        "key": report.idempotency_key,
        "hash": report.request_hash,
        "attached": attached,
        "at": report.at,
        **_actor(report.reporter),
    }


def insert_case(
    *,
    session: Session,
    report: NewReport,
    position: BaseGeometry,
    streets: list[tuple[str, str, float]],
    joint: bool,
    photos: list[tuple[str, bytes, str]],
) -> tuple[CaseRow, int]:
    """A new case with its streets (lead first), the report, their events; (case, report id)."""
    routing = report.routing
    status = str(CaseStatus.NEW)
    case_id, report_id = session.execute(
        _NEW_CASE,
        {
            **_report_params(report, attached=False),
            "status": status,
            "position": to_ewkb_hex(position),
            "grid_code": routing["grid_code"],
            "community_code": routing["community_code"],
            "lead_street_code": streets[0][0],
            "district_code": streets[0][1],
            "created_by": report.reporter.id or None,
            "s_codes": [s[0] for s in streets],
            "s_districts": [s[1] for s in streets],
            "s_shares": [s[2] for s in streets],
            "s_roles": ["lead" if i == 0 else "partner" for i in range(len(streets))],
            "event": json.dumps({"streets": [s[0] for s in streets], "joint": joint}),
        },
    ).one()
    _insert_photos(session, int(report_id), photos)
    return CaseRow(int(case_id), status, 1), int(report_id)


def insert_report(
    *,
    session: Session,
    report: NewReport,
    case: CaseRow,
    photos: list[tuple[str, bytes, str]],
) -> int:
    """A report attached to an open case, its photos and its event on the case; its id."""
    report_id = int(
        session.execute(
            _REPORT,
            {
                **_report_params(report, attached=True),
                "case_id": case.id,
                "kind": "report:attached",
                "event": json.dumps({"reporters": case.report_count}),
            },
        ).scalar_one()
    )
    _insert_photos(session, report_id, photos)
    return report_id


def _insert_photos(session: Session, report_id: int, photos: list[tuple[str, bytes, str]]) -> None:
    """Photos as (type, bytes, sha256)."""
    if photos:
        session.execute(
            insert(ReportPhoto),
            [
                {
                    "report_id": report_id,
                    "content_type": kind,
                    "size": len(data),
                    "sha256": digest,
                    "data": data,
                }
                for kind, data, digest in photos
            ],
        )
