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
from api.assessment.snapshot import (
    Act,
    Approval,
    AssignmentAsOf,
    CaseAsOf,
    due_as_of,
    replay,
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
ESCALATIONS = frozenset({event_kind(Level.DISTRICT), event_kind(Level.CITY)})
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


@dataclass
class _Context:
    """The cases of the assignments being scored, replayed to ``as_of`` (a few queries)."""

    cases: dict[int, CaseAsOf] = field(default_factory=dict)
    leads: dict[int, Assignment] = field(default_factory=dict)  # overall lead, by whistle
    departments: dict[int, set[str]] = field(default_factory=dict)  # summoned, by whistle
    whistles: dict[int, list[int]] = field(default_factory=dict)  # blown by as_of, by case
    approvals: dict[int, list[Approval]] = field(default_factory=dict)  # by assignment

    def state(self, a: Assignment) -> AssignmentAsOf:
        """The assignment at ``as_of`` (dispatched, nothing done, when no event says more)."""
        return self.cases[a.case_id].assignments.get(a.id, AssignmentAsOf())

    def due(self, a: Assignment, as_of: datetime) -> datetime:
        """Its resolve due time at ``as_of``."""
        return due_as_of(a.resolve_due_at, self.approvals.get(a.id, []), as_of)


def _context(session: Session, case_ids: set[int], as_of: datetime) -> _Context:
    ctx = _Context()
    acts: dict[int, list[Act]] = defaultdict(list)
    for row in session.execute(
        select(
            CaseEvent.case_id,
            CaseEvent.at,
            CaseEvent.kind,
            CaseEvent.from_status,
            CaseEvent.to_status,
            CaseEvent.actor_role,
            CaseEvent.data,
        )
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.at <= as_of)
        .order_by(CaseEvent.id)
    ):
        acts[row.case_id].append(Act(*row[1:]))
    ctx.cases = {
        cid: replay(acts[cid], as_of=as_of, chase=CHASE, escalations=ESCALATIONS)
        for cid in case_ids
    }
    for a in session.scalars(
        select(Assignment).where(
            Assignment.case_id.in_(case_ids), Assignment.dispatched_at <= as_of
        )
    ):
        ctx.departments.setdefault(a.whistle_id, set()).add(a.department_code)
        if a.overall_lead:
            ctx.leads[a.whistle_id] = a
    whistles: dict[int, list[int]] = defaultdict(list)
    for wid, cid in session.execute(
        select(Whistle.id, Whistle.case_id)
        .where(Whistle.case_id.in_(case_ids), Whistle.blown_at <= as_of)
        .order_by(Whistle.id)
    ):
        whistles[cid].append(wid)
    ctx.whistles = dict(whistles)
    approvals: dict[int, list[Approval]] = defaultdict(list)
    for aid, decided, old, new in session.execute(
        select(
            Extension.assignment_id,
            Extension.decided_at,
            Extension.old_due_at,
            Extension.new_due_at,
        )
        .join(Assignment, Assignment.id == Extension.assignment_id)
        .where(Assignment.case_id.in_(case_ids), Extension.status == "approved")
    ):
        approvals[aid].append(Approval(decided or old, old, new))
    ctx.approvals = dict(approvals)
    return ctx


def _dispute(a: Assignment, mine: AssignmentAsOf, ctx: _Context) -> DisputeOutcome | None:
    if mine.disputed_at is None:
        return None
    later = [wid for wid in ctx.whistles.get(a.case_id, []) if wid > a.whistle_id]
    if later:
        again = ctx.departments.get(later[0], set())
        return DisputeOutcome.NOT_UPHELD if a.department_code in again else DisputeOutcome.UPHELD
    if ctx.cases[a.case_id].status == "disputed":
        return DisputeOutcome.PENDING
    return DisputeOutcome.UPHELD  # the street took the case back (resolved locally, rejected)


