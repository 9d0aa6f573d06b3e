"""Assessment queries: department timelines, whistle scores, scoreboards, 该吹未吹."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from api.assessment.scoring import (
    DisputeOutcome,
    Period,
    Rules,
    Score,
    Tally,
    Timeline,
    read_rules,
    score,
)
from api.auth.roles import Action, Actor, Role
from api.cases.models import Case, CaseEvent
from api.cases.service import require
from api.deadlines.supervision import Level
from api.departments.models import Category, Department
from api.errors import Forbidden, NotFound
from api.geography.models import Area
from api.whistles.models import Assignment, Extension, Whistle
from api.whistles.supervision import event_kind

RULES_FILE = "assessment.toml"
SETTLED_CASES = frozenset({"closed", "rejected", "merged"})
LOCALLY_CLOSED = ("resolved", "verified", "closed")
CHASE = event_kind(Level.CHASED)
SUPERVISION_COUNTED = (CHASE, event_kind(Level.DISTRICT), event_kind(Level.CITY))
ASSESSORS = frozenset({Role.STREET, Role.DISTRICT, Role.DEPARTMENT, Role.ANALYST, Role.ADMIN})


class GroupBy(StrEnum):
    """How a scoreboard groups departments' whistle scores."""

    DEPARTMENT = "department"
    STREET = "street"  # the whistle's lead street
    DISTRICT = "district"  # the district of the whistle's lead street


@lru_cache(maxsize=4)
def rules_from(data_dir: Path) -> Rules:
    """The assessment rules of ``data_dir``/assessment.toml (read once per process)."""
    return read_rules(data_dir / RULES_FILE)


@dataclass(frozen=True)
class Scored:
    """One department on one whistle: who, where, its timeline and its score."""

    assignment_id: int
    whistle_id: int
    case_id: int
    department_code: str
    district_code: str | None
    lead_street_code: str
    role: str
    overall_lead: bool
    status: str
    timeline: Timeline
    score: Score


@dataclass(frozen=True)
class _Sibling:
    whistle_id: int
    department_code: str
    overall_lead: bool
    status: str
    resolved_at: datetime | None
    resolve_due_at: datetime


@dataclass
class _Context:
    """Facts about the cases of the assignments being scored (a few queries in all)."""

    siblings: dict[int, list[_Sibling]] = field(default_factory=dict)  # by whistle
    whistles: dict[int, list[tuple[int, datetime]]] = field(default_factory=dict)  # by case
    extensions: dict[int, int] = field(default_factory=dict)  # approved, by assignment
    arrivals: dict[int, datetime] = field(default_factory=dict)  # first on site, by assignment
    reopened: dict[int, int] = field(default_factory=dict)  # by assignment
    chases: dict[int, int] = field(default_factory=dict)  # by assignment
    escalations: dict[int, int] = field(default_factory=dict)  # by assignment


def _context(session: Session, case_ids: set[int], assignment_ids: set[int]) -> _Context:
    ctx = _Context()
    siblings: dict[int, list[_Sibling]] = defaultdict(list)
    for row in session.execute(
        select(
            Assignment.whistle_id,
            Assignment.department_code,
            Assignment.overall_lead,
            Assignment.status,
            Assignment.resolved_at,
            Assignment.resolve_due_at,
        ).where(Assignment.case_id.in_(case_ids))
    ):
        siblings[row.whistle_id].append(_Sibling(*row))
    ctx.siblings = dict(siblings)
    whistles: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for wid, cid, blown in session.execute(
        select(Whistle.id, Whistle.case_id, Whistle.blown_at)
        .where(Whistle.case_id.in_(case_ids))
        .order_by(Whistle.id)
    ):
        whistles[cid].append((wid, blown))
    ctx.whistles = dict(whistles)
    ctx.extensions = {
        aid: n
        for aid, n in session.execute(
            select(Extension.assignment_id, func.count())
            .where(Extension.status == "approved", Extension.assignment_id.in_(assignment_ids))
            .group_by(Extension.assignment_id)
        )
    }
    moved = CaseEvent.data["assignment_id"].as_integer()
    for aid, from_status, at in session.execute(
        select(moved, CaseEvent.from_status, CaseEvent.at)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind == "assignment:on_site")
        .order_by(CaseEvent.at, CaseEvent.id)
    ):
        if from_status == "resolved":
            ctx.reopened[aid] = ctx.reopened.get(aid, 0) + 1
        else:
            ctx.arrivals.setdefault(aid, at)
    for aid, kind, count in session.execute(
        select(moved, CaseEvent.kind, func.count())
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.kind.in_(SUPERVISION_COUNTED))
        .group_by(moved, CaseEvent.kind)
    ):
        tally = ctx.chases if kind == CHASE else ctx.escalations
        tally[aid] = tally.get(aid, 0) + count
    return ctx


