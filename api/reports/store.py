"""The writes of a report submission as few statements as possible (Core SQL, no ORM flush).

A new report takes one statement that either finds (and locks) the open case it duplicates
or inserts the new case, its streets, the report and both events; a duplicate then takes one
statement that bumps the case's reporter count and one that inserts the report and its event.
Events of a case get ascending ids in the order they happened.
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
from api.auth.service import ACTOR_SQL, actor_of_row, token_hash
from api.cases.workflow import OPEN_CASE_STATUSES, CaseStatus
from api.db import driver
from api.db.geometry import to_ewkb_hex
from api.reports.models import ReportPhoto

GEOM = "ST_GeomFromEWKB(decode(CAST(:{} AS text), 'hex'))"

# The advisory-lock key of a reporter's Idempotency-Key: the first 8 bytes of
# sha256("<reporter id>:<key>") as a signed bigint.
LOCK_KEY = (
    "('x' || left(encode(sha256(convert_to(CAST({reporter} AS text) || ':' || {key}, "
    "'UTF8')), 'hex'), 16))::bit(64)::bigint"
)
GENERIC_PLANS = "set_config('plan_cache_mode', 'force_generic_plan', true)"

# The reporter of a bearer token, with the key's lock taken (when there is a key) and generic
# plans for the rest of the transaction: the first statement of a submission.
_ACTOR_AND_LOCK = text(
    ACTOR_SQL.format(
        extra=", CASE WHEN CAST(:key AS text) IS NULL THEN NULL ELSE (SELECT 1 FROM (SELECT "
        "pg_advisory_xact_lock("
        + LOCK_KEY.format(reporter="u.id", key="CAST(:key AS text)")
        + f")) l) END AS locked, {GENERIC_PLANS}"
    )
)

_EVENT_COLUMNS = "case_id, at, actor_id, actor_role, actor_name, kind, from_status, to_status, data"

# The oldest open case of the category near the report, locked; a new case is only inserted
# when there is none (then nothing is locked: two simultaneous first reports of one problem
# may open two cases, which triage merges).
_DUPLICATE = (
    "SELECT id FROM cases WHERE category = :category AND status = ANY(:statuses) "
    "AND created_at >= :since "
    # the bbox test (1 degree >= 80 km here) lets the GiST index narrow the search
    f"AND geom && ST_Expand({GEOM.format('geom')}, :r / 80000.0) "
    f"AND ST_DWithin(geom::geography, {GEOM.format('geom')}::geography, :r) "
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

# Unless there is a duplicate: a new case, its streets, the report and both events in one
# statement. The two events are inserted by one INSERT … SELECT … ORDER BY, so ``case:new``
# gets the smaller id.
_NEW_CASE = text(
    f"WITH d AS ({_DUPLICATE}), "
    "c AS ("
    "INSERT INTO cases (status, category, description, geom, position, generation, grid_code, "
    "community_code, lead_street_code, district_code, routing, report_count, created_by, "
    "created_at) SELECT :status, :category, :description, "
    f"{GEOM.format('geom')}, {GEOM.format('position')}, :generation, :grid_code, "
    ":community_code, :lead_street_code, :district_code, CAST(:routing AS jsonb), 1, "
    ":created_by, :at WHERE NOT EXISTS (SELECT 1 FROM d) RETURNING id), "
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
    "SELECT (SELECT id FROM d) AS duplicate, (SELECT id FROM c) AS case_id, "
    "(SELECT id FROM r) AS report_id"
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


def authenticate_and_lock(*, session: Session, token: str, key: str | None) -> Actor | None:
    """The active user of a bearer token, with its Idempotency-Key locked (one statement)."""
    rows = driver.execute(session, _ACTOR_AND_LOCK, {"h": token_hash(token), "key": key})
    return actor_of_row(rows[0]) if rows else None


def _actor(actor: Actor) -> dict[str, Any]:
    return {"actor_id": actor.id or None, "actor_role": str(actor.role), "actor_name": actor.name}


def attach(*, session: Session, case_id: int) -> CaseRow:
    """Count one more reporter on a (locked) case."""
    ((status, count),) = driver.execute(session, _ATTACH, {"id": case_id})
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


@dataclass(frozen=True)
class Duplicate:
    """The open case a report duplicates (locked until the transaction ends)."""

    case_id: int


def insert_case_unless_duplicate(
    *,
    session: Session,
    report: NewReport,
    position: BaseGeometry,
    streets: list[tuple[str, str, float]],
    joint: bool,
    photos: list[tuple[str, bytes, str]],
    since: datetime,
    radius_m: float,
) -> tuple[CaseRow, int] | Duplicate:
    """The oldest open case of the category within ``radius_m`` created since ``since``, locked;
    or, when there is none, a new case with its streets (lead first), the report and their
    events: (case, report id)."""
    routing = report.routing
    status = str(CaseStatus.NEW)
    ((duplicate, case_id, report_id),) = driver.execute(
        session,
        _NEW_CASE,
        {
            **_report_params(report, attached=False),
            "statuses": [str(s) for s in OPEN_CASE_STATUSES],
            "since": since,
            "r": radius_m,
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
    )
    if duplicate is not None:
        return Duplicate(int(duplicate))
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
        driver.execute(
            session,
            _REPORT,
            {
                **_report_params(report, attached=True),
                "case_id": case.id,
                "kind": "report:attached",
                "event": json.dumps({"reporters": case.report_count}),
            },
        )[0][0]
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
