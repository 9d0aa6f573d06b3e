"""Open311 GeoReport v2 over the case workflow (documents as plain data, see ``render``).

Services are the sub-categories of the catalogue; a service request is a case (its id as a
string); a token is a report id. Public reads carry no reporter data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from api.addresses.service import GEOCODER
from api.auth.roles import REPORTING_ROLES, Actor
from api.auth.service import API_SCOPE, OPEN311_SCOPE, actor_of, user_by_token
from api.cases.models import Case, CaseEvent
from api.cases.service import TIMESTAMP
from api.cases.workflow import OPEN_CASE_STATUSES, CaseStatus
from api.config import Settings
from api.deadlines.calendar import TZ
from api.departments.models import Category, Department
from api.errors import Forbidden, InvalidInput, NotFound
from api.geography.models import Area
from api.hotline.service import locate_words
from api.reports.models import Report
from api.reports.service import Limits, Submitted
from api.reports.service import Submission as ReportSubmission
from api.routing.schemas import CaseRouting
from api.whistles.models import Assignment
from geo.coords import CoordinateSystem
from geo.rules import RuleSet

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_REQUESTS = 1000  # the spec's default response volume
SPAN = timedelta(days=90)  # the spec's default and largest date range
MAX_DESCRIPTION = 4000
MAX_KEY = 128
MAX_ADDRESS = 500
SOURCES = ("resident", "hotline")
KINDS = {"event": "事件", "component": "部件"}
# Open311 knows open and closed only. Closed: nothing more will be done — verified (the street
# confirmed the fix), closed (evaluated), rejected, merged. A resolved case is still open: the
# street may reopen it at verification.
CLOSED = frozenset({CaseStatus.VERIFIED, CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED})
OPEN = frozenset(OPEN_CASE_STATUSES)


def w3(at: datetime | None) -> str | None:
    """A W3C/ISO 8601 date-time with its offset, in Beijing time."""
    return None if at is None else at.astimezone(TZ).isoformat(timespec="seconds")


def open311_status(status: str) -> str:
    """``open`` or ``closed`` for a case status."""
    return "closed" if CaseStatus(status) in CLOSED else "open"


# -- discovery and services ---------------------------------------------------------------


def discovery(*, settings: Settings, url: str) -> dict[str, Any]:
    """The service discovery document of this endpoint."""
    catalogue = settings.data_dir / "categories.csv"
    changed = (
        datetime.fromtimestamp(catalogue.stat().st_mtime, TZ).strftime("%Y-%m-%d %H:%M")
        if catalogue.exists()
        else ""
    )
    return {
        "changeset": changed,
        "contact": "gridwhistle 接诉即办平台：请联系本平台管理员",
        "key_service": "api_key 由管理员签发，仅可用于 Open311 的上报与查询 "
        "(gridwhistle users token NAME --open311)"
        + ("" if settings.open311_public else "；查询请求（requests、tokens）需要 api_key"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changed,
                "type": "production" if settings.environment == "production" else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def _service_rows(session: Session, code: str | None = None) -> list[tuple[Category, str]]:
    group = aliased(Category)
    stmt = select(Category, group.name).join(group, group.code == Category.parent_code)
    if code is not None:
        stmt = stmt.where(Category.code == code)
    return [(c, g) for c, g in session.execute(stmt.order_by(Category.code))]


def services(*, session: Session) -> list[dict[str, Any]]:
    """Every sub-category as a service, grouped by its top-level category."""
    return [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": f"{group}：{c.name}（{KINDS.get(c.kind, c.kind)}）",
            "metadata": False,
            "type": "realtime",
            "keywords": ", ".join((c.name, group, KINDS.get(c.kind, c.kind))),
            "group": group,
        }
        for c, group in _service_rows(session)
    ]


def service_definition(*, session: Session, service_code: str) -> dict[str, Any]:
    """A service's definition (no attributes: every service needs only place and text)."""
    if not _service_rows(session, service_code):
        raise NotFound(f"service_code {service_code!r} was not found", field="service_code")
    return {"service_code": service_code, "attributes": []}


# -- reading requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """The filters of GET requests, checked."""

    ids: tuple[int, ...] | None = None  # when given, every other filter is ignored
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()