def _dispute(a: Assignment, case: Case, ctx: _Context) -> DisputeOutcome | None:
    if a.disputed_at is None:
        return None
    later = [wid for wid, _blown in ctx.whistles.get(case.id, []) if wid > a.whistle_id]
    if later:
        again = {s.department_code for s in ctx.siblings.get(later[0], [])}
        return DisputeOutcome.NOT_UPHELD if a.department_code in again else DisputeOutcome.UPHELD
    if case.status == "disputed":
        return DisputeOutcome.PENDING
    return DisputeOutcome.UPHELD  # the street took the case back (resolved locally, rejected)


def _timeline(a: Assignment, case: Case, ctx: _Context) -> Timeline:
    """The facts one department's score is made of (the event log gives first arrivals)."""
    siblings = ctx.siblings.get(a.whistle_id, [])
    lead = next((s for s in siblings if s.overall_lead), None)
    lead_due = lead.resolve_due_at if lead else a.resolve_due_at
    lead_resolved = lead.resolved_at if lead and lead.status == "resolved" else None
    dispute = _dispute(a, case, ctx)
    by_departments = case.resolution_level == "department"
    return Timeline(
        overall_lead=a.overall_lead,
        dispatched_at=a.dispatched_at,
        acknowledge_due_at=a.acknowledge_due_at,
        on_site_due_at=a.on_site_due_at,
        resolve_due_at=a.resolve_due_at,
        whistle_due_at=lead_due,
        acknowledged_at=a.acknowledged_at,
        on_site_at=ctx.arrivals.get(a.id, a.on_site_at),
        resolved_at=a.resolved_at if a.status == "resolved" else None,
        disputed_at=a.disputed_at,
        dispute=dispute,
        cancelled_at=a.cancelled_at,
        whistle_resolved_at=lead_resolved,
        approved_extensions=ctx.extensions.get(a.id, 0),
        reopened=ctx.reopened.get(a.id, 0),
        rating=case.rating,
        case_verified=by_departments and case.verified_at is not None,
        case_resolved_at=case.resolved_at if by_departments else None,
        settled=case.status in SETTLED_CASES
        or a.cancelled_at is not None
        or dispute in (DisputeOutcome.UPHELD, DisputeOutcome.NOT_UPHELD),
        chases=ctx.chases.get(a.id, 0),
        escalations=ctx.escalations.get(a.id, 0),
    )


def scored(
    *, session: Session, where: ColumnElement[bool], rules: Rules, as_of: datetime
) -> list[Scored]:
    """Every assignment matching ``where`` (over Assignment, Whistle, Case) with its score."""
    rows = session.execute(
        select(Assignment, Whistle, Case)
        .join(Whistle, Whistle.id == Assignment.whistle_id)
        .join(Case, Case.id == Assignment.case_id)
        .where(where)
        .order_by(Assignment.whistle_id, Assignment.id)
    ).all()
    if not rows:
        return []
    ctx = _context(session, {c.id for _, _, c in rows}, {a.id for a, _, _ in rows})
    out = []
    for a, w, case in rows:
        t = _timeline(a, case, ctx)
        out.append(
            Scored(
                assignment_id=a.id,
                whistle_id=w.id,
                case_id=case.id,
                department_code=a.department_code,
                district_code=a.district_code,
                lead_street_code=w.lead_street_code,
                role=a.role,
                overall_lead=a.overall_lead,
                status=a.status,
                timeline=t,
                score=score(t, rules=rules, as_of=as_of),
            )
        )
    return out