def _timeline(a: Assignment, ctx: _Context, as_of: datetime) -> Timeline:
    """The facts one department's score is made of, as they stood at ``as_of``."""
    case = ctx.cases[a.case_id]
    mine = ctx.state(a)
    lead = ctx.leads.get(a.whistle_id, a)
    lead_resolved = ctx.state(lead).resolved_at
    dispute = _dispute(a, mine, ctx)
    return Timeline(
        overall_lead=a.overall_lead,
        dispatched_at=a.dispatched_at,
        acknowledge_due_at=a.acknowledge_due_at,
        on_site_due_at=a.on_site_due_at,
        resolve_due_at=ctx.due(a, as_of),
        whistle_due_at=ctx.due(lead, as_of),
        acknowledged_at=mine.acknowledged_at,
        on_site_at=mine.first_on_site_at,
        resolved_at=mine.resolved_at,
        disputed_at=mine.disputed_at,
        dispute=dispute,
        cancelled_at=mine.cancelled_at,
        whistle_resolved_at=lead_resolved,
        approved_extensions=sum(x.decided_at <= as_of for x in ctx.approvals.get(a.id, [])),
        reopened=mine.reopened,
        rating=case.rating,
        rating_source=case.rating_source,
        case_verified=case.by_departments and case.verified,
        case_resolved_at=case.resolved_at if case.by_departments else None,
        settled=case.status in SETTLED_CASES
        or mine.cancelled_at is not None
        or dispute in (DisputeOutcome.UPHELD, DisputeOutcome.NOT_UPHELD),
        chases=mine.chases,
        escalations=mine.escalations,
    )


def scored(
    *, session: Session, where: ColumnElement[bool], rules: Rules, as_of: datetime
) -> list[Scored]:
    """Every assignment matching ``where`` (over Assignment, Whistle, Case) with its score."""
    rows = session.execute(
        select(Assignment, Whistle)
        .join(Whistle, Whistle.id == Assignment.whistle_id)
        .join(Case, Case.id == Assignment.case_id)
        .where(where, Assignment.dispatched_at <= as_of)
        .order_by(Assignment.whistle_id, Assignment.id)
    ).all()
    if not rows:
        return []
    ctx = _context(session, {a.case_id for a, _ in rows}, as_of)
    out = []
    for a, w in rows:
        t = _timeline(a, ctx, as_of)
        out.append(
            Scored(
                assignment_id=a.id,
                whistle_id=w.id,
                case_id=a.case_id,
                department_code=a.department_code,
                district_code=a.district_code,
                lead_street_code=w.lead_street_code,
                role=a.role,
                overall_lead=a.overall_lead,
                status=ctx.state(a).status,
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
    items = _board_items(session=session, actor=actor, period=period, rules=rules, as_of=as_of)
    return tally(items=items, by=by, period=period, as_of=as_of, rules=rules)


def row_scores(
    *,
    session: Session,
    actor: Actor,
    period: Period,
    by: GroupBy,
    code: str,
    rules: Rules,
    as_of: datetime,
) -> list[Scored]:
    """The whistle scores one scoreboard row averages (dispatched in the period), worst first."""
    items = _board_items(session=session, actor=actor, period=period, rules=rules, as_of=as_of)
    mine = [i for i in items if _group_key(i, by) == code and i.timeline.dispatched_at in period]
    return sorted(mine, key=lambda i: (i.score.total, i.whistle_id, i.assignment_id))


def _board_items(
    *, session: Session, actor: Actor, period: Period, rules: Rules, as_of: datetime
) -> list[Scored]:
    # The whistle's due time as of ``as_of`` may be earlier than the stored one (extensions
    # approved later only move it later), never earlier than its dispatch: a whistle due in
    # the period as of then was dispatched before the period's end and is due now no earlier
    # than its start. ``tally`` then counts the due time as of ``as_of``.
    lead = aliased(Assignment)
    due_in_period = exists(
        select(lead.id).where(
            lead.whistle_id == Assignment.whistle_id,
            lead.overall_lead.is_(True),
            lead.resolve_due_at >= period.start,
            lead.dispatched_at < period.end,
        )
    )
    dispatched = and_(
        Assignment.dispatched_at >= period.start, Assignment.dispatched_at < period.end
    )
    where = and_(scope(actor=actor), or_(dispatched, due_in_period))
    return scored(session=session, where=where, rules=rules, as_of=as_of)


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