def _listed(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def _instant(value: str, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(
            f"{name} must be a W3C date-time, e.g. 2010-01-01T00:00:00Z, not {value!r}",
            field=name,
        ) from exc
    return at if at.tzinfo else at.replace(tzinfo=TZ)  # no offset: Beijing time


def _as_id(value: str) -> int | None:
    """A request id (a report's) as an integer; None for one no report can have."""
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None  # int() refuses "²" (a digit to isdigit) and more than 4,300 digits
    return int(value) if 0 < int(value) < 2**31 else None


def parse_query(params: Mapping[str, str], *, now: datetime) -> RequestQuery:
    """Filters from the query string; dates default to the last 90 days (at most 90)."""
    if params.get("service_request_id"):
        ids = (_as_id(v) for v in _listed(params["service_request_id"]))
        return RequestQuery(ids=tuple(i for i in ids if i is not None))
    start = _instant(params["start_date"], "start_date") if params.get("start_date") else None
    end = _instant(params["end_date"], "end_date") if params.get("end_date") else None
    if start is None:
        end = end or now
        start = end - SPAN
    elif end is None:
        end = start + SPAN
    if end < start:
        raise InvalidInput("end_date is before start_date", field="end_date")
    if end - start > SPAN:
        raise InvalidInput(
            "start_date and end_date may not span more than 90 days", field="end_date"
        )
    statuses = _listed(params.get("status"))
    unknown = [s for s in statuses if s not in ("open", "closed")]
    if unknown:
        raise InvalidInput(
            f"status must be open or closed (comma separated), not {', '.join(unknown)}",
            field="status",
        )
    chosen = frozenset(str(s) for group in statuses for s in (OPEN if group == "open" else CLOSED))
    return RequestQuery(
        service_codes=_listed(params.get("service_code")), start=start, end=end, statuses=chosen
    )


CaseRow = tuple[Case, str | None, float, float]  # case, service name, lon, lat


def _cases(session: Session, query: RequestQuery, limit: int) -> list[CaseRow]:
    stmt = select(Case, Category.name, func.ST_X(Case.position), func.ST_Y(Case.position))
    stmt = stmt.outerjoin(Category, Category.code == Case.category)
    if query.ids is not None:
        stmt = stmt.where(Case.id.in_(query.ids))
    else:
        if query.service_codes:
            stmt = stmt.where(Case.category.in_(query.service_codes))
        if query.statuses:
            stmt = stmt.where(Case.status.in_(query.statuses))
        if query.start is not None:
            stmt = stmt.where(Case.created_at >= query.start)
        if query.end is not None:
            stmt = stmt.where(Case.created_at <= query.end)
    rows = session.execute(stmt.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))
    return [(case, name, lon, lat) for case, name, lon, lat in rows]


@dataclass(frozen=True)
class _Context:
    """What the request documents need beyond the case rows (one query each)."""

    last_event: dict[int, datetime]
    lead: dict[int, tuple[str, datetime]]  # overall lead department, resolve due
    names: dict[str, list[tuple[int, int, str]]]

    def name(self, code: str | None, generation: int) -> str | None:
        for low, high, name in self.names.get(code or "", ()):
            if low <= generation <= high:
                return name
        return None


def _context(session: Session, cases: list[Case]) -> _Context:
    ids = [c.id for c in cases]
    if not ids:
        return _Context(last_event={}, lead={}, names={})
    last_event = session.execute(
        select(CaseEvent.case_id, func.max(CaseEvent.at))
        .where(CaseEvent.case_id.in_(ids))
        .group_by(CaseEvent.case_id)
    ).all()
    leads = session.execute(
        select(Assignment.case_id, Department.name, Assignment.resolve_due_at)
        .join(Department, Department.code == Assignment.department_code)
        .where(
            Assignment.case_id.in_(ids),
            Assignment.overall_lead.is_(True),
            Assignment.status != "cancelled",
        )
        .order_by(Assignment.case_id, Assignment.id)
    ).all()
    codes = {c.community_code for c in cases if c.community_code} | {c.district_code for c in cases}
    names: dict[str, list[tuple[int, int, str]]] = {}
    for code, name, low, high in session.execute(
        select(Area.code, Area.name, Area.generation_low, Area.generation_high).where(
            Area.code.in_(codes)
        )
    ):
        names.setdefault(code, []).append((low, high, name))
    return _Context(
        last_event={case_id: at for case_id, at in last_event},
        lead={case_id: (name, due) for case_id, name, due in leads},  # the newest wins
        names=names,
    )


def _proposed_lead(case: Case) -> str | None:
    lead = CaseRouting.of(case.routing).overall_lead
    return None if lead is None else lead.name


def service_notice(case: Case) -> str | None:
    """What the duty rules say will be done (lead department and whistle type)."""
    lead = _proposed_lead(case)
    kind = CaseRouting.of(case.routing).whistle_type
    if lead is None:
        return None
    return f"按职责清单由{lead}牵头办理" + (f"（{kind}）" if kind else "")


def status_notes(case: Case, lead: str | None) -> str:
    """A sentence on the case's current state (public: no names)."""
    match CaseStatus(case.status):
        case CaseStatus.NEW:
            return "已立案，待社区或街道处置"
        case CaseStatus.WHISTLED:
            return f"街道已吹哨，{lead or '相关部门'}牵头办理"
        case CaseStatus.DISPUTED:
            return "部门提出派单异议，街道重新派单中"
        case CaseStatus.RESOLVED:
            return "已处置，待街道核实" + (
                f"：{case.resolution_note}" if case.resolution_note else ""
            )
        case CaseStatus.VERIFIED:
            return "街道已核实办结"
        case CaseStatus.CLOSED:
            return "已办结" + (f"：{case.resolution_note}" if case.resolution_note else "")
        case CaseStatus.REJECTED:
            return "不予受理" + (f"：{case.reject_reason}" if case.reject_reason else "")
        case CaseStatus.MERGED:
            return f"与其他诉求合并办理，见 {case.merged_into_id}"
    return ""  # pragma: no cover


def _updated(case: Case, last_event: datetime | None) -> datetime:
    status = CaseStatus(case.status)
    if status in CLOSED:
        closed_at: datetime | None = getattr(case, TIMESTAMP[status])
        if closed_at is not None:
            return closed_at
    return max(at for at in (case.created_at, last_event) if at is not None)


def _near(session: Session, rows: list[CaseRow]) -> dict[int, str]:
    """Each case's position described from the nearest register entry within 100 m
    ("平昌街1号东侧约30米"), by case id; a case with no entry that near has none."""
    if not rows:
        return {}
    geocoder = GEOCODER.current(session=session)
    found = {case.id: geocoder.reverse(lon, lat) for case, _, lon, lat in rows}
    return {case_id: near.text for case_id, near in found.items() if near is not None}


def _address(case: Case, context: _Context, near: str | None = None) -> str:
    routing = CaseRouting.of(case.routing)
    streets = {s.code: s.name for s in routing.streets}
    street_or_alley = f"{routing.chief.street_or_alley}附近" if routing.chief else None
    parts = (
        near or street_or_alley,
        context.name(case.community_code, case.generation),
        streets.get(case.lead_street_code),
        context.name(case.district_code, case.generation),
    )
    return "，".join(p for p in parts if p)


def _document(row: CaseRow, context: _Context, near: str | None = None) -> dict[str, Any]:
    case, service_name, lon, lat = row
    lead = context.lead.get(case.id)
    agency = lead[0] if lead is not None else _proposed_lead(case)
    return {
        "service_request_id": str(case.id),
        "status": open311_status(case.status),
        "status_notes": status_notes(case, agency),
        "service_name": service_name,
        "service_code": case.category,
        "description": case.description or None,
        "agency_responsible": agency,
        "service_notice": service_notice(case),
        "requested_datetime": w3(case.created_at),
        "updated_datetime": w3(_updated(case, context.last_event.get(case.id))),
        "expected_datetime": w3(lead[1]) if lead is not None else None,
        "address": _address(case, context, near) or None,
        "address_id": case.grid_code,
        "zipcode": None,
        "lat": round(lat, 7),
        "long": round(lon, 7),
        "media_url": None,
    }


def requests(
    *, session: Session, query: RequestQuery, limit: int = MAX_REQUESTS
) -> list[dict[str, Any]]:
    """Service requests matching ``query``, newest first, at most ``limit``."""
    rows = _cases(session, query, limit)
    context = _context(session, [row[0] for row in rows])
    near = _near(session, rows)
    return [_document(row, context, near.get(row[0].id)) for row in rows]


def request(*, session: Session, service_request_id: str) -> list[dict[str, Any]]:
    """One service request (as the one-element list the spec answers)."""
    case_id = _as_id(service_request_id)
    found = [] if case_id is None else requests(session=session, query=RequestQuery(ids=(case_id,)))
    if not found:
        raise NotFound(
            f"service_request_id {service_request_id!r} was not found", field="service_request_id"
        )
    return found


def token(*, session: Session, token: str) -> list[dict[str, Any]]:
    """The request a token (a report id) belongs to now (its case, after any merge)."""
    report_id = _as_id(token)
    report = None if report_id is None else session.get(Report, report_id)
    if report is None:
        raise NotFound(f"token {token!r} was not found", field="token")
    return [{"service_request_id": str(report.case_id), "token": token}]


def authorize_read(*, session: Session, api_key: str | None, public: bool) -> None:
    """Reads publish complaint positions: without ``public`` (GRIDWHISTLE_OPEN311_PUBLIC)
    they need the api_key (an Open311 key, or a bearer token) of an active user; 403
    otherwise."""
    if public:
        return
    if not api_key:
        raise Forbidden("api_key was not provided (reading requests needs one)", field="api_key")
    if user_by_token(session=session, token=api_key, scopes=(OPEN311_SCOPE, API_SCOPE)) is None:
        raise Forbidden("invalid api_key", field="api_key")


# -- creating requests --------------------------------------------------------------------


def authenticate(*, session: Session, api_key: str | None) -> Actor:
    """The reporting user an api_key (an Open311 key, or a bearer token) belongs to; 403
    otherwise."""
    if not api_key:
        raise Forbidden("api_key was not provided", field="api_key")
    user = user_by_token(session=session, token=api_key, scopes=(OPEN311_SCOPE, API_SCOPE))
    if user is None:
        raise Forbidden("invalid api_key", field="api_key")
    actor = actor_of(user)
    if actor.role not in REPORTING_ROLES:
        raise Forbidden(
            f"the api_key of a {actor.role} user may not create requests", field="api_key"
        )
    return actor


@dataclass(frozen=True)
class Submission:
    """A checked POST requests form (contact details other than the name are not kept);
    without lat/long, ``address`` holds the address_string to geocode."""

    service_code: str
    lon: float | None
    lat: float | None
    description: str
    reporter_name: str
    source: str
    address: str | None = None


def _coordinate(form: Mapping[str, str], name: str, bound: float) -> float:
    try:
        value = float(form[name])
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a number, not {form[name]!r}", field=name) from exc
    if not math.isfinite(value) or abs(value) > bound:
        raise InvalidInput(f"{name} must be between -{bound:g} and {bound:g}", field=name)
    return value


def _name(first: str, last: str) -> str:
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"  # Chinese order: family name first, no space
    return " ".join(p for p in (first, last) if p)


def parse_submission(*, session: Session, form: Mapping[str, str]) -> Submission:
    """Check the form: service_code (400 missing, 404 unknown), lat/long, description."""
    code = form.get("service_code", "")
    if not code:
        raise InvalidInput("service_code was not provided", field="service_code")
    if not _service_rows(session, code):
        raise NotFound(f"service_code {code!r} was not found", field="service_code")
    address = form.get("address_string", "").strip() or None
    if not (form.get("lat") and form.get("long")):
        if form.get("address_id") and address is None:
            raise InvalidInput(
                "address_id is not supported here: send lat and long (WGS-84) or address_string",
                field="address_id",
            )
        if address is None:
            raise InvalidInput("lat and long (WGS-84) or address_string are required", field="lat")
    elif address is not None:
        address = None  # lat/long locate the request; address_string is only a description
    description = form.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"description is limited to {MAX_DESCRIPTION} characters", field="description"
        )
    source = form.get("source", "resident")
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}", field="source")
    if address is not None and len(address) > MAX_ADDRESS:
        raise InvalidInput(
            f"address_string is limited to {MAX_ADDRESS} characters", field="address_string"
        )
    return Submission(
        service_code=code,
        lon=None if address else _coordinate(form, "long", 180),
        lat=None if address else _coordinate(form, "lat", 90),
        description=description,
        reporter_name=_name(form.get("first_name", ""), form.get("last_name", ""))[:64],
        source=source,
        address=address,
    )