def scope(*, actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the assignments whose scores ``actor`` may see on a scoreboard."""
    j = actor.jurisdiction
    if actor.role is Role.ADMIN or (actor.role is Role.ANALYST and j is None):
        return true()
    if actor.role not in ASSESSORS or j is None:
        raise Forbidden(f"{actor.role} users do not see assessments", field="authorization")
    match actor.role:
        case Role.STREET:
            return Whistle.lead_street_code == j
        case Role.DEPARTMENT:
            return Assignment.department_code == j
    # district or analyst with a prefix: whistles blown there and departments of there
    return or_(Whistle.lead_street_code.startswith(j), Assignment.district_code.startswith(j))


def whistle_scores(
    *, session: Session, whistle_id: int, actor: Actor, rules: Rules, as_of: datetime
) -> tuple[Whistle, list[Scored]]:
    """The scores of each department on one whistle (a department sees only its own)."""
    whistle = session.get(Whistle, whistle_id)
    if whistle is None:
        raise NotFound(f"whistle {whistle_id} does not exist", field="whistle_id")
    if actor.role not in ASSESSORS:
        raise Forbidden(f"{actor.role} users do not see assessments", field="authorization")
    case = session.get(Case, whistle.case_id)
    assert case is not None
    require(session=session, actor=actor, action=Action.VIEW, case=case)
    where = Assignment.whistle_id == whistle_id
    if actor.role is Role.DEPARTMENT:
        where = and_(where, Assignment.department_code == actor.jurisdiction)
    return whistle, scored(session=session, where=where, rules=rules, as_of=as_of)


def _group_key(item: Scored, by: GroupBy) -> str:
    """The scoreboard row a department's whistle score falls in."""
    match by:
        case GroupBy.DEPARTMENT:
            return item.department_code
        case GroupBy.STREET:
            return item.lead_street_code
    return item.lead_street_code[:6]


def tally(
    *, items: Iterable[Scored], by: GroupBy, period: Period, as_of: datetime, rules: Rules
) -> tuple[dict[str, Tally], Tally]:
    """Rows (by group code) and the total of the scoreboard."""
    rows: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    for item in items:
        for target in (rows[_group_key(item, by)], total):
            target.add(item.timeline, item.score, period=period, as_of=as_of, rules=rules)
    return {k: v for k, v in rows.items() if v.scored or v.due}, total


def scoreboard(
    *, session: Session, actor: Actor, period: Period, by: GroupBy, rules: Rules, as_of: datetime
) -> tuple[dict[str, Tally], Tally]:
    """Monthly or yearly rows per department, street or district within the actor's scope."""
    lead = aliased(Assignment)
    due_in_period = exists(
        select(lead.id).where(
            lead.whistle_id == Assignment.whistle_id,
            lead.overall_lead.is_(True),
            lead.resolve_due_at >= period.start,
            lead.resolve_due_at < period.end,
        )
    )
    dispatched = and_(
        Assignment.dispatched_at >= period.start, Assignment.dispatched_at < period.end
    )
    where = and_(scope(actor=actor), or_(dispatched, due_in_period))
    items = scored(session=session, where=where, rules=rules, as_of=as_of)
    return tally(items=items, by=by, period=period, as_of=as_of, rules=rules)


def names(*, session: Session, by: GroupBy, codes: Iterable[str]) -> dict[str, str]:
    """Display names of departments, streets or districts."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    if by is GroupBy.DEPARTMENT:
        rows = session.execute(
            select(Department.code, Department.name).where(Department.code.in_(wanted))
        )
        return {code: name for code, name in rows}
    found = session.execute(
        select(Area.code, Area.name)
        .where(Area.level == str(by), Area.code.in_(wanted))
        .order_by(Area.generation_high)
    )
    return {code: name for code, name in found}  # the newest generation's name wins


@dataclass(frozen=True)
class LocalCell:
    """A grid cell where one category keeps being closed locally (该吹未吹)."""

    grid_code: str
    category: str
    category_name: str | None
    local_closures: int
    case_ids: list[int]
    first_resolved_at: datetime
    last_resolved_at: datetime

    @property
    def community_code(self) -> str:
        """The cell's community (the first 12 digits of its code)."""
        return self.grid_code[:12]

    @property
    def street_code(self) -> str:
        """The cell's street (the first 9 digits of its code)."""
        return self.grid_code[:9]


def _cell_scope(actor: Actor) -> ColumnElement[bool]:
    j = actor.jurisdiction
    if actor.role is Role.ADMIN or (actor.role is Role.ANALYST and j is None):
        return true()
    if actor.role in (Role.STREET, Role.DISTRICT, Role.ANALYST) and j:
        return Case.grid_code.startswith(j)
    raise Forbidden(
        "should-have-whistled is for streets, districts, analysts and admins", field="authorization"
    )


def should_have_whistled(
    *, session: Session, actor: Actor, as_of: datetime, window_days: int, min_local: int
) -> list[LocalCell]:
    """Grid cells with at least ``min_local`` local closures of one category in the window."""
    since = as_of - timedelta(days=window_days)
    cases = func.array_agg(func.distinct(Case.id))
    rows = session.execute(
        select(
            Case.grid_code,
            Case.category,
            Category.name,
            func.count(Case.id),
            cases,
            func.min(Case.resolved_at),
            func.max(Case.resolved_at),
        )
        .outerjoin(Category, Category.code == Case.category)
        .where(
            _cell_scope(actor),
            Case.resolution_level == "local",
            Case.status.in_(LOCALLY_CLOSED),
            Case.whistled_at.is_(None),
            Case.grid_code.is_not(None),
            Case.resolved_at > since,
            Case.resolved_at <= as_of,
        )
        .group_by(Case.grid_code, Case.category, Category.name)
        .having(func.count(Case.id) >= min_local)
        .order_by(func.count(Case.id).desc(), Case.grid_code, Case.category)
    ).all()
    cells = []
    for grid, category, name, count, ids, first, last in rows:
        assert grid is not None and first is not None and last is not None  # filtered above
        cells.append(
            LocalCell(
                grid_code=grid,
                category=category,
                category_name=name,
                local_closures=count,
                case_ids=sorted(ids),
                first_resolved_at=first,
                last_resolved_at=last,
            )
        )
    return cells
