"""Whistles and department duty: dispatch, acknowledge, on site, resolve, extend, dispute."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import shapely
from sqlalchemy import select, text
from sqlalchemy.orm import Session, object_session

from api.auth.roles import Action, Actor
from api.cases.actions import assignment_facts, require_action, require_assignment_action
from api.cases.models import Case, CaseStreet
from api.cases.service import (
    cancel_assignments,
    move_assignment,
    record,
    require,
    transition,
)
from api.cases.workflow import (
    AssignmentAction,
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    check_assignment_action,
)
from api.db.geometry import to_db
from api.deadlines.calendar import Deadline, WorkCalendar
from api.deadlines.sla import Duration, Obligation, SlaPolicy, due, extend
from api.departments.models import Department
from api.errors import InvalidInput, NotFound
from api.geography.models import Area
from api.photos.policy import AfterPhotoPolicy
from api.photos.queries import require_after_photos
from api.photos.service import attach_after_photos
from api.reports.service import PhotoIn
from api.routing.schemas import CaseRouting
from api.routing.service import catalogue, position_in_wgs84
from api.whistles.models import Assignment, Extension, Whistle
from geo.coords import CoordinateSystem
from geo.locate import StreetShare
from geo.route import districts_in_order, summon
from geo.rules import NoDutyRule, RuleSet, WhistleType


def get_assignment(*, session: Session, assignment_id: int) -> Assignment:
    """An assignment by id (row-locked); NotFound otherwise."""
    row = session.scalar(select(Assignment).where(Assignment.id == assignment_id).with_for_update())
    if row is None:
        raise NotFound(f"assignment {assignment_id} does not exist", field="assignment_id")
    return row


def _require(actor: Actor, action: AssignmentAction, assignment: Assignment) -> None:
    """Refuse (403, 409) unless ``actor`` may do ``action`` to ``assignment``."""
    session = object_session(assignment)
    assert session is not None
    require_assignment_action(session=session, actor=actor, action=action, assignment=assignment)


def _departments(session: Session, codes: list[str]) -> dict[str, Department]:
    found = {
        d.code: d for d in session.scalars(select(Department).where(Department.code.in_(codes)))
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise InvalidInput(f"unknown department(s): {', '.join(unknown)}", field="departments")
    return found


def _add_partners(session: Session, case: Case, partners: list[str]) -> list[str]:
    existing = set(
        session.scalars(select(CaseStreet.street_code).where(CaseStreet.case_id == case.id))
    )
    added: list[str] = []
    for code in partners:
        if code in existing:
            continue
        street = session.scalar(
            select(Area).where(
                Area.level == "street",
                Area.code == code,
                Area.generation_low <= case.generation,
                Area.generation_high >= case.generation,
            )
        )
        if street is None:
            raise InvalidInput(f"unknown street {code}", field="partner_streets")
        session.add(
            CaseStreet(
                case_id=case.id, street_code=code, district_code=code[:6], share=0.0, role="partner"
            )
        )
        added.append(code)
    return added


def default_departments(case: Case) -> list[dict[str, Any]]:
    """The departments the router proposed when the case was reported."""
    return [
        {"code": d.code, "role": d.role, "overall_lead": d.overall_lead}
        for d in CaseRouting.of(case.routing).departments
    ]


def _chosen(session: Session, chosen: list[dict[str, Any]]) -> dict[str, Department]:
    """The catalogue entries of a choice of departments; InvalidInput unless one leads."""
    if not chosen:
        raise InvalidInput("a whistle needs at least one department", field="departments")
    if not any(d.get("role") == "lead" for d in chosen):
        raise InvalidInput("one department must lead (一门主责)", field="departments")
    return _departments(session, [d["code"] for d in chosen])


def blow(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    at: datetime,
    policies: dict[str, SlaPolicy],
    calendar: WorkCalendar,
    whistle_type: str | None = None,
    departments: list[dict[str, Any]] | None = None,
    partner_streets: list[str] | None = None,
    sla_policy: str | None = None,
    note: str = "",
) -> Whistle:
    """Blow a whistle on a case: summon departments with due times (吹哨 → 报到)."""
    require_action(session=session, actor=actor, action=CaseAction.WHISTLE, case=case)
    return _summon(
        session=session,
        case=case,
        actor=actor,
        at=at,
        policies=policies,
        calendar=calendar,
        whistle_type=whistle_type,
        departments=departments,
        partner_streets=partner_streets,
        sla_policy=sla_policy,
        note=note,
    )


def _summon(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    at: datetime,
    policies: dict[str, SlaPolicy],
    calendar: WorkCalendar,
    whistle_type: str | None = None,
    departments: list[dict[str, Any]] | None = None,
    partner_streets: list[str] | None = None,
    sla_policy: str | None = None,
    level: str = "district",
    note: str = "",
) -> Whistle:
    """A whistle on a case the caller's action allowed: departments summoned with due times;
    a city whistle first ends the district-level assignments."""
    old = CaseStatus(case.status)
    routed = CaseRouting.of(case.routing)
    kind = whistle_type or routed.whistle_type or str(WhistleType.JOINT_ENFORCEMENT)
    if kind not in {str(w) for w in WhistleType}:
        raise InvalidInput(f"unknown whistle type {kind!r}", field="whistle_type")
    policy_name = sla_policy or routed.sla_policy or "huangpu"
    if policy_name not in policies:
        raise InvalidInput(f"unknown SLA policy {policy_name!r}", field="sla_policy")
    chosen = departments if departments is not None else default_departments(case)
    catalogue = _chosen(session, chosen)
    leads = [d for d in chosen if d.get("role") == "lead"]
    added = _add_partners(session, case, partner_streets or [])
    if level == "city":
        cancel_assignments(
            session=session,
            case_id=case.id,
            actor=actor,
            at=at,
            reason="上报市级，区级任务撤销",
            include_disputed=False,
        )
    whistle = Whistle(
        case_id=case.id,
        type=kind,
        level=level,
        sla_policy=policy_name,
        lead_street_code=case.lead_street_code,
        blown_by=actor.id,
        blown_at=at,
        note=note,
    )
    session.add(whistle)
    session.flush()
    policy = policies[policy_name]
    deadlines = {ob: due(policy, ob, at, calendar) for ob in Obligation}
    overall = next((d["code"] for d in chosen if d.get("overall_lead")), leads[0]["code"])
    for spec in chosen:
        dept = catalogue[spec["code"]]
        session.add(
            Assignment(
                whistle_id=whistle.id,
                case_id=case.id,
                department_code=dept.code,
                district_code=dept.district_code,
                role=spec.get("role", "support"),
                overall_lead=dept.code == overall,
                status=str(AssignmentStatus.DISPATCHED),
                dispatched_at=at,
                acknowledge_due_at=deadlines[Obligation.ACKNOWLEDGE].due_at,
                on_site_due_at=deadlines[Obligation.ON_SITE].due_at,
                resolve_due_at=deadlines[Obligation.RESOLVE].due_at,
                due_provisional=any(d.provisional for d in deadlines.values()),
            )
        )
    session.flush()
    districts = sorted({d.district_code for d in catalogue.values() if d.district_code})
    data = {
        "whistle_id": whistle.id,
        "type": kind,
        "level": level,
        "sla_policy": policy_name,
        "departments": [{"code": d["code"], "role": d.get("role")} for d in chosen],
        "overall_lead": overall,
        "partner_streets_added": added,
        "copied_to_district_command_centres": districts,
        "due": {str(ob): dl.due_at.isoformat() for ob, dl in deadlines.items()},
        "provisional": any(d.provisional for d in deadlines.values()),
    }
    if old is CaseStatus.WHISTLED:
        record(
            session=session,
            case=case,
            actor=actor,
            kind="whistle:escalated",
            at=at,
            reason=note or None,
            data=data,
        )
    else:
        transition(
            session=session,
            case=case,
            new=CaseStatus.WHISTLED,
            actor=actor,
            at=at,
            reason=note or None,
            data=data,
        )
    return whistle


def city_departments(*, session: Session, case: Case, rules: RuleSet) -> list[dict[str, Any]]:
    """The city departments the city-level duty rule summons for a case (分级派单);
    InvalidInput naming ``departments`` when no rule matches."""
    routed = CaseRouting.of(case.routing)
    zones = [z.kind for z in routed.zones]
    try:
        match = rules.match(category=case.category, zones=zones, level="city")
    except NoDutyRule as exc:
        raise InvalidInput(f"{exc}; name the city departments", field="departments") from exc
    streets = [StreetShare(s.code, s.name, s.district_code, s.share) for s in routed.streets]
    summoned, _ = summon(
        match=match,
        districts=districts_in_order(streets),
        catalogue=catalogue(session=session),
        level="city",
    )
    return [{"code": d.code, "role": d.role, "overall_lead": d.overall_lead} for d in summoned]


def escalate(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    at: datetime,
    policies: dict[str, SlaPolicy],
    calendar: WorkCalendar,
    rules: RuleSet,
    departments: list[dict[str, Any]] | None = None,
    note: str = "",
) -> Whistle:
    """The district escalates a case to city departments (by default those of the city-level
    duty rule): the district-level assignments end, a city whistle goes out."""
    require_action(session=session, actor=actor, action=CaseAction.ESCALATE, case=case)
    chosen = (
        departments
        if departments is not None
        else city_departments(session=session, case=case, rules=rules)
    )
    return _summon(
        session=session,
        case=case,
        actor=actor,
        at=at,
        policies=policies,
        calendar=calendar,
        departments=chosen,
        level="city",
        note=note,
    )


def acknowledge(*, session: Session, assignment: Assignment, actor: Actor, at: datetime) -> None:
    """The department signs for the task (签收)."""
    _require(actor, AssignmentAction.ACKNOWLEDGE, assignment)
    move_assignment(
        session=session,
        assignment=assignment,
        new=AssignmentStatus.ACKNOWLEDGED,
        actor=actor,
        at=at,
    )


def report_on_site(
    *,
    session: Session,
    assignment: Assignment,
    actor: Actor,
    at: datetime,
    lon: float,
    lat: float,
    crs: CoordinateSystem,
    max_distance_m: float,
) -> float:
    """The department reports on site (报到); its position is checked against the case."""
    _require(actor, AssignmentAction.ARRIVE, assignment)
    wlon, wlat = position_in_wgs84(lon=lon, lat=lat, crs=crs, field="lon")
    distance = session.scalar(
        text(
            "SELECT ST_Distance(geom::geography, "
            "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) FROM cases WHERE id = :id"
        ),
        {"lon": wlon, "lat": wlat, "id": assignment.case_id},
    )
    distance = float(distance or 0.0)
    if distance > max_distance_m:
        raise InvalidInput(
            f"the reported position is {distance:,.0f} m from the case "
            f"(at most {max_distance_m:,.0f} m)",
            field="position",
            message=(
                f"报到位置距案件约 {distance:,.0f} 米，须在 {max_distance_m:,.0f} 米以内："
                "请到现场后再报到"
            ),
            distance_m=round(distance, 1),
        )
    if AssignmentStatus(assignment.status) is AssignmentStatus.DISPATCHED:
        acknowledge(session=session, assignment=assignment, actor=actor, at=at)
    assignment.on_site_position = to_db(shapely.Point(wlon, wlat))
    assignment.on_site_distance_m = distance
    move_assignment(
        session=session,
        assignment=assignment,
        new=AssignmentStatus.ON_SITE,
        actor=actor,
        at=at,
        data={"position": [wlon, wlat], "distance_m": round(distance, 1)},
    )
    return distance


def _act_with_text(
    *,
    session: Session,
    assignment: Assignment,
    actor: Actor,
    at: datetime,
    new: AssignmentStatus,
    text: str,
    field: str,
    what: str,
    data: dict[str, Any] | None = None,
) -> Case:
    """A department act that needs a text (note, reason); returns the case, locked before
    the act is written (the assignment, then its case: the order of every act)."""
    if not text.strip():
        raise InvalidInput(f"{what} needs a {field}", field=field)
    case = session.get(Case, assignment.case_id, with_for_update=True)
    assert case is not None
    move_assignment(
        session=session, assignment=assignment, new=new, actor=actor, at=at, reason=text, data=data
    )
    return case


def resolve(
    *,
    session: Session,
    assignment: Assignment,
    actor: Actor,
    at: datetime,
    note: str,
    photos: list[PhotoIn] | None = None,
    after_photos: AfterPhotoPolicy | None = None,
) -> None:
    """The department reports its part resolved, with its after-photos (checked ``photos``);
    the overall lead's resolution resolves the case, and needs the after-photos
    ``after_photos`` asks for (the ones its supporting departments attached count)."""
    photos = photos or []
    _require(actor, AssignmentAction.RESOLVE, assignment)
    case = session.get(Case, assignment.case_id, with_for_update=True)
    assert case is not None
    if (
        after_photos is not None
        and assignment.overall_lead
        and CaseStatus(case.status) is CaseStatus.WHISTLED
    ):
        require_after_photos(
            session=session, case=case, policy=after_photos, adding=len(photos), act="resolving"
        )
    attached = attach_after_photos(session=session, assignment=assignment, photos=photos)
    assignment.resolution_note = note
    case = _act_with_text(
        session=session,
        assignment=assignment,
        actor=actor,
        at=at,
        new=AssignmentStatus.RESOLVED,
        text=note,
        field="note",
        what="a resolution",
        data={"photos": attached} if attached else None,
    )
    if assignment.overall_lead and CaseStatus(case.status) is CaseStatus.WHISTLED:
        case.resolution_note = note
        transition(
            session=session,
            case=case,
            new=CaseStatus.RESOLVED,
            actor=actor,
            at=at,
            reason=note,
            data={"assignment_id": assignment.id},
        )


def request_extension(
    *,
    session: Session,
    assignment: Assignment,
    actor: Actor,
    at: datetime,
    amount: str,
    reason: str,
    calendar: WorkCalendar,
) -> Extension:
    """A department asks for more time to resolve (one request at a time); the whistling
    street decides."""
    _require(actor, AssignmentAction.EXTEND, assignment)
    if not reason.strip():
        raise InvalidInput("an extension needs a reason", field="reason")
    try:
        by = Duration.parse(amount)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="amount") from exc
    current = _deadline_of(assignment)
    new = extend(current, by=by, calendar=calendar)
    ext = Extension(
        assignment_id=assignment.id,
        requested_by=actor.id,
        requested_at=at,
        reason=reason,
        amount=str(by),
        old_due_at=assignment.resolve_due_at,
        new_due_at=new.due_at,
        provisional=new.provisional,
        status="requested",
    )
    session.add(ext)
    session.flush()
    case = session.get(Case, assignment.case_id)
    assert case is not None
    record(
        session=session,
        case=case,
        actor=actor,
        kind="extension:requested",
        at=at,
        reason=reason,
        data={
            "extension_id": ext.id,
            "assignment_id": assignment.id,
            "amount": str(by),
            "new_due_at": new.due_at.isoformat(),
        },
    )
    return ext


def _deadline_of(assignment: Assignment) -> Deadline:
    return Deadline(
        due_at=assignment.resolve_due_at, provisional=assignment.due_provisional, basis="current"
    )


def decide_extension(
    *, session: Session, extension: Extension, actor: Actor, at: datetime, approve: bool, note: str
) -> None:
    """The whistling street approves (the new due time applies) or denies an extension."""
    assignment = get_assignment(session=session, assignment_id=extension.assignment_id)
    case = session.get(Case, assignment.case_id)
    assert case is not None
    facts = assignment_facts(session=session, assignments=[assignment])[assignment.id]
    waiting = extension.id if extension.status == "requested" else None
    check_assignment_action(
        AssignmentAction.DECIDE_EXTENSION, actor, replace(facts, pending_extension=waiting)
    )
    extension.status = "approved" if approve else "denied"
    extension.decided_by = actor.id
    extension.decided_at = at
    extension.decision_note = note
    if approve:
        assignment.resolve_due_at = extension.new_due_at
        assignment.due_provisional = assignment.due_provisional or extension.provisional
    record(
        session=session,
        case=case,
        actor=actor,
        kind=f"extension:{extension.status}",
        at=at,
        reason=note or None,
        data={
            "extension_id": extension.id,
            "assignment_id": assignment.id,
            "new_due_at": extension.new_due_at.isoformat() if approve else None,
        },
    )


def dispute(
    *, session: Session, assignment: Assignment, actor: Actor, at: datetime, reason: str
) -> None:
    """The department answers "not ours" (派单异议) for its own assignment. When the overall
    lead disputes, the whole case goes back to the dispatcher (有异议); another department's
    dispute concerns its assignment only, and the case stays whistled."""
    _require(actor, AssignmentAction.DISPUTE, assignment)
    assignment.dispute_reason = reason
    case = _act_with_text(
        session=session,
        assignment=assignment,
        actor=actor,
        at=at,
        new=AssignmentStatus.DISPUTED,
        text=reason,
        field="reason",
        what="a dispute",
    )
    if assignment.overall_lead and CaseStatus(case.status) is CaseStatus.WHISTLED:
        transition(
            session=session,
            case=case,
            new=CaseStatus.DISPUTED,
            actor=actor,
            at=at,
            reason=reason,
            data={"assignment_id": assignment.id, "department_code": assignment.department_code},
        )


def reroute(
    *,
    session: Session,
    case: Case,
    actor: Actor,
    at: datetime,
    departments: list[dict[str, Any]],
    policies: dict[str, SlaPolicy],
    calendar: WorkCalendar,
    note: str = "",
) -> Whistle:
    """After a dispute, the dispatcher re-routes: live assignments end, a new whistle goes out."""
    require(session=session, actor=actor, action=Action.TRIAGE, case=case)
    _chosen(session, departments)  # a bad choice is refused before anything is cancelled
    require_action(session=session, actor=actor, action=CaseAction.REROUTE, case=case)
    cancel_assignments(
        session=session,
        case_id=case.id,
        actor=actor,
        at=at,
        reason="派单异议后改派，任务撤销",
        include_disputed=False,
    )
    return _summon(
        session=session,
        case=case,
        actor=actor,
        at=at,
        policies=policies,
        calendar=calendar,
        departments=departments,
        whistle_type=None,
        note=note or "re-routed after a dispute",
    )