def create(
    *,
    session: Session,
    form: Mapping[str, str],
    idempotency_key: str | None,
    rules: RuleSet,
    limits: Limits,
    at: datetime,
) -> tuple[list[dict[str, Any]], Submitted]:
    """Authenticate, check and submit a request; the spec's answer and what happened."""
    actor = authenticate(session=session, api_key=form.get("api_key"))
    checked = parse_submission(session=session, form=form)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY:
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY} characters", field="idempotency_key"
        )
    address = None
    if checked.address is not None:
        point, address = locate_words(
            session=session, text=checked.address, choice=None, field="address_string"
        )
    else:
        assert checked.lon is not None and checked.lat is not None
        point = shapely.Point(checked.lon, checked.lat)
    done = ReportSubmission(
        who=actor,
        geometry=point,
        crs=CoordinateSystem.WGS84,
        category=checked.service_code,
        description=checked.description,
        source=checked.source,
        reporter_name=checked.reporter_name,
        accuracy_m=None,
        photos=[],
        idempotency_key=idempotency_key,
        rules=rules,
        limits=limits,
        at=at,
        address=address,
    ).run(session)
    case = session.get(Case, done.case.id)
    assert case is not None
    received = (
        f"已并入诉求 {case.id}（同类问题，共 {case.report_count} 人反映）"
        if done.attached
        else f"已受理：诉求 {case.id}"
    )
    notice = "；".join(p for p in (received, service_notice(case)) if p)
    answer = [{"service_request_id": str(case.id), "service_notice": notice, "account_id": None}]
    return answer, done
