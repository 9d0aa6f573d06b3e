"""What an actor may do to cases: the facts the action rules of ``api.cases.workflow`` need,
read from the database (for one case, or a page of them in a few statements), the refusal
the routes raise and the ``allowed_actions`` the API lists — one rule for both."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.roles import Actor, CaseScope
from api.cases.models import Case, CaseStreet
from api.cases.workflow import (
    AssignmentAction,
    AssignmentFacts,
    AssignmentStatus,
    CaseAction,
    CaseFacts,
    CaseStatus,
    Guard,
    assignment_actions,
    case_actions,
    check_action,
    check_assignment_action,
)
from api.reports.models import Report
from api.whistles.models import Assignment, Extension


def scopes(*, session: Session, cases: Sequence[Case]) -> dict[int, CaseScope]:
    """Who and where each case involves, for the role model (streets lead first)."""
    ids = [c.id for c in cases]
    streets: dict[int, list[str]] = defaultdict(list)
    for case_id, code in session.execute(
        select(CaseStreet.case_id, CaseStreet.street_code)
        .where(CaseStreet.case_id.in_(ids))
        .order_by(CaseStreet.case_id, CaseStreet.role != "lead", CaseStreet.street_code)
    ):
        streets[case_id].append(code)
    departments: dict[int, set[str]] = defaultdict(set)
    for case_id, code in session.execute(
        select(Assignment.case_id, Assignment.department_code).where(Assignment.case_id.in_(ids))
    ):
        departments[case_id].add(code)
    reporters: dict[int, set[int]] = defaultdict(set)
    for case_id, reporter in session.execute(
        select(Report.case_id, Report.reporter_id).where(Report.case_id.in_(ids))
    ):
        reporters[case_id].add(reporter)
    return {
        c.id: CaseScope(
            community=c.community_code,
            streets=tuple(streets[c.id]),
            departments=frozenset(departments[c.id]),
            reporters=frozenset(reporters[c.id]),
        )
        for c in cases
    }


def hotline_cases(*, session: Session, case_ids: Sequence[int]) -> set[int]:
    """The cases among ``case_ids`` one of whose reports came through the 12345 hotline."""
    return set(
        session.scalars(
            select(Report.case_id)
            .where(Report.case_id.in_(case_ids), Report.source == "hotline")
            .distinct()
        )
    )


def case_facts(*, session: Session, cases: Sequence[Case]) -> dict[int, CaseFacts]:
    """The facts of each case the action rules need: state, scope, the guards that hold (a
    case that is not a hotline case owes no call-back)."""
    scope = scopes(session=session, cases=cases)
    hotline = hotline_cases(session=session, case_ids=[c.id for c in cases])
    return {
        c.id: CaseFacts(
            id=c.id,
            status=CaseStatus(c.status),
            scope=scope[c.id],
            met=frozenset() if c.id in hotline else frozenset({Guard.CALLBACK_SETTLED}),
        )
        for c in cases
    }


def require_action(*, session: Session, actor: Actor, action: CaseAction, case: Case) -> CaseFacts:
    """Raise the refusal (403, 409) unless ``actor`` may do ``action`` to ``case``; return
    the case's facts."""
    facts = case_facts(session=session, cases=[case])[case.id]
    check_action(action, actor, facts)
    return facts


def allowed_actions(
    *, session: Session, actor: Actor, cases: Sequence[Case]
) -> dict[int, list[CaseAction]]:
    """The actions ``actor`` may do to each case (what the routes would not refuse)."""
    facts = case_facts(session=session, cases=cases)
    return {case_id: case_actions(actor, f) for case_id, f in facts.items()}


def allowed_case_actions(
    *, session: Session, actor: Actor, case_ids: Iterable[int]
) -> dict[int, list[CaseAction]]:
    """:func:`allowed_actions` of the cases with ``case_ids``."""
    cases = list(session.scalars(select(Case).where(Case.id.in_(set(case_ids)))))
    return allowed_actions(session=session, actor=actor, cases=cases)


class AssignmentLike(Protocol):
    """An assignment as a row or as its public form."""

    @property
    def id(self) -> int: ...
    @property
    def case_id(self) -> int: ...
    @property
    def department_code(self) -> str: ...
    @property
    def status(self) -> str: ...


def assignment_facts(
    *, session: Session, assignments: Sequence[AssignmentLike]
) -> dict[int, AssignmentFacts]:
    """The facts of each assignment the action rules need (its case's facts included)."""
    case_ids = {a.case_id for a in assignments}
    cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids))))
    facts = case_facts(session=session, cases=cases)
    pending: dict[int, int] = {
        assignment_id: extension_id
        for assignment_id, extension_id in session.execute(
            select(Extension.assignment_id, Extension.id).where(
                Extension.assignment_id.in_([a.id for a in assignments]),
                Extension.status == "requested",
            )
        )
    }
    return {
        a.id: AssignmentFacts(
            id=a.id,
            department_code=a.department_code,
            status=AssignmentStatus(a.status),
            case=facts[a.case_id],
            pending_extension=pending.get(a.id),
        )
        for a in assignments
    }


def require_assignment_action(
    *,
    session: Session,
    actor: Actor,
    action: AssignmentAction,
    assignment: AssignmentLike,
) -> AssignmentFacts:
    """Raise the refusal (403, 409) unless ``actor`` may do ``action`` to ``assignment``;
    return its facts."""
    facts = assignment_facts(session=session, assignments=[assignment])[assignment.id]
    check_assignment_action(action, actor, facts)
    return facts


def allowed_assignment_actions(
    *, session: Session, actor: Actor, assignments: Sequence[AssignmentLike]
) -> dict[int, list[AssignmentAction]]:
    """The actions ``actor`` may do to each assignment (what the routes would not refuse)."""
    facts = assignment_facts(session=session, assignments=assignments)
    return {assignment_id: assignment_actions(actor, f) for assignment_id, f in facts.items()}
