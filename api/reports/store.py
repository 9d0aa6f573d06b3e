"""The statements of a report submission (raw SQL, no ORM flush, no locks of our own).

``opening``: the reporter of a bearer token and the report already stored under the
Idempotency-Key. ``write``: one statement that attaches the report to the open case it
duplicates or opens a new case with its streets, and stores the report, its photos and the
events. Events of a case get ascending ids in the order they happened. A submission on a
session (Open311, the simulation, footprints) runs both; a point submitted to the API
(``api.reports.loop``) usually the write alone, guarded: it re-checks the token, the key and
the generation itself.

Retries racing each other: both may find no stored report and both write; the unique index
on (reporter, key) makes the second write wait for the first and fail if it committed
(``lost_race``), and the caller starts again, which then finds the report (a replay).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from psycopg.errors import UniqueViolation
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.auth.roles import Actor
from api.auth.service import ACTOR_COLUMNS, TOKEN_USER, actor_of_row, token_hash
from api.cases.workflow import OPEN_CASE_STATUSES, CaseStatus
from api.db.geometry import to_ewkb_hex
from api.db.statements import Query

GEOM = "ST_GeomFromEWKB(decode(CAST(:{} AS text), 'hex'))"

# Generic plans: the write has the same shape every time, and planning it costs more than
# running it. The event-loop pool sets this on its connections.
PLAN_CACHE_MODE = "force_generic_plan"
# The unique index that makes a reporter's Idempotency-Key store one report, whatever races.
KEY_INDEX = "uq_reports_reporter_key"
# A constraint refused a write: SQLAlchemy's error on sessions (around psycopg's), asyncpg's
# on the event loop (``lost_race`` tells the unique key's).
UNIQUE_VIOLATIONS = (IntegrityError, asyncpg.UniqueViolationError)
_OPEN = [str(s) for s in OPEN_CASE_STATUSES]
_NEW = str(CaseStatus.NEW)

# The report a reporter already stored under an Idempotency-Key, as one JSON array.
_STORED = (
    "SELECT json_build_array(r.id, r.request_hash, r.routing, r.attached, c.id, c.status, "
    "c.report_count) AS stored FROM reports r JOIN cases c ON c.id = r.case_id "
    "WHERE r.reporter_id = {reporter} AND r.idempotency_key = CAST(:key AS text)"
)

# The first statement of a submission on a session: the actor of a bearer token (``:h``;
# NULL: unknown or revoked) and the report stored under the key by that reporter (or by the
# actor ``:reporter``, for a submission by an actor).
_OPENING = text(
    f"SELECT (SELECT json_build_array({ACTOR_COLUMNS}) {TOKEN_USER}) AS reporter, ("
    + _STORED.format(reporter=f"COALESCE(CAST(:reporter AS bigint), (SELECT u.id {TOKEN_USER}))")
    + ") AS replay"
)

_EVENT_COLUMNS = "case_id, at, actor_id, actor_role, actor_name, kind, from_status, to_status, data"

# All the writes of a submission in one statement. Raw SQL: data-modifying CTEs make the
# submission one atomic statement, one round trip, with no locks of its own but the
# duplicate's row.
#
# ``gate``: whether to write. A guarded write (``:guarded``, the event loop's) writes only if
# the bearer token (``:h``) still belongs to the actor the app remembered for it, no report is
# stored under the key yet and the generation the report was routed in is still the active
# one; and it always answers with the token's actor, the stored report and the active
# generation, so the app can tell which of these failed. An unguarded write (on a session,
# after the opening statement) always writes.
#
# ``d``: the oldest open case of the category near the report, locked. Only when there is none
# is a new case ``c`` inserted with its streets (then nothing is locked: two simultaneous
# first reports of one problem may open two cases, which triage merges); otherwise ``u``
# counts one more reporter (an UPDATE re-reads a row another transaction changed meanwhile,
# so the count is never lost). Then the report, its photos and the events: ``case:new`` +
# ``report:received`` or ``report:attached``, inserted by one INSERT … SELECT … ORDER BY so
# they get ascending ids in that order.
_WRITE = text(
    f"WITH who AS (SELECT {ACTOR_COLUMNS} {TOKEN_USER}), "
    "old AS (" + _STORED.format(reporter=":reporter_id") + "), "
    "now AS (SELECT max(id) AS gen FROM generations), "
    "ok AS (SELECT 1 FROM who u, now WHERE u.id = :reporter_id "
    "AND u.role = CAST(:actor_role AS text) "
    "AND u.jurisdiction IS NOT DISTINCT FROM CAST(:jurisdiction AS text) "
    "AND u.display_name = CAST(:actor_name AS text) AND now.gen = :generation "
    "AND NOT EXISTS (SELECT 1 FROM old)), "
    "gate AS (SELECT NOT CAST(:guarded AS boolean) OR EXISTS (SELECT 1 FROM ok) AS open), "
    "d AS (SELECT id FROM cases WHERE (SELECT open FROM gate) AND category = :category "
    "AND status = ANY(:statuses) AND created_at >= :since "
    # the bbox test (1 degree >= 80 km here) lets the GiST index narrow the search
    f"AND geom && ST_Expand({GEOM.format('geom')}, CAST(:r AS float8) / 80000) "
    f"AND ST_DWithin(geom::geography, {GEOM.format('geom')}::geography, CAST(:r AS float8)) "
    "ORDER BY created_at LIMIT 1 FOR UPDATE), "
    "u AS (UPDATE cases SET report_count = report_count + 1 "
    "WHERE id = (SELECT id FROM d) RETURNING id, status, report_count), "
    "c AS ("
    "INSERT INTO cases (status, category, description, geom, position, generation, grid_code, "
    "community_code, lead_street_code, district_code, routing, report_count, created_by, "
    "created_at) SELECT :status, :category, :description, "
    f"{GEOM.format('geom')}, {GEOM.format('position')}, :generation, :grid_code, "
    ":community_code, :lead_street_code, :district_code, CAST(:routing AS jsonb), 1, "
    ":created_by, :at WHERE (SELECT open FROM gate) AND NOT EXISTS (SELECT 1 FROM d) "
    "RETURNING id, status, report_count), "
    "k AS (SELECT id, status, report_count, false AS attached FROM c "
    "UNION ALL SELECT id, status, report_count, true FROM u), "
    "s AS (INSERT INTO case_streets (case_id, street_code, district_code, share, role) "
    "SELECT c.id, s.code, s.district, s.share, s.role FROM c, "
    "unnest(CAST(:s_codes AS text[]), CAST(:s_districts AS text[]), "
    "CAST(:s_shares AS float8[]), CAST(:s_roles AS text[])) AS s(code, district, share, role)), "
    "r AS (INSERT INTO reports (case_id, reporter_id, reporter_name, source, category, "
    "description, crs, accuracy_m, geom, generation, routing, idempotency_key, request_hash, "
    "attached, created_at, address_text, address_status, address_candidate) "
    "SELECT k.id, :reporter_id, :reporter_name, :source, :category, "
    f":description, :crs, :accuracy_m, {GEOM.format('geom')}, :generation, "
    "CAST(:routing AS jsonb), :key, :hash, k.attached, :at, CAST(:address_text AS text), "
    "CAST(:address_status AS text), CAST(:address_candidate AS jsonb) FROM k RETURNING id), "
    "p AS (INSERT INTO report_photos (report_id, content_type, size, sha256, data) "
    "SELECT r.id, p.kind, length(p.data), p.sha256, p.data FROM r, "
    "unnest(CAST(:p_kinds AS text[]), CAST(:p_shas AS text[]), CAST(:p_data AS bytea[])) "
    "AS p(kind, sha256, data)), "
    f"e AS (INSERT INTO case_events ({_EVENT_COLUMNS}) "
    "SELECT k.id, :at, :actor_id, :actor_role, :actor_name, v.kind, NULL, v.to_status, "
    "CASE v.kind WHEN 'case:new' THEN CAST(:event AS jsonb) "
    "WHEN 'report:received' THEN jsonb_build_object('report_id', r.id) "
    "ELSE jsonb_build_object('report_id', r.id, 'reporters', k.report_count) END "
    "FROM k, r, (VALUES (1, 'case:new', :status, false), (2, 'report:received', NULL, false), "
    "(3, 'report:attached', NULL, true)) AS v(ord, kind, to_status, attached) "
    "WHERE v.attached = k.attached ORDER BY v.ord) "
    "SELECT (SELECT json_build_array(u.id, u.role, u.jurisdiction, u.display_name) "
    "FROM who u) AS reporter, (SELECT stored FROM old) AS replay, "
    "(SELECT gen FROM now) AS generation, w.* FROM (SELECT 1) AS one LEFT JOIN ("
    "SELECT k.id AS case_id, k.status, k.report_count, k.attached, r.id AS report_id "
    "FROM k, r) AS w ON true"
)


@dataclass(frozen=True)
class CaseRow:
    """The case a report went to, as the reporter is told about it."""

    id: int
    status: str
    report_count: int


@dataclass(frozen=True)
class Replay:
    """The report stored before under a reporter's Idempotency-Key."""

    report_id: int
    request_hash: str
    routing: dict[str, Any]
    attached: bool
    case: CaseRow


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
    # a report located by the caller's words: the words, the geocoding status and the
    # candidate taken (``api.hotline.service.address_record``)
    address: dict[str, Any] | None = None


def opening(who: Actor | str, key: str | None) -> Query:
    """The first statement of a submission by ``who`` (an actor, or a bearer token still to
    check) on a session: its reporter and the report already stored under ``key``."""
    if isinstance(who, Actor):
        return Query(_OPENING, {"h": None, "reporter": who.id, "key": key})
    return Query(_OPENING, {"h": token_hash(who), "reporter": None, "key": key})


def reporter_of(who: Actor | str, row: Any) -> Actor | None:
    """The reporter, from the first statement's row (None: unknown or revoked token)."""
    if isinstance(who, Actor):
        return who
    return None if row.reporter is None else actor_of_row(row.reporter)


def replay_of(row: Any) -> Replay | None:
    """The report already stored under the key, from the first statement's row."""
    if row.replay is None:
        return None
    report_id, request_hash, routing, attached, case_id, status, count = row.replay
    return Replay(report_id, request_hash, routing, attached, CaseRow(case_id, status, count))


def lost_race(exc: Exception) -> bool:
    """Whether a write failed because a retry with the same key stored its report first."""
    cause = getattr(exc, "orig", exc)  # SQLAlchemy's error wraps psycopg's
    diag = getattr(cause, "diag", cause)  # psycopg has it in diag, asyncpg on the error
    return (
        isinstance(cause, UniqueViolation | asyncpg.UniqueViolationError)
        and getattr(diag, "constraint_name", "") == KEY_INDEX
    )


def write(
    *,
    report: NewReport,
    position: BaseGeometry,
    streets: list[tuple[str, str, float]],
    joint: bool,
    photos: list[tuple[str, bytes, str]],
    since: datetime,
    radius_m: float,
    token: str | None = None,
) -> Query:
    """The statement that stores a report: attached to the oldest open case of its category
    within ``radius_m`` created since ``since``, or under a new case with its streets (lead
    first); with its photos (type, bytes, sha256) and events. Read it with ``written``.

    With the bearer ``token`` the reporter was found by, the write is guarded (see
    ``_WRITE``). Read either with ``checked``."""
    routing = report.routing
    reporter = report.reporter
    geom = to_ewkb_hex(report.geom)
    return Query(
        _WRITE,
        {
            "guarded": token is not None,
            "h": None if token is None else token_hash(token),
            "jurisdiction": reporter.jurisdiction,
            "reporter_id": reporter.id,
            "reporter_name": report.reporter_name,
            "source": report.source,
            "category": report.category,
            "description": report.description,
            "crs": report.crs,
            "accuracy_m": report.accuracy_m,
            "geom": geom,
            "generation": report.generation,
            "routing": json.dumps(routing, ensure_ascii=False),
            "key": report.idempotency_key,
            "hash": report.request_hash,
            "at": report.at,
            "actor_id": reporter.id or None,
            "actor_role": str(reporter.role),
            "actor_name": reporter.name,
            "statuses": _OPEN,
            "since": since,
            "r": radius_m,
            "status": _NEW,
            "position": geom if position is report.geom else to_ewkb_hex(position),
            "grid_code": routing["grid_code"],
            "community_code": routing["community_code"],
            "lead_street_code": streets[0][0],
            "district_code": streets[0][1],
            "created_by": reporter.id or None,
            "s_codes": [s[0] for s in streets],
            "s_districts": [s[1] for s in streets],
            "s_shares": [s[2] for s in streets],
            "s_roles": ["lead" if i == 0 else "partner" for i in range(len(streets))],
            "p_kinds": [p[0] for p in photos],
            "p_shas": [p[2] for p in photos],
            "p_data": [p[1] for p in photos],
            "event": json.dumps({"streets": [s[0] for s in streets], "joint": joint}),
            **_address_params(report.address),
        },
    )


def _address_params(address: dict[str, Any] | None) -> dict[str, Any]:
    if address is None:
        return {"address_text": None, "address_status": None, "address_candidate": None}
    candidate = address.get("candidate")
    return {
        "address_text": address["text"],
        "address_status": address["status"],
        "address_candidate": None
        if candidate is None
        else json.dumps(candidate, ensure_ascii=False),
    }


@dataclass(frozen=True)
class Checked:
    """What a guarded write found, and what it wrote (None: the guard held it back)."""

    reporter: Actor | None  # the token's actor now (None: unknown or revoked)
    replay: Replay | None  # the report stored under the key before
    generation: int | None  # the active generation
    # what it wrote: the case, the report id and whether it was attached to an open case
    written: tuple[CaseRow, int, bool] | None


def checked(rows: list[Any]) -> Checked:
    """The answer of a ``write``."""
    (row,) = rows
    return Checked(
        reporter=None if row.reporter is None else actor_of_row(row.reporter),
        replay=replay_of(row),
        generation=row.generation,
        written=None
        if row.case_id is None
        else (CaseRow(row.case_id, row.status, row.report_count), row.report_id, row.attached),
    )
